// `fastest discover --timings`: where the time went, on stderr (walk, read, parse, rules,
// assembly, output...), so that a slow discovery says which phase to look at.
#pragma once

#include <ostream>

#include "server/workspace/project.h"

namespace fastest::cli {

struct DiscoverTimings {
  CollectTimings collect;  // collect()'s phases
  double settle_ms = 0;    // pytest's answer for dynamic items (the settled cache or a worker)
  double output_ms = 0;    // the listing written
  double total_ms = 0;     // the whole command
  bool cached = false;     // the listing cache answered: nothing was walked, parsed or settled
};

// One line per phase: wall milliseconds and share of the total. Read, parse and rules run on
// every core: theirs are thread-milliseconds, shown as a share of the parallel phase's
// wall time times the threads.
void print_timings(const DiscoverTimings& t, unsigned threads, std::ostream& out);

}  // namespace fastest::cli
