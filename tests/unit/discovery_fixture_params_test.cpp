// Parametrized fixtures, statically: each case lists the ids real pytest 9.2 printed for the
// snippet (`pytest --collect-only -q`).
#include <catch2/catch.hpp>

#include "server/discovery/conftest_analysis.h"
#include "server/discovery/syntax_tree.h"
#include "tests/unit/discovery_test_util.h"

using fastest::test::discover_snippet;
using fastest::test::find_item;
using fastest::test::ids_of;
using Ids = std::vector<std::string>;

TEST_CASE("stacked parametrized fixtures: closure order, ids joined, ids= with None", "[fixtures]") {
  CHECK(ids_of("import pytest\n@pytest.fixture(params=[1, 2])\ndef p(request): return request.param\n"
               "@pytest.fixture(params=['a', 'b'], ids=['A', None])\ndef q(request): return request.param\n"
               "def test_pq(p, q): pass\ndef test_qp(q, p): pass\n") ==
        Ids{"test_m.py::test_pq[1-A]", "test_m.py::test_pq[1-b]", "test_m.py::test_pq[2-A]", "test_m.py::test_pq[2-b]",
            "test_m.py::test_qp[A-1]", "test_m.py::test_qp[A-2]", "test_m.py::test_qp[b-1]", "test_m.py::test_qp[b-2]"});
}

TEST_CASE("a fixture requesting a parametrized fixture multiplies its requesters", "[fixtures]") {
  auto r = discover_snippet("import pytest\n@pytest.fixture(params=['a', 'b'])\ndef pair(request): return request.param\n"
                            "@pytest.fixture\ndef first(pair): return pair[0]\n"
                            "def test_first(first): pass\ndef test_plain(tmp_path): pass\n");
  CHECK(fastest::test::leaf_ids(r) == Ids{"test_m.py::test_first[a]", "test_m.py::test_first[b]", "test_m.py::test_plain"});
  CHECK_FALSE(find_item(r, "test_m.py::test_first")->dynamic);
}

TEST_CASE("autouse fixtures come first, by attribute name; then usefixtures", "[fixtures]") {
  CHECK(ids_of("import pytest\n@pytest.fixture(params=[1, 2])\ndef p(request): return request.param\n"
               "@pytest.fixture(autouse=True, params=['z'])\ndef zz(request): pass\n"
               "@pytest.fixture(autouse=True, params=['m'])\ndef aa(request): pass\n"
               "@pytest.mark.usefixtures('p')\ndef test_used(): pass\n"
               "class TestAuto:\n    @pytest.fixture(autouse=True)\n    def setup(self, p): pass\n"
               "    def test_auto(self): pass\n") ==
        Ids{"test_m.py::test_used[m-z-1]", "test_m.py::test_used[m-z-2]", "test_m.py::TestAuto::test_auto[m-z-1]",
            "test_m.py::TestAuto::test_auto[m-z-2]"});
}

TEST_CASE("indirect parametrize: the mark's values replace the fixture's params, its requests stay", "[fixtures]") {
  CHECK(ids_of("import pytest\n@pytest.fixture(params=['u', 'v'])\ndef y(request): return request.param\n"
               "@pytest.fixture(params=[1, 2])\ndef x(request, y): return request.param\n"
               "@pytest.mark.parametrize('x', [10, 20], indirect=True)\ndef test_ind(x): pass\n"
               "@pytest.mark.parametrize('x, k', [(10, 'k')], indirect=['x'])\ndef test_ind_list(x, k): pass\n"
               "@pytest.mark.parametrize('x', [10])\ndef test_direct(x): pass\n") ==
        Ids{"test_m.py::test_ind[u-10]", "test_m.py::test_ind[u-20]", "test_m.py::test_ind[v-10]",
            "test_m.py::test_ind[v-20]", "test_m.py::test_ind_list[u-10-k]", "test_m.py::test_ind_list[v-10-k]",
            "test_m.py::test_direct[10]"});
}

TEST_CASE("a class fixture overrides by name; requesting its own name reaches the overridden one", "[fixtures]") {
  CHECK(ids_of("import pytest\n@pytest.fixture(params=[1, 2])\ndef v(request): return request.param\n"
               "class TestPlain:\n    @pytest.fixture\n    def v(self): return 0\n    def test_v(self, v): pass\n"
               "class TestChained:\n    @pytest.fixture\n    def v(self, v): return v\n    def test_v(self, v): pass\n"
               "def test_v(v): pass\n") ==
        Ids{"test_m.py::TestPlain::test_v", "test_m.py::TestChained::test_v[1]", "test_m.py::TestChained::test_v[2]",
            "test_m.py::test_v[1]", "test_m.py::test_v[2]"});
}

TEST_CASE("fixture params come before the marks' values; pytest.param id and marks", "[fixtures]") {
  auto r = discover_snippet(
      "import pytest\n@pytest.fixture(params=[pytest.param(1, id='one', marks=pytest.mark.slow), 2])\n"
      "def p(request): return request.param\n"
      "@pytest.mark.parametrize('a', ['x', 'y'])\n@pytest.mark.parametrize('b', [3])\ndef test_mix(p, a, b): pass\n");
  CHECK(fastest::test::leaf_ids(r) == Ids{"test_m.py::test_mix[one-3-x]", "test_m.py::test_mix[one-3-y]",
                                          "test_m.py::test_mix[2-3-x]", "test_m.py::test_mix[2-3-y]"});
  const auto* slow = find_item(r, "test_m.py::test_mix[one-3-x]");
  REQUIRE(slow);
  bool has_slow = false;
  for (const auto& m : slow->marks) has_slow |= m.name == "slow";
  CHECK(has_slow);
}

TEST_CASE("fixture params: empty, a module-level name, duplicates, name=", "[fixtures]") {
  CHECK(ids_of("import pytest\n@pytest.fixture(params=[])\ndef e(request): return request.param\ndef test_e(e): pass\n") ==
        Ids{"test_m.py::test_e[NOTSET]"});
  CHECK(ids_of("import pytest\nVALUES = ['q', 'r']\n@pytest.fixture(params=VALUES, ids=['Q', 'R'])\n"
               "def n(request): return request.param\ndef test_n(n): pass\n") ==
        Ids{"test_m.py::test_n[Q]", "test_m.py::test_n[R]"});
  CHECK(ids_of("import pytest\n@pytest.fixture(params=[1, 1, 'a', 'a'])\ndef d(request): return request.param\n"
               "def test_d(d): pass\n") ==
        Ids{"test_m.py::test_d[1_0]", "test_m.py::test_d[1_1]", "test_m.py::test_d[a0]", "test_m.py::test_d[a1]"});
  CHECK(ids_of("import pytest\n@pytest.fixture(params=[True, None], name='alias')\ndef _impl(request): return request.param\n"
               "def test_alias(alias): pass\n") ==
        Ids{"test_m.py::test_alias[True]", "test_m.py::test_alias[None]"});
}

TEST_CASE("what stays dynamic: higher scopes, computed params or ids, unknown indirect scope", "[fixtures]") {
  auto r = discover_snippet(
      "import pytest\n@pytest.fixture(scope='module', params=[1, 2])\ndef m(request): return request.param\n"
      "@pytest.fixture(params=make())\ndef c(request): return request.param\n"
      "@pytest.fixture(params=[1], ids=str)\ndef i(request): return request.param\n"
      "@pytest.fixture(scope='module')\ndef mod(request): return request.param\n"
      "def test_m(m): pass\ndef test_c(c): pass\ndef test_i(i): pass\n"
      "@pytest.mark.parametrize('mod', [1], indirect=True)\ndef test_mod(mod): pass\n"
      "@pytest.mark.parametrize('a', [1], scope='module')\ndef test_scope(a): pass\n"
      "def test_plain(): pass\n");
  for (const char* id : {"test_m.py::test_m", "test_m.py::test_c", "test_m.py::test_i", "test_m.py::test_mod",
                         "test_m.py::test_scope"}) {
    const auto* item = find_item(r, id);
    REQUIRE(item);
    CHECK(item->dynamic);
  }
  CHECK_FALSE(find_item(r, "test_m.py::test_plain")->dynamic);
}

TEST_CASE("conftest layers: nearest definition wins, an overriding one requesting itself reaches the outer", "[fixtures]") {
  auto decl = [](bool has_params, std::vector<std::string> requests) {
    fastest::FixtureDecl d;
    d.name = d.attribute = "value";
    d.has_params = has_params;
    d.requests = std::move(requests);
    return d;
  };
  fastest::FixtureDecl outer = decl(true, {});
  outer.params = {{"o1", {}}, {"o2", {}}};
  fastest::FixtureDecl inner = decl(false, {"value"});
  fastest::FixtureDecl hiding = decl(false, {});
  fastest::CollectRules rules;
  rules.conftest_fixtures = {{inner}, {outer}};
  CHECK(ids_of("def test_v(value): pass\n", rules) == Ids{"test_m.py::test_v[o1]", "test_m.py::test_v[o2]"});
  rules.conftest_fixtures = {{hiding}, {outer}};
  CHECK(ids_of("def test_v(value): pass\n", rules) == Ids{"test_m.py::test_v"});
}

// Found on requests once a plugin's parametrized fixture no longer hid its modules (issue 13):
// ids pytest prints differently must not be static.
TEST_CASE("a list built by appends, a class attribute used as a mark, IOError's name", "[fixtures]") {
  // pytest: test_c[a-1], test_c[b-1], test_c[c-2] — the list's appends and += are replayed.
  auto built = discover_snippet("import pytest\ncombos = []\nfor p in ['a', 'b']:\n    combos.append((p, 1))\n"
                                "combos += [('c', 2)]\n@pytest.mark.parametrize('var,n', combos)\ndef test_c(var, n): pass\n");
  REQUIRE(find_item(built, "test_m.py::test_c"));
  CHECK(fastest::test::leaf_ids(built) == Ids{"test_m.py::test_c[a-1]", "test_m.py::test_c[b-1]", "test_m.py::test_c[c-2]"});
  // pytest: TestK::test_get[a], TestK::test_get[B] — the mark is a class attribute.
  auto aliased = discover_snippet("import pytest\nclass TestK:\n    keys = pytest.mark.parametrize('key', ('a', 'B'))\n"
                                  "    @keys\n    def test_get(self, key): pass\n");
  REQUIRE(find_item(aliased, "test_m.py::TestK::test_get"));
  CHECK(find_item(aliased, "test_m.py::TestK::test_get")->dynamic);
  CHECK(ids_of("import pytest\n@pytest.mark.parametrize('error', [IOError, OSError])\ndef test_e(error): pass\n") ==
        Ids{"test_m.py::test_e[OSError0]", "test_m.py::test_e[OSError1]"});
}

// python-dateutil's test_rrule.py (`params=["deepcopy"] + list(range(...))`) and conftest.py
// (`params=TZ_SOURCES`): fixture params go through the same evaluator as parametrize marks.
TEST_CASE("fixture params through the static evaluator: names, concatenation, comprehensions, class names",
          "[fixtures]") {
  // pytest 9.2 on Python 3.11.7, with the conftest below beside the module.
  const std::string module = R"PY(import pytest

MODES = ["a", "b"]


@pytest.fixture(params=["deepcopy"] + list(range(3)))
def roundtrip(request):
    return request.param


@pytest.fixture(params=[m.upper() for m in MODES], ids=["x-" + m for m in MODES])
def mode(request):
    return request.param


def test_roundtrip(roundtrip): pass


def test_mode(mode, source): pass


class TestC:
    KINDS = (1, 2)

    @pytest.fixture(params=KINDS)
    def kind(self, request):
        return request.param

    def test_kind(self, kind): pass
)PY";
  const std::string conftest = "import pytest\n\nSOURCES = (\"tzpath\", \"tzdata\")\n\n\n"
                               "@pytest.fixture(params=SOURCES)\ndef source(request):\n    return request.param\n";
  auto parser = fastest::make_python_parser();
  auto tree = fastest::parse_python(parser.get(), conftest);
  fastest::CollectRules rules;
  rules.conftest_fixtures = {fastest::analyze_conftest(tree.get(), conftest, rules).fixtures};
  auto r = discover_snippet(module, rules);
  for (const auto& item : r.items) {
    INFO(item.id << ": " << item.dynamic_reason);
    CHECK_FALSE(item.dynamic);
  }
  CHECK(fastest::test::leaf_ids(r) ==
        Ids{"test_m.py::test_roundtrip[deepcopy]", "test_m.py::test_roundtrip[0]", "test_m.py::test_roundtrip[1]",
            "test_m.py::test_roundtrip[2]", "test_m.py::test_mode[x-a-tzpath]", "test_m.py::test_mode[x-a-tzdata]",
            "test_m.py::test_mode[x-b-tzpath]", "test_m.py::test_mode[x-b-tzdata]", "test_m.py::TestC::test_kind[1]",
            "test_m.py::TestC::test_kind[2]"});
}
