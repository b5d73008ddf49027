// Owned file descriptors and temporary files: closed (and removed) when their
// owner goes, on every path out, exceptions included. UniqueFd is header-only
// (the energy sensors use it without linking util).
#pragma once

#include <unistd.h>

#include <string>
#include <utility>

namespace powertrain {

// One file descriptor, closed on destruction; -1 when empty. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  // Gives the descriptor up without closing it.
  int release() { return std::exchange(fd_, -1); }
  // Closes the descriptor held (if any) and holds `fd` instead. close() is
  // not retried on EINTR: on Linux the descriptor is gone anyway.
  void reset(int fd = -1) {
    if (fd_ >= 0 && fd_ != fd) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// A file made by mkstemp(), open for reading and writing, removed (and
// closed) on destruction. Move-only.
class TempFile {
 public:
  // Creates "<dir>/<prefix>XXXXXX" in $TMPDIR (else /tmp). Throws
  // std::runtime_error naming the folder and the reason when it cannot.
  static TempFile create(const std::string& prefix);
  ~TempFile();
  TempFile(TempFile&& other) noexcept : path_(std::move(other.path_)), fd_(std::move(other.fd_)) {
    other.path_.clear();
  }
  TempFile& operator=(TempFile&&) = delete;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }
  // Closes and removes the file now (what the destructor would do).
  void remove();

 private:
  TempFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  UniqueFd fd_;
};

}  // namespace powertrain
