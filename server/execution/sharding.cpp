#include "server/execution/sharding.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <numeric>

#include "server/core/node_id.h"
#include "server/execution/scheduler.h"

namespace fastest {
namespace {

bool parse_int(std::string_view text, int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// What goes onto one shard as a whole: a module, or one leaf of a module that was split.
struct Unit {
  double load = 0;
  std::string key;  // breaks ties between equal loads
  std::vector<size_t> leaves;
};

// Longest first onto the least loaded shard (see sharding.h for the ties).
ShardPlan assign_longest_first(std::vector<Unit> units, int count) {
  std::sort(units.begin(), units.end(), [](const Unit& a, const Unit& b) {
    return a.load != b.load ? a.load > b.load : a.key < b.key;
  });
  ShardPlan plan;
  plan.shards.resize(count);
  plan.loads.assign(count, 0.0);
  std::vector<size_t> unit_counts(count, 0);
  for (const Unit& u : units) {
    int best = 0;
    for (int s = 1; s < count; ++s)
      if (plan.loads[s] < plan.loads[best] || (plan.loads[s] == plan.loads[best] && unit_counts[s] < unit_counts[best]))
        best = s;
    plan.loads[best] += u.load;
    ++unit_counts[best];
    plan.shards[best].insert(plan.shards[best].end(), u.leaves.begin(), u.leaves.end());
  }
  for (auto& shard : plan.shards) std::sort(shard.begin(), shard.end());
  return plan;
}

}  // namespace

std::optional<ShardSpec> parse_shard_spec(const std::string& text, std::string* error) {
  ShardSpec spec;
  size_t slash = text.find('/');
  bool ok = slash != std::string::npos && parse_int(std::string_view(text).substr(0, slash), spec.index) &&
            parse_int(std::string_view(text).substr(slash + 1), spec.count) && spec.count >= 1 &&
            spec.index >= 1 && spec.index <= spec.count;
  if (ok) return spec;
  if (error) *error = "--shard expects K/N with 1 <= K <= N (e.g. --shard 2/4), got '" + text + "'";
  return std::nullopt;
}

double ShardPlan::makespan() const { return loads.empty() ? 0 : *std::max_element(loads.begin(), loads.end()); }
double ShardPlan::total() const { return std::accumulate(loads.begin(), loads.end(), 0.0); }

std::vector<double> estimate_leaves(const std::vector<ShardLeaf>& leaves,
                                    const std::unordered_map<std::string, double>& history,
                                    const ShardOptions& options) {
  // Sorted, so the entries a leaf covers (its id and ids under it) are one range.
  std::vector<std::pair<std::string, double>> recorded(history.begin(), history.end());
  std::sort(recorded.begin(), recorded.end());
  std::vector<std::optional<double>> known(leaves.size());
  std::map<std::string, std::vector<double>> group_rates;
  std::vector<double> suite_rates;
  for (size_t i = 0; i < leaves.size(); ++i) {
    const std::string& id = leaves[i].id;
    const bool everything = id.empty() || id == ".";
    double sum = 0;
    bool any = false;
    for (auto it = everything ? recorded.begin() : std::lower_bound(recorded.begin(), recorded.end(), std::make_pair(id, 0.0));
         it != recorded.end() && (everything || it->first.compare(0, id.size(), id) == 0); ++it)
      if (node_id_covers(id, it->first)) sum += it->second, any = true;
    if (!any) continue;
    known[i] = sum;
    double rate = sum / static_cast<double>(std::max<size_t>(1, leaves[i].tests));
    group_rates[leaves[i].group].push_back(rate);
    suite_rates.push_back(rate);
  }
  std::map<std::string, double> group_median;
  for (auto& [group, rates] : group_rates) group_median[group] = median(rates);
  const double suite_median = suite_rates.empty() ? options.default_estimate_s : median(suite_rates);
  std::vector<double> out(leaves.size());
  for (size_t i = 0; i < leaves.size(); ++i) {
    if (known[i]) {
      out[i] = *known[i];
      continue;
    }
    auto g = group_median.find(leaves[i].group);
    out[i] = static_cast<double>(std::max<size_t>(1, leaves[i].tests)) * (g != group_median.end() ? g->second : suite_median);
  }
  return out;
}

ShardPlan plan_shards(const std::vector<ShardLeaf>& leaves, const std::vector<double>& estimates, int count,
                      const ShardOptions& options) {
  count = std::max(1, count);
  // Groups in the order they first appear, with their leaves and loads.
  std::vector<Unit> groups;
  std::map<std::string, size_t> group_index;
  for (size_t i = 0; i < leaves.size(); ++i) {
    auto [it, fresh] = group_index.try_emplace(leaves[i].group, groups.size());
    if (fresh) groups.push_back({0, leaves[i].group, {}});
    groups[it->second].load += estimates[i];
    groups[it->second].leaves.push_back(i);
  }
  // The order in which modules are split: largest first.
  std::vector<size_t> by_size(groups.size());
  std::iota(by_size.begin(), by_size.end(), 0);
  std::sort(by_size.begin(), by_size.end(), [&](size_t a, size_t b) {
    return groups[a].load != groups[b].load ? groups[a].load > groups[b].load : groups[a].key < groups[b].key;
  });
  const double total = std::accumulate(estimates.begin(), estimates.end(), 0.0);
  const double longest = estimates.empty() ? 0 : *std::max_element(estimates.begin(), estimates.end());
  const double lower_bound = std::max(total / count, longest);

  // Split the 0, 1, 2, 4, ... largest modules: the first split within tolerance wins, else
  // the best seen (fewer splits on a tie).
  std::optional<ShardPlan> best;
  for (size_t split = 0;; split = split == 0 ? 1 : std::min(split * 2, groups.size())) {
    std::vector<bool> is_split(groups.size(), false);
    for (size_t k = 0; k < split; ++k) is_split[by_size[k]] = true;
    std::vector<Unit> units;
    for (size_t g = 0; g < groups.size(); ++g) {
      if (!is_split[g]) {
        units.push_back(groups[g]);
        continue;
      }
      for (size_t leaf : groups[g].leaves) units.push_back({estimates[leaf], leaves[leaf].id, {leaf}});
    }
    ShardPlan plan = assign_longest_first(std::move(units), count);
    plan.split_groups = split;
    if (!best || plan.makespan() < best->makespan()) best = std::move(plan);
    if (best->makespan() <= lower_bound * (1 + options.tolerance) || split >= groups.size()) break;
  }
  best->estimates = estimates;
  return std::move(*best);
}

}  // namespace fastest
