// Files that appear whole or not at all: written under a temporary name in
// the same folder and renamed into place.
#pragma once

#include <string>
#include <string_view>

namespace powertrain {

// A file being written. Nothing is visible at `path` until commit(); the
// temporary file is removed when the object dies uncommitted (an error, an
// exception). Errors throw std::runtime_error "cannot write 'PATH': REASON"
// with the system's reason ("No space left on device").
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view bytes);
  // Flushes, closes and renames the file into place.
  void commit();
  const std::string& path() const { return path_; }

 private:
  void flush_buffer();
  [[noreturn]] void fail(const std::string& doing, int error);
  std::string path_;
  std::string tmp_path_;
  int fd_ = -1;
  std::string buffer_;
  bool committed_ = false;
};

// Writes the whole of `bytes` to `path` through an AtomicFile.
void write_file_atomic(const std::string& path, std::string_view bytes);

// The system's text for errno value `error` ("Permission denied").
std::string errno_text(int error);

}  // namespace powertrain
