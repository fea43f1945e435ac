// The seed's memory goal for large files: reading them through mmap must cut memory by 20%
// or more against reading them into strings. Measured as the process's anonymous (private,
// non-reclaimable) memory while 20 files of 2 MB each are held for discovery.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <vector>

#include "benches/bench_util.h"
#include "server/workspace/mapped_file.h"
#include "tests/support/scoped_temp_dir.h"

using namespace fastest;

namespace {
long rss_anon_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("RssAnon:", 0) == 0) return std::stol(line.substr(8));
  return 0;
}

std::vector<std::filesystem::path> large_files() {
  static std::vector<std::filesystem::path> files;
  if (!files.empty()) return files;
  static fastest::test::ScopedTempDir temp("fastest_bench_large_");  // removed at exit
  const auto& dir = temp.path();
  std::string text = bench::generated_test_file(60000);  // ~2 MB
  for (int i = 0; i < 20; ++i) {
    files.push_back(dir / ("test_large" + std::to_string(i) + ".py"));
    std::ofstream(files.back()) << text;
  }
  return files;
}

size_t touch(std::string_view text) {
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}
}  // namespace

static void BM_HoldLargeFilesAsStrings(benchmark::State& state) {
  auto files = large_files();
  long peak = 0;
  for (auto _ : state) {
    long before = rss_anon_kb();
    std::vector<std::string> texts;
    for (auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      texts.push_back(ss.str());
      benchmark::DoNotOptimize(touch(texts.back()));
    }
    peak = std::max(peak, rss_anon_kb() - before);
  }
  state.counters["anon_kb"] = static_cast<double>(peak);
}
BENCHMARK(BM_HoldLargeFilesAsStrings)->Unit(benchmark::kMillisecond)->Iterations(3);

static void BM_HoldLargeFilesMapped(benchmark::State& state) {
  auto files = large_files();
  long peak = 0;
  for (auto _ : state) {
    long before = rss_anon_kb();
    std::vector<MappedFile> maps(files.size());
    for (size_t i = 0; i < files.size(); ++i) {
      maps[i].open(files[i], nullptr);
      benchmark::DoNotOptimize(touch(maps[i].text()));
    }
    peak = std::max(peak, rss_anon_kb() - before);
  }
  state.counters["anon_kb"] = static_cast<double>(peak);
}
BENCHMARK(BM_HoldLargeFilesMapped)->Unit(benchmark::kMillisecond)->Iterations(3);
