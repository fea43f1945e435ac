// Planning a run: estimate each test's duration from history, then cut the work into
// batches that keep a module's tests together, longest first, with a fine-grained tail.
// Pure: no processes, no clocks.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

namespace fastest {

struct Batch {
  std::vector<std::string> ids;
  double estimate_s = 0;
  int send_failures = 0;  // times no worker could be handed it (the engine gives up after a few)
  bool collect_only = false;  // collects and reports its collection, runs nothing (early_collection.h)
};

struct SchedulerOptions {
  int workers = 1;
  double batch_overhead_s = 0.05;    // fork + pytest session start per batch
  double default_estimate_s = 0.005; // a test never seen, in a suite never seen
  double per_test_overhead_s = 0.0005;  // pytest's protocol around a test, beyond its duration
  // With recorded durations for at least this fraction of the tests, the estimates are
  // trusted: one large batch per worker plus a small shared tail (`tail_fraction` of the work).
  double known_fraction_to_balance = 0.9;
  double tail_fraction = 0.1;
  // pytest matches each argument of a batch against every file of the batch in its folder: a
  // batch of k one-test files costs k * k path comparisons. Batches span at most this many modules.
  size_t max_modules_per_batch = 200;
};

// The median of `values` (0 when empty): the estimates' fallback, here and in sharding.
double median(std::vector<double> values);

// The module part of a node id ("a/test_x.py::T::t[1]" -> "a/test_x.py").
std::string module_of(const std::string& id);

// Estimate per id: its history, else its module's median, else the suite's median, else default.
std::vector<double> estimate_durations(const std::vector<std::string>& ids,
                                       const std::unordered_map<std::string, double>& history,
                                       const SchedulerOptions& options);

// Batches in dispatch order (idle workers take the next one). With known durations: one batch
// per worker, balanced longest-first over whole modules, then a tail of small pieces of short
// tests. Without: tests longer than a batch's target run alone, first; the rest are grouped
// per module into chunks no larger than the target, sorted longest first so the run ends
// with the smallest pieces.
std::vector<Batch> plan_batches(const std::vector<std::string>& ids,
                                const std::unordered_map<std::string, double>& history,
                                const SchedulerOptions& options);

// `batches` with each batch spanning more than `max_modules` modules cut, at module boundaries,
// into consecutive pieces of at most that many (estimates shared by test count).
std::vector<Batch> cap_modules_per_batch(std::vector<Batch> batches, size_t max_modules);

// The longest-first (LPT) bound for `durations` on `workers`: a reference for the benches.
double longest_first_makespan(std::vector<double> durations, int workers);

}  // namespace fastest
