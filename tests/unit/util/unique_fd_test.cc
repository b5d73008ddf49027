#include "util/unique_fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace powertrain {
namespace {

bool is_open(int fd) { return fcntl(fd, F_GETFD) != -1 || errno != EBADF; }
bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

TEST(UniqueFd, ClosesOnDestructionAndMoveKeepsOneOwner) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    UniqueFd a(raw);
    UniqueFd b(std::move(a));
    EXPECT_EQ(a.get(), -1);
    EXPECT_EQ(b.get(), raw);
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));

  int kept = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  {
    UniqueFd c(kept);
    EXPECT_EQ(c.release(), kept);
  }
  EXPECT_TRUE(is_open(kept));
  ::close(kept);
}

TEST(TempFile, RemovedWhenItsOwnerGoesEvenByAnException) {
  std::string path;
  int fd = -1;
  try {
    TempFile f = TempFile::create("powertrain-test-");
    path = f.path();
    fd = f.fd();
    EXPECT_TRUE(exists(path));
    // Not inherited by a command powertrain starts.
    EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    EXPECT_EQ(write(fd, "x", 1), 1);
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(path.empty());
  EXPECT_FALSE(exists(path));
  EXPECT_FALSE(is_open(fd));
}

TEST(TempFile, AnUnwritableFolderIsAClearError) {
  const char* old = std::getenv("TMPDIR");
  std::string saved = old ? old : "";
  setenv("TMPDIR", "/nonexistent-powertrain-dir", 1);
  try {
    TempFile::create("x-");
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot create a temporary file in /nonexistent-powertrain-dir: No such file or "
              "directory");
  }
  if (old)
    setenv("TMPDIR", saved.c_str(), 1);
  else
    unsetenv("TMPDIR");
}

}  // namespace
}  // namespace powertrain
