#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <sstream>

#include "server/execution/cache_selection.h"
#include "server/execution/pytest_cache.h"
#include "tests/support/scoped_temp_dir.h"

using namespace fastest;

namespace {
CacheSelectionInput tree() {
  CacheSelectionInput in;
  in.collected = {"tests/a/test_one.py::test_a", "tests/a/test_one.py::test_b", "tests/a/test_one.py::test_c",
                  "tests/test_three.py::test_z",  "tests/test_two.py::test_p[1]", "tests/test_two.py::test_p[2]",
                  "tests/test_two.py::test_q"};
  in.modules = {"tests/a/test_one.py", "tests/test_three.py", "tests/test_two.py"};
  return in;
}
CacheValue failures() {
  CacheValue lf = CacheValue::object();
  lf["tests/a/test_one.py::test_b"] = true;
  lf["tests/test_two.py::test_p[2]"] = true;
  return lf;
}
const auto kNow = std::chrono::system_clock::now();
}  // namespace

TEST_CASE("pytest --lf collects only the failures and skips files without one, as pytest reports it", "[pytest_cache]") {
  CacheOptions o;
  o.last_failed = true;
  CacheValue lf = failures();
  StepwiseState sw;
  CacheSelection s = select_with_cache(tree(), o, lf, {}, sw, kNow);
  CHECK(s.selected == std::vector<std::string>{"tests/a/test_one.py::test_b", "tests/test_two.py::test_p[2]"});
  CHECK(s.deselected.empty());
  CHECK(s.collected == 2);
  CHECK(s.report_lines == std::vector<std::string>{"run-last-failure: rerun previous 2 failures (skipped 1 file)"});
}

TEST_CASE("pytest --lf keeps every item of a file named on the command line, deselecting the passes", "[pytest_cache]") {
  CacheOptions o;
  o.last_failed = true;
  CacheValue lf = failures();
  StepwiseState sw;
  CacheSelectionInput in = tree();
  in.collected = {"tests/test_two.py::test_p[1]", "tests/test_two.py::test_p[2]", "tests/test_two.py::test_q"};
  in.modules = {"tests/test_two.py"};
  in.initial_files = {"tests/test_two.py"};
  CacheSelection s = select_with_cache(in, o, lf, {}, sw, kNow);
  CHECK(s.selected == std::vector<std::string>{"tests/test_two.py::test_p[2]"});
  CHECK(s.deselected.size() == 2);
  CHECK(s.report_lines == std::vector<std::string>{"run-last-failure: rerun previous 1 failure"});
}

TEST_CASE("pytest --lf with -k deselecting every failure says the failures are not selected", "[pytest_cache]") {
  CacheOptions o;
  o.last_failed = true;
  CacheValue lf = failures();
  StepwiseState sw;
  CacheSelectionInput in = tree();
  for (const std::string& id : in.collected)
    if (id.find("test_q") == std::string::npos) in.deselected.insert(id);
  CacheSelection s = select_with_cache(in, o, lf, {}, sw, kNow);
  CHECK(s.selected.empty());
  CHECK(s.collected == 2);
  CHECK(s.deselected.size() == 2);
  CHECK(s.report_lines ==
        std::vector<std::string>{"run-last-failure: 2 known failures not in selected tests (skipped 1 file)"});
}

TEST_CASE("pytest --ff runs the failures first; with no failures --lfnf none deselects everything", "[pytest_cache]") {
  CacheOptions o;
  o.failed_first = true;
  CacheValue lf = failures();
  StepwiseState sw;
  CacheSelection s = select_with_cache(tree(), o, lf, {}, sw, kNow);
  REQUIRE(s.selected.size() == 7);
  CHECK(s.selected[0] == "tests/a/test_one.py::test_b");
  CHECK(s.selected[1] == "tests/test_two.py::test_p[2]");
  CHECK(s.selected[2] == "tests/a/test_one.py::test_a");
  CHECK(s.report_lines == std::vector<std::string>{"run-last-failure: rerun previous 2 failures first"});

  CacheOptions none;
  none.last_failed = true;
  none.no_failures = "none";
  CacheValue empty = CacheValue::object();
  s = select_with_cache(tree(), none, empty, {}, sw, kNow);
  CHECK(s.selected.empty());
  CHECK(s.deselected.size() == 7);
  CHECK(s.report_lines ==
        std::vector<std::string>{"run-last-failure: no previously failed tests, deselecting all items."});
}

TEST_CASE("a module that failed to collect and imports now stands for all of its tests", "[pytest_cache]") {
  CacheOptions o;
  o.last_failed = true;
  CacheValue lf = CacheValue::object();
  lf["tests/test_two.py"] = true;
  StepwiseState sw;
  CacheSelection s = select_with_cache(tree(), o, lf, {}, sw, kNow);
  CHECK(s.selected.size() == 3);
  CHECK_FALSE(lf.contains("tests/test_two.py"));
  CHECK(lf.contains("tests/test_two.py::test_q"));
}

TEST_CASE("pytest --nf runs tests not in nodeids first, newest file first", "[pytest_cache]") {
  CacheOptions o;
  o.new_first = true;
  CacheValue lf = CacheValue::object();
  StepwiseState sw;
  CacheSelectionInput in = tree();
  in.mtime = [](const std::string& module) { return module == "tests/test_three.py" ? 2.0 : 1.0; };
  std::set<std::string> known(in.collected.begin(), in.collected.end());
  known.erase("tests/test_two.py::test_q");
  CacheSelection s = select_with_cache(in, o, lf, known, sw, kNow);
  CHECK(s.selected[0] == "tests/test_two.py::test_q");
  CHECK(s.selected[1] == "tests/test_three.py::test_z");
  CHECK(s.selected[2] == "tests/a/test_one.py::test_a");
}

TEST_CASE("pytest --sw skips the tests before the last failure, counting items before -k", "[pytest_cache]") {
  CacheOptions o;
  o.stepwise = true;
  CacheValue lf = CacheValue::object();
  StepwiseState sw;
  sw.last_failed = "tests/a/test_one.py::test_b";
  sw.last_test_count = 7;
  sw.date = python_isoformat(kNow - std::chrono::seconds(65));
  CacheSelectionInput in = tree();
  in.deselected = {"tests/test_two.py::test_q"};
  CacheSelection s = select_with_cache(in, o, lf, {}, sw, kNow);
  CHECK(s.selected.front() == "tests/a/test_one.py::test_b");
  CHECK(s.selected.size() == 5);
  CHECK(s.deselected.size() == 2);
  CHECK(s.report_lines == std::vector<std::string>{
                              "stepwise: skipping 1 already passed items (cache from 0:01:05 ago, use --sw-reset to discard)."});

  sw.last_test_count = 6;
  s = select_with_cache(tree(), o, lf, {}, sw, kNow);
  CHECK(s.report_lines ==
        std::vector<std::string>{"stepwise: test count changed, not skipping (now 7 tests, previously 6)."});
  CHECK_FALSE(sw.last_failed);
}

TEST_CASE("stepwise records the first failure in order, or the first test a stopped run never reached", "[pytest_cache]") {
  CacheOptions o;
  o.stepwise = true;
  StepwiseState sw;
  std::vector<std::string> planned{"m.py::a", "m.py::b", "m.py::c", "m.py::d"};
  CHECK(record_stepwise(sw, o, planned, {{"m.py::a", Outcome::Passed}, {"m.py::c", Outcome::Failed}}, true));
  CHECK(sw.last_failed == "m.py::b");  // b never ran: the next run starts there
  sw = {};
  CHECK(record_stepwise(sw, o, planned, {{"m.py::a", Outcome::Passed}, {"m.py::b", Outcome::Failed}}, true));
  CHECK(sw.last_failed == "m.py::b");
  sw.last_failed = "m.py::b";
  CHECK_FALSE(record_stepwise(sw, o, planned,
                              {{"m.py::a", Outcome::Passed}, {"m.py::b", Outcome::Passed},
                               {"m.py::c", Outcome::Passed}, {"m.py::d", Outcome::Passed}},
                              false));
  CHECK_FALSE(sw.last_failed);
  o.stepwise_skip = true;
  CHECK(record_stepwise(sw, o, planned,
                        {{"m.py::a", Outcome::Failed}, {"m.py::b", Outcome::Passed}, {"m.py::c", Outcome::Failed}},
                        true));
  CHECK(sw.last_failed == "m.py::c");
}

TEST_CASE("lastfailed: failures in, passes and skips out, collection errors in", "[pytest_cache]") {
  CacheValue lf = failures();
  record_last_failed(lf,
                     {{"tests/a/test_one.py::test_b", Outcome::Passed}, {"tests/test_three.py::test_z", Outcome::Errored},
                      {"tests/test_two.py::test_p[2]", Outcome::Skipped}},
                     {"tests/test_bad.py"});
  CHECK(lf.dump() == R"({"tests/test_bad.py":true,"tests/test_three.py::test_z":true})");
}

TEST_CASE("lastfailed: a module that collects again leaves the record, its tests' outcomes stay", "[pytest_cache]") {
  CacheValue lf = CacheValue::object();
  lf["tests/test_bad.py"] = true;
  lf["tests/test_other.py"] = true;
  record_last_failed(lf, {{"tests/test_bad.py::test_x", Outcome::Passed}, {"tests/test_bad.py::test_y", Outcome::Failed}},
                     {"tests/test_other.py"});
  CHECK(lf.dump() == R"({"tests/test_other.py":true,"tests/test_bad.py::test_y":true})");
}

TEST_CASE("the cache folder is pytest's: supporting files, JSON as json.dumps(indent=2), pformat for --cache-show", "[pytest_cache]") {
  fastest::test::ScopedTempDir dir("pytest_cache_test_");
  PytestCache cache(dir.path() / ".pytest_cache");
  CacheValue lf = failures();
  REQUIRE(cache.set("cache/lastfailed", lf));
  std::ifstream in(dir.path() / ".pytest_cache/v/cache/lastfailed");
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == "{\n  \"tests/a/test_one.py::test_b\": true,\n  \"tests/test_two.py::test_p[2]\": true\n}");
  CHECK(std::filesystem::exists(dir.path() / ".pytest_cache/CACHEDIR.TAG"));
  CHECK(std::filesystem::exists(dir.path() / ".pytest_cache/.gitignore"));
  CHECK(cache.get("cache/lastfailed") == lf);

  CHECK(python_pformat(lf) == "{'tests/a/test_one.py::test_b': True, 'tests/test_two.py::test_p[2]': True}");
  CacheValue ids = CacheValue::array();
  for (int i = 0; i < 4; ++i) ids.push_back("tests/test_module_with_a_long_name.py::test_" + std::to_string(i));
  CHECK(python_pformat(ids) ==
        "['tests/test_module_with_a_long_name.py::test_0',\n"
        " 'tests/test_module_with_a_long_name.py::test_1',\n"
        " 'tests/test_module_with_a_long_name.py::test_2',\n"
        " 'tests/test_module_with_a_long_name.py::test_3']");
  cache.clear();
  CHECK_FALSE(cache.get("cache/lastfailed"));
}

TEST_CASE("pytest --lf keeps a class's tests whole, and a file whose failures are all in classes unfiltered",
          "[pytest_cache]") {
  CacheOptions o;
  o.last_failed = true;
  StepwiseState sw;
  CacheSelectionInput in;
  in.collected = {"t/test_c.py::TestX::test_1", "t/test_c.py::TestX::test_2", "t/test_c.py::test_3",
                  "t/test_d.py::test_4", "t/test_d.py::test_5", "t/test_e.py::test_6"};
  in.modules = {"t/test_c.py", "t/test_d.py", "t/test_e.py"};
  CacheValue lf = CacheValue::object();
  lf["t/test_c.py::TestX::test_2"] = true;
  lf["t/test_d.py::test_5"] = true;
  CacheSelection s = select_with_cache(in, o, lf, {}, sw, kNow);
  // test_c.py has no module-level failure: collected whole; test_d.py is filtered; test_e.py skipped.
  CHECK(s.collected == 4);
  CHECK(s.selected == std::vector<std::string>{"t/test_c.py::TestX::test_2", "t/test_d.py::test_5"});
  CHECK(s.report_lines == std::vector<std::string>{"run-last-failure: rerun previous 2 failures (skipped 1 file)"});
}
