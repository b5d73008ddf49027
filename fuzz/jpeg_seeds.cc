// Writes small seed JPEGs for fuzz_jpeg with libjpeg-turbo itself (RGB 4:2:0,
// greyscale, CMYK/YCCK, progressive), since no image tool may be installed.
//   jpeg_seeds OUT_DIR
#include <turbojpeg.h>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: jpeg_seeds OUT_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  struct Seed {
    const char* name;
    int format, subsampling, flags, channels;
  };
  const Seed seeds[] = {{"rgb420.jpg", TJPF_RGB, TJSAMP_420, 0, 3},
                        {"grey.jpg", TJPF_GRAY, TJSAMP_GRAY, 0, 1},
                        {"cmyk.jpg", TJPF_CMYK, TJSAMP_444, 0, 4},
                        {"progressive.jpg", TJPF_RGB, TJSAMP_422, TJFLAG_PROGRESSIVE, 3}};
  tjhandle tj = tjInitCompress();
  for (const Seed& s : seeds) {
    const int width = 40, height = 30;
    std::vector<unsigned char> pixels(static_cast<size_t>(width) * height * s.channels);
    for (size_t i = 0; i < pixels.size(); ++i)
      pixels[i] = static_cast<unsigned char>((i * 37) ^ (i / 7));
    unsigned char* jpeg = nullptr;
    unsigned long size = 0;
    if (tjCompress2(tj, pixels.data(), width, 0, height, s.format, &jpeg, &size, s.subsampling, 75,
                    s.flags) != 0) {
      std::fprintf(stderr, "%s: %s\n", s.name, tjGetErrorStr2(tj));
      return 1;
    }
    std::FILE* f = std::fopen((dir + "/" + s.name).c_str(), "wb");
    if (!f || std::fwrite(jpeg, 1, size, f) != size || std::fclose(f) != 0) {
      std::perror(s.name);
      return 1;
    }
    tjFree(jpeg);
  }
  tjDestroy(tj);
  return 0;
}
