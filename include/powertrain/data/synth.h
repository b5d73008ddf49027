// Generators of PAMAP2 and CelebA in their exact raw formats, with class
// structure a model can learn, so that everything runs without the real data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace powertrain {

struct Pamap2SynthOptions {
  std::vector<int> subjects = {101, 102, 103, 104, 105, 106, 107, 108, 109};
  // Protocol minutes per subject at 100 Hz (62.7 gives ~376k rows).
  double minutes = 10.0;
  // Activities cycled through, each a stretch of a few tens of seconds with
  // transient activity 0 between them.
  std::vector<int> activities = {1, 2, 3, 4, 5, 6, 7, 12, 13, 16, 17, 24};
  // Also write Optional/subject1NN.dat (activities 9, 10, 11, 18, 19, 20)
  // for this many minutes per subject (0 = none).
  double optional_minutes = 0.0;
  uint64_t seed = 1;
};

// Writes <out>/Protocol/subject1NN.dat (and Optional/ when asked).
void synth_pamap2(const std::string& out_dir, const Pamap2SynthOptions& options = {});

struct CelebaSynthOptions {
  int identities = 40;
  int images_per_identity = 30;  // varies by a few per identity
  int width = 178;
  int height = 218;
  int jpeg_quality = 90;
  uint64_t seed = 1;
};

// Writes <out>/img_align_celeba/NNNNNN.jpg and the three annotation files.
// Image content depends on the identity (face colour, shape, background)
// and on some attributes (e.g. eyeglasses, smiling, hair colour).
void synth_celeba(const std::string& out_dir, const CelebaSynthOptions& options = {});

}  // namespace powertrain
