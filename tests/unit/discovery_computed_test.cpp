// Tests that exist only through code static discovery does not follow (issue 12, items 1 and 3):
// such modules, classes and tests are dynamic, never silently missing.
#include <catch2/catch.hpp>

#include "tests/unit/discovery_test_util.h"

using namespace fastest;
using namespace fastest::test;

TEST_CASE("a test-like name bound to a computed value makes the module dynamic", "[computed]") {
  for (const char* source : {
           "import unittest\ndef make(n):\n    return type(n, (unittest.TestCase,), {})\nTestMade = make('TestMade')\n",
           "def _t(): pass\ntest_alias = _t\n",
           "test_l = lambda: None\n",
           "import mod\ntest_attr = mod.test_thing\n",
           "test_a, test_b = make()\n",
       }) {
    ModuleResult r = discover_snippet(source);
    INFO(source);
    CHECK(r.dynamic);
  }
}

TEST_CASE("a loop or with target named like a test makes the module dynamic", "[computed]") {
  CHECK(discover_snippet("for test_fn in make():\n    pass\n").dynamic);
  CHECK(discover_snippet("if True:\n    for i, test_fn in enumerate(fs):\n        pass\n").dynamic);
  CHECK(discover_snippet("with make() as test_ctx:\n    pass\n").dynamic);
  CHECK_FALSE(discover_snippet("for name in names:\n    pass\ndef test_a():\n    for test_x in y: pass\n").dynamic);
}

TEST_CASE("namespace writes by code make the module dynamic", "[computed]") {
  CHECK(discover_snippet("globals()['test_g'] = lambda: None\n").dynamic);
  CHECK(discover_snippet("import sys\nsetattr(sys.modules[__name__], 'test_s', f)\n").dynamic);
  CHECK(discover_snippet("def add():\n    globals().update(test_x=f)\nadd()\n").dynamic);
  CHECK_FALSE(discover_snippet("def test_a():\n    obj.setattr_x(1)\n    my_exec(2)\n").dynamic);
  CHECK(discover_snippet("import sys\nthis = sys.modules[__name__]\nthis.test_t = f\n").dynamic);
  // In a test's body it runs with the test, after collection; a helper called at import does not.
  CHECK_FALSE(discover_snippet("class TestT:\n    def test_copy(self, t):\n        setattr(t, 'a', 1)\n"
                               "        def inner():\n            exec('x = 1')\n").dynamic);
  CHECK(discover_snippet("def add(cls):\n    setattr(cls, 'test_x', lambda self: None)\n"
                         "class TestA:\n    pass\nadd(TestA)\n").dynamic);
  // unittest's suite idiom reads the module (pyasn1, many unittest-era projects).
  CHECK_FALSE(discover_snippet("import sys, unittest\ndef test_a(): pass\n"
                               "suite = unittest.TestLoader().loadTestsFromModule(sys.modules[__name__])\n").dynamic);
}

TEST_CASE("literals and non-test names bound at module level stay static", "[computed]") {
  ModuleResult r = discover_snippet("test_data = [1, 2]\ntest_name = 'x'\ntest_n = -1\nhelper = make()\n"
                                    "TestTable = {'a': 1}\ndef test_a(): pass\n");
  CHECK_FALSE(r.dynamic);
  CHECK(leaf_ids(r) == std::vector<std::string>{"test_m.py::test_a"});
}

TEST_CASE("a class body aliasing a test method is dynamic", "[computed]") {
  ModuleResult r = discover_snippet("class TestC:\n    def test_a(self): pass\n    test_b = test_a\n");
  const TestItem* cls = find_item(r, "test_m.py::TestC");
  REQUIRE(cls);
  CHECK(cls->dynamic);
  ModuleResult literal = discover_snippet("class TestC:\n    test_cases = [1]\n    def test_a(self): pass\n");
  CHECK_FALSE(find_item(literal, "test_m.py::TestC")->dynamic);
}

TEST_CASE("a star import may bring tests and fixtures", "[computed]") {
  CHECK(discover_snippet("from helpers import *\ndef test_a(): pass\n").dynamic);
  CHECK_FALSE(discover_snippet("from unittest.mock import *\ndef test_a(): pass\n").dynamic);
}

TEST_CASE("a test requesting an imported fixture is dynamic", "[computed]") {
  ModuleResult r = discover_snippet("from fixtures_mod import ctx\ndef test_uses(ctx): pass\ndef test_plain(): pass\n");
  const TestItem* uses = find_item(r, "test_m.py::test_uses");
  REQUIRE(uses);
  CHECK(uses->dynamic);
  CHECK(uses->dynamic_reason.find("fixtures_mod.ctx") != std::string::npos);
  CHECK_FALSE(find_item(r, "test_m.py::test_plain")->dynamic);

  // Through a local fixture requesting it.
  ModuleResult through = discover_snippet(
      "import pytest\nfrom fixtures_mod import ctx\n@pytest.fixture\ndef wrapped(ctx): return ctx\n"
      "def test_w(wrapped): pass\n");
  CHECK(find_item(through, "test_m.py::test_w")->dynamic);

  // A local definition after the import wins.
  ModuleResult local = discover_snippet(
      "import pytest\nfrom fixtures_mod import ctx\n@pytest.fixture\ndef ctx(): return 1\ndef test_l(ctx): pass\n");
  CHECK_FALSE(find_item(local, "test_m.py::test_l")->dynamic);
}
