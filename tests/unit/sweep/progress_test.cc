// The sweep's progress line: its whole text, and how it fits 40, 80 and 200
// columns; the printer's live redraw.
#include "powertrain/sweep/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace powertrain {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct LineFixture {
  PlannedRun run;
  SweepEpochEvent event;
  LineFixture() {
    run.setup = 3;
    run.setup_name = "3";
    run.batch_size = 64;
    run.learning_rate = 0.001;
    run.repeat = 1;
    run.role = "classifier";
    event.run.run = &run;
    event.run.position = 3;
    event.run.total = 16;
    event.run.repeats = 2;
    event.progress = RunProgress{2, 5, 0.5, 0.75, "accuracy", 1.0};
    event.elapsed_s = 12;
    event.eta_s = 185;  // 3m05s
  }
};

const std::string kWhole =
    "setup 3/16 (bs 64, lr 0.001) repeat 1/2 classifier | epoch 2/5 loss 0.5000 accuracy 0.7500 "
    "| 1.00 mWh | 12s | run 3/16 | left ~3m05s";

TEST(ProgressLine, WholeLineWithoutALimit) {
  LineFixture f;
  EXPECT_EQ(format_live_line(f.event), kWhole);
  EXPECT_EQ(format_live_line(f.event, 0), kWhole);
}

TEST(ProgressLine, Width200KeepsEverything) {
  LineFixture f;
  ASSERT_LT(kWhole.size(), 200u);
  EXPECT_EQ(format_live_line(f.event, 200), kWhole);
}

TEST(ProgressLine, Width80DropsDetailsNotTheEssentials) {
  LineFixture f;
  const std::string line = format_live_line(f.event, 80);
  EXPECT_LE(display_width(line), 80u);
  // Shorter setup, no elapsed time, no loss or metric: exactly 80.
  EXPECT_EQ(line,
            "setup 3/16 repeat 1/2 classifier | epoch 2/5 | 1.00 mWh | run 3/16 | left ~3m05s");
  EXPECT_EQ(line.size(), 80u);
}

TEST(ProgressLine, Width40KeepsEpochEnergyAndPlace) {
  LineFixture f;
  const std::string line = format_live_line(f.event, 40);
  EXPECT_LE(display_width(line), 40u);
  EXPECT_EQ(line, "epoch 2/5 | 1.00 mWh | run 3/16");
}

TEST(ProgressLine, StartingLine) {
  LineFixture f;
  f.event.progress = RunProgress{0, 5, {}, {}, "", 0};
  f.event.elapsed_s = 0;
  f.event.eta_s.reset();
  EXPECT_EQ(format_live_line(f.event),
            "setup 3/16 (bs 64, lr 0.001) repeat 1/2 classifier | starting | 0.00 mWh | 0s | run "
            "3/16 | left ?");
}

TEST(ProgressLine, ExtraFiguresFollowTheEnergyAndGoBeforeTheSetup) {
  LineFixture f;
  f.event.extra = {{"predicted", "41.2 mWh"}};
  EXPECT_EQ(format_live_line(f.event, 200),
            "setup 3/16 (bs 64, lr 0.001) repeat 1/2 classifier | epoch 2/5 loss 0.5000 accuracy "
            "0.7500 | 1.00 mWh | predicted 41.2 mWh | 12s | run 3/16 | left ~3m05s");
  // At 80 the prediction stays, the setup gives way to its role.
  EXPECT_EQ(format_live_line(f.event, 80),
            "classifier | epoch 2/5 | 1.00 mWh | predicted 41.2 mWh | run 3/16 | left ~3m05s");
}

TEST(ProgressLine, WidthCountsCharactersNotBytes) {
  EXPECT_EQ(display_width("r\xc3\xa9gime"), 6u);  // "régime"
  LineFixture f;
  f.run.setup = 0;
  f.run.setup_name = "bs64-lr0.001-\xc3\xa9t\xc3\xa9";  // two 2-byte characters
  for (int width : {40, 80, 200}) {
    EXPECT_LE(display_width(format_live_line(f.event, width)), static_cast<std::size_t>(width));
  }
}

TEST(ProgressPrinter, LiveRedrawsOneLineFittedToTheWidth) {
  LineFixture f;
  std::ostringstream out;
  ProgressPrinter printer(out, ProgressPrinter::Style{true, 40});
  printer.on_epoch(f.event);
  const std::string text = out.str();
  ASSERT_EQ(text.rfind("\r\033[K", 0), 0u);
  EXPECT_THAT(text, Not(HasSubstr("\n")));
  EXPECT_LE(display_width(text.substr(4)), 40u);
}

TEST(ProgressPrinter, PlainLinesAreWholeAndEndInANewline) {
  LineFixture f;
  std::ostringstream out;
  ProgressPrinter printer(out, ProgressPrinter::Style{false, 40});  // width only applies live
  printer.on_epoch(f.event);
  EXPECT_EQ(out.str(), kWhole + "\n");
}

}  // namespace
}  // namespace powertrain
