// JPEG decode (libjpeg-turbo, with DCT scaling when it shrinks) and an
// antialiased linear resize to the training size.
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "data/jpeg.h"
#include "powertrain/data/celeba.h"

namespace powertrain {
namespace {

// One decompressor per thread: creating one costs more than a small decode.
struct Decompressor {
  tjhandle handle = tjInitDecompress();
  ~Decompressor() {
    if (handle) tjDestroy(handle);
  }
};

tjhandle thread_decompressor() {
  thread_local Decompressor decompressor;
  if (!decompressor.handle) throw std::runtime_error("libjpeg-turbo: cannot create a decompressor");
  return decompressor.handle;
}

// Per output pixel along one axis: the first input pixel and the weights of
// a triangle filter widened by the scale (as Pillow's BILINEAR does). Zero
// weights at the ends are trimmed.
struct Taps {
  std::vector<int> first;
  std::vector<int> count;
  std::vector<float> weights;  // [out][max_count]
  int max_count = 0;
};

Taps make_taps(int in, int out) {
  Taps taps;
  double scale = static_cast<double>(in) / out;
  double support = std::max(1.0, scale);
  taps.max_count = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.first.resize(out);
  taps.count.resize(out);
  taps.weights.assign(static_cast<size_t>(out) * taps.max_count, 0.0f);
  std::vector<double> w(taps.max_count);
  for (int o = 0; o < out; ++o) {
    double center = (o + 0.5) * scale;
    int lo = std::max(0, static_cast<int>(std::floor(center - support)));
    int hi = std::min(in, static_cast<int>(std::ceil(center + support)));
    int n = 0;
    double total = 0;
    for (int i = lo; i < hi && n < taps.max_count; ++i, ++n) {
      double d = std::fabs((i + 0.5 - center) / support);
      w[n] = d < 1 ? 1 - d : 0;
      total += w[n];
    }
    int begin = 0, end = n;
    while (begin < end && w[begin] == 0) ++begin;
    while (end > begin && w[end - 1] == 0) --end;
    if (begin == end || total <= 0) {  // cannot happen for in, out >= 1; keep the nearest pixel
      begin = 0;
      end = 1;
      lo = std::min(in - 1, static_cast<int>(center));
      w[0] = total = 1;
    }
    float* dst = &taps.weights[static_cast<size_t>(o) * taps.max_count];
    for (int k = begin; k < end; ++k) dst[k - begin] = static_cast<float>(w[k] / total);
    taps.first[o] = lo + begin;
    taps.count[o] = end - begin;
  }
  return taps;
}

// Taps depend only on the sizes; a thread keeps the last few it used.
std::shared_ptr<const Taps> cached_taps(int in, int out) {
  struct Entry {
    int in, out;
    std::shared_ptr<const Taps> taps;
  };
  thread_local std::vector<Entry> cache;
  for (const Entry& e : cache)
    if (e.in == in && e.out == out) return e.taps;
  if (cache.size() >= 8) cache.erase(cache.begin());
  cache.push_back({in, out, std::make_shared<const Taps>(make_taps(in, out))});
  return cache.back().taps;
}

}  // namespace

void resize_rgb(const unsigned char* in, int in_height, int in_width, unsigned char* out,
                int height, int width) {
  if (in_height == height && in_width == width) {
    std::copy(in, in + static_cast<size_t>(height) * width * 3, out);
    return;
  }
  const auto tx_owner = cached_taps(in_width, width);
  const auto ty_owner = cached_taps(in_height, height);
  const Taps& tx = *tx_owner;
  const Taps& ty = *ty_owner;
  // Only the input rows that some output row reads are filtered horizontally.
  int row_lo = ty.first.front();
  int row_hi = ty.first.back() + ty.count.back();
  const size_t row_values = static_cast<size_t>(width) * 3;
  thread_local std::vector<float> rows, acc;
  rows.resize(static_cast<size_t>(row_hi - row_lo) * row_values);
  acc.resize(row_values);
  for (int y = row_lo; y < row_hi; ++y) {
    const unsigned char* src = in + static_cast<size_t>(y) * in_width * 3;
    float* dst = &rows[static_cast<size_t>(y - row_lo) * row_values];
    for (int x = 0; x < width; ++x) {
      const float* w = &tx.weights[static_cast<size_t>(x) * tx.max_count];
      const unsigned char* s = src + tx.first[x] * 3;
      const int n = tx.count[x];
      float r = 0, g = 0, b = 0;
      for (int k = 0; k < n; ++k, s += 3) {
        r += w[k] * s[0];
        g += w[k] * s[1];
        b += w[k] * s[2];
      }
      dst[x * 3] = r;
      dst[x * 3 + 1] = g;
      dst[x * 3 + 2] = b;
    }
  }
  float* a = acc.data();
  for (int y = 0; y < height; ++y) {
    const float* w = &ty.weights[static_cast<size_t>(y) * ty.max_count];
    const float* src0 = &rows[static_cast<size_t>(ty.first[y] - row_lo) * row_values];
    const float w0 = w[0];
    for (size_t i = 0; i < row_values; ++i) a[i] = w0 * src0[i];
    for (int k = 1; k < ty.count[y]; ++k) {
      const float* src = src0 + static_cast<size_t>(k) * row_values;
      const float wk = w[k];
      for (size_t i = 0; i < row_values; ++i) a[i] += wk * src[i];
    }
    unsigned char* dst = out + static_cast<size_t>(y) * row_values;
    for (size_t i = 0; i < row_values; ++i) {
      float v = a[i] + 0.5f;
      dst[i] = static_cast<unsigned char>(v <= 0 ? 0 : v >= 255 ? 255 : v);
    }
  }
}

namespace {

// Adobe (inverted) CMYK, as libjpeg-turbo writes and returns it: a channel of
// 255 is no ink, so red = C * K / 255.
void cmyk_to_rgb(const unsigned char* cmyk, size_t pixels, unsigned char* rgb) {
  for (size_t i = 0; i < pixels; ++i, cmyk += 4, rgb += 3) {
    const unsigned k = cmyk[3];
    rgb[0] = static_cast<unsigned char>((cmyk[0] * k + 127) / 255);
    rgb[1] = static_cast<unsigned char>((cmyk[1] * k + 127) / 255);
    rgb[2] = static_cast<unsigned char>((cmyk[2] * k + 127) / 255);
  }
}

// Largest image accepted, in pixels: far above any photograph a training
// set holds; a header that claims more is refused before any allocation.
constexpr long kMaxJpegPixels = 100L * 1000 * 1000;

}  // namespace

void decode_jpeg_resized(const unsigned char* data, std::size_t size, int height, int width,
                         unsigned char* out, const std::string& name) {
  if (height < 1 || width < 1) throw std::invalid_argument("image size must be positive");
  if (size == 0) throw std::runtime_error(name + ": empty file (0 bytes), not a JPEG");
  if (size < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF)
    throw std::runtime_error(name +
                             ": not a JPEG file (no JPEG start marker FF D8 FF at the beginning)");
  if (size > (1ul << 31))
    throw std::runtime_error(name + ": larger than 2 GiB, not a plausible JPEG");
  tjhandle tj = thread_decompressor();
  int jpeg_width = 0, jpeg_height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(tj, data, static_cast<unsigned long>(size), &jpeg_width, &jpeg_height,
                          &subsampling, &colorspace) != 0)
    throw std::runtime_error(name + ": not a valid JPEG (" + tjGetErrorStr2(tj) + ")");
  if (jpeg_width < 1 || jpeg_height < 1)
    throw std::runtime_error(name + ": not a valid JPEG (no image size in its header)");
  if (jpeg_width > 65500 || jpeg_height > 65500 ||
      static_cast<long>(jpeg_width) * jpeg_height > kMaxJpegPixels)
    throw std::runtime_error(
        fmt::format("{}: JPEG of {}x{} pixels is larger than any plausible input", name, jpeg_width,
                    jpeg_height));
  // The smallest DCT scaling that still leaves at least the output size.
  int factor_count = 0;
  tjscalingfactor* factors = tjGetScalingFactors(&factor_count);
  int best_width = jpeg_width, best_height = jpeg_height;
  for (int i = 0; i < factor_count; ++i) {
    const tjscalingfactor& f = factors[i];
    if (f.num > f.denom) continue;
    int w = TJSCALED(jpeg_width, f), h = TJSCALED(jpeg_height, f);
    if (w >= width && h >= height &&
        static_cast<long>(w) * h < static_cast<long>(best_width) * best_height) {
      best_width = w;
      best_height = h;
    }
  }
  // CMYK and YCCK (Adobe) JPEGs cannot be converted to RGB by libjpeg; they
  // are decoded as CMYK and converted here.
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  const size_t pixels = static_cast<size_t>(best_width) * best_height;
  thread_local std::vector<unsigned char> decoded, decoded_cmyk;
  decoded.resize(pixels * 3);
  unsigned char* target = decoded.data();
  if (cmyk) {
    decoded_cmyk.resize(pixels * 4);
    target = decoded_cmyk.data();
  }
  if (tjDecompress2(tj, data, static_cast<unsigned long>(size), target, best_width, 0, best_height,
                    cmyk ? TJPF_CMYK : TJPF_RGB, 0) != 0)
    throw std::runtime_error(name + ": truncated or corrupt JPEG (" + tjGetErrorStr2(tj) + ")");
  if (cmyk) cmyk_to_rgb(decoded_cmyk.data(), pixels, decoded.data());
  resize_rgb(decoded.data(), best_height, best_width, out, height, width);
}

}  // namespace powertrain
