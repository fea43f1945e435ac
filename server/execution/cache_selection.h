// pytest's cache plugins as rules over node ids (pure): which tests `--lf`, `--ff`, `--nf`,
// `--sw` select and in which order, what pytest prints about it after its "collected" line,
// and how a run's results update `lastfailed`, `nodeids` and `stepwise` (pytest_cache.h keeps
// the files). The CLI applies them to its collection; the language server's "rerun failed"
// can read the same `lastfailed`.
//
// pytest's order of events, which these rules follow: --lf filters files at collection (files
// without a known failure are not collected: "skipped N files"); stepwise then deselects the
// items before the last failure (counting items before -k/-m); -k/-m/--deselect; then --lf/--ff
// keep or move the failures first; then --nf moves new tests first (newest file first).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/execution/outcome.h"
#include "server/execution/pytest_cache.h"

namespace fastest {

struct CacheOptions {
  bool last_failed = false;      // --lf
  bool failed_first = false;     // --ff
  bool new_first = false;        // --nf
  bool stepwise = false;         // --sw (also set by --sw-skip, --sw-reset)
  bool stepwise_skip = false;    // --sw-skip
  bool stepwise_reset = false;   // --sw-reset
  std::string no_failures = "all";  // --lfnf: all | none
};

// cache/stepwise as pytest >= 8.4 writes it.
struct StepwiseState {
  std::optional<std::string> last_failed;
  std::optional<size_t> last_test_count;
  std::string date;  // datetime.now().isoformat() of the last write
  std::string error;  // a cache value pytest could not read: "error reading cache, discarding (...)"
  static StepwiseState from_cache(const std::optional<CacheValue>& value);
  CacheValue to_cache() const;
};

struct CacheSelectionInput {
  std::vector<std::string> collected;  // every leaf static collection found, in pytest's order
  std::set<std::string> deselected;    // those -k/-m/--deselect remove
  std::set<std::string> initial_files; // modules named on the command line (pytest keeps their items)
  std::vector<std::string> modules;    // every module pytest would collect, in order
  std::set<std::string> failing_modules;  // modules that fail to collect now
  std::function<bool(const std::string& path)> exists;  // a path relative to rootdir
  std::function<double(const std::string& module)> mtime;  // --nf's order
};

struct CacheSelection {
  std::vector<std::string> selected;    // to run, in pytest's order
  std::vector<std::string> deselected;  // every deselected id (-k's and the cache plugins')
  size_t collected = 0;                 // pytest's "collected N items"
  std::vector<std::string> report_lines;  // "run-last-failure: ...", "stepwise: ..."
  // How many of `selected`, from its start, pytest runs before the rest: --ff's failures, --nf's
  // new tests. A parallel run dispatches them first (RunRequest::first), so `-x --ff` stops
  // where pytest would.
  size_t run_first = 0;
};

// `lastfailed` is updated as pytest's collection reports would (a module that failed to collect
// and now imports stands for its tests); `stepwise` gets the count and a reset.
CacheSelection select_with_cache(const CacheSelectionInput& in, const CacheOptions& options, CacheValue& lastfailed,
                                 const std::set<std::string>& known_ids, StepwiseState& stepwise,
                                 std::chrono::system_clock::time_point now);

// One test's verdict as pytest's reports give it (the test's own outcome, not its subtests').
struct RanTest {
  std::string id;
  Outcome outcome = Outcome::Passed;
};

// LFPlugin.pytest_runtest_logreport / pytest_collectreport: failures in, passes and skips out.
void record_last_failed(CacheValue& lastfailed, const std::vector<RanTest>& ran,
                        const std::vector<std::string>& collection_errors);

// Where a result falls in the planned ids: its own id's place, or that of the function or module
// it was planned as (pytest expands a dynamic function into cases).
class PlannedOrder {
 public:
  explicit PlannedOrder(const std::vector<std::string>& planned);
  std::optional<size_t> of(std::string id) const;

 private:
  std::map<std::string, size_t> position_;
};

// StepwisePlugin over results in pytest's order. `stopped`: the run ended early (a failure
// stopped it), so a test in `planned` with no result never ran: the next run resumes there
// (several workers may have stopped before reaching earlier tests). True when stepwise ended
// the session ("Test failed, continuing from this test next run.").
bool record_stepwise(StepwiseState& stepwise, const CacheOptions& options, const std::vector<std::string>& planned,
                     const std::vector<RanTest>& results_in_order, bool stopped);

// datetime.now().isoformat() (local time, microseconds unless zero).
std::string python_isoformat(std::chrono::system_clock::time_point t);

}  // namespace fastest
