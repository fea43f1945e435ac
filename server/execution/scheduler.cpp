#include "server/execution/scheduler.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <queue>

namespace fastest {
namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

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

std::vector<Batch> plan_batches(const std::vector<std::string>& ids,
                                const std::unordered_map<std::string, double>& history,
                                const SchedulerOptions& options) {
  std::vector<Batch> batches;
  if (ids.empty()) return batches;
  const int workers = std::max(1, options.workers);
  std::vector<double> estimates = estimate_durations(ids, history, options);
  double total = std::accumulate(estimates.begin(), estimates.end(), 0.0);
  // Each worker gets about four batches; a batch must be worth its start-up cost.
  // ... yet no worker may idle for want of a batch: at least one batch per worker.
  double target = std::min(std::max(total / (workers * 4.0), options.batch_overhead_s * 4), total / workers);

  // Long tests alone, first.
  std::vector<size_t> order(ids.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<bool> taken(ids.size(), false);
  for (size_t i : order) {
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
