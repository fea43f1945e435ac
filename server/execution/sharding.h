// Splitting a run's tests across N machines (`fastest run --shard K/N`) so that N CI jobs
// finish together. Pure: no processes, no files, no clocks; the same inputs give the same split.
//
// The rule, in one place:
// - A *leaf* is what pytest is handed: a test's node id, a function whose cases only pytest
//   can list, or a container (module, class, folder) pytest collects whole.
// - Leaves of one *group* (their module) stay on one shard when that costs the balance nothing
//   noticeable: module-scoped fixtures and the module's import then run once, not on several
//   machines. The largest modules are split into their leaves until the longest shard is
//   within `tolerance` of the lower bound (max(sum/N, longest leaf)), or nothing is left to split.
// - Units (whole modules, or the leaves of split ones) go longest first onto the least loaded
//   shard; ties: the longer unit first by estimate, then by id; the shard with the least load,
//   then the fewest units, then the lowest number. Units with no estimate (all 0) therefore
//   spread round-robin.
// - Estimates: a leaf's recorded duration is the sum of the history's entries it covers (a
//   function's recorded cases, a module's tests). A leaf with none gets, per test it stands for,
//   the median per-test duration of its module's recorded leaves, else the suite's, else
//   `default_estimate_s`: new tests are spread like the known ones of their module.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace fastest {

// `--shard K/N`: shard `index` (1-based) of `count`.
struct ShardSpec {
  int index = 1;
  int count = 1;
};

// "K/N" with 1 <= K <= N; nullopt and `error` (a usage message) otherwise.
std::optional<ShardSpec> parse_shard_spec(const std::string& text, std::string* error);

struct ShardLeaf {
  std::string id;     // handed to pytest
  std::string group;  // kept together when the balance allows (the module)
  size_t tests = 1;   // how many selected tests it stands for (a container's, a function's cases)
};

struct ShardOptions {
  // How far above the lower bound the longest shard may be before modules are split.
  double tolerance = 0.05;
  double default_estimate_s = 0.005;  // a test never seen, in a suite never seen
};

struct ShardPlan {
  std::vector<std::vector<size_t>> shards;  // leaf indices per shard, in the leaves' order
  std::vector<double> loads;                // estimated seconds per shard
  std::vector<double> estimates;            // per leaf
  size_t split_groups = 0;                  // modules whose leaves went to different units
  double makespan() const;
  double total() const;
};

// Each leaf's estimate from the duration history (see the rules above).
std::vector<double> estimate_leaves(const std::vector<ShardLeaf>& leaves,
                                    const std::unordered_map<std::string, double>& history,
                                    const ShardOptions& options = {});

// The split of `leaves` with these estimates into `count` shards.
ShardPlan plan_shards(const std::vector<ShardLeaf>& leaves, const std::vector<double>& estimates, int count,
                      const ShardOptions& options = {});

}  // namespace fastest
