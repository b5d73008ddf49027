#include "util/subprocess.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

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

TEST(Subprocess, EnvironmentReplacesAndAddsVariablesWithoutTouchingOurs) {
  setenv("POWERTRAIN_TEST_VAR", "parent", 1);
  SpawnOptions o;
  o.argv = {"sh", "-c", "printf '%s,%s' \"$POWERTRAIN_TEST_VAR\" \"$POWERTRAIN_TEST_NEW\""};
  o.env = {{"POWERTRAIN_TEST_VAR", "child"}, {"POWERTRAIN_TEST_NEW", "new"}};
  o.capture_stdout = true;
  Subprocess p(o);
  char buf[64] = {0};
  ssize_t n = read(p.stdout_fd(), buf, sizeof(buf) - 1);
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "child,new");
  EXPECT_EQ(p.wait(), 0);
  EXPECT_STREQ(getenv("POWERTRAIN_TEST_VAR"), "parent");  // built for the child only
  EXPECT_EQ(getenv("POWERTRAIN_TEST_NEW"), nullptr);
  unsetenv("POWERTRAIN_TEST_VAR");
}

TEST(Subprocess, NotFoundIs127AndNotExecutableIs126) {
  SpawnOptions o;
  o.argv = {"powertrain-no-such-program"};
  try {
    Subprocess p(o);
    FAIL();
  } catch (const SpawnError& e) {
    EXPECT_EQ(e.error_number(), ENOENT);
    EXPECT_EQ(e.exit_code(), 127);
  }
  char path[] = "/tmp/powertrain-not-executable-XXXXXX";
  int fd = mkstemp(path);  // mode 0600: exists, not executable
  ASSERT_GE(fd, 0);
  close(fd);
  o.argv = {path};
  try {
    Subprocess p(o);
    FAIL();
  } catch (const SpawnError& e) {
    EXPECT_EQ(e.error_number(), EACCES);
    EXPECT_EQ(e.exit_code(), 126);
  }
  unlink(path);
}

TEST(Subprocess, DescribesExitAndDeathBySignal) {
  SpawnOptions o;
  o.argv = {"sh", "-c", "kill -KILL $$"};
  Subprocess killed(o);
  EXPECT_EQ(killed.wait(), 128 + SIGKILL);
  EXPECT_EQ(describe_status(killed.raw_status()), "killed by SIGKILL");
  o.argv = {"sh", "-c", "exit 5"};
  Subprocess exited(o);
  EXPECT_EQ(exited.wait(), 5);
  EXPECT_EQ(describe_status(exited.raw_status()), "exited with status 5");
}

TEST(Subprocess, NamesWhatAProcessGroupLeftBehind) {
  SpawnOptions o;
  o.argv = {"sh", "-c", "sleep 30 & echo $!"};
  o.new_process_group = true;
  o.capture_stdout = true;
  Subprocess p(o);
  char buf[32] = {0};
  ssize_t n = read(p.stdout_fd(), buf, sizeof(buf) - 1);
  ASSERT_GT(n, 0);
  int sleeper = std::atoi(buf);
  EXPECT_EQ(p.wait(), 0);
  // The shell prints $! right after its fork, maybe before the child has
  // exec'd sleep (its name is "sh" until then): wait for the exec.
  std::vector<std::string> left;
  for (int i = 0; i < 500; ++i) {
    left = processes_in_group(p.pid());
    if (left.size() == 1u && left[0].find("(sleep)") != std::string::npos) break;
    usleep(10000);
  }
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0], std::to_string(sleeper) + " (sleep)");
  p.signal_group(SIGKILL);
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
