#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "server/cli/shard_selection.h"

using namespace fastest;

namespace {
TestItem item(const std::string& id, ItemKind kind, const std::string& parent, bool dynamic = false) {
  TestItem t;
  t.id = id;
  t.kind = kind;
  t.set_parent_id(parent);
  t.set_path(id.substr(0, id.find("::")));
  t.dynamic = dynamic;
  return t;
}

// a.py: three plain tests; b.py: a dynamic module pytest collects whole; c.py: a function whose
// (dynamic) cases only pytest lists; sub/: a dynamic folder.
Collection sample() {
  Collection c;
  c.items = {item("a.py", ItemKind::Module, ""),          item("a.py::t1", ItemKind::Function, "a.py"),
             item("a.py::t2", ItemKind::Function, "a.py"), item("a.py::t3", ItemKind::Function, "a.py"),
             item("b.py", ItemKind::Module, "", true),     item("b.py::t", ItemKind::Function, "b.py", true),
             item("c.py", ItemKind::Module, ""),          item("c.py::f", ItemKind::Function, "c.py", true),
             item("c.py::f[x]", ItemKind::Case, "c.py::f", true), item("c.py::f[y]", ItemKind::Case, "c.py::f", true)};
  c.selected = {"a.py::t1", "a.py::t2", "a.py::t3", "b.py::t", "c.py::f[x]", "c.py::f[y]"};
  c.dynamic_containers = {"b.py"};
  c.dynamic_folders = {"sub"};
  return c;
}
}  // namespace

TEST_CASE("a shard keeps its tests and containers; the others' tests count as deselected") {
  const std::vector<std::string> containers = {"sub", "b.py"};
  std::unordered_map<std::string, double> history = {{"a.py::t1", 1}, {"a.py::t2", 1}, {"a.py::t3", 1},
                                                     {"b.py::t", 2}, {"c.py::f[x]", 1}, {"sub/test_s.py::t", 3}};
  std::multiset<std::string> selected, containers_run;
  size_t deselected = 0;
  for (int k = 1; k <= 3; ++k) {
    Collection c = sample();
    cli::ShardSelection s = cli::select_shard(c, containers, {k, 3}, history);
    CHECK(s.total_tests == 6);
    CHECK(s.kept_tests == c.selected.size());
    CHECK(c.deselected == 6 - c.selected.size());
    CHECK(c.deselected_ids.size() == c.deselected);
    deselected += c.deselected;
    selected.insert(c.selected.begin(), c.selected.end());
    containers_run.insert(c.dynamic_containers.begin(), c.dynamic_containers.end());
    containers_run.insert(c.dynamic_folders.begin(), c.dynamic_folders.end());
    // A function's dynamic cases go together (pytest is handed the function).
    CHECK(std::count(c.selected.begin(), c.selected.end(), "c.py::f[x]") ==
          std::count(c.selected.begin(), c.selected.end(), "c.py::f[y]"));
  }
  // Every test on exactly one shard; each container handed to pytest by exactly one shard.
  CHECK(selected == std::multiset<std::string>{"a.py::t1", "a.py::t2", "a.py::t3", "b.py::t", "c.py::f[x]", "c.py::f[y]"});
  CHECK(containers_run == std::multiset<std::string>{"b.py", "sub"});
  CHECK(deselected == 2 * 6);
}

TEST_CASE("the shard line says which shard and what it holds") {
  cli::ShardSelection s{8, 24, 1.2, 3.61, 1.21};
  CHECK(cli::shard_line({2, 3}, s) == "shard 2/3: 8 of 24 selected tests, estimated 1.20s (all shards 3.61s, longest 1.21s)");
}
