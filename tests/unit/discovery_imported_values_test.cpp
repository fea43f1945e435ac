// Parametrize values imported from the project's own modules (`from .data import CASES`): read
// in the module they come from, found as pytest's import would find it (ModuleFinder), with
// that module's rules (bound once, not changed in place, not decorated). Every expected id was
// printed by real pytest 9.2 on Python 3.11.7 (`python -m pytest --collect-only -q` in proj).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "server/discovery/conftest_analysis.h"
#include "server/workspace/module_finder.h"
#include "server/workspace/python_facts.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/unit/discovery_test_util.h"
#include "tests/support/write_file.h"

namespace fs = std::filesystem;
using fastest::test::write_file;
using namespace fastest;

namespace {

struct Project {
  test::ScopedTempDir temp{"fastest_values_"};
  fs::path root = temp.path() / "proj";
  fs::path site = temp.path() / "site";

  ModuleResult discover(const std::string& module_path, bool follow = true, const char* python_version = nullptr) {
    std::ifstream in(root / module_path);
    std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CollectRules rules;
    if (python_version) rules.python = std::make_shared<const PythonFacts>(parse_python_version(python_version));
    ModuleSearchPath path;
    path.front = {root};
    path.tail = {site};
    if (follow) rules.modules = std::make_shared<ModuleFinder>(root, path, nullptr, BufferText{});
    auto parser = make_python_parser();
    auto tree = parse_python(parser.get(), source);
    return discover_module(tree.get(), source, module_path, rules);
  }
};

const TestItem& item(const ModuleResult& r, const std::string& id) {
  const TestItem* found = test::find_item(r, id);
  REQUIRE(found);
  return *found;
}

std::vector<std::string> case_ids(const ModuleResult& r, const std::string& function) {
  std::vector<std::string> out;
  for (const TestItem& i : r.items)
    if (i.parent_id() == function && i.kind == ItemKind::Case) out.push_back(i.id);
  return out;
}

}  // namespace

TEST_CASE("names imported from project modules give their values to parametrize", "[imported-values]") {
  Project p;
  write_file(p.root / "pkg/__init__.py", "from .data import PRIMES, Helper\n");
  write_file(p.root / "pkg/data.py", R"PY(PRIMES = [2, 3, 5]
NAMES = ("a", "b")
def helper(): pass
class Helper: pass
COUNTER = []
COUNTER.insert(0, 1)
GROWN = [1]
GROWN.append(2)
def _decorate(f): return f
@_decorate
def decorated(): pass
)PY");
  write_file(p.root / "pkg/a.py", "from .b import X\n");
  write_file(p.root / "pkg/b.py", "from .a import X\n");
  write_file(p.root / "tests/test_v.py", R"PY(import pytest
from pkg import PRIMES
from pkg.data import NAMES, helper, Helper, COUNTER, GROWN, decorated
from pkg.a import X
from missing_module import Y
@pytest.mark.parametrize("p", PRIMES)
def test_primes(p): pass
@pytest.mark.parametrize("n", NAMES)
def test_names(n): pass
@pytest.mark.parametrize("f", [helper, Helper])
def test_named(f): pass
@pytest.mark.parametrize("c", COUNTER)
def test_counter(c): pass
@pytest.mark.parametrize("g", GROWN)
def test_grown(g): pass
@pytest.mark.parametrize("d", [decorated])
def test_decorated(d): pass
@pytest.mark.parametrize("x", X)
def test_cycle(x): pass
@pytest.mark.parametrize("y", Y)
def test_missing(y): pass
)PY");
  ModuleResult r = p.discover("tests/test_v.py");
  const std::string m = "tests/test_v.py::";
  // Re-exported through the package's __init__.py, a tuple, functions and classes by __name__.
  CHECK(case_ids(r, m + "test_primes") == std::vector<std::string>{m + "test_primes[2]", m + "test_primes[3]", m + "test_primes[5]"});
  CHECK(case_ids(r, m + "test_names") == std::vector<std::string>{m + "test_names[a]", m + "test_names[b]"});
  CHECK(case_ids(r, m + "test_named") == std::vector<std::string>{m + "test_named[helper]", m + "test_named[Helper]"});
  // Grown by append in its module, which ran whole before the import returned.
  CHECK(case_ids(r, m + "test_grown") == std::vector<std::string>{m + "test_grown[1]", m + "test_grown[2]"});
  for (const char* name : {"test_primes", "test_names", "test_named", "test_grown"}) {
    INFO(name << ": " << item(r, m + name).dynamic_reason);
    CHECK_FALSE(item(r, m + name).dynamic);
  }
  // Changed in place in its module, decorated (any __name__), a circular import, a module not found.
  for (const char* name : {"test_counter", "test_decorated", "test_cycle", "test_missing"}) {
    INFO(name);
    CHECK(item(r, m + name).dynamic);
  }
  CHECK_THAT(item(r, m + "test_counter").dynamic_reason, Catch::Contains("COUNTER"));

  // Without the module finder (no project to read), imported names stay unknown.
  ModuleResult alone = p.discover("tests/test_v.py", /*follow=*/false);
  CHECK(item(alone, m + "test_primes").dynamic);
  CHECK_THAT(item(alone, m + "test_primes").dynamic_reason, Catch::Contains("imported (not followed)"));
}

TEST_CASE("enum members render as pytest renders them: str() of the canonical member", "[imported-values]") {
  Project p;
  write_file(p.root / "pkg/__init__.py", "from .styles import Style, Level\n");
  write_file(p.root / "pkg/styles.py", R"PY(import enum
from enum import Enum, IntEnum, StrEnum, unique


class Style(IntEnum):
    DEFAULT = 10
    PLAIN = 11
    OLD_PLAIN = 11


class Color(Enum):
    RED = "r"
    GREEN = (0, 1)
    CRIMSON = "r"

    def describe(self):
        return self.value


@unique
class Level(enum.Enum):
    LOW = 1
    HIGH = 2


class Mode(StrEnum):
    FAST = "f\u00e1st"


class Auto(Enum):
    A = enum.auto()


def configure(style):
    return style
)PY");
  write_file(p.root / "tests/test_e.py", R"PY(import pytest
from pkg import Style, Level
from pkg.styles import Color, Mode, Auto, configure

configure(Style.DEFAULT)


@pytest.mark.parametrize("style", [Style.DEFAULT, Style.PLAIN, Style.OLD_PLAIN])
def test_int_enum(style): pass


@pytest.mark.parametrize("color", [Color.RED, Color.GREEN, Color.CRIMSON])
def test_enum(color): pass


@pytest.mark.parametrize("level,mode", [(Level.LOW, Mode.FAST), (Level.HIGH, Mode.FAST)])
def test_mixed(level, mode): pass


@pytest.mark.parametrize("a", [Auto.A])
def test_auto(a): pass


@pytest.mark.parametrize("cls", [Style])
def test_changed_class(cls): pass
)PY");
  const std::string m = "tests/test_e.py::";
  ModuleResult r = p.discover("tests/test_e.py", true, "3.11.7");
  // pytest 9.2 on Python 3.11.7: an IntEnum is an int (str() is the number from 3.11), an alias
  // is its canonical member, a StrEnum is its (escaped) value.
  CHECK(case_ids(r, m + "test_int_enum") ==
        std::vector<std::string>{m + "test_int_enum[10]", m + "test_int_enum[11_0]", m + "test_int_enum[11_1]"});
  CHECK(case_ids(r, m + "test_enum") ==
        std::vector<std::string>{m + "test_enum[Color.RED0]", m + "test_enum[Color.GREEN]", m + "test_enum[Color.RED1]"});
  CHECK(case_ids(r, m + "test_mixed") ==
        std::vector<std::string>{m + "test_mixed[Level.LOW-f\\xe1st]", m + "test_mixed[Level.HIGH-f\\xe1st]"});
  for (const char* name : {"test_int_enum", "test_enum", "test_mixed"}) {
    INFO(name << ": " << item(r, m + name).dynamic_reason);
    CHECK_FALSE(item(r, m + name).dynamic);
  }
  // auto() values, and a class given to code that may change its __name__, stay with pytest.
  CHECK(item(r, m + "test_auto").dynamic);
  CHECK(item(r, m + "test_changed_class").dynamic);

  // Before 3.11 an IntEnum's str() is "Style.DEFAULT", and StrEnum does not exist.
  ModuleResult old = p.discover("tests/test_e.py", true, "3.10.12");
  CHECK(case_ids(old, m + "test_int_enum") == std::vector<std::string>{m + "test_int_enum[Style.DEFAULT]",
                                                                        m + "test_int_enum[Style.PLAIN0]",
                                                                        m + "test_int_enum[Style.PLAIN1]"});
  CHECK(item(old, m + "test_mixed").dynamic);
  // Without the interpreter's version an IntEnum's str() is not known.
  CHECK(item(p.discover("tests/test_e.py"), m + "test_int_enum").dynamic);
}

TEST_CASE("a conftest reads the names it imports from project modules: collect_ignore and fixture params",
          "[imported-values]") {
  // conftest.py: `from pkg.compat import PY_OLD, FLAVOURS`; pytest 9.2 ignores test_old.py and
  // lists test_new.py::test_flavour[mint] / [lime].
  Project p;
  write_file(p.root / "pkg/__init__.py", "");
  write_file(p.root / "pkg/compat.py", "import sys\nPY_OLD = sys.version_info < (3, 8)\nFLAVOURS = ('mint', 'lime')\n");
  const std::string conftest =
      "import pytest\nfrom pkg.compat import PY_OLD, FLAVOURS\n"
      "collect_ignore = []\nif not PY_OLD:\n    collect_ignore.append('test_old.py')\n"
      "@pytest.fixture(params=FLAVOURS)\ndef flavour(request): return request.param\n";
  CollectRules rules;
  rules.python = std::make_shared<const PythonFacts>(parse_python_version("3.11.7"));
  ModuleSearchPath path;
  path.front = {p.root};
  auto parser = make_python_parser();
  auto tree = parse_python(parser.get(), conftest);
  ConftestInfo alone = analyze_conftest(tree.get(), conftest, rules, "conftest.py");
  CHECK(alone.collect_ignore_dynamic);  // without the project's modules, PY_OLD is unknown
  rules.modules = std::make_shared<ModuleFinder>(p.root, path, nullptr, BufferText{});
  ConftestInfo info = analyze_conftest(tree.get(), conftest, rules, "conftest.py");
  CHECK_FALSE(info.collect_ignore_dynamic);
  CHECK(info.collect_ignore == std::vector<std::string>{"test_old.py"});
  auto flavour = std::find_if(info.fixtures.begin(), info.fixtures.end(), [](const FixtureDecl& f) { return f.name == "flavour"; });
  REQUIRE(flavour != info.fixtures.end());
  CHECK(flavour->params_unknown.empty());
  REQUIRE(flavour->params.size() == 2);
  CHECK(flavour->params[0].id == "mint");
  CHECK(flavour->params[1].id == "lime");
}
