// `fastest run --shard K/N`: keeps in a collection only the tests of shard K, the others
// counted as deselected (as pytest-split shows them), so the rest of the run is unchanged.
// The split itself is server/execution/sharding.h.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "server/execution/sharding.h"
#include "server/workspace/project.h"

namespace fastest::cli {

struct ShardSelection {
  size_t kept_tests = 0, total_tests = 0;
  double estimate_s = 0, total_estimate_s = 0, longest_shard_s = 0;
};

// `containers`: the outermost dynamic folders, modules and classes the run hands pytest whole
// (each one leaf: all of it goes to one shard). Rewrites `c.selected`, `c.deselected(_ids)`,
// `c.dynamic_folders` and `c.dynamic_containers`; modules that failed to collect stay in every
// shard (each shard's pytest would report them, as pytest-split's groups do).
ShardSelection select_shard(Collection& c, const std::vector<std::string>& containers, const ShardSpec& spec,
                            const std::unordered_map<std::string, double>& history);

// The line `fastest run --shard` prints on stderr: which shard, how many tests, estimates.
std::string shard_line(const ShardSpec& spec, const ShardSelection& s);

}  // namespace fastest::cli
