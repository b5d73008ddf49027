#include "powertrain/util/atomic_file.h"

#include <filesystem>
#include <stdexcept>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_util.h"

namespace powertrain {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(AtomicFile, ReplacesTheFileWholeOnlyAtCommit) {
  TempDir dir;
  const std::string path = dir / "report.txt";
  testing::write_file(path, "old");
  {
    AtomicFile file(path);
    file.write("new ");
    file.write(std::string(200000, 'x'));    // more than the buffer
    EXPECT_EQ(testing::slurp(path), "old");  // not visible before commit
    file.commit();
  }
  EXPECT_EQ(testing::slurp(path), "new " + std::string(200000, 'x'));
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"report.txt"});
}

TEST(AtomicFile, AnUncommittedFileLeavesNothing) {
  TempDir dir;
  {
    AtomicFile file(dir / "half.csv");
    file.write("a,b\n1,");
  }
  EXPECT_TRUE(names_in(dir.path()).empty());
}

TEST(AtomicFile, ADeviceOrAPipeIsWrittenToNotReplaced) {
  TempDir dir;
  fs::create_symlink("/dev/null", dir / "null");
  write_file_atomic(dir / "null", "discarded");
  EXPECT_TRUE(fs::is_symlink(dir / "null"));
  EXPECT_TRUE(fs::is_character_file(dir / "null"));
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"null"});
}

TEST(AtomicFile, ErrorsNameThePathAndTheSystemReason) {
  TempDir dir;
  try {
    write_file_atomic(dir / "missing/out.csv", "x");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot write '" + (dir / "missing/out.csv") + "': No such file or directory");
  }
  fs::create_directories(dir / "taken");
  try {
    write_file_atomic(dir / "taken", "x");  // a folder in the way of the rename
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("cannot write '" + (dir / "taken") +
                                               "': cannot rename into place: Is a directory"));
  }
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"taken"});
}

}  // namespace
}  // namespace powertrain
