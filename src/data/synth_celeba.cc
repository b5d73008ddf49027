// Generator of CelebA in its exact layout: 178x218 JPEGs and the three
// annotation files. A picture is a cartoon face whose background, skin, face
// shape and eye spacing depend on the identity, and whose hair colour,
// glasses, smile, hat and beard follow the attributes, so that both the
// identity and the attribute tasks are learnable.
#include <turbojpeg.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "data/file_util.h"
#include "powertrain/data/celeba.h"
#include "powertrain/data/synth.h"

namespace powertrain {
namespace fs = std::filesystem;
namespace {

// create_directories with the reason in powertrain's words, not the library's.
void make_folder(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec)
    throw std::runtime_error("cannot create folder '" + folder.string() + "': " + ec.message());
}

const char* const kAttributeNames[kCelebaAttributes] = {"5_o_Clock_Shadow",
                                                        "Arched_Eyebrows",
                                                        "Attractive",
                                                        "Bags_Under_Eyes",
                                                        "Bald",
                                                        "Bangs",
                                                        "Big_Lips",
                                                        "Big_Nose",
                                                        "Black_Hair",
                                                        "Blond_Hair",
                                                        "Blurry",
                                                        "Brown_Hair",
                                                        "Bushy_Eyebrows",
                                                        "Chubby",
                                                        "Double_Chin",
                                                        "Eyeglasses",
                                                        "Goatee",
                                                        "Gray_Hair",
                                                        "Heavy_Makeup",
                                                        "High_Cheekbones",
                                                        "Male",
                                                        "Mouth_Slightly_Open",
                                                        "Mustache",
                                                        "Narrow_Eyes",
                                                        "No_Beard",
                                                        "Oval_Face",
                                                        "Pale_Skin",
                                                        "Pointy_Nose",
                                                        "Receding_Hairline",
                                                        "Rosy_Cheeks",
                                                        "Sideburns",
                                                        "Smiling",
                                                        "Straight_Hair",
                                                        "Wavy_Hair",
                                                        "Wearing_Earrings",
                                                        "Wearing_Hat",
                                                        "Wearing_Lipstick",
                                                        "Wearing_Necklace",
                                                        "Wearing_Necktie",
                                                        "Young"};

enum Attr {
  kBald = 4,
  kBlackHair = 8,
  kBlondHair = 9,
  kBrownHair = 11,
  kEyeglasses = 15,
  kGoatee = 16,
  kGrayHair = 17,
  kMale = 20,
  kMouthOpen = 21,
  kNoBeard = 24,
  kPaleSkin = 26,
  kSmiling = 31,
  kWearingHat = 35,
  kYoung = 39
};

struct Rgb {
  float r, g, b;
};

Rgb hsv(double h, double s, double v) {
  h = std::fmod(h, 1.0) * 6.0;
  int i = static_cast<int>(h);
  double f = h - i, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  double r, g, b;
  switch (i % 6) {
    case 0:
      r = v, g = t, b = p;
      break;
    case 1:
      r = q, g = v, b = p;
      break;
    case 2:
      r = p, g = v, b = t;
      break;
    case 3:
      r = p, g = q, b = v;
      break;
    case 4:
      r = t, g = p, b = v;
      break;
    default:
      r = v, g = p, b = q;
      break;
  }
  return {static_cast<float>(r * 255), static_cast<float>(g * 255), static_cast<float>(b * 255)};
}

struct Identity {
  int id;
  int images;
  Rgb background, background2, skin;
  double face_rx, face_ry, eye_spacing, eye_height;
  std::array<double, kCelebaAttributes> prior;  // probability of each attribute
};

Identity make_identity(int index, int id, int images, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Identity p{};
  p.id = id;
  p.images = images;
  // Hues spread by the golden ratio keep neighbouring identities apart.
  double hue = std::fmod(index * 0.61803398875 + 0.1, 1.0);
  p.background = hsv(hue, 0.35 + 0.5 * u(rng), 0.45 + 0.5 * u(rng));
  p.background2 = hsv(hue + 0.15 * (u(rng) - 0.5), 0.3 + 0.5 * u(rng), 0.3 + 0.6 * u(rng));
  p.face_rx = 44 + 16 * u(rng);
  p.face_ry = 58 + 18 * u(rng);
  p.eye_spacing = 16 + 12 * u(rng);
  p.eye_height = 98 + 14 * u(rng);
  for (double& v : p.prior) v = 0.05 + 0.45 * u(rng);
  // Traits that belong to the person.
  bool male = u(rng) < 0.45;
  p.prior[kMale] = male ? 1 : 0;
  p.prior[kYoung] = u(rng) < 0.75 ? 0.95 : 0.05;
  p.prior[kPaleSkin] = u(rng) < 0.2 ? 0.9 : 0.02;
  double tone = p.prior[kPaleSkin] > 0.5 ? 0.95 : 0.45 + 0.45 * u(rng);
  p.skin = {static_cast<float>(255 * tone), static_cast<float>(200 * tone),
            static_cast<float>(165 * tone)};
  int hair = static_cast<int>(u(rng) * 5);  // black, blond, brown, gray, bald
  for (int a : {kBlackHair, kBlondHair, kBrownHair, kGrayHair, kBald}) p.prior[a] = 0.03;
  p.prior[std::array<int, 5>{kBlackHair, kBlondHair, kBrownHair, kGrayHair, kBald}[hair]] = 0.92;
  if (!male) p.prior[kBald] = 0.0;
  p.prior[kNoBeard] = male ? (u(rng) < 0.5 ? 0.1 : 0.9) : 1.0;
  p.prior[kGoatee] = male ? 0.5 * (1 - p.prior[kNoBeard]) : 0.0;
  // Things that change from picture to picture.
  p.prior[kSmiling] = 0.5;
  p.prior[kEyeglasses] = u(rng) < 0.25 ? 0.6 : 0.04;
  p.prior[kWearingHat] = 0.08;
  return p;
}

// Paints one picture, RGB HWC, 0..255 floats before the final clamp.
void paint(const Identity& who, const std::array<float, kCelebaAttributes>& attr, int width,
           int height, std::mt19937_64& rng, std::vector<unsigned char>& out) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<float> noise(0.0f, 6.0f);
  // Pose and light change per picture; coordinates are in a 178x218 frame.
  double sx = width / 178.0, sy = height / 218.0;
  double cx = 89 + 6 * (u(rng) - 0.5), cy = 118 + 6 * (u(rng) - 0.5);
  double zoom = 0.93 + 0.14 * u(rng);
  float light = static_cast<float>(0.85 + 0.3 * u(rng));
  double rx = who.face_rx * zoom, ry = who.face_ry * zoom;
  Rgb hair{40, 30, 25};
  if (attr[kBlondHair] > 0) hair = {225, 195, 120};
  if (attr[kBrownHair] > 0) hair = {110, 70, 40};
  if (attr[kGrayHair] > 0) hair = {170, 170, 175};
  bool bald = attr[kBald] > 0;
  bool beard = attr[kNoBeard] == 0;
  double eye_y = cy + (who.eye_height - 118) * zoom;
  double eye_dx = who.eye_spacing * zoom;
  double mouth_y = cy + 34 * zoom;
  out.resize(static_cast<size_t>(width) * height * 3);
  for (int py = 0; py < height; ++py) {
    for (int px = 0; px < width; ++px) {
      double x = (px + 0.5) / sx, y = (py + 0.5) / sy;
      double t = y / 218.0;
      Rgb c{who.background.r * (1 - (float)t) + who.background2.r * (float)t,
            who.background.g * (1 - (float)t) + who.background2.g * (float)t,
            who.background.b * (1 - (float)t) + who.background2.b * (float)t};
      double fx = (x - cx) / rx, fy = (y - cy) / ry;
      double face = fx * fx + fy * fy;
      // Hair: a larger ellipse behind the upper face.
      double hx = (x - cx) / (rx * 1.15), hy = (y - (cy - 10 * zoom)) / (ry * 1.1);
      if (!bald && hx * hx + hy * hy < 1 && y < cy + 10 * zoom) c = hair;
      if (face < 1) {
        c = who.skin;
        // Beard on the lower face.
        if (beard && fy > 0.35 && face > 0.25) c = {hair.r * 0.6f, hair.g * 0.6f, hair.b * 0.6f};
        // Eyes, with glasses as dark frames.
        for (int side : {-1, 1}) {
          double ex = x - (cx + side * eye_dx), ey = y - eye_y;
          double d2 = ex * ex + ey * ey;
          if (attr[kEyeglasses] > 0 && std::fabs(ex) < 14 * zoom && std::fabs(ey) < 9 * zoom &&
              (std::fabs(ex) > 11 * zoom || std::fabs(ey) > 6 * zoom))
            c = {20, 20, 25};
          if (d2 < 16 * zoom * zoom) c = {35, 30, 30};
        }
        if (attr[kEyeglasses] > 0 && std::fabs(y - eye_y) < 1.5 * zoom &&
            std::fabs(x - cx) < eye_dx - 10 * zoom)
          c = {20, 20, 25};
        // Mouth: a wide curved band of lips and teeth when smiling, a short
        // thin line otherwise.
        double mx = x - cx, my = y - mouth_y;
        if (attr[kSmiling] > 0) {
          double curve = my - 0.015 * mx * mx / zoom;
          double open = attr[kMouthOpen] > 0 ? 3 : 0;
          if (std::fabs(mx) < 26 * zoom && curve < 7 * zoom && curve > -7 * zoom - open)
            c = std::fabs(curve) < 3.5 * zoom ? Rgb{245, 245, 240} : Rgb{185, 30, 45};
        } else if (std::fabs(mx) < 11 * zoom &&
                   std::fabs(my) < 2 * zoom + (attr[kMouthOpen] > 0 ? 3 : 0)) {
          c = {150, 60, 60};
        }
      }
      // Hat: a band over the top of the head.
      if (attr[kWearingHat] > 0 && std::fabs(x - cx) < rx * 1.25 && y > cy - ry * 1.2 &&
          y < cy - ry * 0.55)
        c = {60, 60, 150};
      unsigned char* o = &out[(static_cast<size_t>(py) * width + px) * 3];
      float v[3] = {c.r * light + noise(rng), c.g * light + noise(rng), c.b * light + noise(rng)};
      for (int k = 0; k < 3; ++k) o[k] = static_cast<unsigned char>(std::clamp(v[k], 0.0f, 255.0f));
    }
  }
}

void validate(const CelebaSynthOptions& o) {
  if (o.identities < 1 || o.identities > 10177)
    throw std::invalid_argument(
        fmt::format("synth celeba: identities must be 1..10177, got {}", o.identities));
  if (o.images_per_identity < 1 || o.images_per_identity > 10000)
    throw std::invalid_argument(fmt::format(
        "synth celeba: images per identity must be 1..10000, got {}", o.images_per_identity));
  if (o.width < 8 || o.height < 8 || o.width > 4096 || o.height > 4096)
    throw std::invalid_argument(
        fmt::format("synth celeba: image size must be 8..4096, got {}x{}", o.width, o.height));
  if (o.jpeg_quality < 1 || o.jpeg_quality > 100)
    throw std::invalid_argument(
        fmt::format("synth celeba: JPEG quality must be 1..100, got {}", o.jpeg_quality));
}

}  // namespace

void synth_celeba(const std::string& out_dir, const CelebaSynthOptions& options) {
  const CelebaSynthOptions& o = options;
  validate(o);

  std::mt19937_64 rng(o.seed * 0x9e3779b97f4a7c15ULL + 0xce1eba);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  // Distinct identity numbers in CelebA's range, and per-identity counts that
  // vary a little around the requested one (so top-K has to choose).
  std::vector<int> pool(10177);
  for (int i = 0; i < 10177; ++i) pool[i] = i + 1;
  std::shuffle(pool.begin(), pool.end(), rng);
  std::vector<Identity> people;
  int64_t total = 0;
  for (int i = 0; i < o.identities; ++i) {
    int spread = std::max(0, std::min(3, o.images_per_identity / 5));
    int images = o.images_per_identity + static_cast<int>(u(rng) * (2 * spread + 1)) - spread;
    people.push_back(make_identity(i, pool[i], std::max(1, images), rng));
    total += people.back().images;
  }
  if (total > 999999) throw std::invalid_argument("synth celeba: more than 999999 images");
  // Images of all people interleaved, as in the real files.
  std::vector<int> owner;
  for (int i = 0; i < o.identities; ++i) owner.insert(owner.end(), people[i].images, i);
  std::shuffle(owner.begin(), owner.end(), rng);
  // Official partition: by identity (80/10/10), in the order identities appear.
  std::vector<int> partition_of(o.identities);
  for (int i = 0; i < o.identities; ++i) {
    double q = (i + 0.5) / o.identities;
    partition_of[i] = q < 0.8 ? 0 : q < 0.9 ? 1 : 2;
  }

  fs::path root(out_dir);
  make_folder(root / "img_align_celeba");
  std::string attr_text = fmt::format("{}\r\n", total);
  for (int a = 0; a < kCelebaAttributes; ++a) attr_text += fmt::format("{} ", kAttributeNames[a]);
  attr_text += "\r\n";
  std::string identity_text, partition_text;

  tjhandle tj = tjInitCompress();
  if (!tj) throw std::runtime_error("libjpeg-turbo: cannot create a compressor");
  std::vector<unsigned char> pixels;
  try {
    for (int64_t n = 0; n < total; ++n) {
      const Identity& who = people[owner[n]];
      std::array<float, kCelebaAttributes> attr{};
      for (int a = 0; a < kCelebaAttributes; ++a) attr[a] = u(rng) < who.prior[a] ? 1.0f : 0.0f;
      if (attr[kSmiling] == 0) attr[kMouthOpen] = u(rng) < 0.2 ? 1.0f : 0.0f;
      std::string file = fmt::format("{:06d}.jpg", n + 1);
      paint(who, attr, o.width, o.height, rng, pixels);
      unsigned char* jpeg = nullptr;
      unsigned long jpeg_size = 0;
      if (tjCompress2(tj, pixels.data(), o.width, 0, o.height, TJPF_RGB, &jpeg, &jpeg_size,
                      TJSAMP_420, o.jpeg_quality, 0) != 0)
        throw std::runtime_error(std::string("libjpeg-turbo: ") + tjGetErrorStr2(tj));
      std::string_view bytes(reinterpret_cast<const char*>(jpeg), jpeg_size);
      try {
        data_detail::write_file_atomic((root / "img_align_celeba" / file).string(), bytes);
      } catch (...) {
        tjFree(jpeg);
        throw;
      }
      tjFree(jpeg);
      attr_text += file;
      for (float v : attr) attr_text += v > 0 ? "  1" : " -1";
      attr_text += "\r\n";
      identity_text += fmt::format("{} {}\n", file, who.id);
      partition_text += fmt::format("{} {}\n", file, partition_of[owner[n]]);
    }
  } catch (...) {
    tjDestroy(tj);
    throw;
  }
  tjDestroy(tj);
  data_detail::write_file_atomic((root / "list_attr_celeba.txt").string(), attr_text);
  data_detail::write_file_atomic((root / "identity_CelebA.txt").string(), identity_text);
  data_detail::write_file_atomic((root / "list_eval_partition.txt").string(), partition_text);
}

}  // namespace powertrain
