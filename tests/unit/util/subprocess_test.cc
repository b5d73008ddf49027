#include "util/subprocess.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

namespace powertrain {
namespace {

TEST(Subprocess, ReturnsExitCodeAndCapturesOutput) {
  SpawnOptions o;
  o.argv = {"sh", "-c", "printf \"$GREETING\"; exit 3"};
  o.env = {{"GREETING", "hi"}};
  o.capture_stdout = true;
  Subprocess p(o);
  char buf[16] = {0};
  ssize_t n = read(p.stdout_fd(), buf, sizeof(buf) - 1);
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "hi");
  EXPECT_EQ(p.wait(), 3);
}

TEST(Subprocess, MissingProgramIsAClearError) {
  SpawnOptions o;
  o.argv = {"powertrain-no-such-program"};
  try {
    Subprocess p(o);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("powertrain-no-such-program"), std::string::npos);
  }
}

TEST(Subprocess, SignalledChildReports128PlusSignal) {
  SpawnOptions o;
  o.argv = {"sleep", "30"};
  o.new_process_group = true;
  Subprocess p(o);
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(), 128 + SIGTERM);
}

}  // namespace
}  // namespace powertrain
