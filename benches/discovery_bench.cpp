// Hot paths of discovery: full parse, one keystroke (incremental reparse + recompute), one
// module's rules, cold indexing of a tree.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <vector>

#include "benches/bench_util.h"
#include "server/discovery/document.h"
#include "server/discovery/module_discovery.h"
#include "server/discovery/syntax_tree.h"
#include "server/workspace/project.h"
#include "tests/support/scoped_temp_dir.h"

using namespace fastest;

static void BM_FullParse5000Lines(benchmark::State& state) {
  std::string text = bench::generated_test_file(5000);
  auto parser = make_python_parser();
  for (auto _ : state) {
    auto tree = parse_python(parser.get(), text);
    benchmark::DoNotOptimize(tree.get());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_FullParse5000Lines)->Unit(benchmark::kMillisecond);

static void BM_DiscoverModule5000Lines(benchmark::State& state) {
  std::string text = bench::generated_test_file(5000);
  auto parser = make_python_parser();
  auto tree = parse_python(parser.get(), text);
  CollectRules rules;
  size_t items = 0;
  for (auto _ : state) {
    auto result = discover_module(tree.get(), text, "tests/test_big.py", rules);
    items = result.items.size();
    benchmark::DoNotOptimize(result);
  }
  state.counters["items"] = static_cast<double>(items);
}
BENCHMARK(BM_DiscoverModule5000Lines)->Unit(benchmark::kMicrosecond);

// One keystroke in a 5,000-line test file: the server-side work between didChange and the
// updated items (incremental reparse with the old tree + rules + diff). Reports p50/p99.
// `where` is the byte offset typed at; the edit alternates inserting and deleting a character.
static void keystroke(benchmark::State& state, const std::string& text, uint32_t at, const char* typed) {
  Document doc("tests/test_big.py", text, {});
  std::vector<double> samples;
  bool insert = true;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    ItemDelta delta = insert ? doc.apply_edit(at, at, typed) : doc.apply_edit(at, at + 1, "");
    auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(delta);
    samples.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    insert = !insert;
  }
  std::sort(samples.begin(), samples.end());
  state.counters["p50_ms"] = samples[samples.size() / 2];
  state.counters["p99_ms"] = samples[std::min(samples.size() - 1, samples.size() * 99 / 100)];
}

// Typing inside a test's body (the common case while writing a test).
static void BM_Keystroke5000Lines(benchmark::State& state) {
  std::string text = bench::generated_test_file(5000);
  uint32_t at = static_cast<uint32_t>(text.find("assert value == 3", text.size() / 2) + 7);
  keystroke(state, text, at, "x");
}
BENCHMARK(BM_Keystroke5000Lines)->Unit(benchmark::kMicrosecond)->Iterations(2000);

// Typing Enter inside a body: every later item moves down a line.
static void BM_KeystrokeNewline5000Lines(benchmark::State& state) {
  std::string text = bench::generated_test_file(5000);
  uint32_t at = static_cast<uint32_t>(text.find("assert value == 3", text.size() / 2) + 17);
  keystroke(state, text, at, "\n");
}
BENCHMARK(BM_KeystrokeNewline5000Lines)->Unit(benchmark::kMicrosecond)->Iterations(2000);

// Typing in a test's name: its id changes, so the module's rules run again.
static void BM_KeystrokeInTestName5000Lines(benchmark::State& state) {
  std::string text = bench::generated_test_file(5000);
  uint32_t at = static_cast<uint32_t>(text.find("def test_method_3", text.size() / 2) + 16);
  keystroke(state, text, at, "x");
}
BENCHMARK(BM_KeystrokeInTestName5000Lines)->Unit(benchmark::kMicrosecond)->Iterations(500);

// Cold indexing of a generated tree: 500 files, 10,000 tests.
static void BM_ColdIndex10kTests(benchmark::State& state) {
  namespace fs = std::filesystem;
  fastest::test::ScopedTempDir temp("fastest_bench_tree_");
  const fs::path& root = temp.path();
  fs::create_directories(root / "tests");
  std::ofstream(root / "pytest.ini") << "[pytest]\n";
  for (int f = 0; f < 500; ++f) {
    std::ofstream out(root / "tests" / ("test_mod" + std::to_string(f) + ".py"));
    out << "import pytest\n\n";
    for (int t = 0; t < 10; ++t) out << "def test_f" << t << "():\n    assert True\n\n";
    out << "class TestC:\n";
    for (int t = 0; t < 5; ++t) out << "    def test_m" << t << "(self):\n        pass\n\n";
    out << "@pytest.mark.parametrize('x', [1, 2, 3, 4, 5])\ndef test_p(x):\n    pass\n";
  }
  size_t selected = 0;
  for (auto _ : state) {
    Invocation inv;
    inv.invocation_dir = root;
    Collection c = collect(inv);
    selected = c.selected.size();
    benchmark::DoNotOptimize(c);
  }
  state.counters["tests"] = static_cast<double>(selected);
}
BENCHMARK(BM_ColdIndex10kTests)->Unit(benchmark::kMillisecond);
