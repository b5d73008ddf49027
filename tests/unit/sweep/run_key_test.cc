// The run key: made and read in one place, and what resume and merge match
// stored runs by.
#include "powertrain/sweep/run_key.h"

#include <gtest/gtest.h>

#include "powertrain/store/run_roles.h"
#include "powertrain/sweep/plan.h"

namespace powertrain {
namespace {

TEST(RunKey, FormatsAsResumeAndMergeExpect) {
  EXPECT_EQ((RunKey{"7", 2, roles::kClassifier}.str()), "setup 7 repeat 2 classifier");
  EXPECT_EQ((RunKey{"bs100-lr0.5", 1, roles::kBoth}.str()), "setup bs100-lr0.5 repeat 1 multitask");
}

TEST(RunKey, ParseInvertsStrForEverySetupRepeatAndRole) {
  const char* all_roles[] = {roles::kClassifier, roles::kAutoencoder, roles::kFrozen,
                             roles::kUnfrozen,   roles::kBaseline,    roles::kAttributes,
                             roles::kIdentity,   roles::kBoth};
  int checked = 0;
  for (const std::string& setup : {std::string("1"), std::string("16"), setup_name(100, 0.5),
                                   setup_name(64, 0.1), setup_name(4096, 1e-5)}) {
    for (int repeat : {0, 1, 3, 120}) {
      for (const char* role : all_roles) {
        RunKey key{setup, repeat, role};
        auto back = RunKey::parse(key.str());
        ASSERT_TRUE(back) << key.str();
        EXPECT_EQ(*back, key) << key.str();
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 5 * 4 * 8);
}

TEST(RunKey, ParseRefusesWhatStrCannotMake) {
  for (const char* bad :
       {"", "setup", "setup 7", "setup 7 repeat", "setup 7 repeat 2", "setup 7 repeat x classifier",
        "setup 7 repeat 2x classifier", "setup  repeat 2 classifier", "Setup 7 repeat 2 classifier",
        "setup 7 repeats 2 classifier", "setup 7 repeat 2 classifier extra",
        "setup 7 repeat 2 classifier ", "setup 7 repeat +2 classifier",
        "setup 7 repeat 99999999999 classifier"}) {
    EXPECT_FALSE(RunKey::parse(bad)) << "'" << bad << "'";
  }
}

TEST(RunKey, AStoredRunGetsThePlannedRunsKey) {
  // What resume relies on: a run written from a plan reads back to its key.
  PlannedRun planned;
  planned.setup_name = setup_name(256, 0.01);
  planned.repeat = 2;
  planned.role = roles::kFrozen;
  RunRecord stored;
  stored.batch_size = 256;
  stored.learning_rate = 0.01;
  stored.setup = 6;
  stored.repeat = 2;
  stored.role = roles::kFrozen;
  EXPECT_EQ(planned.key(), "setup 6 repeat 2 frozen");
  EXPECT_EQ(run_key(stored), planned.key());
  // A setup outside Table 1 keeps its batch size and learning rate.
  stored.batch_size = 100;
  stored.learning_rate = 0.5;
  EXPECT_EQ(run_key(stored), "setup bs100-lr0.5 repeat 2 frozen");
}

}  // namespace
}  // namespace powertrain
