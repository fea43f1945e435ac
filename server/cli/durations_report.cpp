#include "server/cli/durations_report.h"

#include <algorithm>
#include <cstdio>

#include "server/cli/format.h"

namespace fastest::cli {

void add_durations_options(CLI::App& cmd, DurationsArgs& args) {
  cmd.add_option("--durations", args.durations, "pytest's --durations: show N slowest setup/test durations (0: all)");
  cmd.add_option("--durations-min", args.durations_min,
                 "pytest's --durations-min: shortest duration listed, in seconds (default 0.005, 0 with -vv)");
}

std::string durations_section(const std::vector<TestResult>& results, const DurationsArgs& args, int verbose) {
  if (!args.durations) return "";
  struct Phase {
    double seconds;
    const std::string* when;
    const std::string* id;
  };
  std::vector<Phase> phases;
  for (const TestResult& r : results)
    for (const auto& [when, seconds] : r.phase_durations) phases.push_back({seconds, &when, &r.id});
  if (phases.empty()) return "";
  std::stable_sort(phases.begin(), phases.end(), [](const Phase& a, const Phase& b) { return a.seconds > b.seconds; });
  const int n = *args.durations;
  std::string out;
  if (n <= 0) {
    out = banner("slowest durations", '=') + "\n";
  } else {
    out = banner("slowest " + std::to_string(n) + " durations", '=') + "\n";
    if (phases.size() > static_cast<size_t>(n)) phases.resize(n);
  }
  const double min = args.durations_min.value_or(verbose < 2 ? 0.005 : 0.0);
  for (size_t i = 0; i < phases.size(); ++i) {
    char line[64];
    if (phases[i].seconds < min) {
      std::snprintf(line, sizeof line, "(%zu durations < %gs hidden.", phases.size() - i, min);
      out += "\n" + std::string(line) + (args.durations_min ? "" : "  Use -vv to show these durations.") + ")\n";
      break;
    }
    std::snprintf(line, sizeof line, "%02.2fs %-8s ", phases[i].seconds, phases[i].when->c_str());
    out += line + *phases[i].id + "\n";
  }
  return out;
}

}  // namespace fastest::cli
