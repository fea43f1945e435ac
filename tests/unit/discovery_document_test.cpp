#include <catch2/catch.hpp>

#include <algorithm>

#include "server/discovery/document.h"

using fastest::Document;

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
    auto parser = fastest::make_python_parser();
    auto tree = fastest::parse_python(parser.get(), doc.text());
    auto fresh = fastest::discover_module(tree.get(), doc.text(), "test_m.py", {});
    REQUIRE(doc.items() == fresh.items);
    REQUIRE(doc.diagnostics() == fresh.diagnostics);
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
    auto parser = fastest::make_python_parser();
    auto tree = fastest::parse_python(parser.get(), doc.text());
    auto fresh = fastest::discover_module(tree.get(), doc.text(), "test_m.py", {});
    REQUIRE(doc.items() == fresh.items);
    REQUIRE(doc.diagnostics() == fresh.diagnostics);
  }
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
