// What `fastest run` prints while tests run, as pytest's terminal reporter: the header (once
// pytest's session started), a progress line per file or a line per test (-v), and what the
// report after the run needs (collection errors and skips, warnings, results in arrival order).
// Output pytest prints only after its collection waits behind a CollectionGate.
#pragma once

#include <cstddef>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "server/cli/collection_gate.h"
#include "server/cli/format.h"
#include "server/cli/junit_xml.h"
#include "server/cli/long_running.h"
#include "server/cli/progress_lines.h"
#include "server/execution/engine.h"

namespace fastest::cli {

class TerminalReporter : public RunObserver {
 public:
  // `total`: the tests expected (the progress's denominator); `quiet`: print nothing while
  // running (--json); `shown_path`: a test file as pytest shows it (relative to the invocation dir).
  TerminalReporter(size_t total, bool quiet, int verbose, std::function<std::string(const std::string&)> shown_path);

  // Tests known before the run (static, exact ids): a file whose tests several batches run is
  // done only when all have reported.
  void expect(const std::string& id);
  // The modules (and folders) pytest could not collect: an error, or a skip at import.
  std::vector<std::string> failing_collectors() const;
  std::vector<std::string> skipped_collectors() const { return {skipped_collectors_.begin(), skipped_collectors_.end()}; }
  // pytest's own count of what the run will report (the progress's denominator).
  void set_total(size_t total);
  void set_header(std::function<void()> header) { header_ = std::move(header); }
  // The header, once, before anything else is written (unless pytest refused to start).
  void ensure_header();
  // The header and progress wait until every module was collected (collection_gate.h).
  void hold_until_collected(CollectionGate gate) { gate_ = std::move(gate); }
  const CollectionGate& gate() const { return gate_; }
  void still_running_after(double threshold_s) { long_running_.watch(threshold_s); }
  // pytest leaves a blank line between the progress and what follows.
  // `interrupted`: pytest's session ended mid-file, whose line then has no percentage.
  void finish_progress(bool interrupted = false);

  // RunObserver
  void on_batch_collected(const std::vector<std::string>& ids) override { gate_.batch_collected(ids); }
  void on_collected(const std::vector<std::string>& ids) override;
  void on_started(const std::string& id) override { long_running_.started(id, std::chrono::steady_clock::now()); }
  void on_result(const TestResult& r) override;
  // Several batches may hold tests of one module: pytest reports its error (or skip) once.
  void on_collection_error(const std::string& id, const std::string& longrepr) override;
  // pytest refused its command line (an unknown option): it runs nothing and exits 4.
  void on_usage_error(const std::string& message) override {
    if (usage_error_.empty()) usage_error_ = message;
  }
  void on_late_usage_error(const std::string& message) override {
    if (late_usage_error_.empty()) late_usage_error_ = message;
  }
  // pytest's crash line of a collection error ("Failed: ..."), when its report has one.
  void on_collection_error_reason(const std::string& id, const std::string& reason) override {
    collection_error_reasons_.emplace(id, reason);
  }
  // pytest's -k/-m inside a dynamic container (the only ids it can deselect: the others were
  // selected by the same rules).
  void on_deselected(const std::vector<std::string>& ids) override { deselected_ += ids.size(); }
  void on_internal_error(const std::string& lines) override {
    if (internal_error_.empty()) internal_error_ = lines;
  }
  void on_warning(const std::string& location, const std::string& message) override;
  void on_collection_skip(const std::string& id, const std::string& path, int line, const std::string& reason) override;

  std::vector<TestResult> results_;
  LongRunningTests long_running_{std::cerr};
  std::vector<std::pair<std::string, std::string>> collection_errors_;
  std::set<std::string> skipped_collectors_;
  std::vector<SkipPlace> collection_skips_;  // in the order pytest reported them
  std::vector<CollectionReport> collection_reports_;  // errors and skips, for JUnit
  std::vector<std::pair<std::string, std::string>> warnings_;  // location, message
  std::set<std::pair<std::string, std::string>> outside_tests_;  // warnings not of a test, seen
  std::string usage_error_;
  std::string internal_error_;
  std::string late_usage_error_;  // printed after the report, as pytest's "ERROR: ..." (exit 4)
  std::map<std::string, std::string> collection_error_reasons_;
  size_t deselected_ = 0;

 private:
  void show_result(const TestResult& r);
  // pytest -v: "id WORD (reason)" and the progress at the right edge, one test per line (in
  // the order tests finish, as pytest-xdist prints them).
  void verbose_line(const TestResult& r);
  // pytest could not collect `collector`: the tests announced under it are no items, neither in
  // the header's count nor the progress's denominator — known as soon as its report comes, so
  // a session that continues shows pytest's percentages from its first line.
  void drop_announced_under(const std::string& collector);
  // Each test leaves the total once, whether its module's report or its own result comes first.
  void leave_total(const std::string& id);

  size_t total_;
  bool quiet_;
  int verbose_ = 0;
  size_t done_ = 0;
  std::function<std::string(const std::string&)> shown_path_;
  std::function<void()> header_;
  // Expected before the run (static, exact ids), by module: a module's report finds its own
  // tests without a walk over every test of the run (5,000 modules skipped at import).
  std::map<std::string, std::vector<std::string>> announced_;
  std::set<std::string> left_total_;
  ProgressLines progress_;
  CollectionGate gate_{OnCollectionError::ContinueSession, {}};
};

}  // namespace fastest::cli
