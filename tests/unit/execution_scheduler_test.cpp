#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

#include "server/execution/duration_history.h"
#include "server/execution/scheduler.h"
#include "tests/support/scoped_temp_dir.h"

using namespace fastest;

namespace {
std::vector<std::string> flatten(const std::vector<Batch>& batches) {
  std::vector<std::string> out;
  for (auto& b : batches) out.insert(out.end(), b.ids.begin(), b.ids.end());
  return out;
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
