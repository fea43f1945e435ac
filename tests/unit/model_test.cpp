#include <catch2/catch.hpp>

#include "server/core/model.h"

TEST_CASE("item kinds have the protocol's names") {
  using fastest::ItemKind;
  CHECK(std::string(fastest::to_string(ItemKind::Folder)) == "folder");
  CHECK(std::string(fastest::to_string(ItemKind::Module)) == "module");
  CHECK(std::string(fastest::to_string(ItemKind::Class)) == "class");
  CHECK(std::string(fastest::to_string(ItemKind::Function)) == "function");
  CHECK(std::string(fastest::to_string(ItemKind::Case)) == "case");
}

namespace {
fastest::TestItem item_with_id(std::string id) {
  fastest::TestItem item;
  item.id = std::move(id);
  return item;
}
}  // namespace

TEST_CASE("an item's label, parent and path are read from its id as pytest's tree nests them") {
  auto folder = item_with_id("tests/unit");
  CHECK(folder.label() == "unit");
  CHECK(folder.parent_id() == "tests");
  CHECK(folder.path() == "tests/unit");
  auto top = item_with_id("tests");
  CHECK(top.label() == "tests");
  CHECK(top.parent_id().empty());
  auto module = item_with_id("tests/unit/test_a.py");
  CHECK(module.label() == "test_a.py");
  CHECK(module.parent_id() == "tests/unit");
  auto nested = item_with_id("tests/test_a.py::TestOuter::TestInner::test_b");
  CHECK(nested.label() == "test_b");
  CHECK(nested.parent_id() == "tests/test_a.py::TestOuter::TestInner");
  CHECK(nested.path() == "tests/test_a.py");
  // Parameters may hold "::", '[' and '/': the name ends at the first '[' after the path.
  auto param = item_with_id("tests/test_a.py::TestX::test_c[a::b/c-[1]]");
  CHECK(param.label() == "test_c[a::b/c-[1]]");
  CHECK(param.parent_id() == "tests/test_a.py::TestX::test_c");
  CHECK(param.path() == "tests/test_a.py");
}

TEST_CASE("an item keeps a label, parent or path that its id does not say, and equality compares them") {
  auto derived = item_with_id("test_a.py::test_b");
  auto set = item_with_id("test_a.py::test_b");
  set.set_label("test_b");
  set.set_parent_id("test_a.py");
  set.set_path("test_a.py");
  CHECK(set == derived);  // values the id says are not stored
  // A plugin's ids: the parent is not the id's prefix, the file is another.
  auto odd = item_with_id("spec.yaml::case one");
  odd.set_parent_id("spec.yaml::suite");
  odd.set_path("specs/spec.yaml");
  CHECK(odd.parent_id() == "spec.yaml::suite");
  CHECK(odd.path() == "specs/spec.yaml");
  CHECK(odd.label() == "case one");
  auto copy = odd;
  CHECK(copy == odd);
  copy.set_path("spec.yaml");  // back to what the id says: the copy changes, not the original
  CHECK(copy.path() == "spec.yaml");
  CHECK(odd.path() == "specs/spec.yaml");
  CHECK_FALSE(copy == odd);
}

TEST_CASE("an item stays small: a 100,000-test tree is held whole by discover and the server") {
  // id, kind and flags, two ranges, marks, dynamic_reason's handle, the overrides' handle
  // (64-bit libstdc++).
  CHECK(sizeof(fastest::TestItem) <= 120);
}
