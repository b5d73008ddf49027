#include "powertrain/util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace powertrain {
namespace {
constexpr size_t kBufferBytes = 1 << 16;
}  // namespace

std::string errno_text(int error) { return std::strerror(error); }

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  // A device or a pipe (/dev/stdout, /dev/null, a FIFO) is written to, not
  // replaced: renaming over it would swap the device node for a file.
  struct stat st;
  if (::stat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("cannot write '" + path_ + "': " + errno_text(errno));
    buffer_.reserve(kBufferBytes);
    return;
  }
  // The temporary file sits next to the target so that rename() is atomic
  // (same file system) and a reader of the folder never sees half a file.
  std::string dir = ".";
  std::string name = path_;
  size_t slash = path_.rfind('/');
  if (slash != std::string::npos) {
    dir = slash == 0 ? "/" : path_.substr(0, slash);
    name = path_.substr(slash + 1);
  }
  if (name.empty()) throw std::runtime_error("cannot write '" + path_ + "': not a file name");
  std::string pattern = (dir == "/" ? "/" : dir + "/") + "." + name + ".tmp-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  fd_ = ::mkostemp(buf.data(), O_CLOEXEC);  // not inherited by a child started meanwhile
  if (fd_ < 0) throw std::runtime_error("cannot write '" + path_ + "': " + errno_text(errno));
  tmp_path_ = buf.data();
  // mkstemp makes 0600; give the file the mode a plain create would (umask applied).
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd_, 0666 & ~mask);
  buffer_.reserve(kBufferBytes);
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  if (fd_ >= 0) ::close(fd_);
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
}

void AtomicFile::fail(const std::string& doing, int error) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
  tmp_path_.clear();
  throw std::runtime_error("cannot write '" + path_ + "': " + doing + errno_text(error));
}

void AtomicFile::flush_buffer() {
  const char* p = buffer_.data();
  size_t left = buffer_.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("", errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  buffer_.clear();
}

void AtomicFile::write(std::string_view bytes) {
  if (fd_ < 0) throw std::logic_error("AtomicFile::write after commit or failure");
  if (buffer_.size() + bytes.size() > kBufferBytes) {
    flush_buffer();
    if (bytes.size() > kBufferBytes) {
      buffer_.assign(bytes);
      flush_buffer();
      return;
    }
  }
  buffer_.append(bytes);
}

void AtomicFile::commit() {
  if (fd_ < 0) throw std::logic_error("AtomicFile::commit twice or after failure");
  flush_buffer();
  // No fsync: it costs tens of milliseconds per file on a busy disk (a
  // CelebA synth writes thousands). A crash or a full disk still cannot
  // leave half a file; only a power cut may lose the newest one. close() is
  // checked, as network file systems report a full disk there.
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("", errno);
  if (tmp_path_.empty()) {  // written in place (a device or a pipe)
    committed_ = true;
    return;
  }
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    int error = errno;
    fail("cannot rename into place: ", error);
  }
  committed_ = true;
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

}  // namespace powertrain
