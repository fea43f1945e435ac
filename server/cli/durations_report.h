// pytest's --durations=N / --durations-min: the "slowest N durations" section, from each
// test's setup, call and teardown durations as the workers measured them.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "server/execution/engine.h"

namespace fastest::cli {

struct DurationsArgs {
  std::optional<int> durations;      // --durations=N (0: all)
  std::optional<double> durations_min;  // --durations-min (default 0.005, 0 with -vv)
};

void add_durations_options(CLI::App& cmd, DurationsArgs& args);

// The section as pytest's runner plugin writes it (nothing when --durations was not given).
// `results` in pytest's order; each phase's report counts, slowest first.
std::string durations_section(const std::vector<TestResult>& results, const DurationsArgs& args, int verbose);

}  // namespace fastest::cli
