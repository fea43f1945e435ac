// DocTestFinder/DocTestParser rules. Expected ids were printed by pytest 9.2.0 on CPython 3.11
// (`pytest --collect-only -q --doctest-modules`) for the same sources unless a test says otherwise.
#include <catch2/catch.hpp>

#include "server/discovery/doctest_discovery.h"
#include "server/discovery/doctest_parser.h"
#include "server/discovery/syntax_tree.h"

using namespace fastest;
using Ids = std::vector<std::string>;

namespace {

DoctestResult doctests_of(const std::string& source, const std::string& import_name = "pkg.mod") {
  auto parser = make_python_parser();
  auto tree = parse_python(parser.get(), source);
  return discover_doctests(tree.get(), source, "pkg/mod.py", import_name);
}

Ids ids(const DoctestResult& result) {
  Ids out;
  for (const TestItem& item : result.items) out.push_back(item.id);
  return out;
}

const char* kExample = "    \"\"\"\n    >>> 1\n    1\n    \"\"\"\n";

}  // namespace

TEST_CASE("doctest parser: examples, blank and comment-only prompts") {
  CHECK(scan_doctest("Text.\n\n>>> 1 + 1\n2\n").has_examples);
  CHECK(scan_doctest("    >>> x = 1\n").has_examples);
  CHECK_FALSE(scan_doctest("no examples here").has_examples);
  CHECK_FALSE(scan_doctest(">>> # only a comment\n>>>\n").has_examples);
  CHECK(scan_doctest("\t>>> 1\n\t1\n").has_examples);  // tabs expand to spaces first
}

TEST_CASE("doctest parser: what makes DocTestParser raise ValueError") {
  CHECK_FALSE(scan_doctest(">>>1\n1\n").error.empty());               // no blank after the prompt
  CHECK_FALSE(scan_doctest("    >>> 1\n   1\n").error.empty());        // want less indented
  CHECK_FALSE(scan_doctest(">>> f(\n  ... 1)\n").error.empty());       // PS2 not aligned
  CHECK_FALSE(scan_doctest(">>> 1  # doctest: +NOPE\n1\n").error.empty());
  CHECK(scan_doctest(">>> 1  # doctest: +ELLIPSIS, +NUMBER\n1\n").error.empty());
  CHECK_FALSE(scan_doctest(">>> # doctest: +SKIP\n").error.empty());  // a directive without an example
}

TEST_CASE("module docstring, functions, classes, methods, nested classes: sorted by name") {
  const char* src = R"PY("""
>>> 1
1
"""
def zeta():
    """
    >>> zeta()
    """
def no_doc(): pass
def empty():
    """Text only."""
class Klass:
    """
    >>> Klass()  # doctest: +ELLIPSIS
    <...>
    """
    def method(self):
        """
        >>> 1
        1
        """
    @staticmethod
    def smeth():
        """
        >>> 1
        """
    @classmethod
    def cmeth(cls):
        """
        >>> 1
        """
    @property
    def prop(self):
        """
        >>> 1
        """
    class Inner:
        def deep(self):
            """
            >>> 1
            """
    def __init__(self):
        """
        >>> 3
        """
    def _private(self):
        """
        >>> 4
        """
class NoDoc:
    class Inner2:
        """
        >>> 1
        """
def alpha():
    """
    >>> 5
    """
)PY";
  DoctestResult r = doctests_of(src);
  CHECK_FALSE(r.dynamic);
  CHECK(ids(r) == Ids{"pkg/mod.py::pkg.mod", "pkg/mod.py::pkg.mod.Klass", "pkg/mod.py::pkg.mod.Klass.Inner.deep",
                      "pkg/mod.py::pkg.mod.Klass.__init__", "pkg/mod.py::pkg.mod.Klass._private",
                      "pkg/mod.py::pkg.mod.Klass.cmeth", "pkg/mod.py::pkg.mod.Klass.method",
                      "pkg/mod.py::pkg.mod.Klass.prop", "pkg/mod.py::pkg.mod.Klass.smeth",
                      "pkg/mod.py::pkg.mod.NoDoc.Inner2", "pkg/mod.py::pkg.mod.alpha", "pkg/mod.py::pkg.mod.zeta"});
  REQUIRE_FALSE(r.items.empty());
  CHECK(r.items[0].label() == "pkg.mod");
  CHECK(r.items[0].parent_id() == "pkg/mod.py");
  CHECK(r.items[0].kind == ItemKind::Function);
}

TEST_CASE("imported objects, f-strings, bytes and a plain alias are not collected twice or at all") {
  std::string src = std::string("from os.path import join\nimport functools\n") + "def later():\n" + kExample +
                    "first_alias = later\n" + "def fstr():\n    f\"\"\"\n    >>> 1\n    1\n    \"\"\"\n" +
                    "def concat():\n    \"a\\n\" \">>> 1\\n\" \"1\\n\"\n" +
                    "@functools.lru_cache\ndef cached():\n" + kExample;
  DoctestResult r = doctests_of(src, "mod");
  CHECK_FALSE(r.dynamic);
  CHECK(ids(r) == Ids{"pkg/mod.py::mod.cached", "pkg/mod.py::mod.concat", "pkg/mod.py::mod.later"});
}

TEST_CASE("__test__: strings and functions of the module; a function already met is not repeated") {
  std::string src = std::string("def alpha():\n") + kExample +
                    "__test__ = {\"extra\": \"\"\"\n>>> 6\n6\n\"\"\", \"fn\": alpha, \"a_first\": \"no examples\"}\n";
  DoctestResult r = doctests_of(src);
  CHECK_FALSE(r.dynamic);
  CHECK(ids(r) == Ids{"pkg/mod.py::pkg.mod.__test__.extra", "pkg/mod.py::pkg.mod.alpha"});
}

TEST_CASE("what only the import can tell is flagged dynamic, not guessed") {
  SECTION("a conditional definition") {
    DoctestResult r = doctests_of("if True:\n    def cond():\n        \"\"\"\n        >>> 1\n        \"\"\"\n");
    CHECK(r.dynamic);
    CHECK(r.items.empty());
  }
  SECTION("an unknown decorator: the item is kept but dynamic") {
    DoctestResult r = doctests_of(std::string("@wrapping\ndef wrapped():\n") + kExample);
    CHECK(r.dynamic);
    REQUIRE(r.items.size() == 1);
    CHECK(r.items[0].dynamic);
    CHECK(r.items[0].dynamic_reason.find("wrapping") != std::string::npos);
  }
  SECTION("a docstring assigned at run time") {
    CHECK(doctests_of("f = lambda: None\nf.__doc__ = '>>> 1\\n1\\n'\n").dynamic);
  }
  SECTION("__test__ built at run time or not a dict") {
    CHECK(doctests_of("__test__ = make_tests()\n").dynamic);
    CHECK(doctests_of("__test__ = False\ndef test_a(): pass\n").dynamic);
    CHECK(doctests_of("__test__ = {}\n__test__['x'] = '>>> 1'\n").dynamic);
  }
  SECTION("an alias met before its target") {
    // pytest: `mod.x` (x comes first in __dict__), not `mod.b`.
    CHECK(doctests_of(std::string("x = None\ndef b():\n") + kExample + "x = b\n").dynamic);
  }
  SECTION("a malformed example: pytest reports an error for the module") {
    CHECK(doctests_of("def f():\n    \"\"\"\n    >>>1\n    \"\"\"\n").dynamic);
  }
  SECTION("a function built by a factory of this module") {
    CHECK(doctests_of("def make():\n    def inner():\n        \"\"\"\n        >>> 1\n        \"\"\"\n    return inner\nmade = make()\n").dynamic);
  }
}

TEST_CASE("a module that does not parse has no doctest items (pytest reports an import error)") {
  CHECK(doctests_of(std::string("def f(:\n") + kExample).items.empty());
}

TEST_CASE("property setters keep the getter's docstring") {
  std::string src = "class K:\n    @property\n    def p(self):\n        \"\"\"\n        >>> 1\n        \"\"\"\n"
                    "    @p.setter\n    def p(self, v): pass\n";
  DoctestResult r = doctests_of(src);
  CHECK_FALSE(r.dynamic);
  CHECK(ids(r) == Ids{"pkg/mod.py::pkg.mod.K.p"});
}

TEST_CASE("text files: one item named after the file, only with examples") {
  DoctestResult r = discover_doctest_text(">>> 1\n1\n", "docs/test_x.txt");
  CHECK(ids(r) == Ids{"docs/test_x.txt::test_x.txt"});
  CHECK(discover_doctest_text("prose only\n", "test_y.txt").items.empty());
  CHECK(discover_doctest_text(">>>1\n", "test_z.txt").dynamic);
}

TEST_CASE("setup.py is skipped only when it mentions setuptools or distutils") {
  CHECK(is_setuptools_script("from setuptools import setup\nsetup()\n"));
  CHECK_FALSE(is_setuptools_script("def f(): pass\n"));
}
