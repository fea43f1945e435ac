#include "server/execution/scheduler.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <queue>

namespace fastest {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string module_of(const std::string& id) {
  size_t sep = id.find("::");
  return sep == std::string::npos ? id : id.substr(0, sep);
}

std::vector<double> estimate_durations(const std::vector<std::string>& ids,
                                       const std::unordered_map<std::string, double>& history,
                                       const SchedulerOptions& options) {
  std::map<std::string, std::vector<double>> per_module;
  std::vector<double> all;
  for (const auto& [id, d] : history) {
    per_module[module_of(id)].push_back(d);
    all.push_back(d);
  }
  std::map<std::string, double> module_median;
  for (auto& [m, v] : per_module) module_median[m] = median(v);
  double suite_median = all.empty() ? options.default_estimate_s : median(all);
  std::vector<double> out;
  out.reserve(ids.size());
  for (const std::string& id : ids) {
    auto it = history.find(id);
    if (it != history.end()) { out.push_back(it->second); continue; }
    auto m = module_median.find(module_of(id));
    out.push_back(m != module_median.end() ? m->second : suite_median);
  }
  return out;
}

namespace {

// No (or little) history: estimates are guesses, so batches stay small (about a quarter of a
// worker's share) and dynamic dispatch evens out what the guesses got wrong.
std::vector<Batch> plan_small_batches(const std::vector<std::string>& ids, const std::vector<double>& estimates,
                                      const SchedulerOptions& options) {
  std::vector<Batch> batches;
  const int workers = std::max(1, options.workers);
  double total = std::accumulate(estimates.begin(), estimates.end(), 0.0);
  // Each worker gets about four batches; a batch must be worth its start-up cost.
  // ... yet no worker may idle for want of a batch: at least one batch per worker.
  double target = std::min(std::max(total / (workers * 4.0), options.batch_overhead_s * 4), total / workers);

  // Long tests alone, first.
  std::vector<bool> taken(ids.size(), false);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (estimates[i] >= target) {
      batches.push_back({{ids[i]}, estimates[i]});
      taken[i] = true;
    }
  }
  // The rest grouped per module (in collection order), cut into chunks of at most `target`.
  std::vector<std::string> module_order;
  std::map<std::string, std::vector<size_t>> by_module;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (taken[i]) continue;
    std::string m = module_of(ids[i]);
    if (!by_module.count(m)) module_order.push_back(m);
    by_module[m].push_back(i);
  }
  // Small modules are merged so a batch is not mostly start-up cost.
  Batch current;
  auto flush = [&] {
    if (!current.ids.empty()) batches.push_back(std::move(current));
    current = Batch{};
  };
  for (const std::string& m : module_order) {
    for (size_t i : by_module[m]) {
      if (current.estimate_s + estimates[i] > target && !current.ids.empty()) flush();
      current.ids.push_back(ids[i]);
      current.estimate_s += estimates[i];
    }
  }
  flush();
  std::stable_sort(batches.begin(), batches.end(),
                   [](const Batch& a, const Batch& b) { return a.estimate_s > b.estimate_s; });
  // The tail: split the last batches so the final pieces are small and spread over workers.
  size_t tail = std::min<size_t>(batches.size(), static_cast<size_t>(workers));
  std::vector<Batch> tail_batches;
  for (size_t k = 0; k < tail; ++k) {
    Batch b = std::move(batches.back());
    batches.pop_back();
    if (b.ids.size() >= 4 && b.estimate_s > options.batch_overhead_s * 4) {
      size_t half = b.ids.size() / 2;
      Batch first{{b.ids.begin(), b.ids.begin() + static_cast<long>(half)}, b.estimate_s / 2};
      Batch second{{b.ids.begin() + static_cast<long>(half), b.ids.end()}, b.estimate_s / 2};
      tail_batches.push_back(std::move(first));
      tail_batches.push_back(std::move(second));
    } else {
      tail_batches.push_back(std::move(b));
    }
  }
  std::stable_sort(tail_batches.begin(), tail_batches.end(),
                   [](const Batch& a, const Batch& b) { return a.estimate_s > b.estimate_s; });
  for (auto& b : tail_batches) batches.push_back(std::move(b));
  return batches;
}

// History known: every batch costs a fork and a collection, so each worker gets one large
// batch, balanced longest-first over whole modules (module fixtures are set up once), and
// only a small tail of short tests is cut into pieces for the workers to share at the end.
std::vector<Batch> plan_balanced_batches(const std::vector<std::string>& ids, const std::vector<double>& estimates,
                                         const SchedulerOptions& options) {
  const int workers = std::max(1, options.workers);
  std::vector<double> cost(estimates);
  for (double& c : cost) c += options.per_test_overhead_s;
  const double total = std::accumulate(cost.begin(), cost.end(), 0.0);
  const double share = total / workers;

  // The tail: short tests from the end of the collection order, so its pieces span few modules.
  std::vector<bool> in_tail(ids.size(), false);
  std::vector<size_t> tail;
  if (workers > 1) {
    const double budget = std::min(total * options.tail_fraction, share / 2);
    double taken = 0;
    for (size_t k = ids.size(); k-- > 0 && taken < budget;) {
      if (cost[k] > budget / (2.0 * workers)) continue;  // too coarse to even out the end
      in_tail[k] = true;
      taken += cost[k];
      tail.push_back(k);
    }
    std::reverse(tail.begin(), tail.end());
  }
  // Each piece costs a batch start-up: a tail too small to be worth two pieces is no tail.
  double tail_total = 0;
  for (size_t i : tail) tail_total += cost[i];
  const int pieces = static_cast<int>(std::min(2.0 * workers, std::floor(tail_total / options.batch_overhead_s)));
  if (pieces < 2) {
    for (size_t i : tail) in_tail[i] = false;
    tail.clear();
  }

  // The head: per module (collection order), chunks of at most half a share; a longer test is
  // a unit of its own. Then longest-first onto the workers, one batch each.
  struct Unit {
    std::vector<size_t> members;
    double cost = 0;
  };
  std::vector<Unit> units;
  std::map<std::string, size_t> open_unit;  // module -> its unit still being filled
  for (size_t i = 0; i < ids.size(); ++i) {
    if (in_tail[i]) continue;
    std::string m = module_of(ids[i]);
    auto it = open_unit.find(m);
    if (it == open_unit.end() || units[it->second].cost + cost[i] > share / 2) {
      units.push_back({});
      it = open_unit.insert_or_assign(m, units.size() - 1).first;
    }
    units[it->second].members.push_back(i);
    units[it->second].cost += cost[i];
  }
  std::stable_sort(units.begin(), units.end(), [](const Unit& a, const Unit& b) { return a.cost > b.cost; });
  std::vector<std::vector<size_t>> bins(workers);
  std::vector<double> load(workers, 0.0);
  for (const Unit& u : units) {
    size_t least = std::min_element(load.begin(), load.end()) - load.begin();
    bins[least].insert(bins[least].end(), u.members.begin(), u.members.end());
    load[least] += u.cost;
  }
  std::vector<Batch> batches;
  for (int w = 0; w < workers; ++w) {
    if (bins[w].empty()) continue;
    std::sort(bins[w].begin(), bins[w].end());  // collection order within a batch
    Batch b;
    for (size_t i : bins[w]) b.ids.push_back(ids[i]);
    b.estimate_s = load[w];
    batches.push_back(std::move(b));
  }
  std::stable_sort(batches.begin(), batches.end(),
                   [](const Batch& a, const Batch& b) { return a.estimate_s > b.estimate_s; });

  // The tail in pieces of about the same size (two per worker when it is large enough).
  if (!tail.empty()) {
    const double piece = tail_total / pieces;
    Batch current;
    for (size_t i : tail) {
      if (!current.ids.empty() && current.estimate_s + cost[i] / 2 > piece) {
        batches.push_back(std::move(current));
        current = Batch{};
      }
      current.ids.push_back(ids[i]);
      current.estimate_s += cost[i];
    }
    if (!current.ids.empty()) batches.push_back(std::move(current));
  }
  return batches;
}

}  // namespace

std::vector<Batch> plan_batches(const std::vector<std::string>& ids,
                                const std::unordered_map<std::string, double>& history,
                                const SchedulerOptions& options) {
  if (ids.empty()) return {};
  std::vector<double> estimates = estimate_durations(ids, history, options);
  size_t known = 0;
  for (const std::string& id : ids) known += history.count(id);
  if (static_cast<double>(known) >= options.known_fraction_to_balance * static_cast<double>(ids.size()))
    return cap_modules_per_batch(plan_balanced_batches(ids, estimates, options), options.max_modules_per_batch);
  return cap_modules_per_batch(plan_small_batches(ids, estimates, options), options.max_modules_per_batch);
}

std::vector<Batch> cap_modules_per_batch(std::vector<Batch> batches, size_t max_modules) {
  if (max_modules == 0) return batches;
  std::vector<Batch> out;
  out.reserve(batches.size());
  for (Batch& batch : batches) {
    const double per_test = batch.ids.empty() ? 0 : batch.estimate_s / static_cast<double>(batch.ids.size());
    Batch piece;
    size_t modules = 0;
    std::string last_module;
    for (std::string& id : batch.ids) {
      std::string module = module_of(id);
      if (piece.ids.empty() || module != last_module) {
        if (modules == max_modules) {
          out.push_back(std::move(piece));
          piece = Batch{};
          modules = 0;
        }
        ++modules;
        last_module = std::move(module);
      }
      piece.ids.push_back(std::move(id));
      piece.estimate_s += per_test;
    }
    if (!piece.ids.empty()) out.push_back(std::move(piece));
  }
  return out;
}

double longest_first_makespan(std::vector<double> durations, int workers) {
  std::sort(durations.begin(), durations.end(), std::greater<>());
  std::priority_queue<double, std::vector<double>, std::greater<>> loads;
  for (int i = 0; i < std::max(1, workers); ++i) loads.push(0);
  for (double d : durations) {
    double least = loads.top();
    loads.pop();
    loads.push(least + d);
  }
  double makespan = 0;
  while (!loads.empty()) { makespan = std::max(makespan, loads.top()); loads.pop(); }
  return makespan;
}

}  // namespace fastest
