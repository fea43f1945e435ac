// Parametrize values imported from the project's own modules (`from .data import CASES`): read
// in the module they come from, found as pytest's import would find it (ModuleFinder), with
// that module's rules (bound once, not changed in place, not decorated). Every expected id was
// printed by real pytest 9.2 on Python 3.11.7 (`python -m pytest --collect-only -q` in proj).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "server/workspace/module_finder.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/unit/discovery_test_util.h"

namespace fs = std::filesystem;
using namespace fastest;

namespace {

void write(const fs::path& p, const std::string& text = "") {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

struct Project {
  test::ScopedTempDir temp{"fastest_values_"};
  fs::path root = temp.path() / "proj";
  fs::path site = temp.path() / "site";

  ModuleResult discover(const std::string& module_path, bool follow = true) {
    std::ifstream in(root / module_path);
    std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CollectRules rules;
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
    if (i.parent_id == function && i.kind == ItemKind::Case) out.push_back(i.id);
  return out;
}

}  // namespace

TEST_CASE("names imported from project modules give their values to parametrize", "[imported-values]") {
  Project p;
  write(p.root / "pkg/__init__.py", "from .data import PRIMES, Helper\n");
  write(p.root / "pkg/data.py", R"PY(PRIMES = [2, 3, 5]
NAMES = ("a", "b")
def helper(): pass
class Helper: pass
COUNTER = []
COUNTER.append(1)
def _decorate(f): return f
@_decorate
def decorated(): pass
)PY");
  write(p.root / "pkg/a.py", "from .b import X\n");
  write(p.root / "pkg/b.py", "from .a import X\n");
  write(p.root / "tests/test_v.py", R"PY(import pytest
from pkg import PRIMES
from pkg.data import NAMES, helper, Helper, COUNTER, decorated
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
  for (const char* name : {"test_primes", "test_names", "test_named"}) {
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
