// Values of installed modules read through LibraryFacts (discovery/library_facts.h): how the
// evaluator names what it asks (the import statement, then the chain of attributes and calls),
// and what it does with the answers. The answers here are what Python 3.11.7 with numpy 2.4.6
// gave; the expected ids are what real pytest 9.2 printed for the same module.
#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <set>

#include "server/discovery/library_facts.h"
#include "tests/unit/discovery_test_util.h"

using namespace fastest;

namespace {

StaticValue named(const std::string& name) {
  StaticValue v;
  v.kind = StaticValue::Kind::Named;
  v.text = name;
  return v;
}

StaticValue number(StaticValue::Kind kind, const std::string& text) {
  StaticValue v;
  v.kind = kind;
  v.text = text;
  return v;
}

StaticValue boolean(bool b) {
  StaticValue v;
  v.kind = StaticValue::Kind::Bool;
  v.exact = true;
  v.integer = b ? 1 : 0;
  v.text = b ? "True" : "False";
  return v;
}

// Answers from a table; every key looked up and not in it is noted, as the store notes questions.
class TableFacts : public LibraryFacts {
 public:
  std::map<std::string, StaticValue> answers;
  mutable std::set<std::string> asked;
  std::optional<StaticValue> value(const std::string& statement, const std::string& chain,
                                   const std::string&) const override {
    auto it = answers.find(statement + "|" + chain);
    if (it != answers.end()) return it->second;
    asked.insert(statement + "|" + chain);
    return std::nullopt;
  }
};

// The item `id` of a discovered module (the test fails when there is none).
const TestItem& found(const ModuleResult& r, const std::string& id) {
  const TestItem* item = test::find_item(r, id);
  REQUIRE(item);
  return *item;
}

CollectRules rules_with(const std::shared_ptr<TableFacts>& facts) {
  CollectRules rules;
  rules.library = facts;
  return rules;
}

}  // namespace

TEST_CASE("an installed module's attributes are read from the interpreter's answers", "[library-facts]") {
  auto facts = std::make_shared<TableFacts>();
  facts->answers["import numpy|[\"float64\"]"] = named("float64");
  facts->answers["import numpy|[\"intc\"]"] = named("int32");  // np.intc.__name__ on Linux x86-64
  facts->answers["import numpy|[\"inf\"]"] = number(StaticValue::Kind::Float, "inf");
  facts->answers["from numpy import float32|[]"] = named("float32");
  const std::string source = R"PY(import numpy as np
import pytest
from numpy import float32

@pytest.mark.parametrize("x", [np.float64, np.intc, np.inf, float32])
def test_a(x): pass
)PY";
  CHECK(test::ids_of(source, rules_with(facts)) ==
        std::vector<std::string>{"test_m.py::test_a[float64]", "test_m.py::test_a[int32]", "test_m.py::test_a[inf]",
                                 "test_m.py::test_a[float32]"});
  CHECK(facts->asked.empty());
}

TEST_CASE("an answered float is negated as Python negates it; a sign on an unanswered value waits", "[library-facts]") {
  // numpy's `[1, np.inf, -np.inf, np.nan]`: the ids real pytest 9.2 printed.
  auto facts = std::make_shared<TableFacts>();
  facts->answers["import numpy|[\"inf\"]"] = number(StaticValue::Kind::Float, "inf");
  facts->answers["import numpy|[\"nan\"]"] = number(StaticValue::Kind::Float, "nan");
  const std::string source = R"PY(import numpy as np
import pytest

@pytest.mark.parametrize("y", [1, np.inf, -np.inf, np.nan, -np.nan, +np.inf])
def test_y(y): pass

@pytest.mark.parametrize("z", [-np.pi])
def test_z(z): pass
)PY";
  ModuleResult r = test::discover_snippet(source, rules_with(facts));
  CHECK(test::leaf_ids(r) == std::vector<std::string>{"test_m.py::test_y[1]", "test_m.py::test_y[inf0]",
                                                      "test_m.py::test_y[-inf]", "test_m.py::test_y[nan0]",
                                                      "test_m.py::test_y[nan1]", "test_m.py::test_y[inf1]",
                                                      "test_m.py::test_z"});
  CHECK(found(r, "test_m.py::test_z").dynamic);
  CHECK(facts->asked == std::set<std::string>{"import numpy|[\"pi\"]"});  // asked, to be answered next round
}

TEST_CASE("an installed module's list the file extends with += is not read from the answers", "[library-facts]") {
  auto facts = std::make_shared<TableFacts>();
  StaticValue cases;
  cases.kind = StaticValue::Kind::List;
  cases.items = {number(StaticValue::Kind::Int, "1")};
  facts->answers["from mylib import CASES|[]"] = cases;
  const std::string source = R"PY(import pytest
from mylib import CASES
CASES += [2]

@pytest.mark.parametrize("x", CASES)
def test_x(x): pass
)PY";
  ModuleResult r = test::discover_snippet(source, rules_with(facts));
  CHECK(found(r, "test_m.py::test_x").dynamic);  // pytest: test_x[1], test_x[2]
}

TEST_CASE("a value not answered yet keeps the test dynamic and notes the whole expression", "[library-facts]") {
  auto facts = std::make_shared<TableFacts>();
  const std::string source = R"PY(import numpy as np
import pytest

@pytest.mark.parametrize("m", [np.iinfo(np.int8).max])
def test_max(m): pass

@pytest.mark.parametrize("dt", [np.dtype(c) for c in "bh"])
def test_dtype(dt): pass
)PY";
  ModuleResult r = test::discover_snippet(source, rules_with(facts));
  const TestItem& max = found(r, "test_m.py::test_max");
  CHECK(max.dynamic);
  INFO(max.dynamic_reason);
  CHECK(max.dynamic_reason.find("not asked of the interpreter yet") != std::string::npos);
  // One pass notes the call with its argument, the attribute read of its result, and every
  // element of the comprehension: one ask answers them all.
  const std::string int8 = R"({"p":["import numpy",["int8"],""]})";
  CHECK(facts->asked == std::set<std::string>{
                            "import numpy|[\"int8\"]",
                            "import numpy|[\"iinfo\",{\"a\":[" + int8 + "],\"k\":[]}]",
                            "import numpy|[\"iinfo\",{\"a\":[" + int8 + "],\"k\":[]},\"max\"]",
                            "import numpy|[\"dtype\",{\"a\":[\"b\"],\"k\":[]}]",
                            "import numpy|[\"dtype\",{\"a\":[\"h\"],\"k\":[]}]",
                        });
}

TEST_CASE("a call's answer is used as pytest uses the value: its elements, or argname+index", "[library-facts]") {
  auto facts = std::make_shared<TableFacts>();
  StaticValue arange;  // np.arange(1, 4): an ndarray of np.int64, which have no __name__
  arange.kind = StaticValue::Kind::Object;
  arange.iterable = true;
  arange.items.assign(3, number(StaticValue::Kind::Object, ""));
  facts->answers["import numpy|[\"arange\"]"] = named("arange");
  facts->answers[R"(import numpy|["arange",{"a":[{"i":"1"},{"i":"4"}],"k":[]}])"] = arange;
  facts->answers["import numpy|[\"dtype\"]"] = named("dtype");
  facts->answers[R"(import numpy|["dtype",{"a":["f8"],"k":[]}])"] = number(StaticValue::Kind::Object, "");
  const std::string source = R"PY(import numpy as np
import pytest

@pytest.mark.parametrize("N", np.arange(1, 4))
@pytest.mark.parametrize("dt", [np.dtype("f8")])
def test_sort(N, dt): pass
)PY";
  CHECK(test::ids_of(source, rules_with(facts)) ==
        std::vector<std::string>{"test_m.py::test_sort[dt0-N0]", "test_m.py::test_sort[dt0-N1]",
                                 "test_m.py::test_sort[dt0-N2]"});
}

TEST_CASE("a module this file may write is not read through the answers", "[library-facts]") {
  auto facts = std::make_shared<TableFacts>();
  facts->answers["import numpy|[\"float64\"]"] = named("float64");
  const std::string source = R"PY(import numpy as np
import pytest

np.float64 = int

@pytest.mark.parametrize("x", [np.float64])
def test_a(x): pass
)PY";
  ModuleResult r = test::discover_snippet(source, rules_with(facts));
  const TestItem& a = found(r, "test_m.py::test_a");
  CHECK(a.dynamic);
}

TEST_CASE("code that runs only after collection does not change the values ids are made of", "[library-facts]") {
  // pytest printed test_a[1] test_a[2] test_a[3] for this module: the test body and the
  // method run after collecting. The helper runs at import: its change counts.
  const std::string source = R"PY(import pytest

CASES = [1, 2, 3]
GROWN = [1]

def grow():
    GROWN.append(2)

grow()

@pytest.mark.parametrize("x", CASES)
def test_a(x):
    CASES.append(4)

@pytest.mark.parametrize("x", GROWN)
def test_b(x): pass

class TestC:
    def test_c(self):
        CASES.clear()
)PY";
  ModuleResult module = test::discover_snippet(source);
  CHECK(test::leaf_ids(module) == std::vector<std::string>{"test_m.py::test_a[1]", "test_m.py::test_a[2]",
                                                            "test_m.py::test_a[3]", "test_m.py::test_b",
                                                            "test_m.py::TestC::test_c"});
  const TestItem& grown = found(module, "test_m.py::test_b");
  CHECK(grown.dynamic);
  // A module's pytest_generate_tests runs while pytest collects: its changes count.
  const std::string hook = R"PY(import pytest

CASES = [1, 2]

def pytest_generate_tests(metafunc):
    CASES.append(3)

@pytest.mark.parametrize("x", CASES)
def test_a(x): pass
)PY";
  ModuleResult r = test::discover_snippet(hook);
  const TestItem& a = found(r, "test_m.py::test_a");
  CHECK(a.dynamic);
}

TEST_CASE("functools.partial of a known callable is an object pytest ids argname+index", "[library-facts]") {
  // pytest printed test_a[Serializer] test_a[factory1] test_b[f0] test_b[len].
  auto facts = std::make_shared<TableFacts>();
  facts->answers["from functools import partial|[]"] = named("partial");
  const std::string source = R"PY(from functools import partial

import pytest


class Serializer:
    pass


@pytest.fixture(params=(Serializer, partial(Serializer, x=1)))
def factory(request):
    return request.param


def test_a(factory):
    pass


@pytest.mark.parametrize("f", [partial(Serializer), len])
def test_b(f):
    pass
)PY";
  CHECK(test::ids_of(source, rules_with(facts)) ==
        std::vector<std::string>{"test_m.py::test_a[Serializer]", "test_m.py::test_a[factory1]", "test_m.py::test_b[f0]",
                                 "test_m.py::test_b[len]"});
  // Not answered yet: functools may not be the interpreter's (it always is, but nothing is assumed).
  auto unanswered = std::make_shared<TableFacts>();
  ModuleResult r = test::discover_snippet(source, rules_with(unanswered));
  const TestItem& b = found(r, "test_m.py::test_b");
  CHECK(b.dynamic);
}

TEST_CASE("an answered container's elements keep their path: builtins read them through the interpreter",
          "[library-facts]") {
  // numpy's `[obj for obj in np._core.umath.__dict__.values() if isinstance(obj, np.ufunc)]`, in
  // small: pytest printed test_f[add] for a list holding np.add and a plain function.
  const std::string source = R"PY(import numpy as np
import pytest

FUNCS = [f for f in np.funcs if isinstance(f, np.ufunc)]

@pytest.mark.parametrize("f", FUNCS)
def test_f(f): pass
)PY";
  auto facts = std::make_shared<TableFacts>();
  StaticValue funcs;
  funcs.kind = StaticValue::Kind::List;
  funcs.items = {named("add"), named("helper")};
  facts->answers["import numpy|[\"funcs\"]"] = funcs;
  facts->answers["import numpy|[\"ufunc\"]"] = named("ufunc");
  ModuleResult first = test::discover_snippet(source, rules_with(facts));
  const std::string ufunc = R"({"p":["import numpy",["ufunc"],""]})";
  auto isinstance_of = [&](int at) {
    return "import builtins|[\"isinstance\",{\"a\":[{\"p\":[\"import numpy\",[\"funcs\",{\"at\":" + std::to_string(at) +
           "}],\"\"]}," + ufunc + "],\"k\":[]}]";
  };
  // Both elements ask in one pass.
  CHECK(facts->asked == std::set<std::string>{isinstance_of(0), isinstance_of(1)});
  const StaticValue yes = boolean(true), no = boolean(false);
  facts->answers[isinstance_of(0)] = yes;
  facts->answers[isinstance_of(1)] = no;
  CHECK(test::ids_of(source, rules_with(facts)) == std::vector<std::string>{"test_m.py::test_f[add]"});
}

TEST_CASE("comparisons and dict keys of installed values are asked of the interpreter", "[library-facts]") {
  auto facts = std::make_shared<TableFacts>();
  facts->answers["import numpy|[\"nanmin\"]"] = named("nanmin");
  facts->answers["import numpy|[\"nanmax\"]"] = named("nanmax");
  facts->answers["import numpy|[\"amin\"]"] = named("amin");
  const std::string source = R"PY(import numpy as np
import pytest

FUNCS = {np.nanmin: np.amin, np.nanmax: np.amin}
@pytest.mark.parametrize("f,g", FUNCS.items())
def test_keys(f, g): pass

@pytest.mark.parametrize("f", [f for f in [np.nanmin, np.nanmax] if f is not np.nanmax])
def test_is(f): pass
)PY";
  auto first = test::discover_snippet(source, rules_with(facts));
  CHECK(found(first, "test_m.py::test_keys").dynamic);
  CHECK(found(first, "test_m.py::test_is").dynamic);
  // Every key is in the one question (a dict's keys collapse as a set's), and each comparison.
  std::string keys_question, is_min, is_max;
  for (const std::string& q : facts->asked) {
    if (q.starts_with("import builtins|[\"set\"")) keys_question = q;
    if (q.starts_with("import operator|[\"is_not\"") && q.find("[\"nanmin\"]") < q.find("[\"nanmax\"]")) is_min = q;
    if (q.starts_with("import operator|[\"is_not\"") && q.find("[\"nanmin\"]") == std::string::npos) is_max = q;
  }
  REQUIRE_FALSE(keys_question.empty());
  REQUIRE_FALSE(is_min.empty());
  REQUIRE_FALSE(is_max.empty());
  facts->answers[keys_question] = number(StaticValue::Kind::Int, "2");
  facts->answers[keys_question].exact = true;
  facts->answers[keys_question].integer = 2;
  const StaticValue yes = boolean(true), no = boolean(false);
  facts->answers[is_min] = yes;
  facts->answers[is_max] = no;
  CHECK(test::ids_of(source, rules_with(facts)) ==
        std::vector<std::string>{"test_m.py::test_keys[nanmin-amin]", "test_m.py::test_keys[nanmax-amin]",
                                 "test_m.py::test_is[nanmin]"});
  // Keys the interpreter finds equal (an alias): not two cases, so pytest settles it.
  facts->answers[keys_question].integer = 1;
  facts->answers[keys_question].text = "1";
  CHECK(found(test::discover_snippet(source, rules_with(facts)), "test_m.py::test_keys").dynamic);
}
