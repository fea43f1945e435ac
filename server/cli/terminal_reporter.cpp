#include "server/cli/terminal_reporter.h"

#include <algorithm>
#include <cstdio>

#include "server/core/node_id.h"
#include "server/execution/scheduler.h"

namespace fastest::cli {
namespace {

char progress_char(Outcome o) {
  switch (o) {
    case Outcome::Passed: return '.';
    case Outcome::Failed: return 'F';
    case Outcome::Skipped: return 's';
    case Outcome::XFailed: return 'x';
    case Outcome::XPassed: return 'X';
    case Outcome::Errored: return 'E';
    case Outcome::Crashed: return 'C';
    case Outcome::Timeout: return 'T';
  }
  return '?';
}

// Python's repr() of a str: single quotes unless the text holds one and no double quote.
std::string python_repr(const std::string& text) {
  char quote = text.find('\'') != std::string::npos && text.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, quote);
  for (char c : text) {
    if (c == '\\' || c == quote) out += '\\';
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else out += c;
  }
  return out + quote;
}

}  // namespace

TerminalReporter::TerminalReporter(size_t total, bool quiet, int verbose,
                                   std::function<std::string(const std::string&)> shown_path)
    : total_(total), quiet_(quiet), verbose_(verbose), shown_path_(std::move(shown_path)), progress_(std::cout, total) {}

void TerminalReporter::expect(const std::string& id) {
  announced_[module_of(id)].push_back(id);
  progress_.expect(shown_path_(module_of(id)), id);
}

std::vector<std::string> TerminalReporter::failing_collectors() const {
  std::vector<std::string> ids;
  for (const auto& [id, text] : collection_errors_) ids.push_back(id);
  return ids;
}

void TerminalReporter::set_total(size_t total) {
  total_ = total;
  progress_.set_total(total);
}

void TerminalReporter::ensure_header() {
  if (!header_ || !usage_error_.empty() || !internal_error_.empty()) return;
  auto header = std::move(header_);
  header_ = nullptr;
  header();
}

void TerminalReporter::on_collected(const std::vector<std::string>& ids) {
  gate_.show([this] { ensure_header(); });
  for (const std::string& id : ids) progress_.expect(shown_path_(module_of(id)), id);
}

void TerminalReporter::on_result(const TestResult& r) {
  long_running_.finished(r.id);
  results_.push_back(r);
  // A test of a module that failed to collect is no test to pytest: its module's error is
  // reported once, in the ERRORS section, not as an `E` per test.
  if (r.uncollected) {
    leave_total(r.id);
    return;
  }
  // pytest runs nothing of a session that stops with a usage or internal error.
  if (quiet_ || !internal_error_.empty() || !usage_error_.empty() || !late_usage_error_.empty()) return;
  gate_.show([this, i = results_.size() - 1] { show_result(results_[i]); });
}

void TerminalReporter::show_result(const TestResult& r) {
  ensure_header();
  ++done_;
  if (verbose_ > 0) {
    verbose_line(r);
    std::cout.flush();
  } else {
    progress_.add(shown_path_(module_of(r.id)), r.id, progress_char(r.outcome));
  }
}

void TerminalReporter::verbose_line(const TestResult& r) {
  std::string word, reason;
  switch (r.counted_as.value_or(r.outcome)) {
    case Outcome::Passed: word = "PASSED"; break;
    case Outcome::Failed: word = "FAILED"; break;
    case Outcome::Skipped:
      word = "SKIPPED";
      reason = r.message.rfind("Skipped: ", 0) == 0 ? r.message.substr(9) : r.message;
      break;
    case Outcome::XFailed: word = "XFAIL"; reason = r.xfail_reason; break;
    case Outcome::XPassed: word = "XPASS"; reason = r.xfail_reason; break;
    case Outcome::Errored: word = "ERROR"; break;
    case Outcome::Crashed: word = "CRASHED"; break;
    case Outcome::Timeout: word = "TIMEOUT"; break;
  }
  if (reason.rfind("reason: ", 0) == 0) reason = reason.substr(8);
  std::string line = r.id + " " + word + (reason.empty() ? "" : " (" + reason + ")");
  size_t total = std::max(total_, done_);
  char progress[16];
  std::snprintf(progress, sizeof progress, " [%3d%%]", total ? static_cast<int>(100.0 * done_ / total) : 100);
  size_t width = 0;
  for (unsigned char ch : line) width += (ch & 0xC0) != 0x80;
  size_t fill = 80 > width + 1 ? 80 - width - 1 : 0;
  std::string right = progress;
  if (right.size() < fill) right.insert(0, fill - right.size(), ' ');
  std::cout << line << right << "\n";
}

void TerminalReporter::on_collection_error(const std::string& id, const std::string& longrepr) {
  gate_.collection_failed();
  for (const auto& [seen, text] : collection_errors_)
    if (seen == id) return;
  drop_announced_under(id);
  collection_errors_.emplace_back(id, longrepr);
  collection_reports_.push_back({id, false, longrepr});
}

void TerminalReporter::on_warning(const std::string& location, const std::string& message) {
  // One recorded outside any test (configuring, importing a module) happens once in pytest's
  // one session, but may be met by every worker or batch that configures or imports the same.
  if (location.find("::") == std::string::npos && !outside_tests_.insert({location, message}).second) return;
  warnings_.push_back({location, message});
}

void TerminalReporter::on_collection_skip(const std::string& id, const std::string& path, int line,
                                          const std::string& reason) {
  if (!skipped_collectors_.insert(id).second) return;
  drop_announced_under(id);
  collection_skips_.push_back({path, line ? std::optional<int>(line) : std::nullopt, reason});
  // pytest's JUnit text for it is str() of the report's (path, line, reason) tuple.
  collection_reports_.push_back({id, true, "(" + python_repr(path) + ", " + (line ? std::to_string(line) : "None") +
                                               ", " + python_repr(reason) + ")"});
}

void TerminalReporter::finish_progress(bool interrupted) {
  long_running_.stop();
  if (!gate_.failed()) gate_.release();
  ensure_header();
  progress_.finish(interrupted);
  if (done_ > 0 && !quiet_) std::cout << "\n";
}

void TerminalReporter::drop_announced_under(const std::string& collector) {
  auto drop = [&](const std::vector<std::string>& ids) {
    for (const std::string& id : ids)
      if (module_of(id) == collector || node_id_covers(collector, id)) {
        leave_total(id);
        progress_.forget(shown_path_(module_of(id)), id);
      }
  };
  if (collector.empty() || collector == ".") {  // the rootdir: everything
    for (const auto& [module, ids] : announced_) drop(ids);
    return;
  }
  // A module (or a class in it): its own tests. A folder (its conftest or __init__ failed): the
  // modules under it, which sort right after "folder/".
  if (auto it = announced_.find(module_of(collector)); it != announced_.end()) drop(it->second);
  const std::string folder = collector + "/";
  for (auto it = announced_.lower_bound(folder); it != announced_.end() && it->first.rfind(folder, 0) == 0; ++it)
    drop(it->second);
}

void TerminalReporter::leave_total(const std::string& id) {
  if (!left_total_.insert(id).second) return;
  total_ -= std::min<size_t>(total_, 1);
  progress_.less_total(1);
}

}  // namespace fastest::cli
