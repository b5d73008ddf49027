// libFuzzer target: the JPEG path of the CelebA pipeline (header checks,
// libjpeg-turbo decode with DCT scaling, CMYK/YCCK conversion, resize). Any
// input either decodes or throws std::runtime_error naming the file.
#include <turbojpeg.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "powertrain/data/celeba.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Headers that claim more than 4 Mpx are refused or decoded the same way
  // as small ones, only slower; skipping them keeps the fuzzer fast.
  struct Handle {
    tjhandle tj = tjInitDecompress();
    ~Handle() { tjDestroy(tj); }
  };
  static Handle handle;
  tjhandle tj = handle.tj;
  int w = 0, h = 0, sub = 0, space = 0;
  if (size > 0 &&
      tjDecompressHeader3(tj, data, static_cast<unsigned long>(size), &w, &h, &sub, &space) == 0 &&
      static_cast<long>(w) * h > 4L * 1000 * 1000)
    return 0;
  std::vector<unsigned char> out(24 * 20 * 3);
  try {
    powertrain::decode_jpeg_resized(data, size, 24, 20, out.data(), "fuzz.jpg");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
