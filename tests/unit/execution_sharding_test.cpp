#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <set>

#include "server/execution/sharding.h"

using namespace fastest;

namespace {

// A skewed suite, the same every time: module sizes and test durations from a power law
// (a few slow modules and tests, many quick ones), as real suites are.
struct Suite {
  std::vector<ShardLeaf> leaves;
  std::unordered_map<std::string, double> history;
};

Suite skewed_suite(int modules, uint32_t seed) {
  Suite suite;
  uint32_t state = seed;
  auto uniform = [&] {  // xorshift32 in (0, 1]
    state ^= state << 13, state ^= state >> 17, state ^= state << 5;
    return (state % 1000000 + 1) / 1000000.0;
  };
  for (int m = 0; m < modules; ++m) {
    std::string module = "tests/test_m" + std::to_string(m) + ".py";
    int tests = 1 + static_cast<int>(40 * std::pow(uniform(), 3));
    for (int t = 0; t < tests; ++t) {
      std::string id = module + "::test_" + std::to_string(t);
      suite.leaves.push_back({id, module, 1});
      suite.history[id] = 0.01 * std::pow(uniform(), -1.2);  // Pareto: mostly 10 ms, a few seconds
    }
  }
  return suite;
}

std::vector<std::string> shard_ids(const std::vector<ShardLeaf>& leaves, const ShardPlan& plan, size_t shard) {
  std::vector<std::string> out;
  for (size_t leaf : plan.shards[shard]) out.push_back(leaves[leaf].id);
  return out;
}

}  // namespace

TEST_CASE("--shard K/N is validated: 1 <= K <= N, both integers") {
  std::string error;
  auto spec = parse_shard_spec("2/3", &error);
  REQUIRE(spec);
  CHECK(spec->index == 2);
  CHECK(spec->count == 3);
  CHECK(parse_shard_spec("1/1", nullptr));
  for (const char* bad : {"0/3", "4/3", "3", "a/3", "1/0", "-1/3", "1/3x", "", "/", "1/-2", "2/3/4"}) {
    INFO(bad);
    error.clear();
    CHECK_FALSE(parse_shard_spec(bad, &error));
    CHECK(error.find("K/N") != std::string::npos);
  }
}

TEST_CASE("shards hold every test exactly once, and their union is the input") {
  Suite suite = skewed_suite(30, 7);
  std::vector<double> estimates = estimate_leaves(suite.leaves, suite.history);
  for (int n : {1, 2, 3, 5, 8}) {
    ShardPlan plan = plan_shards(suite.leaves, estimates, n);
    REQUIRE(plan.shards.size() == static_cast<size_t>(n));
    std::vector<size_t> all;
    for (const auto& shard : plan.shards) {
      CHECK(std::is_sorted(shard.begin(), shard.end()));  // pytest's order within a shard
      all.insert(all.end(), shard.begin(), shard.end());
    }
    std::sort(all.begin(), all.end());
    std::vector<size_t> expected(suite.leaves.size());
    std::iota(expected.begin(), expected.end(), 0);
    CHECK(all == expected);
  }
}

TEST_CASE("the split is deterministic: the same inputs give the same shards") {
  Suite suite = skewed_suite(25, 11);
  std::vector<double> estimates = estimate_leaves(suite.leaves, suite.history);
  ShardPlan a = plan_shards(suite.leaves, estimates, 4);
  // The history's iteration order must not matter (an unordered_map rebuilt differently).
  std::unordered_map<std::string, double> reordered(suite.history.begin(), suite.history.end());
  reordered.rehash(4096);
  ShardPlan b = plan_shards(suite.leaves, estimate_leaves(suite.leaves, reordered), 4);
  CHECK(a.shards == b.shards);
  CHECK(a.loads == b.loads);
}

TEST_CASE("on a skewed suite every shard ends within 10% of the ideal (sum/N)") {
  for (uint32_t seed : {1u, 2u, 3u, 42u}) {
    Suite suite = skewed_suite(60, seed);
    std::vector<double> estimates = estimate_leaves(suite.leaves, suite.history);
    double total = std::accumulate(estimates.begin(), estimates.end(), 0.0);
    double longest = *std::max_element(estimates.begin(), estimates.end());
    for (int n : {2, 4, 8}) {
      if (longest > total / n) continue;  // no split can reach sum/N then
      ShardPlan plan = plan_shards(suite.leaves, estimates, n);
      INFO("seed " << seed << ", " << n << " shards: makespan " << plan.makespan() << " ideal " << total / n);
      CHECK(plan.makespan() <= 1.10 * total / n);
      CHECK(plan.total() == Approx(total));
    }
  }
}

TEST_CASE("a module stays on one shard when the balance allows it") {
  // Four modules of equal weight on two shards: no need to split any.
  std::vector<ShardLeaf> leaves;
  std::unordered_map<std::string, double> history;
  for (int m = 0; m < 4; ++m)
    for (int t = 0; t < 5; ++t) {
      std::string module = "test_" + std::to_string(m) + ".py";
      std::string id = module + "::test_" + std::to_string(t);
      leaves.push_back({id, module, 1});
      history[id] = 1.0;
    }
  ShardPlan plan = plan_shards(leaves, estimate_leaves(leaves, history), 2);
  CHECK(plan.split_groups == 0);
  for (size_t s = 0; s < 2; ++s) {
    std::set<std::string> modules;
    for (const std::string& id : shard_ids(leaves, plan, s)) modules.insert(id.substr(0, id.find("::")));
    CHECK(modules.size() == 2);
  }
  CHECK(plan.loads == std::vector<double>{10.0, 10.0});
}

TEST_CASE("a module larger than a shard's share is split across shards") {
  std::vector<ShardLeaf> leaves;
  std::unordered_map<std::string, double> history;
  for (int t = 0; t < 12; ++t) {
    std::string id = "test_big.py::test_" + std::to_string(t);
    leaves.push_back({id, "test_big.py", 1});
    history[id] = 1.0;
  }
  leaves.push_back({"test_small.py::test_a", "test_small.py", 1});
  history["test_small.py::test_a"] = 1.0;
  ShardPlan plan = plan_shards(leaves, estimate_leaves(leaves, history), 3);
  CHECK(plan.split_groups >= 1);
  CHECK(plan.makespan() <= 5.0);  // 13 s over 3 shards: 5, 4, 4
}

TEST_CASE("tests with no recorded duration are estimated from their module, then the suite") {
  std::vector<ShardLeaf> leaves = {
      {"a.py::t1", "a.py", 1}, {"a.py::t2", "a.py", 1}, {"a.py::new", "a.py", 1},
      {"b.py::t1", "b.py", 1}, {"c.py::new", "c.py", 1},
      {"d.py::f", "d.py", 3},       // a function whose 3 cases only pytest lists
      {"e.py", "e.py", 2},          // a module pytest collects whole
  };
  std::unordered_map<std::string, double> history = {
      {"a.py::t1", 2.0}, {"a.py::t2", 4.0}, {"b.py::t1", 10.0},
      {"d.py::f[1]", 1.0}, {"d.py::f[2]", 1.0},  // recorded cases sum up to their function
      {"e.py::T::t", 0.5}, {"e.py::u", 0.5},
      {"a.py::t10", 100.0},  // a different test whose id starts like a.py::t1
  };
  std::vector<double> e = estimate_leaves(leaves, history);
  CHECK(e[0] == 2.0);
  CHECK(e[1] == 4.0);
  CHECK(e[2] == Approx(3.0));   // a.py's median (t1 2, t2 4, t10 is no leaf)
  CHECK(e[3] == 10.0);
  CHECK(e[5] == 2.0);
  CHECK(e[6] == 1.0);
  // c.py has no recorded test: the suite's median per-test duration (2, 4, 10, 2/3, 1/2).
  CHECK(e[4] == Approx(2.0));
}

TEST_CASE("with no history, tests spread evenly (by count), deterministically") {
  std::vector<ShardLeaf> leaves;
  for (int t = 0; t < 10; ++t) leaves.push_back({"test_x.py::test_" + std::to_string(t), "test_x.py", 1});
  std::vector<double> e = estimate_leaves(leaves, {});
  ShardPlan plan = plan_shards(leaves, e, 3);
  std::vector<size_t> sizes;
  for (auto& s : plan.shards) sizes.push_back(s.size());
  std::sort(sizes.begin(), sizes.end());
  CHECK(sizes == std::vector<size_t>{3, 3, 4});
  // Zero estimates too (a history of 0 s): modules spread round-robin, not all on shard 1.
  std::vector<ShardLeaf> modules;
  for (int m = 0; m < 9; ++m) modules.push_back({"test_" + std::to_string(m) + ".py", "test_" + std::to_string(m) + ".py", 1});
  ShardPlan zero = plan_shards(modules, std::vector<double>(9, 0.0), 3);
  for (auto& s : zero.shards) CHECK(s.size() == 3);
}

TEST_CASE("more shards than tests leaves some shards empty") {
  std::vector<ShardLeaf> leaves = {{"a.py::t", "a.py", 1}, {"b.py::t", "b.py", 1}};
  ShardPlan plan = plan_shards(leaves, {1.0, 1.0}, 4);
  size_t non_empty = std::count_if(plan.shards.begin(), plan.shards.end(), [](auto& s) { return !s.empty(); });
  CHECK(non_empty == 2);
  CHECK(plan_shards({}, {}, 3).makespan() == 0);
}
