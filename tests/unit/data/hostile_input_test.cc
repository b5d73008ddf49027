// Hostile and broken inputs to the data loaders: each gets one clear error
// naming the file and the reason, never a crash or a library's text.
#include <sys/stat.h>
#include <turbojpeg.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/file_util.h"
#include "powertrain/data/celeba.h"
#include "powertrain/data/pamap2.h"
#include "powertrain/data/synth.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

// One valid 54-column row with `value` in column `column` (1-based, >= 4).
std::string row_with(int column, const std::string& value, double time_s = 0.0, int activity = 1) {
  std::string line = std::to_string(time_s) + " " + std::to_string(activity) + " NaN";
  for (int c = 4; c <= kPamap2Columns; ++c)
    line += " " + (c == column ? value : std::string("0.5"));
  return line + "\n";
}

std::string parse_error(const std::string& text) {
  try {
    parse_pamap2_text(text, "s.dat");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(HostilePamap2, ValuesOutsideFloatRangeAreErrorsWithLineAndColumn) {
  const std::string ok = row_with(5, "1.5");
  // 1e39 used to become +inf (blamed later on training), 1e400 silently 0.
  EXPECT_EQ(parse_error(ok + row_with(5, "1e39")),
            "s.dat:2, column 5: value '1e39' is outside the range of a 32-bit float (magnitudes "
            "1.4e-45 to 3.4e38, or 0)");
  EXPECT_THAT(parse_error(ok + ok + row_with(7, "1e400")),
              HasSubstr("s.dat:3, column 7: value '1e400'"));
  EXPECT_THAT(parse_error(row_with(9, "-1e39")), HasSubstr("s.dat:1, column 9: value '-1e39'"));
  EXPECT_THAT(parse_error(row_with(9, "1e-50")), HasSubstr("s.dat:1, column 9: value '1e-50'"));
  EXPECT_EQ(parse_pamap2_text(row_with(9, "1e-40"), "s.dat").values[8], 1e-40f);  // a denormal float
  EXPECT_THAT(parse_error(row_with(9, "inf")),
              HasSubstr("s.dat:1, column 9: expected a number or NaN, got 'inf'"));
  // The edges of float range are kept exactly as a float rounds them.
  Pamap2Table t = parse_pamap2_text(
      row_with(5, "3.4e38") + row_with(5, "-1e38") + row_with(5, "0e999"), "s.dat");
  ASSERT_EQ(t.rows, 3);
  EXPECT_EQ(t.values[4], 3.4e38f);
  EXPECT_EQ(t.values[kPamap2Columns + 4], -1e38f);
  EXPECT_EQ(t.values[2 * kPamap2Columns + 4], 0.0f);
}

// Rows at 100 Hz of one activity with hand.acc16.x (column 5) = `x`.
void write_subject(const std::string& dir, int subject, int rows, const std::string& x) {
  std::string text;
  for (int i = 0; i < rows; ++i) text += row_with(5, x == "i" ? std::to_string(i) : x, 0.01 * i);
  testing::write_file(dir + "/Protocol/subject" + std::to_string(subject) + ".dat", text);
}

Pamap2Options hand_options() {
  Pamap2Options o;
  o.channels = {"hand.acc16"};
  o.validation_subjects = {105};
  o.test_subjects = {};
  o.drop_subjects = {};
  o.use_cache = false;
  return o;
}

TEST(HostilePamap2, AValidationSubjectEmptiedByAnAllNanChannelIsAnError) {
  TempDir dir;
  write_subject(dir.path(), 101, 300, "i");
  write_subject(dir.path(), 105, 300, "NaN");  // the whole channel missing
  try {
    load_pamap2(dir.path(), hand_options());
    FAIL() << "an emptied validation subject was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              dir.path() +
                  ": PAMAP2 validation subject 105 yields no windows: selected channel(s) "
                  "hand.acc16.x are NaN in every row, so every row is dropped");
  }
}

TEST(HostilePamap2, AnEmptiedTrainingSubjectIsANamedWarning) {
  TempDir dir;
  write_subject(dir.path(), 101, 300, "i");
  write_subject(dir.path(), 102, 300, "NaN");
  write_subject(dir.path(), 105, 300, "i");
  Pamap2Data data = load_pamap2(dir.path(), hand_options());
  // 300 rows, windows of 100 with stride 50: 5 windows from 101 alone.
  EXPECT_EQ(data.train.n, 5);
  EXPECT_EQ(data.validation.n, 5);
  ASSERT_EQ(data.warnings.size(), 1u);
  EXPECT_THAT(data.warnings[0], HasSubstr("PAMAP2 training subject 102 yields no windows"));
}

TEST(HostilePamap2, CacheGoesToTheCacheFolderNotTheDataFolder) {
  TempDir dir, cache;
  write_subject(dir.path(), 101, 300, "i");
  write_subject(dir.path(), 105, 300, "i");
  Pamap2Options o = hand_options();
  o.use_cache = true;
  o.cache_dir = cache.path();
  Pamap2Data data = load_pamap2(dir.path(), o);
  EXPECT_EQ(fs::path(data.cache_file).parent_path(), fs::path(cache.path()));
  EXPECT_FALSE(fs::exists(dir / ".powertrain-cache"));
  std::vector<std::string> entries;
  for (const auto& e : fs::directory_iterator(dir.path())) entries.push_back(e.path().filename());
  EXPECT_EQ(entries, std::vector<std::string>{"Protocol"});
  EXPECT_TRUE(load_pamap2(dir.path(), o).from_cache);
}

std::string read_error(const std::string& path, uint64_t limit = data_detail::kMaxImageBytes) {
  try {
    data_detail::read_file(path, limit);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(HostileFiles, DirectoriesDevicesPipesAndHugeFilesAreRefusedBeforeReading) {
  TempDir dir;
  fs::create_directories(dir / "000001.jpg");
  EXPECT_EQ(read_error(dir / "000001.jpg"),
            "cannot read '" + (dir / "000001.jpg") + "': is a directory, not a file");
  fs::create_symlink("/dev/zero", dir / "zero.jpg");
  EXPECT_EQ(read_error(dir / "zero.jpg"), "cannot read '" + (dir / "zero.jpg") +
                                              "': not a regular file (a device, pipe or socket)");
  ASSERT_EQ(::mkfifo((dir / "fifo.jpg").c_str(), 0600), 0);
  EXPECT_THAT(read_error(dir / "fifo.jpg"), HasSubstr("not a regular file"));  // and no hang
  testing::write_file(dir / "big.jpg", std::string(2048, 'x'));
  EXPECT_THAT(read_error(dir / "big.jpg", 1024),
              HasSubstr("is larger than any plausible input of this kind"));
  EXPECT_EQ(read_error(dir / "none.jpg"),
            "cannot read '" + (dir / "none.jpg") + "': No such file or directory");
  EXPECT_EQ(data_detail::read_file(dir / "big.jpg", 2048).size(), 2048u);
}

TEST(HostileFiles, ASubjectFileThatIsADeviceOrHugeIsRefusedBeforeAllocation) {
  TempDir dir;
  write_subject(dir.path(), 101, 300, "i");
  write_subject(dir.path(), 105, 300, "i");
  fs::create_symlink("/dev/zero", dir / "Protocol/subject102.dat");
  Pamap2Options o = hand_options();
  try {
    load_pamap2(dir.path(), o);
    FAIL() << "a device was read as a subject file";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read '" + (dir / "Protocol/subject102.dat") +
                                         "': not a regular file (a device, pipe or socket)");
  }
  fs::remove(dir / "Protocol/subject102.dat");
  testing::write_file(dir / "Protocol/subject102.dat", "");
  ASSERT_EQ(::truncate((dir / "Protocol/subject102.dat").c_str(), 5ll << 30),
            0);  // sparse: no disk used
  try {
    load_pamap2(dir.path(), o);
    FAIL() << "a 5 GiB subject file was read";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot read '" + (dir / "Protocol/subject102.dat") +
                  "': 5.0 GiB is larger than any plausible input of this kind (limit "
                  "4.0 GiB)");
  }
}

TEST(HostileFiles, AnImageThatIsADirectoryFailsTrainingByName) {
  TempDir dir;
  CelebaSynthOptions synth;
  synth.identities = 2;
  synth.images_per_identity = 3;
  synth_celeba(dir.path(), synth);
  const std::string image = dir / "img_align_celeba/000001.jpg";
  fs::remove(image);
  fs::create_directories(image);
  CelebaOptions o;
  o.top_identities = 2;
  o.train_fraction = 1.0;
  o.validation_fraction = 0.0;
  o.cache_images = false;
  CelebaDataset dataset(dir.path(), o);
  std::vector<float> pixels(3 * 64 * 64);
  std::string error = "no error";
  const auto& items = dataset.items(DataSplit::train);
  for (int64_t i = 0; i < static_cast<int64_t>(items.size()); ++i) {
    if (items[i].file != "000001.jpg") continue;
    try {
      dataset.fill_batch(DataSplit::train, &i, 1, pixels.data());
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
  }
  EXPECT_EQ(error, "CelebA image listed in the annotations: cannot read '" + image +
                       "': is a directory, not a file");
}

// A JPEG made by libjpeg-turbo from a CMYK buffer (written as Adobe YCCK).
std::vector<unsigned char> cmyk_jpeg(int width, int height, const unsigned char cmyk[4]) {
  std::vector<unsigned char> buffer(static_cast<size_t>(width) * height * 4);
  for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = cmyk[i % 4];
  tjhandle tj = tjInitCompress();
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  EXPECT_EQ(
      tjCompress2(tj, buffer.data(), width, 0, height, TJPF_CMYK, &jpeg, &size, TJSAMP_444, 100, 0),
      0)
      << tjGetErrorStr2(tj);
  std::vector<unsigned char> out(jpeg, jpeg + size);
  tjFree(jpeg);
  tjDestroy(tj);
  return out;
}

TEST(HostileJpeg, CmykAndYcckJpegsDecodeToTheirRgbColour) {
  // Adobe CMYK as libjpeg-turbo stores it: 255 = no ink, so RGB = C*K/255.
  const unsigned char orange[4] = {200, 100, 50, 255};
  const unsigned char half_grey[4] = {255, 255, 255, 128};
  for (const unsigned char* colour : {orange, half_grey}) {
    std::vector<unsigned char> jpeg = cmyk_jpeg(32, 24, colour);
    tjhandle tj = tjInitDecompress();
    int w, h, sub, space;
    ASSERT_EQ(tjDecompressHeader3(tj, jpeg.data(), jpeg.size(), &w, &h, &sub, &space), 0);
    tjDestroy(tj);
    EXPECT_EQ(space, TJCS_YCCK);  // the case that used to fail
    std::vector<unsigned char> rgb(16 * 16 * 3);
    decode_jpeg_resized(jpeg.data(), jpeg.size(), 16, 16, rgb.data(), "cmyk.jpg");
    for (int c = 0; c < 3; ++c) {
      const double expected = colour[c] * colour[3] / 255.0;
      EXPECT_NEAR(rgb[(8 * 16 + 8) * 3 + c], expected, 3.0) << "channel " << c;
    }
  }
}

std::string jpeg_error(const std::string& bytes) {
  std::vector<unsigned char> rgb(8 * 8 * 3);
  try {
    decode_jpeg_resized(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), 8, 8,
                        rgb.data(), "x.jpg");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(HostileJpeg, EmptyNonJpegAndTruncatedFilesSaySo) {
  EXPECT_EQ(jpeg_error(""), "x.jpg: empty file (0 bytes), not a JPEG");
  EXPECT_EQ(jpeg_error("GIF89a...."),
            "x.jpg: not a JPEG file (no JPEG start marker FF D8 FF at the beginning)");
  const unsigned char grey[4] = {128, 128, 128, 255};
  std::vector<unsigned char> jpeg = cmyk_jpeg(64, 64, grey);
  std::string whole(jpeg.begin(), jpeg.end());
  EXPECT_EQ(jpeg_error(whole), "no error");
  EXPECT_THAT(jpeg_error(whole.substr(0, whole.size() - 40)),
              HasSubstr("x.jpg: truncated or corrupt JPEG"));
  EXPECT_THAT(jpeg_error(whole.substr(0, 40)), HasSubstr("x.jpg: not a valid JPEG ("));
  EXPECT_THAT(jpeg_error(whole.substr(0, 40)), Not(HasSubstr("No error")));
}

}  // namespace
}  // namespace powertrain
