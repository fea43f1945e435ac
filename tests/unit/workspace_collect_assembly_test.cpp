// collect()'s assembly (issue 15): items moved once into the tree, duplicates looked for only
// inside a module reached several times, the selection's index, and --timings' phases.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/cli/discover_timings.h"
#include "server/discovery/file_items.h"
#include "server/workspace/project.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/support/write_file.h"

namespace fs = std::filesystem;
using fastest::test::write_file;
using namespace fastest;

namespace {

const char* kModule =
    "import pytest\n\n"
    "def test_a():\n    pass\n\n"
    "class TestGroup:\n    def test_m(self):\n        pass\n\n"
    "@pytest.mark.parametrize('v', [1, 2])\ndef test_p(v):\n    pass\n";

std::vector<std::string> ids(const Collection& c) {
  std::vector<std::string> out;
  for (const TestItem& item : c.items) out.push_back(item.id);
  return out;
}

Invocation invocation(const fs::path& dir, std::vector<std::string> args, std::vector<std::string> options = {}) {
  Invocation inv;
  inv.invocation_dir = dir;
  inv.args = std::move(args);
  inv.extra_options = std::move(options);
  inv.python = "/nonexistent/python";  // the rules of the default pytest version; no interpreter
  return inv;
}

}  // namespace

TEST_CASE("a module reached by two arguments is listed once, its leaves once, in the first one's order") {
  fastest::test::ScopedTempDir tmp("fastest_unit_assembly");
  write_file(tmp.path() / "pytest.ini", "[pytest]\n");
  write_file(tmp.path() / "tests/test_x.py", kModule);
  write_file(tmp.path() / "tests/test_y.py", "def test_b():\n    pass\n");
  Collection c = collect(invocation(tmp.path(), {"tests/test_x.py::TestGroup", "tests"}));
  REQUIRE(c.usage_errors.empty());
  CHECK(c.selected == std::vector<std::string>{"tests/test_x.py::TestGroup::test_m", "tests/test_x.py::test_a",
                                               "tests/test_x.py::test_p[1]", "tests/test_x.py::test_p[2]",
                                               "tests/test_y.py::test_b"});
  std::vector<std::string> all = ids(c);
  std::vector<std::string> unique = all;
  std::sort(unique.begin(), unique.end());
  CHECK(std::unique(unique.begin(), unique.end()) == unique.end());
  CHECK(std::count(all.begin(), all.end(), "tests/test_x.py::test_p[2]") == 1);
  CHECK(all.front() == "tests");
}

TEST_CASE("-k matches a leaf by its class's name through the item index, --deselect by prefix") {
  fastest::test::ScopedTempDir tmp("fastest_unit_assembly");
  write_file(tmp.path() / "pytest.ini", "[pytest]\n");
  write_file(tmp.path() / "tests/test_x.py", kModule);
  Collection by_class = collect(invocation(tmp.path(), {}, {"-k", "TestGroup"}));
  CHECK(by_class.selected == std::vector<std::string>{"tests/test_x.py::TestGroup::test_m"});
  CHECK(by_class.deselected == 3);
  Collection deselected = collect(invocation(tmp.path(), {}, {"--deselect", "tests/test_x.py::test_p"}));
  CHECK(deselected.selected == std::vector<std::string>{"tests/test_x.py::test_a", "tests/test_x.py::TestGroup::test_m"});
  CHECK(deselected.deselected_ids == std::vector<std::string>{"tests/test_x.py::test_p[1]", "tests/test_x.py::test_p[2]"});
}

// The tree as `for_each_in_order` walks it: items and leaves without items, in pytest's order.
std::vector<std::string> ids_in_order(const Collection& c) {
  std::vector<std::string> out;
  c.for_each_in_order([&](std::string_view id, const TestItem* item) {
    CHECK((!item || item->id == id));
    out.emplace_back(id);
  });
  return out;
}

TEST_CASE("static leaves as ids: the same listing; a static module read once keeps its Module item alone") {
  fastest::test::ScopedTempDir tmp("fastest_unit_assembly");
  write_file(tmp.path() / "pytest.ini", "[pytest]\n");
  write_file(tmp.path() / "tests/test_x.py", kModule);
  write_file(tmp.path() / "tests/sub/test_z.py", kModule);
  write_file(tmp.path() / "tests/test_dyn.py",
             "def pytest_generate_tests(metafunc):\n    for name in metafunc.fixturenames:\n        pass\n\n"
             "def test_d():\n    pass\n");
  write_file(tmp.path() / "tests/test_empty.py", "class TestEmpty:\n    pass\n\ndef test_after():\n    pass\n");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, {"tests/test_x.py::TestGroup", "tests"}, {"tests/sub", "tests/test_x.py"}}) {
    Invocation inv = invocation(tmp.path(), args);
    const Collection full = collect(inv);
    inv.static_leaves_as_ids = true;
    const Collection lean = collect(inv);
    CHECK(lean.selected == full.selected);
    CHECK(ids_in_order(full) == ids(full));
    CHECK(lean.items.size() < full.items.size());
    // The walk is the full tree's but for the containers that went with their leaves.
    std::vector<std::string> expected;
    for (const TestItem& item : full.items) {
      const bool kept = lean.find(item.id) || std::count(lean.selected.begin(), lean.selected.end(), item.id);
      if (kept) expected.push_back(item.id);
      else CHECK((item.kind == ItemKind::Class || item.kind == ItemKind::Function));
    }
    CHECK(ids_in_order(lean) == expected);
    CHECK(lean.find("tests/sub/test_z.py") != nullptr);
    CHECK(lean.find("tests/sub/test_z.py::TestGroup") == nullptr);
    CHECK(lean.find("tests/sub/test_z.py::test_p") == nullptr);
    CHECK(lean.find("tests/sub/test_z.py::test_a") == nullptr);
    // A container with no leaf after it stays: nothing else would place it.
    if (full.find("tests/test_empty.py::TestEmpty")) CHECK(lean.find("tests/test_empty.py::TestEmpty") != nullptr);
    // A dynamic module keeps its leaves' items.
    if (args.empty()) CHECK(lean.find("tests/test_dyn.py::test_d") != nullptr);
    // A module two arguments reach keeps its items (its leaves' order is the arguments').
    if (args.size() == 2 && args[1] == "tests") {
      CHECK(lean.find("tests/test_x.py::test_a") != nullptr);
      CHECK(lean.find("tests/test_x.py::TestGroup") != nullptr);
    }
  }
  // The selection reads the items: all are kept.
  Invocation by_keyword = invocation(tmp.path(), {}, {"-k", "TestGroup"});
  by_keyword.static_leaves_as_ids = true;
  const Collection selected = collect(by_keyword);
  CHECK(selected.leaf_runs.empty());
  CHECK(selected.find("tests/test_x.py::test_a") != nullptr);
}

TEST_CASE("a node id that names nothing in a static module is a usage error, as before") {
  fastest::test::ScopedTempDir tmp("fastest_unit_assembly");
  write_file(tmp.path() / "pytest.ini", "[pytest]\n");
  write_file(tmp.path() / "tests/test_x.py", kModule);
  Collection c = collect(invocation(tmp.path(), {"tests/test_x.py::test_nope"}));
  CHECK(c.usage_errors == std::vector<std::string>{"not found: tests/test_x.py::test_nope"});
}

TEST_CASE("timings: the parallel phase's parse and rules are measured when asked for") {
  fastest::test::ScopedTempDir tmp("fastest_unit_assembly");
  write_file(tmp.path() / "pytest.ini", "[pytest]\n");
  for (int i = 0; i < 8; ++i) write_file(tmp.path() / ("tests/test_" + std::to_string(i) + ".py"), kModule);
  CollectTimings timings;
  Invocation inv = invocation(tmp.path(), {});
  inv.timings = &timings;
  Collection c = collect(inv);
  CHECK(c.selected.size() == 32);
  CHECK(timings.discover_wall_ms > 0);
  CHECK(timings.parse_us.load() > 0);
  CHECK(timings.rules_us.load() > 0);

  cli::DiscoverTimings all;
  all.collect.walk_ms = 2;
  all.collect.discover_wall_ms = 6;
  all.collect.parse_us = 8000;
  all.output_ms = 2;
  all.total_ms = 10;
  std::ostringstream out;
  cli::print_timings(all, 2, out);
  const std::string text = out.str();
  for (const char* phase : {"walk", "read", "parse", "rules", "assembly", "output"}) CHECK(text.find(phase) != std::string::npos);
  CHECK(text.find("  walk             2.0 ms  20.0%") != std::string::npos);
  CHECK(text.find("   parse           8.0 ms  66.7%") != std::string::npos);  // of 6 ms x 2 threads
}

TEST_CASE("take_file_items gives merge_file_items' list and leaves the results empty") {
  ModuleResult python;
  TestItem module;
  module.id = "test_m.py";
  module.kind = ItemKind::Module;
  TestItem function;
  function.id = "test_m.py::test_a";
  function.kind = ItemKind::Function;
  python.items = {module, function};
  DoctestResult doctests;
  TestItem doctest;
  doctest.id = "test_m.py::test_m";
  doctests.items = {doctest};
  const std::vector<TestItem> merged = merge_file_items("test_m.py", "test_m.py", &python, &doctests);
  CHECK(take_file_items("test_m.py", "test_m.py", &python, &doctests) == merged);
  CHECK(python.items.empty());
  CHECK(doctests.items.empty());
  CHECK(merged.size() == 3);
  CHECK(merged[1].id == "test_m.py::test_m");  // the doctests before the python items
}
