// pytest collects the whole session before it runs any test: when a module fails to collect it
// runs nothing and prints no progress, only `collected N items / K errors`, the ERRORS section
// and exit 2 (unless --continue-on-collection-errors). `fastest run` starts batches as workers
// free up, each collecting its own modules before running them, so a module whose import fails
// only at run time (no static rule foresaw it) is met after other batches ran tests.
//
// The gate holds what pytest prints only once its collection ended (the header, progress) until
// every module of the run has been collected by some batch. Under the stop rule a collection
// error drops what it holds and closes it for good, and the caller prints pytest's report of the
// error instead. A session that continues past collection errors holds too: pytest's header
// (`collected N items / K errors`) counts what the whole collection found, and the progress's
// denominator leaves out the tests of modules that failed or skipped at import.
#pragma once

#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace fastest::cli {

// Whether pytest stops a session at its collection errors: the one place that rule is read.
enum class OnCollectionError { StopSession, ContinueSession };

// pytest's rule for a session: --continue-on-collection-errors given to `fastest run`, or among
// the options pytest reads (ini addopts, $PYTEST_ADDOPTS: `in_pytest_options`) continues.
OnCollectionError on_collection_error(bool option_given, bool in_pytest_options);

class CollectionGate {
 public:
  enum class State { Holding, Open, Failed };

  // `run_ids`: what the run hands pytest (node ids, modules, folders); each one's module (or
  // folder) must be collected before the gate opens.
  CollectionGate(OnCollectionError rule, const std::vector<std::string>& run_ids);

  // Output pytest prints only after a successful collection: written now when open, held
  // (in order) while holding, dropped once collection failed.
  void show(std::function<void()> write);
  // A batch's collection ended without an error for `batch_ids` (its ids, as handed out).
  // Opens the gate, writing what it held, once every module has been collected.
  void batch_collected(const std::vector<std::string>& batch_ids);
  // A module failed to collect: pytest runs and shows nothing when the session stops; one that
  // continues goes on holding until its collection ended.
  void collection_failed();
  // The run ended before every module was collected (a cancel, -x, a crash) and no collection
  // error came: what was held is written, as the streaming would have.
  void release();

  State state() const { return state_; }
  bool failed() const { return state_ == State::Failed; }
  size_t pending_modules() const { return pending_.size(); }

 private:
  void open();

  OnCollectionError rule_;
  State state_;
  std::set<std::string> pending_;  // modules (or folders) not yet collected by any batch
  std::vector<std::function<void()>> held_;
};

}  // namespace fastest::cli
