// PAMAP2 (UCI Physical Activity Monitoring): reading the raw subject files,
// preprocessing them into labelled windows, and caching the result.
//
// Outputs are plain contiguous buffers (no LibTorch here); a trainer wraps
// them with torch::from_blob.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace powertrain {

// Columns of a raw PAMAP2 row (0-based): timestamp, activity id, heart rate,
// then 17 columns per IMU (hand, chest, ankle): temperature, acc +-16 g xyz,
// acc +-6 g xyz, gyro xyz, magnetometer xyz, 4 orientation columns.
inline constexpr int kPamap2Columns = 54;

// Windows of equal length, x laid out as [n][channels][length].
struct WindowSet {
  std::vector<float> x;
  std::vector<int64_t> labels;   // [n] label index into Pamap2Data::class_ids
  std::vector<int> subjects;     // [n] subject id (101..109) the window came from
  int64_t n = 0;
  int64_t channels = 0;
  int64_t length = 0;
};

struct Pamap2Options {
  // Activity ids to keep (0, transient, is always dropped). Default: the 12
  // protocol classes.
  std::vector<int> activities = {1, 2, 3, 4, 5, 6, 7, 12, 13, 16, 17, 24};
  // Channel groups, in output order: "<imu>.<sensor>" with imu in hand, chest,
  // ankle and sensor in temp, acc16, acc6, gyro, mag (3 channels each, temp
  // 1), or "heart_rate". Default: acc16, gyro, mag of the three IMUs (27).
  std::vector<std::string> channels = {"hand.acc16",  "hand.gyro",  "hand.mag",
                                       "chest.acc16", "chest.gyro", "chest.mag",
                                       "ankle.acc16", "ankle.gyro", "ankle.mag"};
  // NaNs are interpolated linearly within a subject; a run of more than this
  // many consecutive NaN rows in a channel (at 100 Hz) drops that stretch.
  int max_nan_run = 100;
  // Keep every k-th row (3 gives ~33.3 Hz).
  int downsample = 1;
  // Window length in rows after downsampling, and the overlap of
  // consecutive windows (0.5 = 50 %). A window never spans two activities,
  // a dropped stretch or a gap in time.
  int window_length = 100;
  double overlap = 0.5;
  // Subjects per split; train empty = every subject found that is in none
  // of the other lists.
  std::vector<int> train_subjects;
  std::vector<int> validation_subjects = {105};
  std::vector<int> test_subjects = {106};
  std::vector<int> drop_subjects = {109};
  // Also read Optional/subject1NN.dat (appended to the subject's protocol data).
  bool include_optional = true;
  // z-score every channel with mean/std fitted on the training windows.
  bool normalize = true;
  // Cache folder; empty = default_cache_dir(). Files are keyed by the source
  // files' identity (absolute path, size, mtime) and these options, so the
  // data folder itself is never written.
  std::string cache_dir;
  bool use_cache = true;
};

// What was found in one subject's files (before windowing).
struct Pamap2SubjectStats {
  int subject = 0;
  std::vector<std::string> files;
  int64_t rows = 0;
  // Rows per activity id, over all activities (0 included), sorted by id.
  std::vector<std::pair<int, int64_t>> rows_per_activity;
  int64_t values = 0;       // cells in the selected channels
  int64_t nan_values = 0;   // of those, NaN in the raw file
  int64_t dropped_rows = 0; // rows in NaN stretches longer than max_nan_run
};

struct Pamap2Data {
  WindowSet train, validation, test;
  std::vector<int> class_ids;              // label index -> activity id (classes found)
  std::vector<std::string> class_names;    // label index -> activity name
  std::vector<std::string> channel_names;  // e.g. "hand.acc16.x"
  std::vector<float> channel_mean;         // z-score fitted on train (0/1 when off)
  std::vector<float> channel_std;
  std::vector<Pamap2SubjectStats> subjects;
  bool from_cache = false;
  std::string cache_file;  // where the result was read from or written to; empty = none
  // Things the user should know that did not stop the load: a training
  // subject the preprocessing emptied, a cache that could not be written.
  std::vector<std::string> warnings;
};

// $XDG_CACHE_HOME/powertrain, else $HOME/.cache/powertrain, else "".
std::string default_cache_dir();

// Reads <dir>/Protocol (required) and <dir>/Optional, preprocesses as the
// options say, and uses the on-disk cache. Throws std::invalid_argument for
// malformed files and options, std::runtime_error for I/O problems.
Pamap2Data load_pamap2(const std::string& dir, const Pamap2Options& options = {});

// The activity's name in the PAMAP2 documentation ("walking"), or "activity N".
std::string pamap2_activity_name(int activity_id);

// Raw rows of one file, [rows][kPamap2Columns], NaN kept.
struct Pamap2Table {
  std::vector<float> values;
  int64_t rows = 0;
};

// Parses the text of a subject file. Lines with a wrong column count or a
// token that is not a number throw std::invalid_argument naming file and line.
Pamap2Table parse_pamap2_text(std::string_view text, const std::string& file_name);

// Reads and parses one subject file; an empty file is an error.
Pamap2Table read_pamap2_file(const std::string& path);

}  // namespace powertrain
