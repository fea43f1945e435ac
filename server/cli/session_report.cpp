#include "server/cli/session_report.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "server/cli/format.h"
#include "server/cli/json_output.h"
#include "server/cli/warnings_summary.h"
#include "server/core/exit_code.h"

namespace fastest::cli {
namespace {

// pytest's head line for a failure: "TestClass.test_name[param]".
std::string head_line(const std::string& id) {
  size_t sep = id.find("::");
  std::string rest = sep == std::string::npos ? id : id.substr(sep + 2);
  std::string out;
  size_t bracket = rest.find('[');
  for (size_t i = 0; i < rest.size(); ++i) {
    if (i + 1 < rest.size() && rest[i] == ':' && rest[i + 1] == ':' && (bracket == std::string::npos || i < bracket)) {
      out += '.';
      ++i;
    } else {
      out += rest[i];
    }
  }
  return out;
}

// pytest's report of a session a test ended (KeyboardInterrupt, pytest.exit()): a banner with
// the exception, then for a KeyboardInterrupt where it was raised (its crash line, or the whole
// traceback under --full-trace).
void print_interruption(const Interruption& what) {
  std::cout << banner(what.message, '!') << "\n";
  if (what.message.find("KeyboardInterrupt") == std::string::npos) return;
  if (what.full_trace) {
    std::cout << what.longrepr << "\n";
  } else {
    if (!what.crash_line.empty()) std::cout << what.crash_line << "\n";
    std::cout << "(to show a full traceback on KeyboardInterrupt use --full-trace)\n";
  }
}

// A test's captured sections. `with_teardown`: a failed test's teardown output, which pytest
// adds except with --tb=line.
void print_captured(const TestResult& r, bool with_teardown = true) {
  if (r.sections.empty()) {  // a crash or timeout: what the engine kept
    if (!r.stdout_text.empty()) std::cout << banner("Captured stdout", '-') << "\n" << r.stdout_text << "\n";
    if (!r.stderr_text.empty()) std::cout << banner("Captured stderr", '-') << "\n" << r.stderr_text << "\n";
    return;
  }
  for (const auto& [name, text] : r.sections) {
    if (!with_teardown && r.outcome == Outcome::Failed && name.find("teardown") != std::string::npos) continue;
    std::cout << banner(name, '-') << "\n";
    std::cout << (!text.empty() && text.back() == '\n' ? text.substr(0, text.size() - 1) : text) << "\n";
  }
}

// pytest's ERRORS section: modules that failed to collect, then tests whose setup or teardown
// failed.
void print_errors(const SessionReport& report) {
  bool any_error_section = false;
  auto error_section = [&] {
    if (!any_error_section) std::cout << banner("ERRORS", '=') << "\n";
    any_error_section = true;
  };
  for (auto& [id, text] : report.reporter.collection_errors_) {
    error_section();
    // pytest's headline is the report's fspath: a class that fails to collect names its file.
    std::cout << banner("ERROR collecting " + id.substr(0, id.find("::")), '_') << "\n" << text << "\n";
  }
  for (const TestResult& r : report.results) {
    if (r.counted_as.value_or(r.outcome) != Outcome::Errored || !r.subtests.empty()) continue;
    error_section();
    std::string phase = r.error_when == "teardown" ? "teardown" : "setup";
    std::cout << banner("ERROR at " + phase + " of " + head_line(r.id), '_') << "\n";
    std::cout << (r.longrepr.empty() ? r.message : r.longrepr_lead + r.longrepr) << "\n";
    print_captured(r);
  }
}

// pytest's FAILURES section: each failed test's report (per --tb) and its captured output.
void print_failures(const SessionReport& report) {
  bool any_failure_section = false;
  for (const TestResult& r : report.results) {
    if (!is_failure(r.outcome)) continue;
    if (r.counted_as.value_or(r.outcome) == Outcome::Errored && r.subtests.empty()) continue;  // in ERRORS
    if (!any_failure_section) {
      std::cout << banner("FAILURES", '=') << "\n";
      any_failure_section = true;
    }
    for (const SubtestReport& sub : r.subtests) {
      if (sub.outcome != Outcome::Failed) continue;
      std::cout << banner(head_line(r.id) + " " + sub.description, '_') << "\n" << sub.longrepr << "\n";
    }
    bool own_failure = is_failure(r.counted_as.value_or(r.outcome));
    if (report.tbstyle == "line") {  // pytest: no headline; the report, its output, its crash line
      if (own_failure) std::cout << (r.longrepr.empty() ? r.message : r.longrepr_lead + r.longrepr) << "\n";
      print_captured(r, false);
      if (own_failure) std::cout << (r.crash_line.empty() ? r.message : r.crash_line) << "\n";
      continue;
    }
    if (own_failure) {
      std::cout << banner(head_line(r.id), '_') << "\n";
      std::cout << (r.longrepr.empty() ? r.message : r.longrepr_lead + r.longrepr) << "\n";
    }
    print_captured(r);
  }
}

// -rP / -rX: pytest's PASSES and XPASSES sections, after the warnings summary: each passed
// test's captured sections under its headline (when it has any), then its teardown's.
void print_passes(const std::vector<TestResult>& results, Outcome kind, const char* title) {
  bool any = false;
  for (const TestResult& r : results) {
    if (r.counted_as.value_or(r.outcome) != kind || !r.subtests.empty()) continue;
    if (!any) std::cout << banner(title, '=') << "\n";
    any = true;
    bool own = std::any_of(r.sections.begin(), r.sections.end(),
                           [](const auto& s) { return s.first.find("teardown") == std::string::npos; });
    if (own) std::cout << banner(head_line(r.id), '_') << "\n";
    for (bool teardown : {false, true})
      for (const auto& [name, text] : r.sections) {
        if ((name.find("teardown") != std::string::npos) != teardown) continue;
        std::cout << banner(name, '-') << "\n";
        std::cout << (!text.empty() && text.back() == '\n' ? text.substr(0, text.size() - 1) : text) << "\n";
      }
  }
}

// The lines of pytest's short test summary section `section` (an -r character).
void add_summary_section(const SessionReport& report, char section, bool whole_reasons, std::vector<std::string>& summary_lines) {
  switch (section) {
    case 'f':
      for (const TestResult& r : report.results) {
        for (const SubtestReport& sub : r.subtests)
          if (sub.outcome == Outcome::Failed)
            summary_lines.push_back(summary_line("SUBFAILED" + sub.description + " " + r.id, sub.message, whole_reasons));
        Outcome counted = r.counted_as.value_or(r.outcome);
        // fastest's own outcomes for a killed or hung test are failures too.
        const char* word = counted == Outcome::Failed    ? "FAILED"
                           : counted == Outcome::Crashed ? "CRASHED"
                           : counted == Outcome::Timeout ? "TIMEOUT"
                                                         : nullptr;
        if (word) summary_lines.push_back(summary_line(std::string(word) + " " + r.id, r.message, whole_reasons));
      }
      break;
    case 'E':  // collection errors are reported before any test ran
      for (auto& [id, text] : report.reporter.collection_errors_) {
        auto reason = report.reporter.collection_error_reasons_.find(id);
        summary_lines.push_back(summary_line(
            "ERROR " + id, reason == report.reporter.collection_error_reasons_.end() ? "" : reason->second, whole_reasons));
      }
      for (const TestResult& r : report.results)
        if (r.counted_as.value_or(r.outcome) == Outcome::Errored)
          summary_lines.push_back(summary_line("ERROR " + r.id, r.message, whole_reasons));
      break;
    case 's': {
      std::vector<SkipPlace> places = report.reporter.collection_skips_;
      for (const TestResult& r : report.results)
        if (r.outcome == Outcome::Skipped && r.skipped_at)
          places.push_back({r.skipped_at->path, r.skipped_at->per_file ? std::nullopt : r.skipped_at->line, r.message});
      for (std::string& line : skipped_lines(places)) summary_lines.push_back(std::move(line));
      break;
    }
    case 'x':
    case 'X':
      for (const TestResult& r : report.results)
        if (r.outcome == (section == 'x' ? Outcome::XFailed : Outcome::XPassed))
          summary_lines.push_back(std::string(section == 'x' ? "XFAIL " : "XPASS ") + r.id +
                                  (r.xfail_reason.empty() ? "" : " - " + r.xfail_reason));
      break;
    case 'p':
      for (const TestResult& r : report.results)
        if (r.counted_as.value_or(r.outcome) == Outcome::Passed) summary_lines.push_back("PASSED " + r.id);
      break;
    default:  // `w` (warnings) and `P` (passes with output) have sections of their own
      break;
  }
}

}  // namespace

// `verbose`: pytest's closing line counts passed subtests only away from its default verbosity.
std::string counts_line(const RunSummary& s, size_t deselected, size_t collection_errors, size_t warnings,
                        bool verbose) {
  // pytest's order: failed, passed, skipped, deselected, xfailed, xpassed, warnings, errors; then ours.
  std::vector<std::string> parts;
  auto add = [&](size_t n, const char* what) { if (n) parts.push_back(std::to_string(n) + " " + what); };
  auto count = [&](Outcome o) { auto it = s.counts.find(o); return it == s.counts.end() ? size_t{0} : it->second; };
  add(count(Outcome::Failed), "failed");
  add(count(Outcome::Passed), "passed");
  add(count(Outcome::Skipped), "skipped");
  add(deselected, "deselected");
  add(count(Outcome::XFailed), "xfailed");
  add(count(Outcome::XPassed), "xpassed");
  if (warnings) parts.push_back(std::to_string(warnings) + (warnings == 1 ? " warning" : " warnings"));
  size_t errors = count(Outcome::Errored) + collection_errors;
  if (errors) parts.push_back(std::to_string(errors) + (errors == 1 ? " error" : " errors"));
  add(count(Outcome::Crashed), "crashed");
  add(count(Outcome::Timeout), "timeout");
  if (verbose) add(s.subtests_passed, "subtests passed");
  std::string line;
  for (auto& p : parts) line += (line.empty() ? "" : ", ") + p;
  if (line.empty()) line = "no tests ran";
  return line + " in " + format_seconds(s.duration_s);
}

void print_json_report(int exit_code, const RunSummary& summary, const std::vector<TestResult>& results) {
  nlohmann::json out;
  out["exitCode"] = exit_code;
  out["durationS"] = summary.duration_s;
  out["cancelled"] = summary.cancelled;
  nlohmann::json counts = nlohmann::json::object();
  for (auto& [o, n] : summary.counts) counts[to_string(o)] = n;
  out["counts"] = counts;
  out["results"] = nlohmann::json::array();
  for (const TestResult& r : results) {
    nlohmann::json j = {{"id", r.id}, {"outcome", to_string(r.outcome)}, {"durationS", r.duration_s}, {"message", r.message}};
    if (r.location) j["location"] = {{"path", r.location->path}, {"line", r.location->line}};
    out["results"].push_back(j);
  }
  if (summary.interrupted)
    out["interrupted"] = {{"id", summary.interrupted->test_id}, {"message", summary.interrupted->message},
                          {"crashLine", summary.interrupted->crash_line}};
  if (!summary.fatal_error.empty()) out["error"] = summary.fatal_error;
  std::cout << json_text(out, 2) << "\n";
}

void print_session_report(const SessionReport& report) {
  const TerminalReporter& reporter = report.reporter;
  const RunSummary& summary = report.summary;
  if (report.tbstyle != "no") {  // --tb=no: pytest prints neither section
    print_errors(report);
    print_failures(report);
  }
  // pytest records collection's warnings first, then each test's as it runs: in test order.
  std::vector<std::pair<std::string, std::string>> warnings = reporter.warnings_;
  auto warning_rank = [&](const std::pair<std::string, std::string>& w) {
    bool of_a_test = w.first.find("::") != std::string::npos;
    return std::make_pair(of_a_test ? 1 : 0, of_a_test ? report.rank(w.first) : size_t{0});
  };
  std::stable_sort(warnings.begin(), warnings.end(),
                   [&](const auto& a, const auto& b) { return warning_rank(a) < warning_rank(b); });
  print_warnings_summary(warnings);
  if (report.tbstyle != "no") {
    const std::string sections = report_sections(report.reportchars);
    if (sections.find('P') != std::string::npos) print_passes(report.results, Outcome::Passed, "PASSES");
    if (sections.find('X') != std::string::npos) print_passes(report.results, Outcome::XPassed, "XPASSES");
  }
  std::cout << report.coverage_report << durations_section(report.results, report.durations, report.verbose);

  // pytest's short test summary: one section per -r character, in the order given.
  std::vector<std::string> summary_lines;
  const bool whole_reasons = (running_on_ci() || report.verbose >= 2) && !report.force_short_summary;
  for (char section : report_sections(report.reportchars)) add_summary_section(report, section, whole_reasons, summary_lines);
  if (!summary_lines.empty()) {
    std::cout << banner("short test summary info", '=') << "\n";
    for (auto& l : summary_lines) std::cout << l << "\n";
  }
  if (summary.cancelled) std::cout << banner("KeyboardInterrupt: run cancelled", '!') << "\n";
  // pytest's terminal reports the interruption at sessionfinish when the session's status is
  // INTERRUPTED (2); pytest.exit(returncode=N) with another N leaves it to unconfigure, after
  // the counts line.
  const bool interruption_after_counts = summary.interrupted && report.exit_code != exit_status(ExitCode::Interrupted);
  if (summary.interrupted && !interruption_after_counts) print_interruption(*summary.interrupted);
  if (report.collection_interrupted) {
    size_t n = reporter.collection_errors_.size();
    std::cout << banner("Interrupted: " + std::to_string(n) + (n == 1 ? " error" : " errors") + " during collection", '!')
              << "\n";
  }
  if (report.stepwise_stopped) std::cout << banner("Interrupted: Test failed, continuing from this test next run.", '!') << "\n";
  if (!summary.fatal_error.empty()) std::cerr << "ERROR: " << summary.fatal_error << "\n";
  std::cout << banner(counts_line(summary, report.deselected, reporter.collection_errors_.size(), reporter.warnings_.size(),
                                report.verbose != 0 || report.quiet), '=') << "\n";
  if (interruption_after_counts) print_interruption(*summary.interrupted);
}

}  // namespace fastest::cli
