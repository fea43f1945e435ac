#include <catch2/catch.hpp>

#include "server/cli/junit_xml.h"

using namespace fastest;

TEST_CASE("JUnit classnames and names follow pytest") {
  CHECK(cli::junit_classname("tests/unit/test_a.py::TestX::test_y[1]") == "tests.unit.test_a.TestX");
  CHECK(cli::junit_name("tests/unit/test_a.py::TestX::test_y[1]") == "test_y[1]");
  CHECK(cli::junit_classname("test_a.py::test_f[a::b]") == "test_a");
  CHECK(cli::junit_name("test_a.py::test_f[a::b]") == "test_f[a::b]");
}

TEST_CASE("JUnit XML counts and escapes") {
  TestResult pass{"t.py::a", Outcome::Passed, 0.1, "", "", {}, {}, {}, "", ""};
  TestResult fail{"t.py::b", Outcome::Failed, 0.2, "assert 1 < 0 & \"x\"", "long", {}, {}, {}, "", ""};
  TestResult skip{"t.py::c", Outcome::Skipped, 0, "why", "", {}, {}, {}, "", ""};
  std::string xml = cli::junit_xml({}, {pass, fail, skip}, 1.0);
  CHECK(xml.find("failures=\"1\"") != std::string::npos);
  CHECK(xml.find("skipped=\"1\"") != std::string::npos);
  CHECK(xml.find("tests=\"3\"") != std::string::npos);
  CHECK(xml.find("assert 1 &lt; 0 &amp; &quot;x&quot;") != std::string::npos);
}
