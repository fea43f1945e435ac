// Per-rule tests of module discovery. Expected ids were printed by pytest 9.2.0
// (`pytest --collect-only -q`) on the same sources unless a test says otherwise.
#include <catch2/catch.hpp>

#include "tests/unit/discovery_test_util.h"

using fastest::test::discover_snippet;
using fastest::test::find_item;
using fastest::test::ids_of;
using Ids = std::vector<std::string>;

TEST_CASE("module functions follow __dict__ order: first binding position, last definition") {
  CHECK(ids_of("def test_b(): pass\ndef test_a(): pass\ndef helper(): pass\ndef test_b(): pass\n") ==
        Ids{"test_m.py::test_b", "test_m.py::test_a"});
}

TEST_CASE("async and decorated functions are tests; fixtures and non-matching names are not") {
  CHECK(ids_of("import pytest\nasync def test_a(): pass\n@some.decorator\ndef test_b(): pass\n"
               "@pytest.fixture\ndef test_fixture(): pass\ndef check_c(): pass\n") ==
        Ids{"test_m.py::test_a", "test_m.py::test_b"});
}

TEST_CASE("classes: prefix match, no __init__, __test__ = False, nested classes") {
  const char* src =
      "class TestA:\n    def test_x(self): pass\n    class TestInner:\n        def test_y(self): pass\n"
      "class TestInit:\n    def __init__(self): pass\n    def test_no(self): pass\n"
      "class TestOff:\n    __test__ = False\n    def test_no(self): pass\n"
      "class Other:\n    def test_no(self): pass\n";
  CHECK(ids_of(src) == Ids{"test_m.py::TestA::test_x", "test_m.py::TestA::TestInner::test_y"});
}

TEST_CASE("inherited methods come first (reverse MRO); overrides keep the subclass position") {
  const char* src =
      "class Base:\n    def test_base(self): pass\n    def test_over(self): pass\n"
      "class TestChild(Base):\n    def test_own(self): pass\n    def test_over(self): pass\n";
  CHECK(ids_of(src) == Ids{"test_m.py::TestChild::test_base", "test_m.py::TestChild::test_own",
                           "test_m.py::TestChild::test_over"});
}

TEST_CASE("diamond inheritance uses C3 order") {
  const char* src =
      "class A:\n    def test_a(self): pass\nclass B(A):\n    def test_b(self): pass\n"
      "class C(A):\n    def test_c(self): pass\nclass TestD(B, C):\n    def test_d(self): pass\n";
  CHECK(ids_of(src) == Ids{"test_m.py::TestD::test_a", "test_m.py::TestD::test_c", "test_m.py::TestD::test_b",
                           "test_m.py::TestD::test_d"});
}

TEST_CASE("unittest.TestCase subclasses: any name, methods sorted, inherited through module classes") {
  const char* src =
      "import unittest\nclass MyCase(unittest.TestCase):\n    def test_z(self): pass\n    def test_a(self): pass\n"
      "    def helper(self): pass\nclass Sub(MyCase):\n    def test_m(self): pass\n";
  CHECK(ids_of(src) == Ids{"test_m.py::MyCase::test_a", "test_m.py::MyCase::test_z", "test_m.py::Sub::test_a",
                           "test_m.py::Sub::test_m", "test_m.py::Sub::test_z"});
}

TEST_CASE("a class with an imported base is flagged dynamic but keeps its own tests") {
  auto r = discover_snippet("from helpers import Base\nclass TestX(Base):\n    def test_own(self): pass\n");
  const auto* cls = find_item(r, "test_m.py::TestX");
  REQUIRE(cls);
  CHECK(cls->dynamic);
  CHECK(find_item(r, "test_m.py::TestX::test_own"));
}

TEST_CASE("imported test functions make the module dynamic") {
  auto r = discover_snippet("from other.helpers import test_shared\ndef test_local(): pass\n");
  CHECK(r.dynamic);
  CHECK(fastest::test::leaf_ids(r) == Ids{"test_m.py::test_local"});
}

TEST_CASE("custom python_functions and python_classes globs") {
  fastest::CollectRules rules;
  rules.python_functions = {"check_", "*_should_*"};
  rules.python_classes = {"Suite*"};
  CHECK(ids_of("def check_a(): pass\ndef it_should_work(): pass\ndef test_no(): pass\n"
               "class SuiteX:\n    def check_m(self): pass\n", rules) ==
        Ids{"test_m.py::check_a", "test_m.py::it_should_work", "test_m.py::SuiteX::check_m"});
}

TEST_CASE("marks from decorators, class and module pytestmark are carried") {
  auto r = discover_snippet(
      "import pytest\npytestmark = [pytest.mark.db]\nclass TestC:\n    pytestmark = pytest.mark.slow\n"
      "    @pytest.mark.xfail(reason='x')\n    def test_m(self): pass\n");
  const auto* item = find_item(r, "test_m.py::TestC::test_m");
  REQUIRE(item);
  std::vector<std::string> names;
  for (auto& m : item->marks) names.push_back(m.name);
  CHECK(names == Ids{"xfail", "slow", "db"});
  CHECK(item->marks[0].args == "reason='x'");
}

TEST_CASE("module __test__ = False collects nothing") {
  CHECK(ids_of("__test__ = False\ndef test_a(): pass\n").empty());
}

TEST_CASE("requesting a parametrized fixture lists its cases; computed params stay dynamic") {
  CHECK(ids_of("import pytest\n@pytest.fixture(params=[1, 2])\ndef p(request): return request.param\n"
               "def test_p(p): pass\n") == Ids{"test_m.py::test_p[1]", "test_m.py::test_p[2]"});
  auto r = discover_snippet("import pytest\n@pytest.fixture(params=make())\ndef p(request): return request.param\n"
                            "def test_p(p): pass\n");
  const auto* item = find_item(r, "test_m.py::test_p");
  REQUIRE(item);
  CHECK(item->dynamic);
  CHECK(item->dynamic_reason.find("`p`") != std::string::npos);
}

TEST_CASE("a conftest fixture reaching a parametrized one through a request is followed") {
  fastest::CollectRules rules;
  rules.conftest_fixtures = {{fastest::FixtureDecl{"wrapped", false, false, {"base"}}},
                             {fastest::FixtureDecl{"base", true, false, {}}}};
  auto r = discover_snippet("def test_w(wrapped): pass\ndef test_other(other): pass\n", rules);
  CHECK(find_item(r, "test_m.py::test_w")->dynamic);
  CHECK_FALSE(find_item(r, "test_m.py::test_other")->dynamic);
}

TEST_CASE("an overriding fixture without params hides the parametrized one it overrides") {
  fastest::CollectRules rules;
  rules.conftest_fixtures = {{fastest::FixtureDecl{"value", true, false, {}}}};
  auto plain = discover_snippet("import pytest\n@pytest.fixture\ndef value(): return 1\ndef test_v(value): pass\n", rules);
  CHECK_FALSE(find_item(plain, "test_m.py::test_v")->dynamic);
  // Requesting its own name reaches the overridden, parametrized definition.
  auto chained = discover_snippet("import pytest\n@pytest.fixture\ndef value(value): return value\ndef test_v(value): pass\n", rules);
  CHECK(find_item(chained, "test_m.py::test_v")->dynamic);
}

TEST_CASE("ranges: def range includes decorators, name range is the identifier") {
  auto r = discover_snippet("import pytest\n\n@pytest.mark.slow\ndef test_a():\n    pass\n");
  const auto* item = find_item(r, "test_m.py::test_a");
  REQUIRE(item);
  CHECK(item->range.start.line == 2);
  CHECK(item->name_range.start.line == 3);
  CHECK(item->name_range.start.column == 4);
  CHECK(item->name_range.end.column == 10);
}

TEST_CASE("syntax errors: diagnostics, intact tests still found, never a crash") {
  auto r = discover_snippet("def test_ok(): pass\n\ndef test_bad(:\n    pass\n\ndef test_after(): pass\n");
  CHECK(r.has_syntax_error);
  REQUIRE_FALSE(r.diagnostics.empty());
  CHECK(r.diagnostics[0].message.find("syntax error") != std::string::npos);
  auto ids = fastest::test::leaf_ids(r);
  CHECK(std::find(ids.begin(), ids.end(), "test_m.py::test_ok") != ids.end());
  CHECK(std::find(ids.begin(), ids.end(), "test_m.py::test_after") != ids.end());
}

TEST_CASE("garbage input does not crash") {
  std::string garbage;
  for (int i = 0; i < 20000; ++i) garbage += static_cast<char>((i * 7919) % 256);
  auto r = discover_snippet(garbage);
  CHECK(r.items.size() >= 1);
  std::string deep(5000, '(');
  discover_snippet("x = " + deep);
  discover_snippet("");
  SUCCEED();
}

TEST_CASE("module-level importorskip, skip and fail make the module dynamic: its import decides") {
  // pytest 9.2.0 lists no item of such a module when the import fails or the skip runs.
  for (const char* src : {
           "import pytest\npytest.importorskip('missing')\ndef test_a(): pass\n",
           "import pytest\nnp = pytest.importorskip('numpy', minversion='9')\ndef test_a(): pass\n",
           "import pytest as pt\nif True:\n    pt.importorskip('missing')\ndef test_a(): pass\n",
           "from pytest import importorskip\ntry:\n    importorskip('missing')\nexcept ImportError:\n    pass\n"
           "def test_a(): pass\n",
           "from pytest import skip as sk\nimport sys\nif sys.platform == 'x':\n"
           "    sk('not here', allow_module_level=True)\ndef test_a(): pass\n",
           "import pytest\nclass TestA:\n    pytest.skip('x', allow_module_level=True)\n    def test_a(self): pass\n",
       }) {
    auto result = discover_snippet(src);
    INFO(src);
    CHECK(result.dynamic);
    CHECK(result.items.front().dynamic);
    CHECK(result.dynamic_reason.find("at module level") != std::string::npos);
  }
}

TEST_CASE("a raise or assert run at import makes the module dynamic: pytest reports its error or skip") {
  for (const char* src : {
           "raise RuntimeError('boom')\ndef test_a(): pass\n",
           "import unittest\nraise unittest.SkipTest('x')\ndef test_a(): pass\n",
           "class TestA:\n    raise ValueError\n    def test_a(self): pass\n",
           "with open(__file__):\n    raise RuntimeError('x')\ndef test_a(): pass\n",
           "assert False\ndef test_a(): pass\n",
       }) {
    auto result = discover_snippet(src);
    INFO(src);
    CHECK(result.dynamic);
    CHECK(result.items.front().import_may_fail);
    CHECK(result.dynamic_reason.find("at module level") != std::string::npos);
  }
}

TEST_CASE("a raise that does not run at import leaves the module static") {
  for (const char* src : {
           "def test_a(): pass\nif __name__ == '__main__':\n    raise SystemExit(1)\n",
           "def test_a(): pass\nif \"__main__\" == __name__:\n    raise SystemExit(1)\n",
           "def helper():\n    raise ValueError\ndef test_a(): pass\n",
           "class TestA:\n    def test_a(self):\n        assert False\n",
           "fail = lambda: (_ for _ in ()).throw(ValueError)\ndef test_a(): pass\n",
           "CASES = [1, 2]\nassert len(set(CASES)) == len(CASES)\ndef test_a(): pass\n",
           "try:\n    import json\nexcept ImportError:\n    raise\ndef test_a(): pass\n",
       }) {
    auto result = discover_snippet(src);
    INFO(src);
    CHECK_FALSE(result.dynamic);
  }
}

TEST_CASE("skips inside tests and fixtures, and skip marks, leave a module static") {
  for (const char* src : {
           "import pytest\npytestmark = pytest.mark.skip(reason='x')\ndef test_a(): pass\n",
           "import pytest\n@pytest.mark.skipif(True, reason='x')\ndef test_a(): pass\n",
           "import pytest\ndef test_a():\n    pytest.importorskip('missing')\n",
           "import pytest\n@pytest.fixture\ndef np():\n    return pytest.importorskip('numpy')\n"
           "def test_a(np): pass\n",
           "import pytest\nclass TestA:\n    def test_a(self):\n        pytest.skip('x')\n",
           "import pytest\nlater = lambda: pytest.skip('x', allow_module_level=True)\ndef test_a(): pass\n",
           "import unittest\nclass TestA(unittest.TestCase):\n    def test_a(self):\n        self.skipTest('x')\n",
       }) {
    auto result = discover_snippet(src);
    INFO(src);
    CHECK_FALSE(result.dynamic);
    CHECK(ids_of(src).size() == 1);
  }
}

TEST_CASE("strict markers: a module reaching an unregistered mark anywhere is dynamic", "[marks]") {
  const std::string source =
      "import pytest\nfrom pytest import mark\n"
      "@pytest.mark.slow\ndef test_a(): pass\n"
      "def test_b():\n    # pytest.mark.in_comment\n    s = 'mark.in_string'\n    bookmark.x = 1\n"
      "@mark.parametrize('n', [pytest.param(1, marks=mark.db)])\ndef test_c(n): pass\n";
  fastest::CollectRules rules;
  CHECK_FALSE(discover_snippet(source, rules).dynamic);  // strict markers off
  rules.registered_marks = std::vector<std::string>{"parametrize", "slow", "db"};
  CHECK_FALSE(discover_snippet(source, rules).dynamic);
  rules.registered_marks = std::vector<std::string>{"parametrize", "slow"};
  fastest::ModuleResult r = discover_snippet(source, rules);
  CHECK(r.dynamic);
  CHECK(r.dynamic_reason.find("'db'") != std::string::npos);
  CHECK(r.items.front().dynamic);
}

TEST_CASE("a misspelt parametrize mark fails the module even without strict markers", "[marks]") {
  CHECK(discover_snippet("import pytest\n@pytest.mark.parametrise('n', [1])\ndef test_a(n): pass\n").dynamic);
  CHECK_FALSE(discover_snippet("import pytest\n# parametrise\ndef test_a(): pass\n").dynamic);
}

TEST_CASE("a nested class inheriting from a class that encloses it is dynamic, not a cycle") {
  // Python raises NameError here (the outer name is bound after its body ran); before the
  // guard, collecting the nested class recursed into itself forever (found by the LSP fuzzer).
  auto items = discover_snippet("class TestLarge:\n    class TestSmall(TestLarge):\n        def test_a(self): pass\n");
  const auto* small = find_item(items, "test_m.py::TestLarge::TestSmall");
  REQUIRE(small != nullptr);
  CHECK(small->dynamic);
  CHECK(ids_of("class TestLarge:\n    class TestSmall(TestLarge):\n        def test_a(self): pass\n").empty());
}
