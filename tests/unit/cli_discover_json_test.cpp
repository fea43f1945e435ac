#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "server/cli/discover_json.h"

using namespace fastest;

namespace {
TestItem item(std::string id, ItemKind kind) {
  TestItem t;
  t.id = std::move(id);
  t.kind = kind;
  return t;
}
}  // namespace

// discover --json streams its two long arrays: the text must still be what one dump(2) of the
// whole document prints, so that re-printing the parsed text gives the same bytes.
TEST_CASE("the streamed --json document is nlohmann's dump(2) of the whole, byte for byte") {
  Collection c;
  c.config.rootdir = "/project";
  c.items.push_back(item("tests", ItemKind::Folder));
  c.items.push_back(item("tests/test_a.py", ItemKind::Module));
  TestItem case_item = item("tests/test_a.py::test_b[x\n\"y\"-\xff]", ItemKind::Case);
  case_item.marks.push_back({"parametrize", "'v', [1]"});
  case_item.dynamic = true;
  case_item.dynamic_reason = "a reason\nover two lines";
  c.items.push_back(case_item);
  c.selected = {case_item.id, "tests/test_a.py::test_c"};
  c.usage_errors = {"not found: x"};
  const std::string text = cli::discover_json(c);
  const auto parsed = nlohmann::json::parse(text);
  CHECK(parsed.dump(2) == text);
  CHECK(parsed["items"].size() == 3);
  CHECK(parsed["items"][2]["label"] == "test_b[x\n\"y\"-\xef\xbf\xbd]");  // invalid UTF-8 replaced
  CHECK(parsed["items"][2]["parentId"] == "tests/test_a.py::test_b");
  CHECK(parsed["selected"].size() == 2);
}

TEST_CASE("an empty collection's --json document has empty arrays, as one dump prints them") {
  Collection c;
  c.config.rootdir = "/project";
  const std::string text = cli::discover_json(c);
  CHECK(nlohmann::json::parse(text).dump(2) == text);
  CHECK(text.find("\"items\": []") != std::string::npos);
  CHECK(text.find("\"selected\": []") != std::string::npos);
}
