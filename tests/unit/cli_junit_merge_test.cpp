#include <catch2/catch.hpp>

#include "server/cli/junit_merge.h"
#include "server/cli/junit_xml.h"

using namespace fastest;

namespace {
TestResult result(const std::string& id, Outcome outcome, double seconds, const std::string& message = "") {
  TestResult r;
  r.id = id;
  r.outcome = outcome;
  r.duration_s = seconds;
  r.message = message;
  return r;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("merge-junit joins shards' reports into one suite with summed counts") {
  std::string shard1 = cli::junit_xml({{"broken.py", false, "SyntaxError"}},
                                      {result("a.py::t1", Outcome::Passed, 0.5), result("a.py::t2", Outcome::Failed, 0.25, "x < y")},
                                      1.5);
  std::string shard2 = cli::junit_xml({}, {result("b.py::t", Outcome::Skipped, 0, "why"), result("b.py::u", Outcome::Passed, 1)}, 2.25);
  std::string error;
  auto merged = cli::merge_junit_xml({{"1.xml", shard1}, {"2.xml", shard2}}, &error);
  REQUIRE(merged);
  CHECK(error.empty());
  CHECK(merged->rfind("<?xml version=\"1.0\" encoding=\"utf-8\"?>", 0) == 0);
  CHECK(count(*merged, "<testsuite ") == 1);
  CHECK(merged->find("<testsuites name=\"pytest tests\" errors=\"1\" failures=\"1\" skipped=\"1\" tests=\"5\" time=\"3.750\"") !=
        std::string::npos);
  CHECK(merged->find("<testsuite name=\"pytest\" errors=\"1\" failures=\"1\" skipped=\"1\" tests=\"5\" time=\"3.750\"") !=
        std::string::npos);
  CHECK(count(*merged, "<testcase ") == 5);
  // In the order given: shard 1's (its collection error first), then shard 2's.
  size_t broken = merged->find("name=\"broken\""), t2 = merged->find("name=\"t2\""), u = merged->find("name=\"u\"");
  CHECK(broken < t2);
  CHECK(t2 < u);
  CHECK(merged->find("x &lt; y") != std::string::npos);  // escaping survives
}

TEST_CASE("merge-junit reads pytest's own reports: a bare <testsuite>, properties joined once") {
  std::string a = R"(<?xml version="1.0" encoding="utf-8"?><testsuite name="mine" errors="0" failures="0" skipped="0" tests="1" time="0.1" timestamp="2026-01-02T10:00:00" hostname="h1"><properties><property name="k" value="v" /></properties><testcase classname="a" name="t" time="0.1" /></testsuite>)";
  std::string b = R"(<testsuites><testsuite name="mine" errors="0" failures="1" skipped="0" tests="1" time="0.2" timestamp="2026-01-02T09:59:00" hostname="h2"><properties><property name="k" value="v" /><property name="k2" value="w" /></properties><testcase classname="b" name="t" time="0.2"><failure message="no">tb</failure></testcase></testsuite></testsuites>)";
  auto merged = cli::merge_junit_xml({{"a.xml", a}, {"b.xml", b}}, nullptr);
  REQUIRE(merged);
  CHECK(merged->find("<testsuite name=\"mine\" errors=\"0\" failures=\"1\" skipped=\"0\" tests=\"2\" time=\"0.300\" "
                     "timestamp=\"2026-01-02T09:59:00\" hostname=\"h1\">") != std::string::npos);
  CHECK(count(*merged, "<properties>") == 1);
  CHECK(count(*merged, "<property ") == 2);
  CHECK(merged->find("<properties>") < merged->find("<testcase"));
}

TEST_CASE("merge-junit refuses what is not a JUnit report, naming the file") {
  std::string error;
  CHECK_FALSE(cli::merge_junit_xml({{"ok.xml", "<testsuites/>"}, {"bad.xml", "<testsuites><oops"}}, &error));
  CHECK(error.rfind("bad.xml is not XML", 0) == 0);
  CHECK_FALSE(cli::merge_junit_xml({{"html.xml", "<html/>"}}, &error));
  CHECK(error.find("html.xml is not a JUnit XML report") != std::string::npos);
  auto empty = cli::merge_junit_xml({{"ok.xml", "<testsuites/>"}}, &error);
  REQUIRE(empty);
  CHECK(empty->find("tests=\"0\"") != std::string::npos);
}
