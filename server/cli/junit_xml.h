// JUnit XML as pytest writes it (xunit2 family), so CI systems read fastest's like pytest's.
#pragma once

#include <string>
#include <vector>

#include "server/execution/engine.h"

namespace fastest::cli {

// A collector pytest reported on its own: a module that failed to collect (`error`, "collection
// failure") or skipped itself at import ("collection skipped"); pytest writes a testcase for each.
struct CollectionReport {
  std::string id;
  bool skipped = false;
  std::string text;  // the error's report; for a skip, pytest's repr of (path, line, reason)
};

// `results` in the order they should appear, after `collection` (reported while collecting);
// returns false if the file cannot be written.
bool write_junit_xml(const std::string& path, const std::vector<CollectionReport>& collection,
                     const std::vector<TestResult>& results, double duration_s);
std::string junit_xml(const std::vector<CollectionReport>& collection, const std::vector<TestResult>& results,
                      double duration_s);
// pytest's classname for a node id: "tests/unit/test_a.py::TestX::test_y[1]" -> "tests.unit.test_a.TestX".
std::string junit_classname(const std::string& id);
std::string junit_name(const std::string& id);

}  // namespace fastest::cli
