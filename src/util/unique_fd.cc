#include "util/unique_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace powertrain {

TempFile TempFile::create(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string dir = tmp && *tmp ? tmp : "/tmp";
  std::string path = dir + "/" + prefix + "XXXXXX";
  int fd = ::mkostemp(path.data(), O_CLOEXEC);  // not inherited by children
  if (fd < 0) {
    throw std::runtime_error("cannot create a temporary file in " + dir + ": " +
                             std::strerror(errno));
  }
  return TempFile(std::move(path), fd);
}

TempFile::~TempFile() { remove(); }

void TempFile::remove() {
  fd_.reset();
  if (!path_.empty()) ::unlink(path_.c_str());
  path_.clear();
}

}  // namespace powertrain
