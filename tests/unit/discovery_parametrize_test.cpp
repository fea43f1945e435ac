// Parametrize ids. Expected values were printed by real pytest (version noted per case).
#include <catch2/catch.hpp>

#include "server/discovery/python_literal.h"
#include "tests/unit/discovery_test_util.h"

using fastest::test::ids_of;
using Ids = std::vector<std::string>;

namespace {
std::string with_values(const std::string& values) {
  return "import pytest\n@pytest.mark.parametrize('x', [" + values + "])\ndef test_v(x): pass\n";
}
Ids cases(std::initializer_list<const char*> ids) {
  Ids out;
  for (const char* id : ids) out.push_back(std::string("test_m.py::test_v[") + id + "]");
  return out;
}
}  // namespace

TEST_CASE("ids of literal values (pytest 9.2)") {
  CHECK(ids_of(with_values("1, -2, 0x1f, 1_000, 2.0, 1e16, 1e-5, -0.0, 2.5j")) ==
        cases({"1", "-2", "31", "1000", "2.0", "1e+16", "1e-05", "-0.0", "2.5j"}));
  CHECK(ids_of(with_values("None, True, False")) == cases({"None", "True", "False"}));
  CHECK(ids_of(with_values("(1, 2), [3], {'a': 1}, int, lambda: 1")) == cases({"x0", "x1", "x2", "int", "<lambda>"}));
}

TEST_CASE("string ids are ascii-escaped like pytest") {
  CHECK(ids_of(with_values("'\\u00e9\\t\\u4e2d\\U0001f600\\\\\\'\"'")) == cases({"\\xe9\\t\\u4e2d\\U0001f600\\\\'\""}));
  CHECK(ids_of(with_values("'é', '中'")) == cases({"\\xe9", "\\u4e2d"}));
  CHECK(ids_of(with_values("b\"a'\\\\\\x00\\xff\"")) == cases({"a'\\\\x00\\xff"}));
  CHECK(ids_of(with_values("r'\\d', 'a' 'b'")) == cases({"\\\\d", "ab"}));
}

TEST_CASE("disable_test_id_escaping keeps unicode as is") {
  fastest::CollectRules rules;
  rules.disable_id_escaping = true;
  CHECK(ids_of(with_values("'é'"), rules) == cases({"é"}));
}

TEST_CASE("duplicates: pytest 8+ adds '_' after a trailing digit and skips taken ids") {
  CHECK(ids_of(with_values("1, 1, 'a', 'a', 'a1', 'a1'")) == cases({"1_0", "1_1", "a0", "a2", "a1_0", "a1_1"}));
  CHECK(ids_of(with_values("'a', 'a', 'a0'")) == cases({"a1", "a2", "a0"}));
}

TEST_CASE("duplicates under pytest 7 (verified with pytest 7.4.4)") {
  fastest::CollectRules rules;
  rules.pytest_version = {7, 4, 4};
  CHECK(ids_of(with_values("1, 1, 'a', 'a', 'a0'"), rules) == cases({"10", "11", "a0", "a1", "a0"}));
}

TEST_CASE("empty parameter sets: NOTSET from 8.4, argname0 before") {
  CHECK(ids_of(with_values("")) == cases({"NOTSET"}));
  fastest::CollectRules old;
  old.pytest_version = {8, 3, 5};
  CHECK(ids_of(with_values(""), old) == cases({"x0"}));
}

TEST_CASE("pytest 9.2: a str or bytes value over 100 characters gets argname+index (verified with pytest 9.2.0)") {
  const std::string long_str = "'" + std::string(101, 'a') + "'";
  const std::string at_limit = std::string(100, 'b');
  // Implicit concatenation counts as one value.
  CHECK(ids_of(with_values(long_str + ", '" + at_limit + "', b'" + std::string(101, 'c') + "', 'x' '" +
                           std::string(100, 'd') + "'")) ==
        cases({"x0", at_limit.c_str(), "x2", "x3"}));
  // Explicit ids are kept whatever their length.
  CHECK(ids_of("import pytest\n@pytest.mark.parametrize('x', [pytest.param(1, id=" + long_str + ")])\n"
               "def test_v(x): pass\n") == cases({std::string(101, 'a').c_str()}));
  fastest::CollectRules before;
  before.pytest_version = {9, 1, 0};
  CHECK(ids_of(with_values(long_str), before) == cases({std::string(101, 'a').c_str()}));
  fastest::CollectRules legacy;
  legacy.long_str_id_strategy = "legacy";
  CHECK(ids_of(with_values(long_str), legacy) == cases({std::string(101, 'a').c_str()}));
}

TEST_CASE("pytest 9.2: sha256 and disallow long-string strategies are left to pytest") {
  for (const char* strategy : {"sha256", "disallow"}) {
    fastest::CollectRules rules;
    rules.long_str_id_strategy = strategy;
    auto r = fastest::test::discover_snippet(with_values("'" + std::string(101, 'a') + "'"), rules);
    const auto* item = fastest::test::find_item(r, "test_m.py::test_v");
    REQUIRE(item);
    CHECK(item->dynamic);
  }
}

TEST_CASE("several argnames, ids=, pytest.param, stacking") {
  CHECK(ids_of("import pytest\n@pytest.mark.parametrize('a, b', [(1, 'x'), (2, 'y')], ids=['first', None])\n"
               "def test_v(a, b): pass\n") == cases({"first", "2-y"}));
  CHECK(ids_of("import pytest\n@pytest.mark.parametrize('x', [pytest.param(1, id='one'), pytest.param(2)])\n"
               "def test_v(x): pass\n") == cases({"one", "2"}));
  CHECK(ids_of("import pytest\n@pytest.mark.parametrize('x', [0, 1])\n@pytest.mark.parametrize('y', [2, 3])\n"
               "def test_v(x, y): pass\n") == cases({"2-0", "2-1", "3-0", "3-1"}));
  CHECK(ids_of("import pytest\n@pytest.mark.parametrize(('x',), [(1,), (2,)])\ndef test_v(x): pass\n") ==
        cases({"1", "2"}));
}

TEST_CASE("class-level parametrize combines after the method's own") {
  CHECK(ids_of("import pytest\n@pytest.mark.parametrize('a', [1, 2])\nclass TestC:\n"
               "    @pytest.mark.parametrize('b', [3, 4])\n    def test_x(self, a, b): pass\n") ==
        Ids{"test_m.py::TestC::test_x[3-1]", "test_m.py::TestC::test_x[3-2]", "test_m.py::TestC::test_x[4-1]",
            "test_m.py::TestC::test_x[4-2]"});
}

TEST_CASE("module-level names bound to literals are resolved") {
  CHECK(ids_of("import pytest\nVALS = [1, 'a']\n@pytest.mark.parametrize('x', VALS)\ndef test_v(x): pass\n") ==
        cases({"1", "a"}));
}

TEST_CASE("values that are not literals make the function dynamic, not guessed") {
  auto r = fastest::test::discover_snippet(
      "import pytest\n@pytest.mark.parametrize('x', [make(i) for i in range(3)])\ndef test_v(x): pass\n"
      "@pytest.mark.parametrize('x', [CONST])\ndef test_w(x): pass\n"
      "@pytest.mark.parametrize('x', [1], ids=str)\ndef test_i(x): pass\n");
  for (const char* id : {"test_m.py::test_v", "test_m.py::test_w", "test_m.py::test_i"}) {
    const auto* item = fastest::test::find_item(r, id);
    REQUIRE(item);
    CHECK(item->dynamic);
  }
  CHECK(fastest::test::leaf_ids(r) == Ids{"test_m.py::test_v", "test_m.py::test_w", "test_m.py::test_i"});
}

TEST_CASE("a case's range is its own values in the decorator") {
  auto r = fastest::test::discover_snippet("import pytest\n@pytest.mark.parametrize('x', [\n    10,\n    20,\n])\n"
                                           "def test_v(x): pass\n");
  const auto* second = fastest::test::find_item(r, "test_m.py::test_v[20]");
  REQUIRE(second);
  CHECK(second->range.start.line == 3);
  CHECK(second->range.start.column == 4);
}

TEST_CASE("python float repr") {
  using fastest::python_float_repr;
  CHECK(python_float_repr(0.1) == "0.1");
  CHECK(python_float_repr(1e15) == "1000000000000000.0");
  CHECK(python_float_repr(1.5e16) == "1.5e+16");
  CHECK(python_float_repr(0.0001) == "0.0001");
  CHECK(python_float_repr(0.00001) == "1e-05");
  CHECK(python_float_repr(123456789012345678.0) == "1.2345678901234568e+17");
  CHECK(python_float_repr(-2.5) == "-2.5");
}

// pytest 9.2: "In test_m.py::test_p: function uses no argument 'y'" (a collection error), and
// an argname that only a requested fixture needs is legal: only the fixture closure decides.
TEST_CASE("a parametrize argname outside the function's arguments is left to pytest") {
  for (const char* source : {"import pytest\n@pytest.mark.parametrize('y', [1])\ndef test_p(x): pass\n",
                             "import pytest\n@pytest.mark.parametrize('y', [1])\ndef test_p(y=2): pass\n",
                             "import pytest\nclass TestC:\n    @pytest.mark.parametrize('self', [1])\n"
                             "    def test_p(self): pass\n"}) {
    auto r = fastest::test::discover_snippet(source);
    const fastest::TestItem* item = nullptr;
    for (const auto& i : r.items)
      if (i.kind == fastest::ItemKind::Function) item = &i;
    REQUIRE(item);
    CHECK(item->dynamic);
    CHECK(item->dynamic_reason.find("not an argument of the function") != std::string::npos);
  }
  CHECK(ids_of("import pytest\n@pytest.mark.parametrize('y', [1])\ndef test_p(y): pass\n") == Ids{"test_m.py::test_p[1]"});
}

TEST_CASE("range() of int literals is expanded as pytest does (pytest 9.2)") {
  auto ranged = [](const std::string& call) {
    return "import pytest\n@pytest.mark.parametrize('x', " + call + ")\ndef test_v(x): pass\n";
  };
  CHECK(ids_of(ranged("range(3)")) == cases({"0", "1", "2"}));
  CHECK(ids_of(ranged("range(-2, 5, 3)")) == cases({"-2", "1", "4"}));
  CHECK(ids_of(ranged("range(5, 0, -2)")) == cases({"5", "3", "1"}));
  CHECK(ids_of(ranged("range(1_0)")).size() == 10);
  // Not the builtin, or not knowable: one dynamic function, no guessed cases.
  CHECK(ids_of("from numpy import arange as range\n" + ranged("range(3)")) == Ids{"test_m.py::test_v"});
  CHECK(ids_of(ranged("range(n)")) == Ids{"test_m.py::test_v"});
  CHECK(ids_of(ranged("range(3.0)")) == Ids{"test_m.py::test_v"});
  CHECK(ids_of(ranged("range(1, 2, 0)")) == Ids{"test_m.py::test_v"});
}
