#include <catch2/catch.hpp>

#include "server/cli/durations_report.h"

using namespace fastest;
using namespace fastest::cli;

namespace {
TestResult with_phases(const std::string& id, double setup, double call, double teardown) {
  TestResult r;
  r.id = id;
  r.phase_durations = {{"setup", setup}, {"call", call}, {"teardown", teardown}};
  return r;
}
}  // namespace

TEST_CASE("--durations prints pytest's section: slowest first, the rest hidden with its note", "[durations]") {
  std::vector<TestResult> results{with_phases("t.py::test_fast", 0.0001, 0.001, 0.0002),
                                  with_phases("t.py::test_slow", 0.0003, 0.31, 0.0001)};
  DurationsArgs args;
  CHECK(durations_section(results, args, 0).empty());  // not asked for
  args.durations = 2;
  CHECK(durations_section(results, args, 0) ==
        "============================= slowest 2 durations ==============================\n"
        "0.31s call     t.py::test_slow\n"
        "\n"
        "(1 durations < 0.005s hidden.  Use -vv to show these durations.)\n");
  args.durations = 0;
  args.durations_min = 0.0005;
  CHECK(durations_section(results, args, 0) ==
        "============================== slowest durations ===============================\n"
        "0.31s call     t.py::test_slow\n"
        "0.00s call     t.py::test_fast\n"
        "\n"
        "(4 durations < 0.0005s hidden.)\n");
  args.durations_min.reset();
  std::string all = durations_section(results, args, 2);  // -vv: nothing hidden
  CHECK(all.find("hidden") == std::string::npos);
  CHECK(all.find("0.00s teardown t.py::test_slow") != std::string::npos);
}
