// JUnit XML as pytest writes it (xunit2 family), so CI systems read fastest's like pytest's.
#pragma once

#include <string>
#include <vector>

#include "server/execution/engine.h"

namespace fastest::cli {

// `results` in the order they should appear; returns false if the file cannot be written.
bool write_junit_xml(const std::string& path, const std::vector<TestResult>& results, double duration_s);
std::string junit_xml(const std::vector<TestResult>& results, double duration_s);
// pytest's classname for a node id: "tests/unit/test_a.py::TestX::test_y[1]" -> "tests.unit.test_a.TestX".
std::string junit_classname(const std::string& id);
std::string junit_name(const std::string& id);

}  // namespace fastest::cli
