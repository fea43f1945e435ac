#include "server/cli/discover_listing.h"

#include <iostream>
#include <map>

#include "server/cli/format.h"
#include "server/cli/terminal_markup.h"
#include "server/cli/warnings_summary.h"
#include "server/core/exit_code.h"

namespace fastest::cli {
namespace {

// pytest's listing under -qq: each file's number of tests, sorted by file.
void print_counts_per_file(const std::vector<std::string>& ids) {
  std::map<std::string, size_t> counts;
  for (const std::string& id : ids) ++counts[id.substr(0, id.find("::"))];
  for (const auto& [file, n] : counts) std::cout << file << ": " << n << "\n";
}

// The ids, one a line, written 64 KiB at a time: not 100,000 small writes through the stream,
// nor a copy of them all (5 MB at 100,000 tests, the process's peak once the tree was small).
void print_ids(const std::vector<std::string>& ids) {
  constexpr size_t kChunk = 1 << 16;
  std::string chunk;
  chunk.reserve(kChunk + 512);
  for (const std::string& id : ids) {
    chunk += id;
    chunk += '\n';
    if (chunk.size() >= kChunk) {
      std::cout << chunk;
      chunk.clear();
    }
  }
  std::cout << chunk;
}

void print_errors(const std::vector<CollectionError>& errors) {
  if (errors.empty()) return;
  std::cout << banner("ERRORS", '=') << "\n";
  for (const CollectionError& e : errors) {
    // pytest's headline is the report's fspath: a class that fails to collect names its file.
    std::cout << banner("ERROR collecting " + e.id.substr(0, e.id.find("::")), '_') << "\n";
    std::cout << e.report << (e.report.empty() || e.report.back() == '\n' ? "" : "\n");
  }
}

void print_short_summary(const Listing& l) {
  std::vector<std::string> summary;
  for (char section : report_sections(l.reportchars)) {
    if (section == 's') {
      std::vector<SkipPlace> places;
      for (const CollectionSkip& skip : l.skips)
        places.push_back({skip.path, skip.line ? std::optional<int>(skip.line) : std::nullopt, skip.reason});
      for (std::string& line : skipped_lines(places)) summary.push_back(std::move(line));
    }
    if (section == 'E')
      for (const CollectionError& e : l.errors) summary.push_back(summary_line("ERROR " + e.id, e.reason, running_on_ci()));
  }
  if (summary.empty()) return;
  std::cout << banner("short test summary info", '=') << "\n";
  for (const std::string& line : summary) std::cout << line << "\n";
}

}  // namespace

int print_listing(const Listing& l, double seconds) {
  for (const std::string& w : l.fastest_warnings) std::cerr << "fastest: warning: " << w << "\n";
  if (!l.usage_errors.empty()) {
    std::cout << "no tests collected in " << format_seconds(seconds) << "\n";
    for (const std::string& e : l.usage_errors) std::cerr << "ERROR: " << e << "\n";
    return exit_status(ExitCode::UsageError);
  }
  if (l.verbosity <= -2) print_counts_per_file(l.selected);
  else print_ids(l.selected);
  const bool markup = pytest_colours_stdout(l.color);
  if (!l.internal_error.empty()) {  // as pytest: after the listing, then its closing line; exit 3
    std::cout << l.internal_error << "\n\n" << collected_line(l.selected.size(), l.deselected, 0, seconds, markup) << "\n";
    return exit_status(ExitCode::InternalError);
  }
  for (const std::string& note : l.dynamic_notes) std::cerr << "fastest: " << note << "\n";
  std::cout << "\n";
  print_errors(l.errors);
  print_warnings_summary(l.warnings);
  print_short_summary(l);
  // A usage error raised after collecting ends the session before pytest's Interrupted line.
  if (!l.errors.empty() && !l.continue_on_errors && l.late_usage_errors.empty()) {
    const std::string n = std::to_string(l.errors.size());
    std::cout << banner("Interrupted: " + n + (l.errors.size() == 1 ? " error" : " errors") + " during collection", '!') << "\n";
  }
  if (l.verbosity > -2)  // -qq: pytest prints no closing line
    std::cout << collected_line(l.selected.size(), l.deselected, l.errors.size(), seconds, markup) << "\n";
  if (!l.settle_failure.empty()) {
    // Dynamic tests pytest could not settle: the listing holds their static guesses, so say so
    // and fail (4: pytest missing, as a missing interpreter; 3: the settle itself failed).
    std::cout.flush();
    std::cerr << "ERROR: fastest could not settle " << l.unsettled << " dynamic item" << (l.unsettled == 1 ? "" : "s")
              << " with pytest: " << l.settle_failure
              << "\nThe listing shows their static form, which pytest may not print (--no-settle says which).\n";
    return exit_status(l.pytest_missing ? ExitCode::UsageError : ExitCode::InternalError);
  }
  if (!l.late_usage_errors.empty()) {
    std::cout.flush();
    for (const std::string& e : l.late_usage_errors) {
      size_t end = e.find_last_not_of('\n');
      std::cerr << "ERROR: " << (end == std::string::npos ? e : e.substr(0, end + 1)) << "\n\n";
    }
    return exit_status(ExitCode::UsageError);
  }
  if (!l.errors.empty()) return exit_status(l.continue_on_errors ? ExitCode::TestsFailed : ExitCode::Interrupted);
  return exit_status(l.selected.empty() ? ExitCode::NoTestsCollected : ExitCode::Ok);
}

nlohmann::json to_json(const Listing& l) {
  nlohmann::json errors = nlohmann::json::array(), skips = nlohmann::json::array();
  for (const CollectionError& e : l.errors) errors.push_back({e.id, e.report, e.reason});
  for (const CollectionSkip& s : l.skips) skips.push_back({s.id, s.path, s.line, s.reason});
  return {{"fastest_warnings", l.fastest_warnings},
          {"usage_errors", l.usage_errors},
          {"verbosity", l.verbosity},
          {"deselected", l.deselected},
          {"errors", errors},
          {"skips", skips},
          {"warnings", l.warnings},
          {"internal_error", l.internal_error},
          {"late_usage_errors", l.late_usage_errors},
          {"dynamic_notes", l.dynamic_notes},
          {"reportchars", l.reportchars},
          {"color", l.color},
          {"continue_on_errors", l.continue_on_errors}};
}

std::optional<Listing> listing_from_json(const nlohmann::json& j) {
  try {  // a malformed listing is a miss
    Listing l;
    l.fastest_warnings = j.at("fastest_warnings").get<std::vector<std::string>>();
    l.usage_errors = j.at("usage_errors").get<std::vector<std::string>>();
    l.verbosity = j.at("verbosity").get<int>();
    if (j.contains("selected")) l.selected = j.at("selected").get<std::vector<std::string>>();
    l.deselected = j.at("deselected").get<size_t>();
    for (const nlohmann::json& e : j.at("errors"))
      l.errors.push_back({e.at(0).get<std::string>(), e.at(1).get<std::string>(), e.at(2).get<std::string>()});
    for (const nlohmann::json& s : j.at("skips"))
      l.skips.push_back({s.at(0).get<std::string>(), s.at(1).get<std::string>(), s.at(2).get<int>(), s.at(3).get<std::string>()});
    l.warnings = j.at("warnings").get<std::vector<std::pair<std::string, std::string>>>();
    l.internal_error = j.at("internal_error").get<std::string>();
    l.late_usage_errors = j.at("late_usage_errors").get<std::vector<std::string>>();
    l.dynamic_notes = j.at("dynamic_notes").get<std::vector<std::string>>();
    l.reportchars = j.at("reportchars").get<std::string>();
    l.color = j.at("color").get<std::string>();
    l.continue_on_errors = j.at("continue_on_errors").get<bool>();
    return l;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace fastest::cli
