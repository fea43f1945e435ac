// The names a test requests as fixtures, as pytest's getfuncargnames reads the function it is
// handed: hypothesis' @given replaces the signature, mock.patch passes mocks, positional-only
// parameters are never fixtures. Expected ids: real pytest 9.2 with hypothesis 6 on Python 3.11.7.
#include <catch2/catch.hpp>

#include "tests/unit/discovery_test_util.h"

using fastest::test::discover_snippet;
using fastest::test::find_item;
using fastest::test::ids_of;
using Ids = std::vector<std::string>;

namespace {
const char* kFixtures =
    "import pytest\n"
    "from unittest import mock\n"
    "from hypothesis import given, strategies as st\n"
    "@pytest.fixture(params=[1, 2])\ndef p(request): return request.param\n"
    "@pytest.fixture(params=['a', 'b'])\ndef q(request): return request.param\n";
}

TEST_CASE("@given's strategies fill the rightmost parameters and leave the signature", "[signature]") {
  std::string source = std::string(kFixtures) +
                       "@given(st.booleans())\ndef test_given_pos(q, p): pass\n"
                       "@given(p=st.booleans())\ndef test_given_kw(p, q): pass\n"
                       "class TestC:\n    @given(st.booleans())\n    def test_method(self, p): pass\n";
  CHECK(ids_of(source) == Ids{"test_m.py::test_given_pos[a]", "test_m.py::test_given_pos[b]", "test_m.py::test_given_kw[a]",
                              "test_m.py::test_given_kw[b]", "test_m.py::TestC::test_method"});
}

TEST_CASE("mock.patch without new passes the first arguments; with new it passes none", "[signature]") {
  std::string source = std::string(kFixtures) +
                       "@mock.patch('os.getcwd')\ndef test_patched(getcwd, p): pass\n"
                       "@mock.patch('os.getcwd', lambda: '/')\ndef test_patched_new(p): pass\n"
                       "@mock.patch.object(mock, 'sentinel')\n@mock.patch('os.getcwd')\ndef test_two(getcwd, sentinel, q): pass\n";
  CHECK(ids_of(source) == Ids{"test_m.py::test_patched[1]", "test_m.py::test_patched[2]", "test_m.py::test_patched_new[1]",
                              "test_m.py::test_patched_new[2]", "test_m.py::test_two[a]", "test_m.py::test_two[b]"});
}

TEST_CASE("positional-only parameters are not fixtures", "[signature]") {
  CHECK(ids_of(std::string(kFixtures) + "def test_posonly(p, /, q): pass\n") ==
        Ids{"test_m.py::test_posonly[a]", "test_m.py::test_posonly[b]"});
}

TEST_CASE("a @given not read statically settles its test only when a parametrized fixture is in reach", "[signature]") {
  auto r = discover_snippet(std::string(kFixtures) + "@given(*STRATEGIES)\ndef test_unknown(p): pass\n");
  CHECK(find_item(r, "test_m.py::test_unknown")->dynamic);
  auto plain = discover_snippet("from hypothesis import given\n@given(...)\ndef test_inferred(x): pass\n");
  CHECK_FALSE(find_item(plain, "test_m.py::test_inferred")->dynamic);
}

TEST_CASE("mock.patch with new=DEFAULT passes a mock too: not read, settled when it matters", "[signature]") {
  auto r = discover_snippet(std::string(kFixtures) + "@mock.patch('os.getcwd', mock.DEFAULT)\ndef test_default(getcwd, p): pass\n");
  CHECK(find_item(r, "test_m.py::test_default")->dynamic);
}
