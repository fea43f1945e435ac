// The report `fastest run` prints once its tests ran, as pytest's terminal reporter does at the
// session's end: ERRORS and FAILURES (per --tb), the warnings summary, PASSES (-rP), coverage,
// --durations, the short test summary (per -r), interruption banners and the closing counts
// line. Or, under --json, one JSON document of the results.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "server/cli/durations_report.h"
#include "server/cli/terminal_reporter.h"
#include "server/execution/engine.h"

namespace fastest::cli {

struct SessionReport {
  const TerminalReporter& reporter;  // what the run met: collection errors and skips, warnings
  const std::vector<TestResult>& results;  // in pytest's collection order
  const RunSummary& summary;
  std::function<size_t(const std::string&)> rank;  // a test's place in pytest's collection order

  std::string tbstyle;      // --tb ("no": neither ERRORS nor FAILURES)
  std::string reportchars;  // -r, as pytest's config holds it
  int verbose = 0;
  bool quiet = false;
  bool force_short_summary = false;
  DurationsArgs durations;
  std::string coverage_report;  // pytest-cov's terminal report, when coverage ran
  size_t deselected = 0;
  int exit_code = 0;
  bool collection_interrupted = false;  // a collection error stopped the session
  bool stepwise_stopped = false;        // --sw stopped at a failure
};

void print_session_report(const SessionReport& report);

// --json: the exit code, counts and each result (id, outcome, duration, message, location).
void print_json_report(int exit_code, const RunSummary& summary, const std::vector<TestResult>& results);

// pytest's closing line without its banner: "1 failed, 2 passed, 1 warning in 0.12s".
// `verbose`: pytest counts passed subtests only away from its default verbosity.
std::string counts_line(const RunSummary& s, size_t deselected, size_t collection_errors, size_t warnings,
                        bool verbose = false);

}  // namespace fastest::cli
