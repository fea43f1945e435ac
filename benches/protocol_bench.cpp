// JSON-RPC framing and message encode/decode, and scheduler planning.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "protocol/framing.h"
#include "server/execution/scheduler.h"

using namespace fastest;

static nlohmann::json sample_message() {
  nlohmann::json items = nlohmann::json::array();
  for (int i = 0; i < 100; ++i)
    items.push_back({{"id", "tests/test_a.py::TestX::test_" + std::to_string(i)}, {"label", "test_" + std::to_string(i)},
                     {"kind", "function"}, {"uri", "file:///work/tests/test_a.py"},
                     {"range", {{"start", {{"line", i}, {"character", 4}}}, {"end", {{"line", i + 2}, {"character", 0}}}}},
                     {"tags", nlohmann::json::array()}, {"dynamic", false}});
  return {{"jsonrpc", "2.0"}, {"method", "fastest/discoveredTests"}, {"params", {{"items", items}}}};
}

static void BM_EncodeMessage100Items(benchmark::State& state) {
  nlohmann::json message = sample_message();
  for (auto _ : state) benchmark::DoNotOptimize(protocol::encode_frame(message.dump()));
}
BENCHMARK(BM_EncodeMessage100Items)->Unit(benchmark::kMicrosecond);

static void BM_DecodeFramesAndParse(benchmark::State& state) {
  std::string frame = protocol::encode_frame(sample_message().dump());
  std::string stream;
  for (int i = 0; i < 10; ++i) stream += frame;
  for (auto _ : state) {
    protocol::FrameDecoder decoder;
    decoder.feed(stream);
    while (auto f = decoder.next()) benchmark::DoNotOptimize(nlohmann::json::parse(f->body));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_DecodeFramesAndParse)->Unit(benchmark::kMicrosecond);

static void BM_PlanBatches10kTests(benchmark::State& state) {
  std::vector<std::string> ids;
  std::unordered_map<std::string, double> history;
  for (int m = 0; m < 500; ++m)
    for (int t = 0; t < 20; ++t) {
      std::string id = "tests/test_" + std::to_string(m) + ".py::test_" + std::to_string(t);
      ids.push_back(id);
      if ((m + t) % 3) history[id] = 0.001 * ((m * 7 + t) % 50);
    }
  SchedulerOptions o;
  o.workers = 2;
  for (auto _ : state) benchmark::DoNotOptimize(plan_batches(ids, history, o));
}
BENCHMARK(BM_PlanBatches10kTests)->Unit(benchmark::kMillisecond);
