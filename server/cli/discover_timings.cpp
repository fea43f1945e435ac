#include "server/cli/discover_timings.h"

#include <cstdio>
#include <string>

namespace fastest::cli {
namespace {

void line(std::ostream& out, const char* name, double ms, double of_ms, const char* note = "") {
  char text[160];
  std::snprintf(text, sizeof text, "  %-10s %9.1f ms %5.1f%%%s\n", name, ms, of_ms > 0 ? 100.0 * ms / of_ms : 0.0, note);
  out << text;
}

}  // namespace

void print_timings(const DiscoverTimings& t, unsigned threads, std::ostream& out) {
  const CollectTimings& c = t.collect;
  out << "fastest: timings (wall ms, share of " << static_cast<long>(t.total_ms + 0.5) << " ms)\n";
  if (t.cached) {
    line(out, "cached", t.total_ms - t.output_ms, t.total_ms, "  (config, then the listing cache: its key and a stat per file)");
    line(out, "output", t.output_ms, t.total_ms);
    return;
  }
  line(out, "config", c.config_ms, t.total_ms);
  line(out, "walk", c.walk_ms, t.total_ms);
  line(out, "imports", c.imports_ms, t.total_ms);
  line(out, "discover", c.discover_wall_ms, t.total_ms, "  (read + parse + rules, in parallel)");
  // The parallel phase's thread time, split: shares of wall x threads.
  const double thread_ms = c.discover_wall_ms * threads;
  const std::string on = "  thread-ms, of " + std::to_string(threads) + " threads";
  line(out, " read", c.read_us.load() / 1000.0, thread_ms, on.c_str());
  line(out, " parse", c.parse_us.load() / 1000.0, thread_ms, on.c_str());
  line(out, " rules", c.rules_us.load() / 1000.0, thread_ms, on.c_str());
  line(out, "assembly", c.assembly_ms, t.total_ms);
  line(out, "selection", c.selection_ms, t.total_ms);
  line(out, "settle", t.settle_ms, t.total_ms);
  line(out, "output", t.output_ms, t.total_ms);
  const double known = c.config_ms + c.walk_ms + c.imports_ms + c.discover_wall_ms + c.assembly_ms + c.selection_ms +
                       t.settle_ms + t.output_ms;
  line(out, "other", t.total_ms - known, t.total_ms, "  (process start-up and teardown not included)");
}

}  // namespace fastest::cli
