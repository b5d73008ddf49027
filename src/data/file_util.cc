#include "data/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "powertrain/util/atomic_file.h"

namespace powertrain::data_detail {

namespace {
[[noreturn]] void fail_read(const std::string& path, const std::string& why) {
  throw std::runtime_error("cannot read '" + path + "': " + why);
}

std::string size_text(uint64_t bytes) {
  if (bytes >= (1ull << 30)) return fmt::format("{:.1f} GiB", bytes / double(1ull << 30));
  return fmt::format("{:.1f} MiB", bytes / double(1ull << 20));
}
}  // namespace

int open_regular_file(const std::string& path, uint64_t max_bytes, uint64_t* size) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail_read(path, std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int error = errno;
    ::close(fd);
    fail_read(path, std::strerror(error));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail_read(path, S_ISDIR(st.st_mode) ? "is a directory, not a file"
                                        : "not a regular file (a device, pipe or socket)");
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    fail_read(path, fmt::format("{} is larger than any plausible input of this kind (limit {})",
                                size_text(st.st_size), size_text(max_bytes)));
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  *size = static_cast<uint64_t>(st.st_size);
  return fd;
}

std::string read_file(const std::string& path, uint64_t max_bytes) {
  uint64_t size = 0;
  int fd = open_regular_file(path, max_bytes, &size);
  std::string bytes;
  bytes.resize(size);
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd, bytes.data() + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      fail_read(path, std::strerror(error));
    }
    if (n == 0) break;  // the file shrank while being read
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(got);
  return bytes;
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  powertrain::write_file_atomic(path, bytes);
}

uint64_t fnv1a(std::string_view bytes, uint64_t hash) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string quote(std::string_view token) {
  std::string out;
  size_t limit = token.size() > 40 ? 40 : token.size();
  for (size_t i = 0; i < limit; ++i) {
    unsigned char c = static_cast<unsigned char>(token[i]);
    if (c >= 32 && c < 127) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  if (token.size() > limit) out += "...";
  return "'" + out + "'";
}

}  // namespace powertrain::data_detail
