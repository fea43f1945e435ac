#include <catch2/catch.hpp>

#include "server/execution/run_plan.h"

using namespace fastest;

namespace {
TestItem item(std::string id, ItemKind kind, std::string parent, bool dynamic = false) {
  TestItem t;
  t.id = std::move(id);
  t.kind = kind;
  t.set_parent_id(parent);
  t.set_path(t.id.substr(0, t.id.find("::")));
  t.dynamic = dynamic;
  return t;
}

std::vector<TestItem> tree() {
  return {item("tests/test_a.py", ItemKind::Module, "tests"),
          item("tests/test_a.py::test_plain", ItemKind::Function, "tests/test_a.py"),
          item("tests/test_a.py::test_p", ItemKind::Function, "tests/test_a.py", true),
          item("tests/test_a.py::test_p[1]", ItemKind::Case, "tests/test_a.py::test_p", true),
          item("tests/test_a.py::test_p[2]", ItemKind::Case, "tests/test_a.py::test_p", true),
          item("tests/test_b.py", ItemKind::Module, "tests", true),
          item("tests/test_b.py::TestB", ItemKind::Class, "tests/test_b.py", true),
          item("tests/test_b.py::TestB::test_1", ItemKind::Function, "tests/test_b.py::TestB")};
}
}  // namespace

TEST_CASE("a guessed case is handed to pytest as its function, once", "[run_plan]") {
  auto items = tree();
  auto ids = runnable_ids(items, {"tests/test_a.py::test_plain", "tests/test_a.py::test_p[1]", "tests/test_a.py::test_p[2]"}, {});
  CHECK(ids == std::vector<std::string>{"tests/test_a.py::test_plain", "tests/test_a.py::test_p"});
}

TEST_CASE("a settled case made stale by an edit is handed as its function", "[run_plan]") {
  auto items = tree();
  items[3].dynamic = false;
  items[3].stale = true;
  CHECK(runnable_ids(items, {"tests/test_a.py::test_p[1]"}, {}) == std::vector<std::string>{"tests/test_a.py::test_p"});
  items[3].stale = false;
  CHECK(runnable_ids(items, {"tests/test_a.py::test_p[1]"}, {}) == std::vector<std::string>{"tests/test_a.py::test_p[1]"});
}

TEST_CASE("a container replaces its leaves at its place in the tree; containers without items come last",
          "[run_plan]") {
  auto items = tree();
  auto ids = runnable_ids(items, {"tests/test_b.py::TestB::test_1", "tests/test_a.py::test_plain"},
                          {"tests/test_b.py", "tests/test_c.py"});
  CHECK(ids == std::vector<std::string>{"tests/test_a.py::test_plain", "tests/test_b.py", "tests/test_c.py"});
  CHECK(runnable_ids(items, {"tests/test_a.py::test_plain"}, {""}) == std::vector<std::string>{"."});
}

TEST_CASE("outermost containers absorb the ones inside them, whatever the order", "[run_plan]") {
  CHECK(outermost_containers({"tests/test_b.py::TestB", "tests/test_b.py", "tests/sub", "tests"}) ==
        std::vector<std::string>{"tests"});
  CHECK(outermost_containers({"a/test_x.py::TestX", "b"}) == std::vector<std::string>{"b", "a/test_x.py::TestX"});
}

TEST_CASE("modules all of whose leaves are selected go whole", "[run_plan]") {
  auto items = tree();
  CHECK(modules_selected_whole(items, {"tests/test_a.py::test_plain", "tests/test_a.py::test_p[1]",
                                       "tests/test_a.py::test_p[2]", "tests/test_b.py::TestB::test_1"}) ==
        std::set<std::string>{"tests/test_a.py", "tests/test_b.py"});
  CHECK(modules_selected_whole(items, {"tests/test_a.py::test_plain"}).empty());
}

TEST_CASE("settle targets: the outermost dynamic module, class or function not under a given target", "[run_plan]") {
  auto items = tree();
  std::vector<std::string> targets;
  add_settle_targets(items, targets);
  CHECK(targets == std::vector<std::string>{"tests/test_a.py::test_p", "tests/test_b.py"});
  std::vector<std::string> under_folder{"tests"};
  add_settle_targets(items, under_folder);
  CHECK(under_folder == std::vector<std::string>{"tests"});
}

TEST_CASE("import suspects: modules that may fail to import, with those that may skip, in tree order", "[run_plan]") {
  std::vector<TestItem> items = tree();
  CHECK(import_suspects(items, {}).empty());  // nothing may fail: nothing to collect first
  items.push_back(item("tests/test_c.py", ItemKind::Module, "tests", true));
  items.back().import_may_fail = true;  // e.g. an import not found on the interpreter's path
  items[5].import_may_skip = true;      // tests/test_b.py: e.g. pytest.importorskip at import
  CHECK(import_suspects(items, {"tests/test_syntax.py"}) ==
        std::vector<std::string>{"tests/test_b.py", "tests/test_c.py", "tests/test_syntax.py"});
}

TEST_CASE("a result ranks at its own id, else at the nearest container handed to pytest", "[run_plan]") {
  const RunOrder order({"tests/test_b.py", "tests/test_a.py::test_p", "tests/unit"});
  CHECK(order.rank("tests/test_b.py::TestB::test_1") == 0);
  CHECK(order.rank("tests/test_a.py::test_p[2]") == 1);
  CHECK(order.rank("tests/unit/test_c.py::test_x") == 2);
  CHECK(order.rank("tests/test_z.py::test_unknown") == 3);  // nothing handed holds it: last
  CHECK(RunOrder({"tests/test_b.py", "."}).rank("other/test_o.py::t") == 1);  // under the rootdir
}
