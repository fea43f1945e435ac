#include <catch2/catch.hpp>

#include <cctype>
#include <cstring>

#include <algorithm>

#include "server/discovery/document.h"

using fastest::Document;
using fastest::find_rename_edit;
using fastest::identifier_occurs_outside;

namespace {

// A fresh discovery of the document's text (recovering, as the Document does) gives its items,
// the stale ones aside: those are its memory of the last version that parsed.
void require_fresh(const Document& doc) {
  auto parser = fastest::make_python_parser();
  auto tree = fastest::parse_python(parser.get(), doc.text());
  auto fresh = fastest::discover_module_recovering(parser.get(), tree.get(), doc.text(), "test_m.py", {});
  std::vector<fastest::TestItem> current;
  for (const auto& item : doc.items())
    if (!item.stale) current.push_back(item);
  REQUIRE(current == fresh.items);
  REQUIRE(doc.diagnostics() == fresh.diagnostics);
  if (doc.diagnostics().empty()) REQUIRE(current.size() == doc.items().size());
}

}  // namespace

TEST_CASE("an edit re-parses incrementally and reports added, changed and removed ids") {
  std::string text = "def test_a(): pass\n\ndef test_b(): pass\n";
  Document doc("test_m.py", text, {});
  REQUIRE(doc.items().size() == 3);

  // Rename test_b -> test_c: one removed, one added.
  auto pos = static_cast<uint32_t>(text.find("test_b"));
  auto delta = doc.apply_edit(pos, pos + 6, "test_c");
  CHECK(delta.added == std::vector<std::string>{"test_m.py::test_c"});
  CHECK(delta.removed == std::vector<std::string>{"test_m.py::test_b"});
  CHECK(doc.text() == "def test_a(): pass\n\ndef test_c(): pass\n");

  // Insert a line at the top: everything moves down, ids stay: all changed.
  delta = doc.apply_edit(0, 0, "import os\n");
  CHECK(delta.added.empty());
  CHECK(delta.removed.empty());
  CHECK(std::find(delta.changed.begin(), delta.changed.end(), "test_m.py::test_a") != delta.changed.end());

  // An edit inside a body that changes nothing about tests: no delta.
  auto body = static_cast<uint32_t>(doc.text().find("pass"));
  delta = doc.apply_edit(body, body + 4, "None");
  CHECK(delta.empty());
}

TEST_CASE("typing a new test character by character ends with the right tree") {
  Document doc("test_m.py", "", {});
  std::string typed = "def test_new():\n    assert 1\n";
  for (size_t i = 0; i < typed.size(); ++i) doc.apply_edit(static_cast<uint32_t>(i), static_cast<uint32_t>(i), typed.substr(i, 1));
  REQUIRE(doc.items().size() == 2);
  CHECK(doc.items()[1].id == "test_m.py::test_new");
  CHECK(doc.diagnostics().empty());
}

TEST_CASE("a broken edit yields diagnostics; fixing it clears them") {
  Document doc("test_m.py", "def test_a(): pass\n", {});
  auto delta = doc.apply_edit(11, 12, "");  // remove the ')'
  CHECK(delta.diagnostics_changed);
  CHECK_FALSE(doc.diagnostics().empty());
  doc.apply_edit(11, 11, ")");
  CHECK(doc.diagnostics().empty());
  CHECK(doc.items().back().id == "test_m.py::test_a");
}

TEST_CASE("offsets past the end are clamped") {
  Document doc("test_m.py", "x = 1\n", {});
  doc.apply_edit(100, 200, "\ndef test_z(): pass\n");
  CHECK(doc.items().back().id == "test_m.py::test_z");
}

TEST_CASE("incremental results always equal a fresh discovery (randomised edits)") {
  std::string text =
      "import pytest\n\nclass TestA:\n    def test_one(self):\n        x = 1\n        assert x\n\n"
      "    def test_two(self):\n        assert True\n\n@pytest.mark.parametrize('v', [1, 2])\n"
      "def test_param(v):\n    assert v\n\ndef helper():\n    return 3\n\ndef test_last():\n    pass\n";
  Document doc("test_m.py", text, {});
  const std::vector<std::string> pieces{"x", "\n", "\n    ", "    ", "(", ")", "def test_new(): pass\n", ":", "", "#"};
  uint32_t seed = 12345;
  auto next = [&seed] { seed = seed * 1103515245u + 12345u; return (seed >> 16) & 0x7fff; };
  for (int i = 0; i < 400; ++i) {
    const std::string& current = doc.text();
    uint32_t start = current.empty() ? 0 : next() % current.size();
    uint32_t len = (next() % 4 == 0 && start < current.size()) ? 1 : 0;
    doc.apply_edit(start, start + len, pieces[next() % pieces.size()]);
    require_fresh(doc);
  }
}

TEST_CASE("edits in function bodies, checked on their own, keep items equal to a fresh discovery") {
  // Keystrokes an editor really sends inside tests: typing, Enter with indentation, joining
  // lines, dedenting, and the ones that must fall back (open strings and brackets, new defs).
  std::string text = "import pytest\n\n";
  for (int c = 0; c < 6; ++c) {
    text += "class TestGroup" + std::to_string(c) + ":\n";
    for (int m = 0; m < 3; ++m)
      text += "    def test_m" + std::to_string(m) + "(self):\n        value = " + std::to_string(m) +
              "\n        if value:\n            assert value == " + std::to_string(m) + "\n\n";
    text += "@pytest.mark.parametrize('x', [1, 2])\ndef test_p" + std::to_string(c) + "(x):\n    assert x\n\n";
  }
  Document doc("test_m.py", text, {});
  const std::vector<std::string> pieces{"x", "\n", "\n        ", "\n    ", "    ", "(", ")", "'", "\"\"\"", "\\",
                                        ":", "#", "def test_new(): pass", "\n    def test_new(self):\n        pass\n"};
  uint32_t seed = 777;
  auto next = [&seed] { seed = seed * 1103515245u + 12345u; return (seed >> 16) & 0x7fff; };
  for (int i = 0; i < 600; ++i) {
    const std::string& current = doc.text();
    // Mostly near line ends and inside indented lines, where the body fast path applies.
    uint32_t start = next() % static_cast<uint32_t>(current.size());
    if (next() % 2 == 0) {
      size_t eol = current.find('\n', start);
      if (eol != std::string::npos) start = static_cast<uint32_t>(eol);
    }
    uint32_t len = next() % 3 == 0 && start < current.size() ? 1 : 0;
    doc.apply_edit(start, start + len, len && next() % 2 ? "" : pieces[next() % pieces.size()]);
    require_fresh(doc);
  }
}

TEST_CASE("renaming defs and classes keeps items equal to a fresh discovery") {
  // Names that other statements depend on (bases, aliases, fixtures, duplicates, hooks) mixed
  // with independent ones: a rename recomputes one statement only when nothing else can see it.
  std::string text =
      "import pytest\nimport unittest\n\npytestmark = pytest.mark.slow\n\n"
      "@pytest.fixture(params=[1, 2])\ndef number(request):\n    return request.param\n\n"
      "@pytest.fixture(autouse=True)\ndef tidy():\n    yield\n\n"
      "class TestBase:\n    def test_shared(self):\n        pass\n\n    class TestInner:\n        def test_deep(self):\n            pass\n\n"
      "class TestChild(TestBase):\n    def test_own(self, number):\n        pass\n\n"
      "class TestCase1(unittest.TestCase):\n    def test_u(self):\n        pass\n    def helper(self):\n        pass\n\n"
      "@pytest.mark.parametrize('x', [1, 'a', None])\ndef test_param(x):\n    pass\n\n"
      "def test_alias_source():\n    pass\n\ntest_alias = test_alias_source\n\n"
      "def test_dup():\n    pass\n\ndef test_dup2():\n    pass\n\n"
      "def helper_function():\n    pass\n\nclass Helper:\n    def test_not_collected(self):\n        pass\n\n"
      "class TestTail:\n    @pytest.mark.parametrize('y', [3, 4])\n    def test_y(self, y, number):\n        pass\n";
  Document doc("test_m.py", text, {});
  const std::string alphabet = "abt_s19eT";
  uint32_t seed = 4242;
  auto next = [&seed] { seed = seed * 1103515245u + 12345u; return (seed >> 16) & 0x7fff; };
  for (int i = 0; i < 800; ++i) {
    const std::string& current = doc.text();
    // A random def/class name; a character typed into it or deleted from it.
    std::vector<std::pair<uint32_t, uint32_t>> names;
    for (const char* keyword : {"def ", "class "}) {
      for (size_t at = current.find(keyword); at != std::string::npos; at = current.find(keyword, at + 1)) {
        size_t begin = at + std::strlen(keyword), end = begin;
        while (end < current.size() && (std::isalnum(static_cast<unsigned char>(current[end])) || current[end] == '_')) ++end;
        if (end > begin) names.emplace_back(static_cast<uint32_t>(begin), static_cast<uint32_t>(end));
      }
    }
    REQUIRE(!names.empty());
    auto [begin, end] = names[next() % names.size()];
    uint32_t at = begin + next() % (end - begin + 1);
    int kind = next() % 10;
    uint32_t from = at, to = at;
    std::string typed;
    if (kind < 6) typed = std::string(1, alphabet[next() % alphabet.size()]);
    else if (kind < 9 && end - begin > 1) from = std::min(at, end - 1), to = from + 1;
    else typed = next() % 2 ? " " : "(";
    const std::string removed = current.substr(from, to - from);
    doc.apply_edit(from, to, typed);
    auto check_fresh = [&doc] { require_fresh(doc); };
    check_fresh();
    if (!doc.diagnostics().empty()) {  // a name made invalid (`1x`, `a b`): undo, as a user would
      doc.apply_edit(from, from + static_cast<uint32_t>(typed.size()), removed);
      check_fresh();
    }
  }
}

TEST_CASE("find_rename_edit: only a name nothing else in the file mentions") {
  std::string text = "class TestA:\n    def test_x(self):\n        pass\n\nclass TestB(TestA):\n    pass\n\n"
                     "def test_free():\n    pass\n\ndef test_used():\n    pass\n\nalias = test_used\n\n"
                     "class TestC:\n    def test_m(self):\n        pass\n\nclass TestD:\n    def test_m(self):\n        pass\n";
  auto parser = fastest::make_python_parser();
  auto tree = fastest::parse_python(parser.get(), text);
  auto at = [&](const std::string& needle) { return static_cast<uint32_t>(text.find(needle) + needle.size()); };
  // TestA is a base of TestB: renaming its method changes TestB's items.
  CHECK_FALSE(find_rename_edit(tree.get(), text, at("def test_x"), at("def test_x"), "y"));
  // A method of a class nobody names: a same-named method elsewhere is another binding.
  auto method = find_rename_edit(tree.get(), text, at("def test_m"), at("def test_m"), "x");
  REQUIRE(method);
  CHECK(method->entry_before == "TestC");
  CHECK(method->entry_after == "TestC");
  auto free = find_rename_edit(tree.get(), text, at("def test_free"), at("def test_free"), "r");
  REQUIRE(free);
  CHECK(free->entry_before == "test_free");
  CHECK(free->entry_after == "test_freer");
  CHECK_FALSE(find_rename_edit(tree.get(), text, at("def test_used"), at("def test_used"), "x"));  // aliased
  CHECK_FALSE(find_rename_edit(tree.get(), text, at("def test_free"), at("def test_free"), "("));  // not a name
  // Renaming to a name already bound elsewhere (a duplicate) is refused.
  CHECK_FALSE(find_rename_edit(tree.get(), text, at("def test_"), at("def test_free"), "used"));
  CHECK(identifier_occurs_outside(text, "TestA", 0, 5));
  CHECK_FALSE(identifier_occurs_outside(text, "Test", 0, 0));
}

TEST_CASE("with --doctest-modules, an open file's doctests follow edits in docstrings") {
  // Docstrings live in function bodies: a body edit can add or remove a doctest item.
  std::string text = "def helper():\n    \"\"\"Adds.\"\"\"\n    return 1\n\n\ndef test_a():\n    assert helper()\n";
  fastest::FileCollectors collectors;
  collectors.python_module = true;
  collectors.doctest_module = true;
  collectors.import_name = "test_m";
  Document doc("test_m.py", text, {}, collectors);
  auto ids = [&doc] {
    std::vector<std::string> out;
    for (const auto& item : doc.items()) out.push_back(item.id);
    return out;
  };
  CHECK(ids() == std::vector<std::string>{"test_m.py", "test_m.py::test_a"});
  // Type an example into helper's docstring, after "Adds.".
  uint32_t at = static_cast<uint32_t>(doc.text().find("Adds.") + 5);
  fastest::ItemDelta delta = doc.apply_edit(at, at, "\n\n    >>> helper()\n    1\n    ");
  CHECK(delta.added == std::vector<std::string>{"test_m.py::test_m.helper"});
  // pytest's order: the Module, its doctests, then the python items.
  CHECK(ids() == std::vector<std::string>{"test_m.py", "test_m.py::test_m.helper", "test_m.py::test_a"});
  // Deleting the prompt removes it again.
  at = static_cast<uint32_t>(doc.text().find(">>> "));
  delta = doc.apply_edit(at, at + 4, "");
  CHECK(delta.removed == std::vector<std::string>{"test_m.py::test_m.helper"});
  // A file that is only a DoctestModule (not matching python_files) lists no python tests.
  collectors.python_module = false;
  Document plain("pkg/util.py", "def test_like():\n    \"\"\">>> 1\n    1\n    \"\"\"\n", {}, collectors);
  REQUIRE(plain.items().size() == 2);
  CHECK(plain.items()[0].id == "pkg/util.py");
  CHECK(plain.items()[1].id == "pkg/util.py::test_m.test_like");
}

TEST_CASE("a broken test keeps the tests after it, and a damaged def line keeps its last good item, stale") {
  const std::string text = "def test_a():\n    x = 1\n\ndef test_b():\n    pass\n\ndef test_c():\n    pass\n";
  Document doc("test_m.py", text, {});
  auto ids = [&doc] {
    std::vector<std::pair<std::string, bool>> out;
    for (const auto& item : doc.items()) out.emplace_back(item.id, item.stale);
    return out;
  };
  using Ids = std::vector<std::pair<std::string, bool>>;
  const Ids all_fresh{{"test_m.py", false}, {"test_m.py::test_a", false}, {"test_m.py::test_b", false}, {"test_m.py::test_c", false}};
  // `foo(` typed at the top of test_a's body, one key at a time: every test stays, read afresh.
  uint32_t at = static_cast<uint32_t>(text.find("    x = 1"));
  for (char c : std::string("    foo(\n")) {
    doc.apply_edit(at, at, std::string(1, c));
    ++at;
    CHECK(ids() == all_fresh);
  }
  CHECK_FALSE(doc.diagnostics().empty());
  CHECK(doc.items()[3].range.start.line == 7);  // test_c moved down with the new line
  // Closing the bracket: the file parses again.
  doc.apply_edit(at - 1, at - 1, ")");
  CHECK(doc.diagnostics().empty());
  CHECK(ids() == all_fresh);

  // test_b's def line damaged: its last good item stays, stale, in its place, and moves with edits.
  const uint32_t paren = static_cast<uint32_t>(doc.text().find("test_b(") + 7);
  auto changed = [](const fastest::ItemDelta& delta, const std::string& id) {
    return std::find(delta.changed.begin(), delta.changed.end(), id) != delta.changed.end();
  };
  auto delta = doc.apply_edit(paren, paren, ":");
  CHECK(changed(delta, "test_m.py::test_b"));
  CHECK(delta.removed.empty());
  CHECK(ids() == Ids{{"test_m.py", false}, {"test_m.py::test_a", false}, {"test_m.py::test_b", true}, {"test_m.py::test_c", false}});
  doc.apply_edit(0, 0, "\n");
  CHECK(doc.items()[2].range.start.line == 5);
  CHECK(doc.items()[2].name_range.start == fastest::Point{5, 4});
  // Repaired: fresh again.
  delta = doc.apply_edit(paren + 1, paren + 2, "");
  CHECK(doc.diagnostics().empty());
  CHECK(ids() == all_fresh);
  CHECK(changed(delta, "test_m.py::test_b"));
  CHECK(delta.added.empty());
}

TEST_CASE("keep_stale_items: lost items follow their predecessor; cases of a function read afresh are not kept") {
  auto item = [](std::string id, std::string parent, fastest::ItemKind kind) {
    fastest::TestItem t;
    t.id = std::move(id);
    t.set_parent_id(parent);
    t.kind = kind;
    return t;
  };
  using fastest::ItemKind;
  std::vector<fastest::TestItem> last_good{
      item("m.py", "", ItemKind::Module), item("m.py::TestX", "m.py", ItemKind::Class),
      item("m.py::TestX::test_a", "m.py::TestX", ItemKind::Function), item("m.py::TestX::test_b", "m.py::TestX", ItemKind::Function),
      item("m.py::test_p", "m.py", ItemKind::Function), item("m.py::test_p[1]", "m.py::test_p", ItemKind::Case),
      item("m.py::test_q", "m.py", ItemKind::Function), item("m.py::test_q[1]", "m.py::test_q", ItemKind::Case)};
  std::vector<fastest::TestItem> items{item("m.py", "", ItemKind::Module), item("m.py::TestX", "m.py", ItemKind::Class),
                                       item("m.py::TestX::test_b", "m.py::TestX", ItemKind::Function),
                                       item("m.py::test_p", "m.py", ItemKind::Function)};
  fastest::keep_stale_items(items, last_good);
  std::vector<std::pair<std::string, bool>> got;
  for (const auto& i : items) got.emplace_back(i.id, i.stale);
  CHECK(got == std::vector<std::pair<std::string, bool>>{{"m.py", false}, {"m.py::TestX", false}, {"m.py::TestX::test_a", true},
                                                         {"m.py::TestX::test_b", false}, {"m.py::test_p", false},
                                                         {"m.py::test_q", true}, {"m.py::test_q[1]", true}});
}

TEST_CASE("an edit that removes the start of a stale item leaves every range a range (start <= end)") {
  // Found by fuzz_document in CI: positions inside the replaced text stayed put while the
  // positions after it moved up, so a stale item could end before it started.
  const std::string text =
      "def test_a():\n    pass\n\ndef test_b():\n    x = 1\n    y = 2\n    z = 3\n\ndef test_c():\n    pass\n";
  Document doc("test_m.py", text, {});
  for (const char* name : {"test_b(", "test_c("}) {  // both def lines damaged: their items are kept, stale
    const uint32_t paren = static_cast<uint32_t>(doc.text().find(name) + 7);
    doc.apply_edit(paren, paren, ":");
  }
  REQUIRE(std::any_of(doc.items().begin(), doc.items().end(), [](const auto& i) { return i.stale; }));
  // Delete from the middle of test_a's body through test_b's def line into its body.
  const uint32_t from = static_cast<uint32_t>(doc.text().find("pass"));
  const uint32_t to = static_cast<uint32_t>(doc.text().find("    y = 2"));
  doc.apply_edit(from, to, "");
  REQUIRE_FALSE(doc.diagnostics().empty());
  REQUIRE(std::any_of(doc.items().begin(), doc.items().end(), [](const auto& i) { return i.id == "test_m.py::test_b"; }));
  for (const auto& item : doc.items()) {
    INFO(item.id);
    CHECK((item.range.start.line < item.range.end.line ||
           (item.range.start.line == item.range.end.line && item.range.start.column <= item.range.end.column)));
    CHECK((item.name_range.start.line < item.name_range.end.line ||
           (item.name_range.start.line == item.name_range.end.line &&
            item.name_range.start.column <= item.name_range.end.column)));
  }
}
