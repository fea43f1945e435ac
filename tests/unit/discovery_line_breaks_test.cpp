// Lone CRs are line breaks to Python: discovery parses them as LFs, byte for byte.
#include <catch2/catch.hpp>

#include "server/discovery/line_breaks.h"
#include "tests/unit/discovery_test_util.h"

using namespace fastest;

TEST_CASE("a lone CR becomes a LF; CRLF and the length stay") {
  CHECK_FALSE(has_lone_cr("a\nb\r\nc"));
  CHECK(has_lone_cr("a\rb"));
  CHECK(has_lone_cr("a\r"));
  CHECK(lone_cr_as_lf("a\rb\r\nc\r") == "a\nb\r\nc\n");
  CHECK(lone_cr_as_lf("\r\r\n").size() == 3);
}

TEST_CASE("a CR-only module has every test, on Python's lines") {
  const std::string cr_only = "def test_a():\r    pass\r\rdef test_b():\r    pass\r";
  auto parser = make_python_parser();
  CHECK(ts_node_has_error(ts_tree_root_node(parse_python(parser.get(), cr_only).get())));  // one broken line
  CHECK_FALSE(ts_node_has_error(ts_tree_root_node(parse_python(parser.get(), lone_cr_as_lf(cr_only)).get())));
  ModuleResult result = test::discover_snippet(lone_cr_as_lf(cr_only));
  CHECK(test::leaf_ids(result) == std::vector<std::string>{"test_m.py::test_a", "test_m.py::test_b"});
  for (const TestItem& item : result.items)
    if (item.id == "test_m.py::test_b") CHECK(item.range.start.line == 3);
}
