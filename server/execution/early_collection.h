// A run whose output waits until every module was collected (server/cli/collection_gate.h)
// would otherwise show nothing until its last batch starts, near the end. So the modules of the
// batches that wait are collected first, by collect-only batches that run nothing, for the cost
// of collecting those modules twice: planned in front when the estimates say the run is long
// (with history: one long batch per worker, which frees none early), else added in front of
// the queue once the run has held its output for `kHoldBeforeCollectingEarly` (without
// history batches are small and workers free up often). A short run (trivial tests, where
// collecting is most of the work) pays nothing (docs/execution.md, "A session pytest would
// interrupt at collection"). Pure.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <vector>

#include "server/execution/scheduler.h"

namespace fastest {

inline constexpr std::chrono::milliseconds kHoldBeforeCollectingEarly{2000};

// Collect-only batches (`Batch::collect_only`) holding the ids of the `waiting` batches that
// run tests, at most `max_modules` modules each; none when nothing waits.
std::vector<Batch> early_collection(const std::deque<Batch>& waiting, size_t max_modules);

// Collecting a module again costs a trivial test's module ~1-2 ms: for tests shorter than this on
// average, collecting early would cost more than the output's wait (5,000 one-test files: 5.4-6.8
// s -> 6.2-9.2 s with it); their output comes when the run ends, as pytest's after its collection.
inline constexpr double kEarlyCollectionMinTestS = 0.01;
inline bool tests_worth_collecting_early(double seconds_per_test) { return seconds_per_test >= kEarlyCollectionMinTestS; }

// `planned` (in dispatch order) with, in front, the early collection of every batch after the
// first `workers`; unchanged when the run is estimated at less than `worth_s` per worker, or
// its tests at less than kEarlyCollectionMinTestS each.
inline constexpr double kEarlyCollectionWorthS = 3.0;
std::vector<Batch> with_early_collection(std::vector<Batch> planned, int workers, size_t max_modules,
                                         double worth_s = kEarlyCollectionWorthS);

}  // namespace fastest
