// Data pipeline benchmarks: PAMAP2 parsing and preprocessing, JPEG decode +
// resize, and CelebA batch filling. Single-threaded unless a name says
// otherwise, so that figures are per core. Counter "items" is the work of one
// iteration (rows, windows or images); rates use CPU time. Peers: peer_pamap2.py (pandas) and
// peer_jpeg.py (Pillow); bench/data/run.sh runs both and prints the ratios.
//
// Data: $PT_BENCH_PAMAP2_DIR (Protocol/subject101.dat of real size) and
// $PT_BENCH_CELEBA_DIR (img_align_celeba/*.jpg + annotations); generated into
// $TMPDIR when unset.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "data/file_util.h"
#include "powertrain/data/celeba.h"
#include "powertrain/data/pamap2.h"
#include "powertrain/data/synth.h"

namespace fs = std::filesystem;
using namespace powertrain;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

fs::path temp_root() { return fs::temp_directory_path() / "powertrain-bench-data"; }

const std::string& pamap2_dir() {
  static const std::string dir = [] {
    std::string d = env_or("PT_BENCH_PAMAP2_DIR", (temp_root() / "pamap2").string());
    if (!fs::exists(fs::path(d) / "Protocol" / "subject101.dat")) {
      Pamap2SynthOptions o;
      o.subjects = {101};
      o.minutes = 62.7;  // ~376k rows, as the largest real subject file
      synth_pamap2(d, o);
    }
    return d;
  }();
  return dir;
}

const std::string& celeba_dir() {
  static const std::string dir = [] {
    std::string d = env_or("PT_BENCH_CELEBA_DIR", (temp_root() / "celeba").string());
    if (!fs::exists(fs::path(d) / "list_attr_celeba.txt")) {
      CelebaSynthOptions o;
      o.identities = 20;
      o.images_per_identity = 25;
      synth_celeba(d, o);
    }
    return d;
  }();
  return dir;
}

std::vector<std::string> jpeg_files() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(fs::path(celeba_dir()) / "img_align_celeba"))
    if (e.path().extension() == ".jpg") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

void BM_Pamap2ParseFile(benchmark::State& state) {
  std::string path = pamap2_dir() + "/Protocol/subject101.dat";
  int64_t rows = 0, bytes = static_cast<int64_t>(fs::file_size(path));
  for (auto _ : state) {
    Pamap2Table t = read_pamap2_file(path);
    rows = t.rows;
    benchmark::DoNotOptimize(t.values.data());
  }
  state.counters["items"] = static_cast<double>(rows);
  state.counters["rows_per_s"] = benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate);
  state.SetBytesProcessed(state.iterations() * bytes);
}
BENCHMARK(BM_Pamap2ParseFile)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// Parse + NaN handling + windowing + z-score of one subject, no cache.
void BM_Pamap2Preprocess(benchmark::State& state) {
  Pamap2Options o;
  o.use_cache = false;
  o.validation_subjects = {};
  o.test_subjects = {};
  o.downsample = static_cast<int>(state.range(0));
  o.window_length = o.downsample == 1 ? 100 : 32;
  int64_t windows = 0;
  for (auto _ : state) {
    Pamap2Data d = load_pamap2(pamap2_dir(), o);
    windows = d.train.n;
  }
  state.counters["items"] = static_cast<double>(windows);
  state.counters["windows_per_s"] =
      benchmark::Counter(static_cast<double>(windows), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Pamap2Preprocess)->Arg(1)->Arg(3)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// A later run: the preprocessed windows read back from the cache.
void BM_Pamap2CachedLoad(benchmark::State& state) {
  Pamap2Options o;
  o.cache_dir = (temp_root() / "pamap2-cache").string();
  o.validation_subjects = {};
  o.test_subjects = {};
  int64_t windows = load_pamap2(pamap2_dir(), o).train.n;
  state.counters["items"] = static_cast<double>(windows);
  for (auto _ : state) {
    Pamap2Data d = load_pamap2(pamap2_dir(), o);
    if (!d.from_cache) state.SkipWithError("cache not used");
    benchmark::DoNotOptimize(d.train.x.data());
  }
  state.counters["windows_per_s"] =
      benchmark::Counter(static_cast<double>(windows), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Pamap2CachedLoad)->Unit(benchmark::kMillisecond)->MinTime(1.0);

// Delivering shuffled batches of 256 windows from memory (what a trainer does per step).
void BM_Pamap2Batches(benchmark::State& state) {
  Pamap2Options o;
  o.cache_dir = (temp_root() / "pamap2-cache").string();
  o.validation_subjects = {};
  o.test_subjects = {};
  Pamap2Data d = load_pamap2(pamap2_dir(), o);
  const int64_t batch = 256, per = d.train.channels * d.train.length;
  std::vector<int64_t> order(d.train.n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(1);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<float> out(batch * per);
  state.counters["items"] = static_cast<double>(batch);
  int64_t next = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < batch; ++i, ++next) {
      int64_t w = order[next % d.train.n];
      std::copy_n(d.train.x.data() + w * per, per, out.data() + i * per);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["windows_per_s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Pamap2Batches);

// Decode + resize of every JPEG in the folder (read from the page cache).
void BM_JpegDecodeResize(benchmark::State& state) {
  const int size = static_cast<int>(state.range(0));
  std::vector<std::string> files = jpeg_files();
  std::vector<std::string> bytes;
  for (const auto& f : files) bytes.push_back(data_detail::read_file(f));
  std::vector<unsigned char> out(static_cast<size_t>(size) * size * 3);
  state.counters["items"] = static_cast<double>(files.size());
  for (auto _ : state) {
    for (size_t i = 0; i < files.size(); ++i) {
      // Reading the file is part of the work, as for Pillow's Image.open.
      std::string b = data_detail::read_file(files[i]);
      decode_jpeg_resized(reinterpret_cast<const unsigned char*>(b.data()), b.size(), size, size, out.data(),
                          files[i]);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["images_per_s"] =
      benchmark::Counter(static_cast<double>(files.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_JpegDecodeResize)->Arg(64)->Arg(128)->Arg(224)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// CelebA batches of 64, normalised floats [64][3][H][W] with flips:
// range(0) = size, range(1) = 1 when the uint8 cache is warm.
void BM_CelebaFillBatch(benchmark::State& state) {
  CelebaOptions o;
  o.top_identities = 1000000;
  o.train_fraction = 1.0;
  o.validation_fraction = 0.0;
  o.image_height = o.image_width = static_cast<int>(state.range(0));
  o.cache_images = state.range(1) == 1;
  CelebaDataset d(celeba_dir(), o);
  const auto& items = d.items(DataSplit::train);
  if (o.cache_images) d.preload(DataSplit::train);
  const int64_t batch = 64;
  std::vector<float> images(batch * 3 * o.image_height * o.image_width);
  std::vector<int64_t> labels(batch), indices(batch);
  state.counters["items"] = static_cast<double>(batch);
  std::mt19937_64 rng(3);
  int64_t next = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < batch; ++i) indices[i] = (next++ * 7919) % static_cast<int64_t>(items.size());
    d.fill_batch(DataSplit::train, indices.data(), batch, images.data(), labels.data(), nullptr, &rng);
    benchmark::DoNotOptimize(images.data());
  }
  state.counters["images_per_s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_CelebaFillBatch)
    ->Args({64, 0})
    ->Args({64, 1})
    ->Args({224, 0})
    ->Args({224, 1})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
