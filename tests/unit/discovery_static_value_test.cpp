// The static evaluator's rules (server/discovery/static_value.*): parametrize values, ids and
// conditions known without Python. Every expected id was printed by real pytest 9.2 on
// Python 3.11.7 (`pytest --collect-only -q` on the same snippet); names bound to rebound or
// mutated values stay dynamic.
#include <algorithm>

#include <catch2/catch.hpp>

#include "server/discovery/conftest_analysis.h"
#include "server/discovery/document.h"
#include "server/discovery/syntax_tree.h"
#include "server/workspace/python_facts.h"
#include "tests/unit/discovery_test_util.h"

using fastest::test::discover_snippet;
using fastest::test::find_item;
using fastest::test::leaf_ids;
using Ids = std::vector<std::string>;

namespace {

fastest::CollectRules rules_for_311() {
  fastest::CollectRules rules;
  fastest::PythonFacts facts = fastest::parse_python_version("3.11.7");
  facts.platform = "linux";
  facts.os_name = "posix";
  facts.implementation = "cpython";
  rules.python = std::make_shared<const fastest::PythonFacts>(facts);
  return rules;
}

// The ids, and that none of the module's items is dynamic.
Ids static_ids(const std::string& source, const fastest::CollectRules& rules = rules_for_311()) {
  auto result = discover_snippet(source, rules);
  for (const auto& item : result.items) {
    INFO(item.id << ": " << item.dynamic_reason);
    CHECK_FALSE(item.dynamic);
  }
  return leaf_ids(result);
}

Ids expected(const std::string& prefix, std::initializer_list<const char*> ids) {
  Ids out;
  for (const char* id : ids) out.push_back(prefix + id);
  return out;
}

}  // namespace

TEST_CASE("names bound once to literals, concatenation, repetition, dict views, sorted") {
  const std::string source = R"PY(import pytest
BASE = [1, 2]
MORE = BASE + [3] * 2
PAIRS = ((1, "a"), (2, "b"))
NAMES = {"x": 1, "y": 2}
@pytest.mark.parametrize("v", MORE)
def test_concat(v): pass
@pytest.mark.parametrize("n,s", PAIRS)
def test_pairs(n, s): pass
@pytest.mark.parametrize("k,v", NAMES.items())
def test_items(k, v): pass
@pytest.mark.parametrize("k", NAMES)
def test_keys(k): pass
@pytest.mark.parametrize("v", sorted(NAMES.values(), reverse=True))
def test_values(v): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
      "test_concat[1]",
      "test_concat[2]",
      "test_concat[3_0]",
      "test_concat[3_1]",
      "test_pairs[1-a]",
      "test_pairs[2-b]",
      "test_items[x-1]",
      "test_items[y-2]",
      "test_keys[x]",
      "test_keys[y]",
      "test_values[2]",
      "test_values[1]"}));
}

TEST_CASE("comprehensions, range, zip, enumerate, reversed and itertools") {
  const std::string source = R"PY(import itertools
from itertools import product
import pytest
SIZES = [1, 2, 3]
@pytest.mark.parametrize("x", [s * 2 for s in SIZES if s != 2])
def test_list_comp(x): pass
@pytest.mark.parametrize("a,b", list(itertools.product([1, 2], "ab")))
def test_product(a, b): pass
@pytest.mark.parametrize("a,b", product(range(2), repeat=2))
def test_product_repeat(a, b): pass
@pytest.mark.parametrize("a,b", itertools.combinations("abc", 2))
def test_combinations(a, b): pass
@pytest.mark.parametrize("a,b", itertools.permutations([1, 2, 3], 2))
def test_permutations(a, b): pass
@pytest.mark.parametrize("i,s", enumerate(["p", "q"], start=1))
def test_enumerate(i, s): pass
@pytest.mark.parametrize("a,b", zip(SIZES, "xyz"))
def test_zip(a, b): pass
@pytest.mark.parametrize("x", range(10, 0, -4))
def test_range(x): pass
@pytest.mark.parametrize("x", (n for n in range(3)))
def test_genexp(x): pass
@pytest.mark.parametrize("x", {k: k * 2 for k in "ab"})
def test_dictcomp(x): pass
@pytest.mark.parametrize("x", reversed(SIZES))
def test_reversed(x): pass
@pytest.mark.parametrize("x", [(1, 2)] + [(i, i) for i in range(2)])
def test_tuples_single_arg(x): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
      "test_list_comp[2]",
      "test_list_comp[6]",
      "test_product[1-a]",
      "test_product[1-b]",
      "test_product[2-a]",
      "test_product[2-b]",
      "test_product_repeat[0-0]",
      "test_product_repeat[0-1]",
      "test_product_repeat[1-0]",
      "test_product_repeat[1-1]",
      "test_combinations[a-b]",
      "test_combinations[a-c]",
      "test_combinations[b-c]",
      "test_permutations[1-2]",
      "test_permutations[1-3]",
      "test_permutations[2-1]",
      "test_permutations[2-3]",
      "test_permutations[3-1]",
      "test_permutations[3-2]",
      "test_enumerate[1-p]",
      "test_enumerate[2-q]",
      "test_zip[1-x]",
      "test_zip[2-y]",
      "test_zip[3-z]",
      "test_range[10]",
      "test_range[6]",
      "test_range[2]",
      "test_genexp[0]",
      "test_genexp[1]",
      "test_genexp[2]",
      "test_dictcomp[a]",
      "test_dictcomp[b]",
      "test_reversed[3]",
      "test_reversed[2]",
      "test_reversed[1]",
      "test_tuples_single_arg[x0]",
      "test_tuples_single_arg[x1]",
      "test_tuples_single_arg[x2]"}));
}

TEST_CASE("f-strings, str.format, ids= and pytest.param of known values; class-level names") {
  const std::string source = R"PY(import pytest
NAMES = ["a", "b"]
@pytest.mark.parametrize("x", [f"n-{n}" for n in NAMES])
def test_fstring(x): pass
@pytest.mark.parametrize("x", [f"{i:03d}|{s!r}|{s:3}|" for i, s in enumerate(NAMES)])
def test_fstring_spec(x): pass
@pytest.mark.parametrize("x", ["{}-{}".format(n, n.upper()) for n in NAMES] + ["{0}{k}{0}".format(n, k=n.upper()) for n in NAMES])
def test_format(x): pass
@pytest.mark.parametrize("x", [1, 2], ids=[f"id{i}" for i in range(2)])
def test_ids(x): pass
@pytest.mark.parametrize("x", [pytest.param(n, id=f"p_{n}") for n in NAMES])
def test_param_id(x): pass
@pytest.mark.parametrize("x", [pytest.param(n, marks=pytest.mark.slow) for n in NAMES])
def test_param_marks_comp(x): pass
class TestScope:
    VALS = ["c1", "c2"]
    @pytest.mark.parametrize("x", VALS)
    def test_class_name(self, x): pass
    @pytest.mark.parametrize("x", [v + "!" for v in VALS])
    def test_class_comp(self, x): pass
)PY";
  auto result = discover_snippet(source, rules_for_311());
  Ids ids = leaf_ids(result);
  // pytest.param(marks=...) inside a comprehension: marks computed per value stay with pytest.
  const fastest::TestItem* marked = find_item(result, "test_m.py::test_param_marks_comp");
  REQUIRE(marked);
  CHECK(marked->dynamic);
  Ids others;
  for (auto& id : ids) if (id != "test_m.py::test_param_marks_comp") others.push_back(id);
  CHECK(others == expected("test_m.py::", {
      "test_fstring[n-a]",
      "test_fstring[n-b]",
      "test_fstring_spec[000|'a'|a  |]",
      "test_fstring_spec[001|'b'|b  |]",
      "test_format[a-A]",
      "test_format[b-B]",
      "test_format[aAa]",
      "test_format[bBb]",
      "test_ids[id0]",
      "test_ids[id1]",
      "test_param_id[p_a]",
      "test_param_id[p_b]",
      "TestScope::test_class_name[c1]",
      "TestScope::test_class_name[c2]",
      "TestScope::test_class_comp[c1!]",
      "TestScope::test_class_comp[c2!]"}));
}

TEST_CASE("conditions known from the interpreter: version_info, platform, os.name, implementation, PY3") {
  const std::string source = R"PY(import os
import sys
import platform
import pytest
PY3 = sys.version_info[0] == 3
if sys.version_info >= (3, 8):
    def test_new(): pass
else:
    def test_old(): pass
if sys.version_info[:2] < (3, 0):
    def test_py2(): pass
elif PY3 and sys.platform.startswith("linux") and os.name == "posix":
    def test_linux(): pass
if platform.python_implementation() == "CPython" and sys.implementation.name == "cpython":
    VALUES = [1, 2]
else:
    VALUES = [3]
@pytest.mark.parametrize("x", VALUES)
def test_values(x): pass
if sys.version_info.major == 3 and sys.version_info.minor >= 99:
    pytest.skip("too new", allow_module_level=True)
class TestC:
    if sys.version_info > (3,):
        def test_in_class(self): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
      "test_new",
      "test_linux",
      "test_values[1]",
      "test_values[2]",
      "TestC::test_in_class"}));
  // Without the interpreter's facts the same module keeps its conditional tests dynamic.
  auto unknown = discover_snippet(source, fastest::CollectRules{});
  const fastest::TestItem* item = find_item(unknown, "test_m.py::test_new");
  REQUIRE(item);
  CHECK(item->dynamic);
}

TEST_CASE("mutated, aliased, passed-on names, sets and consumed iterators stay dynamic") {
  const std::string source = R"PY(import pytest
APPENDED = [1, 2]
APPENDED.append(3)
AUG = [1]
AUG += [2]
SUB = [1, 2]
SUB[0] = 9
ALIASED = [1]
ALIAS = ALIASED
ALIAS.extend([5])
def helper(values):
    values.append(7)
PASSED = [1]
helper(PASSED)
REBOUND = [1]
REBOUND = [2, 3]
for LOOPED in [[4]]:
    pass
LOOPED = [1]
@pytest.mark.parametrize("x", APPENDED)
def test_appended(x): pass
@pytest.mark.parametrize("x", AUG)
def test_aug(x): pass
@pytest.mark.parametrize("x", SUB)
def test_sub(x): pass
@pytest.mark.parametrize("x", ALIASED)
def test_aliased(x): pass
@pytest.mark.parametrize("x", PASSED)
def test_passed(x): pass
@pytest.mark.parametrize("x", REBOUND)
def test_rebound(x): pass
@pytest.mark.parametrize("x", {3, 1, 2})
def test_set(x): pass
GEN = (i for i in range(2))
@pytest.mark.parametrize("x", GEN)
def test_gen_once(x): pass
@pytest.mark.parametrize("x", GEN)
def test_gen_twice(x): pass
)PY";
  auto result = discover_snippet(source, rules_for_311());
  // Grown by append at module level before it is read: replayed (pytest 9.2: [1], [2], [3]).
  Ids appended;
  for (const std::string& id : leaf_ids(result))
    if (id.starts_with("test_m.py::test_appended[")) appended.push_back(id);
  CHECK(appended == Ids{"test_m.py::test_appended[1]", "test_m.py::test_appended[2]", "test_m.py::test_appended[3]"});
  CHECK_FALSE(find_item(result, "test_m.py::test_appended")->dynamic);
  // Bound again by a plain statement before it is read: the last binding (pytest 9.2: [2], [3]).
  CHECK_FALSE(find_item(result, "test_m.py::test_rebound")->dynamic);
  CHECK(find_item(result, "test_m.py::test_rebound[3]"));
  // Extended by += at module level: replayed as extend (pytest 9.2: [1], [2]).
  CHECK_FALSE(find_item(result, "test_m.py::test_aug")->dynamic);
  CHECK(find_item(result, "test_m.py::test_aug[2]"));
  for (const char* name : {"test_sub", "test_aliased", "test_passed",
                           "test_set", "test_gen_once", "test_gen_twice"}) {
    const fastest::TestItem* item = find_item(result, std::string("test_m.py::") + name);
    REQUIRE(item);
    INFO(name);
    CHECK(item->dynamic);
  }
}

TEST_CASE("a name bound again in a loop does not change what it was bound from; a change in place does") {
  // ecdsa's test_pyecdsa.py: `for i in range(1000): f(i)` in a test body left `range` unknown.
  const std::string source = R"PY(import pytest
ROWS = [[1], [2]]
for row in ROWS:
    row.append(0)
def helper(value):
    return value
def test_loops():
    for i in range(3):
        helper(i)
    for row in [[5]]:
        helper(row)
@pytest.mark.parametrize("val,even", [(i, j) for i in range(2) for j in [True, False]])
def test_range(val, even): pass
@pytest.mark.parametrize("x", range(2))
def test_plain_range(x): pass
@pytest.mark.parametrize("x", ROWS)
def test_rows(x): pass
PAIRS = [(1, "a"), (2, "b")]
def test_pairs_walked():
    for pair in PAIRS:
        helper(pair)
@pytest.mark.parametrize("n,s", PAIRS)
def test_pairs(n, s): pass
)PY";
  auto result = discover_snippet(source, rules_for_311());
  const fastest::TestItem* rows = find_item(result, "test_m.py::test_rows");
  REQUIRE(rows);
  CHECK(rows->dynamic);  // its elements were appended to through the loop's name
  for (const char* name : {"test_loops", "test_range", "test_plain_range", "test_pairs"}) {
    const fastest::TestItem* item = find_item(result, std::string("test_m.py::") + name);
    REQUIRE(item);
    INFO(name << ": " << item->dynamic_reason);
    CHECK_FALSE(item->dynamic);
  }
  Ids ids = leaf_ids(result);
  ids.erase(std::remove_if(ids.begin(), ids.end(), [](const std::string& id) { return id.find("test_rows") != std::string::npos; }),
            ids.end());
  // pytest 9.2 on Python 3.11.7.
  CHECK(ids == Ids{"test_m.py::test_loops", "test_m.py::test_range[0-True]", "test_m.py::test_range[0-False]",
                   "test_m.py::test_range[1-True]", "test_m.py::test_range[1-False]", "test_m.py::test_plain_range[0]",
                   "test_m.py::test_plain_range[1]", "test_m.py::test_pairs_walked", "test_m.py::test_pairs[1-a]",
                   "test_m.py::test_pairs[2-b]"});
}

TEST_CASE("str.encode in UTF-8 or ASCII gives bytes ids; a list walked by nested loops stays known") {
  // chardet's test_utf8_equivalence.py: SNIPPETS holds "héllo".encode(), and a test walks it twice.
  const std::string source = R"PY(import pytest
SNIPPETS = [b"a", "héllo".encode(), "日本".encode("utf-8"), "abc".encode(encoding="ascii"), "x".encode("UTF_8")]
def check(data): pass
def test_pairs():
    for a in SNIPPETS:
        for b in SNIPPETS:
            check(a + b)
@pytest.mark.parametrize("snippet", SNIPPETS)
def test_snippet(snippet): pass
@pytest.mark.parametrize("bad", ["é".encode("ascii", "ignore")])
def test_errors(bad): pass
)PY";
  auto result = discover_snippet(source, rules_for_311());
  const fastest::TestItem* errors = find_item(result, "test_m.py::test_errors");
  REQUIRE(errors);
  CHECK(errors->dynamic);  // an error handler is not mirrored
  const fastest::TestItem* snippet = find_item(result, "test_m.py::test_snippet");
  REQUIRE(snippet);
  INFO(snippet->dynamic_reason);
  CHECK_FALSE(snippet->dynamic);
  Ids ids = leaf_ids(result);
  ids.pop_back();  // test_errors
  // pytest 9.2 on Python 3.11.7.
  CHECK(ids == Ids{"test_m.py::test_pairs", "test_m.py::test_snippet[a]", "test_m.py::test_snippet[h\\xc3\\xa9llo]",
                   "test_m.py::test_snippet[\\xe6\\x97\\xa5\\xe6\\x9c\\xac]", "test_m.py::test_snippet[abc]",
                   "test_m.py::test_snippet[x]"});
}

TEST_CASE("datetime dates, times and timedeltas that construct are ids argname+index; one that raises stays dynamic") {
  // python-dateutil's test_easter.py: `date(1990, 4, 15)` values.
  const std::string source = R"PY(import datetime
from datetime import date, timedelta
import pytest

DATES = [date(1990, 4, 15), date(2000, 2, 29), datetime.datetime(2020, 1, 2, 3, 4, 5)]


@pytest.mark.parametrize("d", DATES)
def test_dates(d): pass


@pytest.mark.parametrize("d,delta", [(date(2021, 1, 1), timedelta(days=1)), (datetime.date(2021, 12, 31), timedelta(hours=-2))])
def test_pairs(d, delta): pass


@pytest.mark.parametrize("t", [datetime.time(23, 59), datetime.time(hour=1), "x"])
def test_times(t): pass
)PY";
  // pytest 9.2 on Python 3.11.7.
  CHECK(static_ids(source) == Ids{"test_m.py::test_dates[d0]", "test_m.py::test_dates[d1]", "test_m.py::test_dates[d2]",
                                  "test_m.py::test_pairs[d0-delta0]", "test_m.py::test_pairs[d1-delta1]",
                                  "test_m.py::test_times[t0]", "test_m.py::test_times[t1]", "test_m.py::test_times[x]"});
  // A ValueError at import (pytest: a collection error), a tzinfo, a float: left to pytest.
  for (const char* value : {"date(2021, 2, 29)", "date(2021, 13, 1)", "datetime.datetime(2020, 1, 1, tzinfo=None)",
                            "timedelta(days=1.5)", "date(2021, 1)"}) {
    auto result = discover_snippet(std::string("import datetime\nfrom datetime import date, timedelta\nimport pytest\n"
                                               "@pytest.mark.parametrize(\"v\", [") + value + "])\ndef test_v(v): pass\n",
                                   rules_for_311());
    const fastest::TestItem* item = find_item(result, "test_m.py::test_v");
    REQUIRE(item);
    INFO(value);
    CHECK(item->dynamic);
  }
}

TEST_CASE("a builtin given to code stays the builtin; datetime elements walked by a loop cannot change") {
  // python-dateutil's test_parser.py (PARSER_TEST_CASES) and test_isoparser.py (`list(range(3, 7))`).
  const std::string source = R"PY(from datetime import datetime
import pytest

CASES = [("a", datetime(2003, 9, 25)), ("b", datetime(2003, 9, 26, 10))]


def check(*args): pass


def test_walk():
    for text, expected in CASES:
        check(text, expected)
    check(list, map(list, [(1, 2)]))
    check(datetime.now(), datetime)


@pytest.mark.parametrize("text,expected", CASES)
def test_cases(text, expected): pass


@pytest.mark.parametrize("precision", list(range(3, 5)))
def test_list(precision): pass
)PY";
  // pytest 9.2 on Python 3.11.7.
  CHECK(static_ids(source) == Ids{"test_m.py::test_walk", "test_m.py::test_cases[a-expected0]",
                                  "test_m.py::test_cases[b-expected1]", "test_m.py::test_list[3]", "test_m.py::test_list[4]"});
}

TEST_CASE("a module whose functions are called keeps its constants; pickle.HIGHEST_PROTOCOL of the interpreter") {
  // python-dateutil's test_rrule.py: `pickle.dumps(value, protocol)` with `protocol=pickle.HIGHEST_PROTOCOL`.
  const std::string source = R"PY(import copy
import os
import pickle
import sys
from functools import partial

import pytest

sys.path.insert(0, os.path.dirname(__file__))


def _pickle_roundtrip(value, protocol=pickle.HIGHEST_PROTOCOL):
    serialized = pickle.dumps(value, protocol)
    return pickle.loads(serialized)


@pytest.fixture(params=["deepcopy"] + list(range(pickle.HIGHEST_PROTOCOL + 1)))
def roundtrip(request):
    if request.param == "deepcopy":
        return copy.deepcopy
    return partial(_pickle_roundtrip, protocol=request.param)


def test_roundtrip(roundtrip): pass


@pytest.mark.skipif(sys.version_info < (3, 8), reason="old")
@pytest.mark.parametrize("v", [sys.platform])
def test_platform(v): pass
)PY";
  // pytest 9.2 on Python 3.11.7 (linux).
  CHECK(static_ids(source) == Ids{"test_m.py::test_roundtrip[deepcopy]", "test_m.py::test_roundtrip[0]",
                                  "test_m.py::test_roundtrip[1]", "test_m.py::test_roundtrip[2]",
                                  "test_m.py::test_roundtrip[3]", "test_m.py::test_roundtrip[4]",
                                  "test_m.py::test_roundtrip[5]", "test_m.py::test_platform[linux]"});
  // Assigning into the module is a change: its value is no longer the interpreter's.
  auto patched = discover_snippet("import sys\nimport pytest\nsys.platform = 'win32'\n"
                                  "@pytest.mark.parametrize('v', [sys.platform])\ndef test_v(v): pass\n",
                                  rules_for_311());
  REQUIRE(find_item(patched, "test_m.py::test_v"));
  CHECK(find_item(patched, "test_m.py::test_v")->dynamic);
}

namespace {
fastest::ConftestInfo conftest(const std::string& source, const fastest::PythonFacts* python) {
  auto parser = fastest::make_python_parser();
  auto tree = fastest::parse_python(parser.get(), source);
  fastest::CollectRules rules;
  if (python) rules.python = std::make_shared<const fastest::PythonFacts>(*python);
  return fastest::analyze_conftest(tree.get(), source, rules);
}
}  // namespace

TEST_CASE("collect_ignore built under conditions the interpreter decides") {
  const std::string source = R"PY(import sys
collect_ignore = ["setup.py"]
collect_ignore_glob = []
if sys.version_info < (3, 8):
    collect_ignore.append("test_py37_only.py")
elif sys.version_info[:2] >= (3, 10):
    collect_ignore += ["test_old_syntax.py"]
    collect_ignore_glob.extend(["*_py2.py"])
else:
    collect_ignore.append("test_other.py")
)PY";
  auto facts = rules_for_311().python;
  auto known = conftest(source, facts.get());
  CHECK_FALSE(known.collect_ignore_dynamic);
  CHECK(known.collect_ignore == Ids{"setup.py", "test_old_syntax.py"});
  CHECK(known.collect_ignore_glob == Ids{"*_py2.py"});
  // Unknown interpreter: the branch that runs is unknown, so is the list.
  CHECK(conftest(source, nullptr).collect_ignore_dynamic);
  // Built in a loop, or appended to in a function: still pytest's to tell.
  CHECK(conftest("collect_ignore = []\nfor n in ['a']:\n    collect_ignore.append(n)\n", facts.get()).collect_ignore_dynamic);
  CHECK(conftest("collect_ignore = []\ndef f():\n    collect_ignore.append('x')\n", facts.get()).collect_ignore_dynamic);
  CHECK(conftest("collect_ignore = ['a']\ncollect_ignore = ['b']\n", facts.get()).collect_ignore == Ids{"b"});
  // An annotation alone binds nothing (a fuzzer found it crashed the evaluator): pytest's to tell.
  CHECK(conftest("collect_ignore: list\n", facts.get()).collect_ignore_dynamic);
  CHECK(conftest("collect_ignore: list\ncollect_ignore += ['a']\n", facts.get()).collect_ignore_dynamic);
}

TEST_CASE("module-level skips under a known-false condition do not make the module dynamic") {
  const std::string source = R"PY(import sys
import pytest
if sys.version_info < (3, 8):
    pytest.skip("old", allow_module_level=True)
def test_a(): pass
)PY";
  CHECK(static_ids(source) == Ids{"test_m.py::test_a"});
  // Known true: pytest skips the module; that stays for pytest to report.
  auto skipped = discover_snippet("import sys\nimport pytest\nif sys.version_info >= (3, 8):\n    pytest.skip('x', allow_module_level=True)\ndef test_a(): pass\n", rules_for_311());
  CHECK(skipped.items.front().dynamic);
}

TEST_CASE("an iterator given to parametrize stays dynamic under an error warnings filter") {
  // pytest 9.2 warns PARAMETRIZE_NON_COLLECTION_ITERABLE: `filterwarnings = error` fails the module.
  auto rules = rules_for_311();
  rules.warnings_may_error = true;
  auto result = discover_snippet("import pytest\n@pytest.mark.parametrize('a,b', zip([1], [2]))\ndef test_z(a, b): pass\n", rules);
  CHECK(find_item(result, "test_m.py::test_z")->dynamic);
  CHECK(static_ids("import pytest\n@pytest.mark.parametrize('a,b', list(zip([1], [2])))\ndef test_z(a, b): pass\n", rules) ==
        Ids{"test_m.py::test_z[1-2]"});
}

TEST_CASE("the interpreter's version from pyvenv.cfg's version or version_info") {
  auto plain = fastest::parse_python_version("3.11.7");
  CHECK(plain.major == 3);
  CHECK(plain.minor == 11);
  CHECK(plain.micro == 7);
  CHECK(plain.releaselevel == "final");
  auto virtualenv = fastest::parse_python_version("3.12.3.final.0");
  CHECK(virtualenv.micro == 3);
  CHECK(virtualenv.releaselevel == "final");
  auto rc = fastest::parse_python_version("3.13.0rc1");
  CHECK(rc.releaselevel == "candidate");
  CHECK(rc.serial == 1);
  CHECK(fastest::parse_python_version("garbage").major == 0);
}

TEST_CASE("an edit in a body that mutates a name parametrize reads makes its cases dynamic in the editor") {
  // The body-only fast path moves items without re-running the rules; a body can mutate a
  // name (setup() runs at import), so a module whose ids read names re-runs them.
  std::string text = "import pytest\nVALUES = [1, 2]\ndef setup():\n    pass\nsetup()\n\n"
                     "@pytest.mark.parametrize('x', VALUES)\ndef test_x(x): pass\n";
  fastest::Document doc("test_m.py", text, rules_for_311());
  auto item = [&](const std::string& id) -> const fastest::TestItem* {
    for (const auto& i : doc.items())
      if (i.id == id) return &i;
    return nullptr;
  };
  REQUIRE(item("test_m.py::test_x[1]"));
  auto body = static_cast<uint32_t>(text.find("pass"));
  doc.apply_edit(body, body + 4, "VALUES.append(3)");
  REQUIRE(item("test_m.py::test_x"));
  CHECK(item("test_m.py::test_x")->dynamic);
  CHECK_FALSE(item("test_m.py::test_x[1]"));
}

TEST_CASE("a name bound after its use: the class body reads the module's, the module's is a NameError") {
  // pytest 9.2 printed test_m.py::TestC::test_c[1] for the class (its VALUES is bound later).
  const std::string source = "import pytest\nVALUES = [1]\nclass TestC:\n"
                             "    @pytest.mark.parametrize('x', VALUES)\n    def test_c(self, x): pass\n"
                             "    VALUES = [2]\n";
  CHECK(static_ids(source) == Ids{"test_m.py::TestC::test_c[1]"});
  auto late = discover_snippet("import pytest\n@pytest.mark.parametrize('x', LATE)\ndef test_l(x): pass\nLATE = [1]\n",
                               rules_for_311());
  CHECK(find_item(late, "test_m.py::test_l")->dynamic);
}

TEST_CASE("a call of the module's function whose body returns one expression is evaluated") {
  // ids printed by pytest 9.2 on Python 3.11.7 for this module.
  const std::string source = R"PY(import pytest
LOCAL = [1, 2]
def make(n=3):
    """Cases."""
    return list(range(n))
def pairs(prefix, sep="-"):
    return [f"{prefix}{sep}{i}" for i in "ab"]
def scaled(k):
    return [x * k for x in LOCAL]
def nested():
    return make(2) + scaled(10)
later = lambda: [10, 20]
class TestInClass:
    def cases():
        return ["c1", "c2"]
    @pytest.mark.parametrize("x", cases())
    def test_class_body(self, x): pass
@pytest.mark.parametrize("x", make())
def test_make(x): pass
@pytest.mark.parametrize("x", make(n=2))
def test_make_kw(x): pass
@pytest.mark.parametrize("x", pairs("p", sep="+"))
def test_pairs(x): pass
@pytest.mark.parametrize("x", nested())
def test_nested(x): pass
@pytest.mark.parametrize("x", later())
def test_lambda(x): pass
@pytest.mark.parametrize("x", (lambda a: [a, a + 1])(5))
def test_inline_lambda(x): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
                                  "TestInClass::test_class_body[c1]", "TestInClass::test_class_body[c2]",
                                  "test_make[0]", "test_make[1]", "test_make[2]", "test_make_kw[0]", "test_make_kw[1]",
                                  "test_pairs[p+a]", "test_pairs[p+b]", "test_nested[0]", "test_nested[1]",
                                  "test_nested[10]", "test_nested[20]", "test_lambda[10]", "test_lambda[20]",
                                  "test_inline_lambda[5]", "test_inline_lambda[6]"}));
}

TEST_CASE("calls of functions that do more than return one expression, or cannot run there, stay dynamic") {
  const std::string source = R"PY(import functools
import pytest
CASES = [1]
def loops():
    out = []
    i = 0
    while i < 2:
        out.append(i)
        i += 1
    return out
async def coro():
    return [1]
def gen():
    return (yield 1)
@functools.lru_cache()
def cached():
    return [1]
def uses_later():
    return LATER
def defaults_later(x=DEFAULT):
    return [x]
def twice():
    return [1]
def twice():
    return [2]
def registered():
    return [1]
def register(f):
    f.__code__ = twice.__code__
register(registered)
def needs_arg(a):
    return [a]
def mutated():
    return CASES
@pytest.mark.parametrize("x", loops())
def test_loops(x): pass
@pytest.mark.parametrize("x", coro())
def test_coro(x): pass
@pytest.mark.parametrize("x", gen())
def test_gen(x): pass
@pytest.mark.parametrize("x", cached())
def test_cached(x): pass
@pytest.mark.parametrize("x", uses_later())
def test_uses_later(x): pass
@pytest.mark.parametrize("x", twice())
def test_twice(x): pass
@pytest.mark.parametrize("x", registered())
def test_registered(x): pass
@pytest.mark.parametrize("x", needs_arg())
def test_missing_arg(x): pass
@pytest.mark.parametrize("x", needs_arg(1, 2))
def test_extra_arg(x): pass
@pytest.mark.parametrize("x", mutated())
def test_mutated(x): pass
@pytest.mark.parametrize("x", defined_below())
def test_defined_below(x): pass
def defined_below():
    return [1]
LATER = [1]
DEFAULT = 1
@pytest.mark.parametrize("x", defaults_later())
def test_defaults_later(x): pass
CASES.append(2)
)PY";
  auto result = discover_snippet(source, rules_for_311());
  for (const char* name : {"test_loops", "test_coro", "test_gen", "test_cached", "test_uses_later", "test_twice",
                           "test_registered", "test_missing_arg", "test_extra_arg", "test_mutated",
                           "test_defined_below", "test_defaults_later"}) {
    const fastest::TestItem* item = find_item(result, std::string("test_m.py::") + name);
    REQUIRE(item);
    INFO(name << ": " << item->dynamic_reason);
    CHECK(item->dynamic);
  }
}

TEST_CASE("ids= given a function or lambda that returns one expression: pytest's id of its answer") {
  // ids printed by pytest 9.2 on Python 3.11.7 for this module (None, or an answer with no id
  // such as a list, falls back to the value's own id; pytest.param's id= wins).
  const std::string source = R"PY(import pytest

def name_of(v):
    return f"n{v}"

def maybe(v):
    return v if isinstance(v, str) else None

CASES = [1, 2]

@pytest.mark.parametrize("x", [1, 2, 3], ids=lambda v: f"case-{v}")
def test_lambda(x): pass

@pytest.mark.parametrize("x", CASES, ids=name_of)
def test_named(x): pass

@pytest.mark.parametrize("a,b", [(1, "p"), (2, "q")], ids=lambda v: str(v) * 2)
def test_two_args(a, b): pass

@pytest.mark.parametrize("x", [1, 2], ids=lambda v: None)
def test_none(x): pass

@pytest.mark.parametrize("x", [1, 2], ids=lambda v: [v])
def test_list_answer(x): pass

@pytest.mark.parametrize("x", [pytest.param(1, id="given"), 2], ids=lambda v: f"f{v}")
def test_param_id(x): pass

@pytest.mark.parametrize("x", [1, 1], ids=lambda v: "same")
def test_dupes(x): pass

@pytest.mark.parametrize("x", ["a b", "c"], ids=lambda v: v + "\n")
def test_escaped(x): pass

@pytest.fixture(params=[10, 20], ids=lambda p: f"p{p}")
def fx(request):
    return request.param

def test_fixture(fx): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
      "test_lambda[case-1]", "test_lambda[case-2]", "test_lambda[case-3]", "test_named[n1]", "test_named[n2]",
      "test_two_args[11-pp]", "test_two_args[22-qq]", "test_none[1]", "test_none[2]", "test_list_answer[1]",
      "test_list_answer[2]", "test_param_id[given]", "test_param_id[f2]", "test_dupes[same0]", "test_dupes[same1]",
      "test_escaped[a b\\n]", "test_escaped[c\\n]", "test_fixture[p10]", "test_fixture[p20]"}));
}

TEST_CASE("ids= given a function that cannot be evaluated stays dynamic") {
  const std::string source = R"PY(import pytest
def loops(v):
    while True:
        return str(v)
@pytest.mark.parametrize("x", [1, 2], ids=loops)
def test_loops(x): pass
@pytest.mark.parametrize("x", [1, 2], ids=lambda v: v.name)
def test_attribute(x): pass
@pytest.mark.parametrize("x", [1, 2], ids=lambda: "no argument")
def test_arity(x): pass
)PY";
  auto result = discover_snippet(source, rules_for_311());
  for (const char* name : {"test_loops", "test_attribute", "test_arity"}) {
    const fastest::TestItem* item = find_item(result, std::string("test_m.py::") + name);
    REQUIRE(item);
    INFO(name << ": " << item->dynamic_reason);
    CHECK(item->dynamic);
  }
}

TEST_CASE("a list grown by append/extend at module level, in loops and known ifs, before it is read") {
  // ids printed by pytest 9.2 on Python 3.11.7 (ecdsa's `converters`: pytest.param ids given,
  // values unknown).
  const std::string source = R"PY(import sys
import pytest

converters = []
for modifier, convert in [("bytes", lambda x: x), ("bytearray", bytearray), ("memory", memoryview)]:
    converters.append(pytest.param(convert, id=modifier))

@pytest.mark.parametrize("convert", converters)
def test_converters(convert): pass

@pytest.mark.parametrize("convert", converters[:-1])
def test_sliced(convert): pass

CASES = [0]
for i in range(1, 4):
    if i % 2:
        CASES.append(i * 10)
    else:
        CASES.extend([i, -i])
if sys.version_info >= (3, 8):
    CASES.append("new")

@pytest.mark.parametrize("x", CASES)
def test_cases(x): pass

PAIRS = []
for a in "ab":
    for b in (1, 2):
        label = f"{a}{b}"
        PAIRS.append((label, b))

@pytest.mark.parametrize("label,b", PAIRS)
def test_pairs(label, b): pass

)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
      "test_converters[bytes]", "test_converters[bytearray]", "test_converters[memory]", "test_sliced[bytes]",
      "test_sliced[bytearray]", "test_cases[0]", "test_cases[10]", "test_cases[2]", "test_cases[-2]", "test_cases[30]",
      "test_cases[new]", "test_pairs[a1-1]", "test_pairs[a2-2]", "test_pairs[b1-1]", "test_pairs[b2-2]"}));
}

TEST_CASE("a list grown after it is read, in a function, through an alias, or shrunk stays dynamic") {
  // pytest keeps the list object and reads it at collection: test_early has [1] and [2] there.
  const std::string source = R"PY(import pytest
EARLY = [1]
@pytest.mark.parametrize("x", EARLY)
def test_early(x): pass
EARLY.append(2)

LATE = [1]
def grow():
    LATE.append(5)
grow()
@pytest.mark.parametrize("x", LATE)
def test_late(x): pass

ALIASED = [1]
other = ALIASED
other.append(2)
@pytest.mark.parametrize("x", ALIASED)
def test_aliased(x): pass

POPPED = [1, 2]
POPPED.append(3)
POPPED.pop()
@pytest.mark.parametrize("x", POPPED)
def test_popped(x): pass

SELF = [1]
for v in range(2):
    SELF.append(len(SELF))
@pytest.mark.parametrize("x", SELF)
def test_self(x): pass
)PY";
  auto result = discover_snippet(source, rules_for_311());
  for (const char* name : {"test_early", "test_late", "test_aliased", "test_popped", "test_self"}) {
    const fastest::TestItem* item = find_item(result, std::string("test_m.py::") + name);
    REQUIRE(item);
    INFO(name << ": " << item->dynamic_reason);
    CHECK(item->dynamic);
  }
}

TEST_CASE("a function that builds its answer in statements: locals, loops, known ifs, a fresh list grown") {
  // ids printed by pytest 9.2 on Python 3.11.7 for this module.
  const std::string source = R"PY(import pytest
BASE = ["x", "y"]
def loops():
    out = []
    for i in range(3):
        out.append(i * 2)
    return out
def nested(prefix="p"):
    """Docstring."""
    cases = []
    for a in BASE:
        for b in (1, 2):
            label = f"{prefix}{a}{b}"
            if b == 1:
                cases.append(pytest.param(a, b, id=label))
            else:
                cases.extend([(a, b)])
    return cases
def locals_only():
    n = 3
    m = n + 1
    return list(range(n, m + 1))
def unknown_if(flag=None):
    out = []
    if flag:
        out.append(1)
    return out
@pytest.mark.parametrize("x", loops())
def test_loops(x): pass
@pytest.mark.parametrize("a,b", nested())
def test_nested(a, b): pass
@pytest.mark.parametrize("x", locals_only())
def test_locals(x): pass
@pytest.mark.parametrize("x", unknown_if())
def test_unknown_if(x): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
      "test_loops[0]", "test_loops[2]", "test_loops[4]", "test_nested[px1]", "test_nested[x-2]", "test_nested[py1]",
      "test_nested[y-2]", "test_locals[3]", "test_locals[4]", "test_unknown_if[NOTSET]"}));
}

TEST_CASE("a generator function's yields are replayed: yield, yield from, bare yield, loops and ifs") {
  // The ids real pytest 9.2 printed for this module.
  const std::string source = R"PY(import pytest
def cases():
    """Docstring."""
    yield 1
    yield pytest.param(2, id="two")
    for i in range(3, 5):
        if i % 2:
            yield i
    yield from ["a", "b"]
    yield
    return
def pairs(n=2):
    for a in range(n):
        yield a, str(a)
def asserted(flag=True):
    assert flag
    yield 1
    assert len([1, 2]) == 2, "message"
@pytest.mark.parametrize("x", cases())
def test_cases(x): pass
@pytest.mark.parametrize("a,b", pairs())
def test_pairs(a, b): pass
@pytest.mark.parametrize("x", asserted())
def test_asserted(x): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
      "test_cases[1]", "test_cases[two]", "test_cases[3]", "test_cases[a]", "test_cases[b]", "test_cases[None]",
      "test_pairs[0-0]", "test_pairs[1-1]", "test_asserted[1]"}));
}

TEST_CASE("a generator read twice, one whose yield is read as a value, that returns midway or fails an assert stays dynamic") {
  const std::string source = R"PY(import pytest
def cases():
    yield 1
GEN = cases()
def sent():
    x = yield 1
    yield x
def early():
    for i in range(5):
        if i == 2:
            return
        yield i
def failing():
    assert 1 == 2
    yield 3
@pytest.mark.parametrize("x", failing())
def test_failing(x): pass
@pytest.mark.parametrize("x", GEN)
def test_gen_once(x): pass
@pytest.mark.parametrize("x", GEN)
def test_gen_twice(x): pass
@pytest.mark.parametrize("x", sent())
def test_sent(x): pass
@pytest.mark.parametrize("x", early())
def test_early(x): pass
)PY";
  auto result = discover_snippet(source, rules_for_311());
  for (const char* name : {"test_gen_twice", "test_sent", "test_early", "test_failing"}) {
    const fastest::TestItem* item = find_item(result, std::string("test_m.py::") + name);
    REQUIRE(item);
    INFO(name << ": " << item->dynamic_reason);
    CHECK(item->dynamic);
  }
}

TEST_CASE("a function whose list another name can see, or that breaks, reads a local early or grows a global stays dynamic") {
  const std::string source = R"PY(import pytest
BASE = ["x"]
def aliased():
    out = []
    other = out
    other.append(1)
    return out
def reads_growing():
    out = [1]
    for i in range(2):
        out.append(len(out))
    return out
def loop_break():
    out = []
    for i in range(5):
        if i == 2:
            break
        out.append(i)
    return out
def read_early(x=1):
    y = x + z
    z = 2
    return [y]
def grows_parameter(out=[]):
    out.append(1)
    return out
def grows_global():
    BASE.append("z")
    return [1]
@pytest.mark.parametrize("x", aliased())
def test_aliased(x): pass
@pytest.mark.parametrize("x", reads_growing())
def test_reads_growing(x): pass
@pytest.mark.parametrize("x", loop_break())
def test_break(x): pass
@pytest.mark.parametrize("x", read_early())
def test_read_early(x): pass
@pytest.mark.parametrize("x", grows_parameter())
def test_grows_parameter(x): pass
@pytest.mark.parametrize("x", grows_global())
def test_grows_global(x): pass
@pytest.mark.parametrize("x", BASE)
def test_base(x): pass
)PY";
  auto result = discover_snippet(source, rules_for_311());
  for (const char* name : {"test_aliased", "test_reads_growing", "test_break", "test_read_early", "test_grows_parameter",
                           "test_grows_global", "test_base"}) {
    const fastest::TestItem* item = find_item(result, std::string("test_m.py::") + name);
    REQUIRE(item);
    INFO(name << ": " << item->dynamic_reason);
    CHECK(item->dynamic);
  }
}

TEST_CASE("a module-level list grown by += is replayed as extend; a tuple or str += stays dynamic") {
  // The ids real pytest 9.2 printed (numpy's `_TYPE_CODES += [...]`).
  const std::string source = R"PY(import pytest
L = [1, 2]
L += [3]
for i in range(2):
    L += [10 + i]
N = [0]
N += "xy"
@pytest.mark.parametrize("x", L)
def test_l(x): pass
@pytest.mark.parametrize("x", N)
def test_n(x): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
      "test_l[1]", "test_l[2]", "test_l[3]", "test_l[10]", "test_l[11]", "test_n[0]", "test_n[x]", "test_n[y]"}));
  auto result = discover_snippet(R"PY(import pytest
T = (1,)
T += (2,)
S = "ab"
S += "c"
@pytest.mark.parametrize("x", T)
def test_t(x): pass
@pytest.mark.parametrize("x", [S])
def test_s(x): pass
)PY", rules_for_311());
  for (const char* name : {"test_t", "test_s"}) {
    const fastest::TestItem* item = find_item(result, std::string("test_m.py::") + name);
    REQUIRE(item);
    CHECK(item->dynamic);
  }
}

TEST_CASE("names bound by unpacking a known sequence, nested, in a class body too") {
  // The ids real pytest 9.2 printed (numpy's `scalars_only, codes_only = zip(*scalars_and_codes)`).
  const std::string source = R"PY(import pytest
pairs = [(1, "a"), (2, "b")]
A, B = zip(*pairs)
(C, (D, E)), F = ([1, 2], ("x", "y")), "z"
@pytest.mark.parametrize("x", A, ids=B)
def test_z(x): pass
@pytest.mark.parametrize("x", [C, D, E, F])
def test_nested(x): pass
class TestK:
    K, L = ["k1", "k2"], ["l1"]
    @pytest.mark.parametrize("x", K + L)
    def test_k(self, x): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
      "test_z[a]", "test_z[b]", "test_nested[x0]", "test_nested[x]", "test_nested[y]", "test_nested[z]",
      "TestK::test_k[k1]", "TestK::test_k[k2]", "TestK::test_k[l1]"}));
  // A starred target, another length (Python raises) or an unknown right-hand side stay dynamic.
  auto result = discover_snippet(R"PY(import pytest
G, *H = [1, 2, 3]
I, J = [1, 2, 3]
K, M = unknown()
@pytest.mark.parametrize("x", [G])
def test_starred(x): pass
@pytest.mark.parametrize("x", [I])
def test_length(x): pass
@pytest.mark.parametrize("x", [K])
def test_unknown(x): pass
)PY", rules_for_311());
  for (const char* name : {"test_starred", "test_length", "test_unknown"}) {
    const fastest::TestItem* item = find_item(result, std::string("test_m.py::") + name);
    REQUIRE(item);
    INFO(name << ": " << item->dynamic_reason);
    CHECK(item->dynamic);
  }
}

TEST_CASE("a project function with *args, **kwargs, keyword-only parameters, given unknown arguments") {
  // The ids real pytest 9.2 printed (numpy's `('array', *func_args((1,)))` rows).
  const std::string source = R"PY(import pytest
def func_args(*args, **kwargs):
    return args, kwargs
T = [("a", *func_args((1,))), ("b", *func_args(3, dtype=int)), ("c", *func_args(lambda: 1))]
@pytest.mark.parametrize("function, args, kwargs", T)
def test_f(function, args, kwargs): pass
def plain(a, *rest, k=2, **kw):
    return [a, rest, k, kw]
@pytest.mark.parametrize("x", plain(1, 2, 3, k=4, z=5))
def test_g(x): pass
def only(a, /, b, *, c):
    return [a, b, c]
@pytest.mark.parametrize("x", only(1, b=2, c=3))
def test_h(x): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
      "test_f[a-args0-kwargs0]", "test_f[b-args1-kwargs1]", "test_f[c-args2-kwargs2]", "test_g[1]", "test_g[x1]",
      "test_g[4]", "test_g[x3]", "test_h[1]", "test_h[2]", "test_h[3]"}));
  // What Python rejects, and an unknown argument whose value the id needs, stay dynamic.
  auto result = discover_snippet(R"PY(import pytest
def only(a, /, b, *, c):
    return [a, b, c]
def echo(x):
    return [x]
@pytest.mark.parametrize("x", only(a=1, b=2, c=3))
def test_positional_only(x): pass
@pytest.mark.parametrize("x", only(1, 2, 3))
def test_keyword_only(x): pass
@pytest.mark.parametrize("x", echo(int))
def test_unknown(x): pass
)PY", rules_for_311());
  for (const char* name : {"test_positional_only", "test_keyword_only", "test_unknown"}) {
    const fastest::TestItem* item = find_item(result, std::string("test_m.py::") + name);
    REQUIRE(item);
    INFO(name << ": " << item->dynamic_reason);
    CHECK(item->dynamic);
  }
}

TEST_CASE("complex() of ints and floats is named by Python's repr") {
  // The ids real pytest 9.2 printed (numpy's `complex(1, -1)` pad widths).
  const std::string source = R"PY(import pytest
@pytest.mark.parametrize("z", [complex(1, -1), complex(0, 2), complex(0, -2), complex(-0.0, 1), complex(1.5, 0), complex(2), complex(0), complex(1e16, 1e-5), complex(True, False), complex(0.0, -0.0), 1j, complex(-1, 0.5)])
def test_c(z): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
      "test_c[(1-1j)]", "test_c[2j]", "test_c[-2j]", "test_c[(-0+1j)]", "test_c[(1.5+0j)]", "test_c[(2+0j)]", "test_c[0j]",
      "test_c[(1e+16+1e-05j)]", "test_c[(1+0j)]", "test_c[-0j]", "test_c[1j]", "test_c[(-1+0.5j)]"}));
  auto result = discover_snippet(R"PY(import pytest
@pytest.mark.parametrize("z", [complex("1+2j")])
def test_text(z): pass
)PY", rules_for_311());
  const fastest::TestItem* item = find_item(result, "test_m.py::test_text");
  REQUIRE(item);
  CHECK(item->dynamic);
}

TEST_CASE("+ and - with a complex operand, part by part as Python adds them") {
  // The ids real pytest 9.2 printed (numpy's `[2, 1 + 3j, (1, 2), None]`).
  const std::string source = R"PY(import pytest
@pytest.mark.parametrize("z", [1 + 3j, 2.5 - 1j, 1j + 1j, 0 + 0j, -1 + 0j, 1 - 0j, (1 + 2j) - (1 + 2j), 1e16 + 1j, True + 1j, 3j - 1, 0.1 + 0.2j])
def test_c(z): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
      "test_c[(1+3j)]", "test_c[(2.5-1j)]", "test_c[2j]", "test_c[0j0]", "test_c[(-1+0j)]", "test_c[(1+0j)]",
      "test_c[0j1]", "test_c[(1e+16+1j)]", "test_c[(1+1j)]", "test_c[(-1+3j)]", "test_c[(0.1+0.2j)]"}));
  auto result = discover_snippet(R"PY(import pytest
@pytest.mark.parametrize("z", [2 * 1j])
def test_product(z): pass
)PY", rules_for_311());
  const fastest::TestItem* item = find_item(result, "test_m.py::test_product");
  REQUIRE(item);
  CHECK(item->dynamic);
}

TEST_CASE("a sign on a float bound to a name or in parentheses") {
  // The ids real pytest 9.2 printed.
  const std::string source = R"PY(import pytest
X = 1.5
@pytest.mark.parametrize("y", [-X, +X, -0.0, -(0.0), -(1e400)])
def test_neg(y): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
      "test_neg[-1.5]", "test_neg[1.5]", "test_neg[-0.0_0]", "test_neg[-0.0_1]", "test_neg[-inf]"}));
}

TEST_CASE("a known sequence unpacked into itertools and builtins; a set unpacked stays dynamic") {
  // The ids real pytest 9.2 printed for this module (numpy's `itertools.chain(*[[...] for size in sizes])`).
  const std::string source = R"PY(import itertools
from itertools import chain
import pytest
sizes = [(), (3,), (2, 3)]
ROWS = [(1, "a"), (2, "b")]
@pytest.mark.parametrize("size, axis", itertools.chain(*[[(size, axis) for axis in list(range(-len(size), len(size))) + [None]] for size in sizes]))
def test_chain(size, axis): pass
@pytest.mark.parametrize("x", chain(*ROWS))
def test_chain_name(x): pass
@pytest.mark.parametrize("a,b", zip(*[[1, 2], ["x", "y"]]))
def test_zip(a, b): pass
@pytest.mark.parametrize("x", list(itertools.product(*[[1, 2], "ab"])))
def test_product(x): pass
@pytest.mark.parametrize("x", sorted(*[[3, 1, 2]]))
def test_sorted(x): pass
@pytest.mark.parametrize("x", range(*(1, 7, 2)))
def test_range(x): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
      "test_chain[size0-None]", "test_chain[size1--1]", "test_chain[size2-0]", "test_chain[size3-None]",
      "test_chain[size4--2]", "test_chain[size5--1]", "test_chain[size6-0]", "test_chain[size7-1]",
      "test_chain[size8-None]", "test_chain_name[1]", "test_chain_name[a]", "test_chain_name[2]", "test_chain_name[b]",
      "test_zip[1-x]", "test_zip[2-y]", "test_product[x0]", "test_product[x1]", "test_product[x2]", "test_product[x3]",
      "test_sorted[1]", "test_sorted[2]", "test_sorted[3]", "test_range[1]", "test_range[3]", "test_range[5]"}));
  auto result = discover_snippet(R"PY(import pytest
@pytest.mark.parametrize("x", zip(*{(1,), (2,)}))
def test_set(x): pass
@pytest.mark.parametrize("x", dict(**{"a": 1}))
def test_kwargs(x): pass
)PY", rules_for_311());
  for (const char* name : {"test_set", "test_kwargs"}) {
    const fastest::TestItem* item = find_item(result, std::string("test_m.py::") + name);
    REQUIRE(item);
    CHECK(item->dynamic);
  }
}

TEST_CASE("str.format given a known sequence unpacked; globals() only read") {
  // packaging's markers: "{} {} {!r}".format(*i) over itertools.product.
  const std::string source = R"PY(import itertools
import pytest
OPS = ["==", "in"]
VALS = ["1.0", "it's", 'say "hi"']
@pytest.mark.parametrize("m", ["{} {!r}".format(*i) for i in itertools.product(OPS, VALS)] + ["{1}-{0}".format(*p) for p in [(1, 2)]])
def test_unpacked(m): pass
if "helper" not in globals():
    helper = 1
SEEN = globals().get("SEEN", 3)
def test_plain(): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {
                                  "test_unpacked[== '1.0']", "test_unpacked[== \"it's\"]",
                                  "test_unpacked[== 'say \"hi\"']", "test_unpacked[in '1.0']",
                                  "test_unpacked[in \"it's\"]", "test_unpacked[in 'say \"hi\"']",
                                  "test_unpacked[2-1]", "test_plain"}));
  // Unpacking what is not known, `**`, or writing through globals() stays dynamic.
  for (const char* dynamic : {
           "import pytest\n@pytest.mark.parametrize('m', ['{}'.format(*x) for x in [ARGS]])\ndef test_a(m): pass\n",
           "import pytest\n@pytest.mark.parametrize('m', ['{a}'.format(**d) for d in [{'a': 1}]])\ndef test_a(m): pass\n",
           "globals()['test_b'] = lambda: None\ndef test_a(): pass\n",
       }) {
    auto result = discover_snippet(dynamic, rules_for_311());
    INFO(dynamic);
    CHECK(std::any_of(result.items.begin(), result.items.end(), [](const auto& i) { return i.dynamic; }));
  }
}

TEST_CASE("the operator module's functions by __name__; stdlib modules imported under another name") {
  const std::string source = R"PY(import operator
import operator as op
import datetime as dt
import pytest

OPS = [operator.lt, operator.__add__, op.and_, operator.__not__, operator.truediv]

@pytest.mark.parametrize("f", OPS)
def test_ops(f): pass

@pytest.mark.parametrize("d", [dt.date(2020, 1, 2), dt.timedelta(days=1)])
def test_dates(d): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {"test_ops[lt]", "test_ops[add]", "test_ops[and_]",
                                                         "test_ops[not_]", "test_ops[truediv]", "test_dates[d0]",
                                                         "test_dates[d1]"}));
  // operator.__call__ exists from Python 3.11 only: not read.
  auto result = discover_snippet("import operator, pytest\n@pytest.mark.parametrize('g', [operator.__call__])\ndef test_g(g): pass\n",
                                 rules_for_311());
  CHECK(std::any_of(result.items.begin(), result.items.end(), [](const auto& i) { return i.dynamic; }));
}

TEST_CASE("a function body binding comprehensions (frames pushed while a local is assigned)") {
  // pycodestyle's get_tests(): the comprehension's own frame moved the function's frame while
  // `ret = [...]` was being assigned (a crash; ASan reads it as a use after free).
  const std::string source = R"PY(import pytest


def get_tests():
    ret = [pytest.param(a, b, id=f"case{a}-{b}") for a in range(2) for b in "xy"]
    more = [n * 2 for n in range(2)]
    return tuple(ret) + tuple(more)


@pytest.mark.parametrize(("a", "b"), get_tests()[:4])
def test(a, b): pass
)PY";
  CHECK(static_ids(source) ==
        expected("test_m.py::", {"test[case0-x]", "test[case0-y]", "test[case1-x]", "test[case1-y]"}));
}

TEST_CASE("object() sentinels: argname+index, and plain Enum members bound to object()") {
  // click's Sentinel enum; ids as pytest 9.2 printed them.
  const std::string source = R"PY(import enum
import pytest


class Sentinel(enum.Enum):
    UNSET = object()
    FLAG = object()
    ONE = 1
    UNO = 1

    def __repr__(self):
        return f"{self.__class__.__name__}.{self.name}"


SENTINEL = object()


@pytest.mark.parametrize("v", [Sentinel.UNSET, Sentinel.FLAG, Sentinel.ONE, Sentinel.UNO, None])
def test_s(v): pass


@pytest.mark.parametrize("v", [object(), SENTINEL, object, 1])
def test_o(v): pass
)PY";
  CHECK(static_ids(source) == expected("test_m.py::", {"test_s[Sentinel.UNSET]", "test_s[Sentinel.FLAG]",
                                                         "test_s[Sentinel.ONE0]", "test_s[Sentinel.ONE1]",
                                                         "test_s[None]", "test_o[v0]", "test_o[v1]",
                                                         "test_o[object]", "test_o[1]"}));
}

TEST_CASE("ints past 64 bits are Python's: powers, shifts, floor division, negation", "[static-eval]") {
  auto r = discover_snippet(
      "import pytest\n"
      "@pytest.mark.parametrize('n', [2**63, 10**30, -(10**15), 1 << 70, (1 << 70) >> 3, 2**64 // 3, -(2**64) % 7,\n"
      "                               ~(2**65), 0xFFFFFFFFFFFFFFFFFF & 0xF0F0, -9223372036854775807 - 1])\n"
      "def test_n(n): pass\n");
  CHECK(leaf_ids(r) == Ids{"test_m.py::test_n[9223372036854775808]", "test_m.py::test_n[1000000000000000000000000000000]",
                           "test_m.py::test_n[-1000000000000000]", "test_m.py::test_n[1180591620717411303424]",
                           "test_m.py::test_n[147573952589676412928]", "test_m.py::test_n[6148914691236517205]",
                           "test_m.py::test_n[5]", "test_m.py::test_n[-36893488147419103233]", "test_m.py::test_n[61680]",
                           "test_m.py::test_n[-9223372036854775808]"});
  // str() of an int past 4300 digits raises in CPython: pytest's id fails, so it stays pytest's.
  CHECK(find_item(discover_snippet("import pytest\n@pytest.mark.parametrize('n', [10**5000])\ndef test_n(n): pass\n"),
                  "test_m.py::test_n")->dynamic);
}

TEST_CASE("float arithmetic and true division are IEEE's, printed as Python's repr", "[static-eval]") {
  auto r = discover_snippet(
      "import pytest\n"
      "@pytest.mark.parametrize('x', [101943 / 1000000, 0.1 + 0.2, 1e16 * 10, 3 * 1.5, 2.5 - 5, 1 / 3, -7 / 2, 1e-5 * 1])\n"
      "def test_x(x): pass\n");
  CHECK(leaf_ids(r) == Ids{"test_m.py::test_x[0.101943]", "test_m.py::test_x[0.30000000000000004]", "test_m.py::test_x[1e+17]",
                           "test_m.py::test_x[4.5]", "test_m.py::test_x[-2.5]", "test_m.py::test_x[0.3333333333333333]",
                           "test_m.py::test_x[-3.5]", "test_m.py::test_x[1e-05]"});
  CHECK(find_item(discover_snippet("import pytest\n@pytest.mark.parametrize('x', [1 / 0])\ndef test_x(x): pass\n"),
                  "test_m.py::test_x")->dynamic);
}

TEST_CASE("elements changed in place keep their places: ids= still names them", "[static-eval]") {
  // pytest 9.2: test_mat[0d], test_mat[1d]; without ids= the objects' ids are argname+index.
  auto r = discover_snippet(
      "import datetime\nimport pytest\n"
      "ARRAYS = {'0d': [5], '1d': [1, 2]}\n"
      "for v in ARRAYS.values():\n    v.append(0)\n"
      "@pytest.mark.parametrize('mat', ARRAYS.values(), ids=ARRAYS.keys())\ndef test_mat(mat): pass\n"
      "@pytest.mark.parametrize('mat', ARRAYS.values())\ndef test_no_ids(mat): pass\n");
  CHECK(leaf_ids(r) == Ids{"test_m.py::test_mat[0d]", "test_m.py::test_mat[1d]", "test_m.py::test_no_ids"});
  CHECK(find_item(r, "test_m.py::test_no_ids")->dynamic);
}

TEST_CASE("a class's __name__ is the name its statement gives, through a tuple of classes too", "[static-eval]") {
  // pytest 9.2: test_p[Alpha] / [Beta]; a metaclass may name the class otherwise: pytest's.
  auto r = discover_snippet(
      "import pytest\n"
      "class Alpha: pass\nclass Beta: pass\nclass Meta(type): pass\nclass Gamma(metaclass=Meta): pass\n"
      "classes = (Alpha, Beta)\n"
      "@pytest.fixture(params=classes, ids=tuple(c.__name__ for c in classes))\ndef cls(request): return request.param\n"
      "def test_p(cls): pass\n"
      "@pytest.mark.parametrize('n', [Gamma.__name__])\ndef test_meta(n): pass\n");
  CHECK(leaf_ids(r) == Ids{"test_m.py::test_p[Alpha]", "test_m.py::test_p[Beta]", "test_m.py::test_meta"});
  CHECK(find_item(r, "test_m.py::test_meta")->dynamic);
}

TEST_CASE("a name bound by several plain statements is read as the last one before the read", "[static-eval]") {
  // pytest 9.2's ids for the same module.
  auto r = discover_snippet(
      "import pytest\n"
      "CASES = [1, 2]\nCASES = CASES + [3]\n"
      "@pytest.mark.parametrize('c', CASES)\ndef test_c(c): pass\n"
      "CASES = CASES + [4]\n"
      "@pytest.mark.parametrize('c', CASES)\ndef test_d(c): pass\n"
      "class TestK:\n    darr = [('a', 1)]\n    darr = darr + [('b', 2)]\n"
      "    @pytest.mark.parametrize('s,n', darr)\n    def test_k(self, s, n): pass\n"
      "def helper():\n    return CASES\n"
      "@pytest.mark.parametrize('c', helper())\ndef test_h(c): pass\n"
      "LOOPED = [1]\nfor LOOPED in [[2]]: pass\n"
      "@pytest.mark.parametrize('c', LOOPED)\ndef test_looped(c): pass\n");
  CHECK(leaf_ids(r) == Ids{"test_m.py::test_c[1]", "test_m.py::test_c[2]", "test_m.py::test_c[3]", "test_m.py::test_d[1]",
                           "test_m.py::test_d[2]", "test_m.py::test_d[3]", "test_m.py::test_d[4]", "test_m.py::TestK::test_k[a-1]",
                           "test_m.py::TestK::test_k[b-2]", "test_m.py::test_h[1]", "test_m.py::test_h[2]", "test_m.py::test_h[3]",
                           "test_m.py::test_h[4]", "test_m.py::test_looped"});
  CHECK(find_item(r, "test_m.py::test_looped")->dynamic);  // a loop binds it too: not read
}

TEST_CASE("the project's classes in a list changed in place are not named from source; ids= still serve", "[static-eval]") {
  // pytest 9.2: test_c[Alpha], test_c[Beta] (settled), test_ids[a], test_ids[b] (static).
  auto r = discover_snippet(
      "import pytest\n"
      "class Alpha: pass\nclass Beta: pass\n"
      "CLASSES = [Alpha, Beta]\n"
      "for cls in CLASSES:\n    cls.registered = True\n"
      "@pytest.mark.parametrize('c', CLASSES)\ndef test_c(c): pass\n"
      "@pytest.mark.parametrize('c', CLASSES, ids=['a', 'b'])\ndef test_ids(c): pass\n");
  CHECK(find_item(r, "test_m.py::test_c")->dynamic);
  CHECK(leaf_ids(r) == Ids{"test_m.py::test_c", "test_m.py::test_ids[a]", "test_m.py::test_ids[b]"});
}
