// The execution engine: a pool of warm pytest workers that runs the tests it is given,
// longest first, streaming each result to an observer. Shared by `fastest run` and the LSP.
//
// Threading: run() blocks its calling thread and calls the observer on that thread;
// cancel() may be called from any thread. One run at a time per engine; workers stay warm
// between runs. The destructor kills every process the engine started.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/execution/outcome.h"

namespace fastest {

struct FailureLocation {
  std::string path;  // absolute, as the worker saw it
  int line = 0;      // 1-based
};

// A failed or skipped subtest (unittest `subTest`, pytest's `subtests` fixture): pytest gives
// each its own FAILURES section, SUBFAILED line and JUnit element.
struct SubtestReport {
  Outcome outcome = Outcome::Failed;  // Failed or Skipped
  std::string description;            // pytest's " [msg] (i=1)" suffix
  std::string message, longrepr;
};

struct SkipLocation {
  std::string path;  // as pytest reports it (absolute)
  std::optional<int> line;
  bool per_file = false;  // a skip mark (not a module's pytestmark): pytest's summary folds it per file
};

struct TestResult {
  std::string id;
  Outcome outcome = Outcome::Passed;
  double duration_s = 0;
  std::string message;   // one line: the assertion or exception, the skip reason
  std::string longrepr;  // pytest's full failure text
  std::optional<std::string> expected, actual;  // from pytest's `==` assertion comparison
  std::optional<FailureLocation> location;      // the failing line in the test's own file
  std::string stdout_text, stderr_text;         // captured, bounded
  bool uncollected = false;  // its module failed to collect: pytest itself has no such test
  // pytest's closing line counts the test's own report (a unittest test whose subTest failed
  // is "passed" there: `counted_as`) and, beside it, each failed subtest as "failed".
  std::optional<Outcome> counted_as;
  std::vector<SubtestReport> subtests;  // failed and skipped subtests, in the order they ran
  int subtests_passed = 0;              // pytest's verbose closing line counts them
  std::optional<SkipLocation> skipped_at;  // a skipped test: where pytest says the skip was raised
  std::string xfail_reason;                // xfailed / xpassed: the mark's reason
  std::string error_when;                  // errored: the phase that failed ("setup", "teardown")
  // pytest's captured sections for a failure or error ("Captured stdout call", its text).
  std::vector<std::pair<std::string, std::string>> sections;
  std::string crash_line;  // "path:line: message", pytest's crash line (its --tb=line summary)
  std::string longrepr_lead;  // the blank line and indentation pytest's terminal shows before `longrepr`
  // Each phase's duration ("setup", "call", "teardown"), when the run asked for them (--durations).
  std::vector<std::pair<std::string, double>> phase_durations;
};

struct FileCoverage {
  std::string path;
  std::vector<int> covered, missed;
};

// A test raised KeyboardInterrupt or called pytest.exit(): pytest ended its session there.
struct Interruption {
  std::string test_id;     // the test that was running; empty when it came between tests
  std::string message;     // pytest's banner: "KeyboardInterrupt", "_pytest.outcomes.Exit: bye"
  std::string crash_line;  // "path:line: KeyboardInterrupt"
  std::string longrepr;    // the whole traceback
  bool full_trace = false;  // pytest's --full-trace: the terminal shows `longrepr`
  std::optional<FailureLocation> location;
  std::optional<int> exit_code;  // pytest.exit(returncode=N): the session's exit code; else 2
};

struct RunSummary {
  std::map<Outcome, size_t> counts;
  size_t subtests_passed = 0;
  double duration_s = 0;
  bool cancelled = false;
  std::vector<std::string> collection_errors;  // "id: longrepr" for modules pytest could not import
  std::vector<FileCoverage> coverage;
  std::optional<Interruption> interrupted;  // set when the request's stop_on_interrupt stopped the run
  std::string fatal_error;  // the engine could not run at all (no interpreter, no pytest)
  // What went wrong beside the tests, for the caller to show (e.g. an unreadable duration history).
  std::vector<std::string> warnings;
  size_t total() const {
    size_t n = 0;
    for (auto& [o, c] : counts) n += c;
    return n;
  }
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void on_started(const std::string& /*id*/) {}
  virtual void on_result(const TestResult& /*result*/) {}
  // Real ids pytest collected for a batch (settles dynamic items).
  virtual void on_collected(const std::vector<std::string>& /*ids*/) {}
  // A batch's collection ended, after its collection errors and before any of its tests ran:
  // `ids` are those the batch was handed, as the request named them (its modules are collected).
  virtual void on_batch_collected(const std::vector<std::string>& /*ids*/) {}
  // A collect-only batch's files under the rootdir that pytest imported (absolute paths): what
  // its answer depends on besides the key (settled_cache.h).
  virtual void on_imported_files(const std::vector<std::string>& /*files*/) {}
  virtual void on_collection_error(const std::string& /*id*/, const std::string& /*longrepr*/) {}
  // The one-line reason pytest's short test summary prints for that error (its report's
  // `reprcrash`); pytest prints none for an import error. Sent just before on_collection_error.
  virtual void on_collection_error_reason(const std::string& /*id*/, const std::string& /*reason*/) {}
  // A collector pytest skipped (a module-level skip): its report's location and reason.
  // `line` is 0 when pytest gave none.
  virtual void on_collection_skip(const std::string& /*id*/, const std::string& /*path*/, int /*line*/,
                                  const std::string& /*reason*/) {}
  // Items pytest's collection deselected (-k, -m, --deselect, a plugin).
  // A warning pytest recorded (its warnings summary): `location` is the test's id or path:line.
  virtual void on_warning(const std::string& /*location*/, const std::string& /*message*/) {}
  virtual void on_deselected(const std::vector<std::string>& /*ids*/) {}
  // pytest stopped the batch with a usage error (`pytest.UsageError`), e.g. strict_config's
  // "Unknown config option", raised after collection: its message, without "ERROR: ".
  virtual void on_usage_error(const std::string& /*message*/) {}
  // The same raised once pytest had collected and run (strict_config's check): pytest still
  // prints its whole report first. By default taken as any usage error.
  virtual void on_late_usage_error(const std::string& message) { on_usage_error(message); }
  // pytest stopped with an internal error (exit 3), e.g. a plugin's warning while configuring
  // under `filterwarnings = error`: its INTERNALERROR lines.
  virtual void on_internal_error(const std::string& /*lines*/) {}
  // A debug run's child is listening for a debugger.
  virtual void on_debug_listening(int /*port*/) {}
};

enum class RunKind { Run, Debug, Coverage };

struct RunRequest {
  std::vector<std::string> ids;                 // node ids relative to rootdir (or paths)
  RunKind kind = RunKind::Run;
  double timeout_s = 0;                         // per test; 0: none
  int maxfail = 0;                              // stop after this many failures; 0: never
  // pytest runs nothing once a module fails to collect (without --continue-on-collection-errors):
  // stop the run at the first collection error rather than run tests whose results are dropped.
  bool stop_on_collection_error = false;
  // The caller shows nothing until every module was collected (server/cli/collection_gate.h):
  // after a while, the modules of the batches still waiting are collected first, by collect-only
  // batches (early_collection.h), so that answer comes then and a failing one stops the run.
  bool collect_everything_early = false;
  // A test raising KeyboardInterrupt (or calling pytest.exit()) ends pytest's session: stop the
  // run there as pytest does (`RunSummary::interrupted`), rather than record that test as
  // failed and run the rest of its batch again.
  bool stop_on_interrupt = false;
  std::map<std::string, std::string> overlays;  // absolute path -> unsaved editor text
  bool collect_only = false;                    // settle ids without running
  // Modules whose every test is in `ids` (the caller knows; e.g. no -k/-m filter): a batch
  // holding all of one of them names the module instead of each id, which pytest collects
  // much faster than hundreds of node ids.
  std::set<std::string> whole_modules;
  // Ids whose batches are dispatched before the others' (pytest's --ff failures, --nf new
  // tests: pytest runs them first, so `-x` stops on them); each group is planned as usual.
  std::vector<std::string> first;
  int debug_port = 0;                           // RunKind::Debug: where debugpy listens
};

struct EngineOptions {
  std::filesystem::path python;
  std::filesystem::path rootdir;
  std::optional<std::filesystem::path> inifile;
  int workers = 0;                              // 0: number of cores
  std::vector<std::string> pytest_args;         // extra args for every batch
  std::map<std::string, std::string> env;       // extra environment for workers
  std::filesystem::path cache_dir;              // default <rootdir>/.fastest_cache
  // The duration history the schedule reads and the run updates (`fastest run --durations-path`,
  // e.g. a CI cache); default <cache_dir>/durations.json.
  std::filesystem::path durations_path;
  // Each worker keeps a warm project image: a process that pre-imports what the test modules
  // import, which batches fork from (docs/execution.md, "The project image"). For a long-lived
  // engine (the LSP); a one-shot run would pay the image's imports on top of its own.
  // FASTEST_IMAGE=0 in `env` turns it off.
  bool project_image = false;
};

class ExecutionEngine {
 public:
  explicit ExecutionEngine(EngineOptions options);
  ~ExecutionEngine();
  ExecutionEngine(const ExecutionEngine&) = delete;
  ExecutionEngine& operator=(const ExecutionEngine&) = delete;

  // Starts the workers and waits until one is warm (the others join a run when they are).
  // False (with a message naming what to install) when the interpreter or pytest is missing.
  bool start(std::string* error);
  // Starts the workers without waiting for them (`start` then only waits): their interpreter
  // start-up overlaps whatever the caller does meanwhile, e.g. the discovery's file walk.
  bool launch(std::string* error);
  RunSummary run(const RunRequest& request, RunObserver& observer);
  void cancel();  // any thread; the current run stops within milliseconds
  // Forgets a cancel that arrived after the run it was meant for had ended, so that it does not
  // stop the next one (the caller knows no run is in progress).
  void clear_cancel();
  void shutdown();

  int worker_count() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Where the Python worker package lives: $FASTEST_WORKER_DIR, next to the binary
// (../share/fastest/worker), or the source tree.
std::filesystem::path worker_package_dir();

}  // namespace fastest
