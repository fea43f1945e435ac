// A run whose output waits until every module was collected (server/cli/collection_gate.h)
// would otherwise show nothing until its last batch starts, near the end. So the modules of the
// batches that do not start at once are collected first, by collect-only batches that run
// nothing: the answer comes within the first seconds, for the cost of collecting those modules
// twice (docs/execution.md, "A session pytest would interrupt at collection"). A short run
// (trivial tests, where collecting is most of the work) is left as planned: holding its output
// to the end costs less than collecting twice. Pure.
#pragma once

#include <cstddef>
#include <vector>

#include "server/execution/scheduler.h"

namespace fastest {

// `planned` (in dispatch order) with, in front, collect-only batches (`Batch::collect_only`)
// holding the ids of every batch after the first `workers`, at most `max_modules` modules each;
// unchanged when the whole run is estimated to take less than `worth_s` per worker.
inline constexpr double kEarlyCollectionWorthS = 3.0;
std::vector<Batch> with_early_collection(std::vector<Batch> planned, int workers, size_t max_modules,
                                         double worth_s = kEarlyCollectionWorthS);

}  // namespace fastest
