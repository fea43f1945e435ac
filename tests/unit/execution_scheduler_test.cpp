#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <unistd.h>

#include "server/execution/duration_history.h"
#include "server/execution/early_collection.h"
#include "server/execution/scheduler.h"
#include "tests/support/scoped_temp_dir.h"

using namespace fastest;

namespace {
std::vector<std::string> flatten(const std::vector<Batch>& batches) {
  std::vector<std::string> out;
  for (auto& b : batches) out.insert(out.end(), b.ids.begin(), b.ids.end());
  return out;
}

// The engine's dispatch, simulated: the worker free first takes the next batch, paying
// `overhead` for its start-up plus the true durations of its tests.
double simulated_makespan(const std::vector<Batch>& batches, const std::unordered_map<std::string, double>& truth,
                          int workers, double overhead) {
  std::vector<double> free_at(workers, 0.0);
  for (const Batch& b : batches) {
    auto first = std::min_element(free_at.begin(), free_at.end());
    double work = overhead;
    for (const std::string& id : b.ids) work += truth.at(id);
    *first += work;
  }
  return *std::max_element(free_at.begin(), free_at.end());
}

// 4 x 0.4 s among 120 x 10 ms in six modules (the skewed suite of benches/compare.py).
std::pair<std::vector<std::string>, std::unordered_map<std::string, double>> skewed_suite() {
  std::vector<std::string> ids;
  std::unordered_map<std::string, double> durations;
  for (int i = 0; i < 4; ++i) {
    ids.push_back("tests/test_slow.py::test_slow_" + std::to_string(i));
    durations[ids.back()] = 0.4;
  }
  for (int f = 0; f < 6; ++f)
    for (int i = 0; i < 20; ++i) {
      ids.push_back("tests/test_fast_" + std::to_string(f) + ".py::test_fast_" + std::to_string(i));
      durations[ids.back()] = 0.01;
    }
  return {ids, durations};
}
}  // namespace

TEST_CASE("every test is planned exactly once") {
  std::vector<std::string> ids;
  for (int m = 0; m < 7; ++m)
    for (int t = 0; t < 13; ++t) ids.push_back("test_m" + std::to_string(m) + ".py::test_" + std::to_string(t));
  SchedulerOptions o;
  o.workers = 3;
  auto planned = flatten(plan_batches(ids, {}, o));
  CHECK(planned.size() == ids.size());
  CHECK(std::set<std::string>(planned.begin(), planned.end()).size() == ids.size());
}

TEST_CASE("longest tests go first, alone") {
  std::vector<std::string> ids{"a.py::fast1", "a.py::fast2", "b.py::slow", "c.py::medium"};
  std::unordered_map<std::string, double> history{
      {"a.py::fast1", 0.01}, {"a.py::fast2", 0.01}, {"b.py::slow", 2.0}, {"c.py::medium", 0.5}};
  SchedulerOptions o;
  o.workers = 2;
  auto batches = plan_batches(ids, history, o);
  REQUIRE(batches.size() >= 2);
  CHECK(batches[0].ids == std::vector<std::string>{"b.py::slow"});
}

TEST_CASE("a module's fast tests stay together in one batch when balance allows") {
  std::vector<std::string> ids;
  for (int t = 0; t < 10; ++t) ids.push_back("m.py::test_" + std::to_string(t));
  for (int t = 0; t < 10; ++t) ids.push_back("n.py::test_" + std::to_string(t));
  SchedulerOptions o;
  o.workers = 2;
  auto batches = plan_batches(ids, {}, o);
  for (auto& b : batches) {
    std::set<std::string> modules;
    for (auto& id : b.ids) modules.insert(module_of(id));
    CHECK(modules.size() == 1);
  }
}

TEST_CASE("there is at least one batch per worker, and the tail is split finely") {
  std::vector<std::string> ids;
  for (int t = 0; t < 40; ++t) ids.push_back("m.py::test_" + std::to_string(t));
  std::unordered_map<std::string, double> history;
  for (auto& id : ids) history[id] = 0.1;
  SchedulerOptions o;
  o.workers = 4;
  auto batches = plan_batches(ids, history, o);
  CHECK(batches.size() >= 4);
  CHECK(batches.back().estimate_s <= batches.front().estimate_s);
}

TEST_CASE("with known durations, a skewed suite ends within 10% of the longest-first bound") {
  auto [ids, durations] = skewed_suite();
  SchedulerOptions o;
  o.workers = 2;
  auto batches = plan_batches(ids, durations, o);
  auto planned = flatten(batches);
  CHECK(std::multiset<std::string>(planned.begin(), planned.end()) == std::multiset<std::string>(ids.begin(), ids.end()));
  // Every batch is a fork and a collection: one per worker plus a short tail, not one per slow test.
  CHECK(batches.size() <= 2 + 2 * 2);
  std::vector<double> all;
  for (auto& [id, d] : durations) all.push_back(d);
  const double batch_start_up = 0.02;
  const double bound = longest_first_makespan(all, 2);
  // The run pays one start-up even at best (the bench subtracts an empty run's time).
  CHECK(simulated_makespan(batches, durations, 2, batch_start_up) - batch_start_up <= 1.1 * bound);
}

TEST_CASE("with known durations, a worker slower than estimated is covered by the shared tail") {
  auto [ids, durations] = skewed_suite();
  SchedulerOptions o;
  o.workers = 2;
  auto batches = plan_batches(ids, durations, o);
  // Reality differs from history: the fast tests take 5% longer than recorded.
  auto truth = durations;
  for (auto& [id, d] : truth)
    if (d < 0.1) d *= 1.05;
  std::vector<double> all;
  for (auto& [id, d] : truth) all.push_back(d);
  CHECK(simulated_makespan(batches, truth, 2, 0.02) - 0.02 <= 1.1 * longest_first_makespan(all, 2));
}

TEST_CASE("with known durations, a small run is one batch per worker") {
  std::vector<std::string> ids;
  std::unordered_map<std::string, double> history;
  for (int t = 0; t < 20; ++t) {
    ids.push_back("m.py::test_" + std::to_string(t));
    history[ids.back()] = 0.001;
  }
  SchedulerOptions o;
  o.workers = 2;
  auto batches = plan_batches(ids, history, o);
  CHECK(batches.size() == 2);
  CHECK(flatten(batches).size() == ids.size());
}

TEST_CASE("with known durations, 1,000 trivial tests get no tail: its pieces would not pay their start-up") {
  // benches/' run_1000 suite with the durations its runs record (0.2-0.5 ms a test).
  std::vector<std::string> ids;
  std::unordered_map<std::string, double> history;
  for (int m = 0; m < 50; ++m)
    for (int t = 0; t < 20; ++t) {
      ids.push_back("tests/test_mod_" + std::to_string(m) + ".py::test_" + std::to_string(t));
      history[ids.back()] = 0.0004;
    }
  SchedulerOptions o;
  o.workers = 2;
  auto batches = plan_batches(ids, history, o);
  REQUIRE(batches.size() == 2);
  CHECK(batches[0].ids.size() == 500);
  CHECK(batches[1].ids.size() == 500);
}

TEST_CASE("with known durations, whole modules stay in one batch") {
  std::vector<std::string> ids;
  std::unordered_map<std::string, double> history;
  for (int m = 0; m < 8; ++m)
    for (int t = 0; t < 5; ++t) {
      ids.push_back("m" + std::to_string(m) + ".py::test_" + std::to_string(t));
      history[ids.back()] = 0.01;
    }
  SchedulerOptions o;
  o.workers = 2;
  o.tail_fraction = 0;  // the tail may cut a module; the head never does
  auto batches = plan_batches(ids, history, o);
  REQUIRE(batches.size() == 2);
  std::map<std::string, int> batches_per_module;
  for (auto& b : batches) {
    std::set<std::string> modules;
    for (auto& id : b.ids) modules.insert(module_of(id));
    for (auto& m : modules) batches_per_module[m]++;
  }
  for (auto& [m, n] : batches_per_module) CHECK(n == 1);
}

TEST_CASE("unknown durations come from the module's median, then the suite's") {
  std::unordered_map<std::string, double> history{{"a.py::x", 1.0}, {"a.py::y", 3.0}, {"b.py::z", 10.0}};
  SchedulerOptions o;
  auto est = estimate_durations({"a.py::new", "c.py::new", "a.py::x"}, history, o);
  CHECK(est[0] == Approx(2.0));
  CHECK(est[1] == Approx(3.0));
  CHECK(est[2] == Approx(1.0));
}

TEST_CASE("longest-first bound") {
  CHECK(longest_first_makespan({4, 3, 3, 2, 2}, 2) == Approx(8.0));  // LPT, not the optimum (7)
  CHECK(longest_first_makespan({1, 1, 1, 1}, 4) == Approx(1.0));
}

TEST_CASE("duration history persists and survives corruption") {
  fastest::test::ScopedTempDir temp("fastest_hist_");
  const auto& dir = temp.path();
  {
    DurationHistory h(dir / "durations.json");
    h.load();
    h.record("a.py::t", 0.5);
    REQUIRE(h.save());
  }
  DurationHistory again(dir / "durations.json");
  again.load();
  CHECK(again.durations().at("a.py::t") == Approx(0.5));
  again.record("a.py::t", 1.5);
  CHECK(again.durations().at("a.py::t") == Approx(1.0));
  std::ofstream(dir / "durations.json") << "{not json";
  DurationHistory broken(dir / "durations.json");
  broken.load();
  CHECK(broken.durations().empty());
}

TEST_CASE("duration history: two runs saving one file keep both runs' samples") {
  fastest::test::ScopedTempDir temp("fastest_hist_");
  const auto file = temp.path() / "durations.json";
  DurationHistory first(file), second(file);
  first.load();
  second.load();  // both read the file before either saves: the old last-writer-wins case
  first.record("a.py::t", 1.0);
  second.record("b.py::t", 2.0);
  REQUIRE(first.save());
  REQUIRE(second.save());
  DurationHistory merged(file);
  merged.load();
  CHECK(merged.durations().at("a.py::t") == Approx(1.0));
  CHECK(merged.durations().at("b.py::t") == Approx(2.0));
  // A sample of a test the other run also timed is averaged with the value on disk then.
  DurationHistory third(file);
  third.load();
  DurationHistory fourth(file);
  fourth.load();
  third.record("a.py::t", 3.0);   // disk 1.0 -> 2.0
  fourth.record("a.py::t", 4.0);  // disk 2.0 -> 3.0
  REQUIRE(third.save());
  REQUIRE(fourth.save());
  merged.load();
  CHECK(merged.durations().at("a.py::t") == Approx(3.0));
  CHECK_FALSE(std::filesystem::exists(temp.path() / ("durations.json.tmp" + std::to_string(::getpid()))));
}

TEST_CASE("duration history: a folder in its place is a warning, never an exception") {
  fastest::test::ScopedTempDir temp("fastest_hist_");
  const auto file = temp.path() / "durations.json";
  std::filesystem::create_directories(file);
  DurationHistory h(file);
  std::string warning;
  REQUIRE_NOTHROW(h.load(&warning));
  CHECK(h.durations().empty());
  CHECK(warning.find("durations.json") != std::string::npos);
  h.record("a.py::t", 1.0);
  warning.clear();
  bool saved = true;
  REQUIRE_NOTHROW(saved = h.save(&warning));
  CHECK_FALSE(saved);
  CHECK(warning.find("durations.json") != std::string::npos);
  CHECK(std::filesystem::is_directory(file));
}

TEST_CASE("duration history: corrupt JSON is a warning and is replaced") {
  fastest::test::ScopedTempDir temp("fastest_hist_");
  const auto file = temp.path() / "durations.json";
  std::ofstream(file) << "{not json";
  DurationHistory h(file);
  std::string warning;
  h.load(&warning);
  CHECK(warning.find("corrupt") != std::string::npos);
  h.record("a.py::t", 1.0);
  REQUIRE(h.save());
  DurationHistory again(file);
  warning.clear();
  again.load(&warning);
  CHECK(warning.empty());
  CHECK(again.durations().at("a.py::t") == Approx(1.0));
}

TEST_CASE("a batch of many one-test modules is cut into pieces of at most max_modules_per_batch modules") {
  std::vector<std::string> ids;
  std::unordered_map<std::string, double> history;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back("tests/test_f" + std::to_string(i) + ".py::test_x");
    history[ids.back()] = 0.001;
  }
  SchedulerOptions options;
  options.workers = 2;
  options.max_modules_per_batch = 100;
  for (bool known : {true, false}) {
    auto batches = plan_batches(ids, known ? history : std::unordered_map<std::string, double>{}, options);
    std::vector<std::string> all = flatten(batches);
    std::sort(all.begin(), all.end());
    std::vector<std::string> sorted_ids = ids;
    std::sort(sorted_ids.begin(), sorted_ids.end());
    CHECK(all == sorted_ids);
    for (const Batch& b : batches) {
      std::set<std::string> modules;
      for (const auto& id : b.ids) modules.insert(module_of(id));
      CHECK(modules.size() <= 100);
    }
    CHECK(batches.size() >= 10);
  }
}

TEST_CASE("cutting batches by modules keeps a module's tests together and the order") {
  std::vector<Batch> batches{{{"a.py::t1", "a.py::t2", "b.py::t", "c.py::t1", "c.py::t2"}, 5.0}};
  auto pieces = cap_modules_per_batch(batches, 2);
  REQUIRE(pieces.size() == 2);
  CHECK(pieces[0].ids == std::vector<std::string>{"a.py::t1", "a.py::t2", "b.py::t"});
  CHECK(pieces[1].ids == std::vector<std::string>{"c.py::t1", "c.py::t2"});
  CHECK(pieces[0].estimate_s == Approx(3.0));
}

TEST_CASE("early collection: the waiting batches' modules are collected first, in pieces, running nothing") {
  using fastest::Batch;
  std::deque<Batch> waiting = {{{"c.py::t1", "c.py::t2", "d.py::t"}, 1}, {{"e.py::t"}, 0.5}};
  std::vector<Batch> out = fastest::early_collection(waiting, 2);
  REQUIRE(out.size() == 2);
  CHECK(out[0].ids == std::vector<std::string>{"c.py::t1", "c.py::t2", "d.py::t"});
  CHECK(out[1].ids == std::vector<std::string>{"e.py::t"});
  for (const Batch& b : out) CHECK(b.collect_only);
  // Once they wait in front, asking again adds none of them twice.
  std::deque<Batch> again(out.begin(), out.end());
  again.insert(again.end(), waiting.begin(), waiting.end());
  CHECK(fastest::early_collection(again, 2).size() == 2);
  CHECK(fastest::early_collection({}, 2).empty());
}

TEST_CASE("early collection in the plan: a long run's later batches are collected first") {
  using fastest::Batch;
  std::vector<Batch> planned = {{{"a.py::t1", "a.py::t2"}, 2}, {{"b.py::t"}, 1}, {{"c.py::t", "d.py::t"}, 1},
                                {{"e.py::t"}, 0.5}};
  std::vector<Batch> out = fastest::with_early_collection(planned, 2, 1, 0.5);
  REQUIRE(out.size() == 7);
  CHECK(out[0].ids == std::vector<std::string>{"c.py::t"});  // one module per piece here
  CHECK(out[1].ids == std::vector<std::string>{"d.py::t"});
  CHECK(out[2].ids == std::vector<std::string>{"e.py::t"});
  for (size_t i = 0; i < 3; ++i) CHECK(out[i].collect_only);
  for (size_t i = 3; i < 7; ++i) {
    CHECK_FALSE(out[i].collect_only);
    CHECK(out[i].ids == planned[i - 3].ids);
  }
  CHECK(fastest::with_early_collection(planned, 4, 200, 0.5).size() == 4);  // all start at once
  CHECK(fastest::with_early_collection(planned, 2, 200, 3.0).size() == 4);  // 2.25 s per worker: short
  // Many trivial tests: collecting each module twice costs more than the output's wait.
  std::vector<Batch> trivial;
  for (int b = 0; b < 4; ++b) {
    Batch batch;
    for (int t = 0; t < 1000; ++t) batch.ids.push_back("m" + std::to_string(b * 1000 + t) + ".py::t");
    batch.estimate_s = 1000 * 0.004;  // 4 ms a test: 8 s per worker
    trivial.push_back(batch);
  }
  CHECK(fastest::with_early_collection(trivial, 2, 200, 3.0).size() == 4);
  for (Batch& batch : trivial) batch.estimate_s = 1000 * 0.05;  // 50 ms a test: worth it
  CHECK(fastest::with_early_collection(trivial, 2, 200, 3.0).size() > 4);
}
