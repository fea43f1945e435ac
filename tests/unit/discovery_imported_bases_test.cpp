// Test classes inheriting from bases in other modules: the file pytest's import would load
// (ModuleFinder) and the tests inherited from it, statically; anything uncertain dynamic.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "server/workspace/module_finder.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/unit/discovery_test_util.h"
#include "tests/support/write_file.h"

namespace fs = std::filesystem;
using fastest::test::write_file;
using namespace fastest;

namespace {

// A project at `root` (its own sys.path entry) and a fake site-packages.
struct Project {
  test::ScopedTempDir temp{"fastest_bases_"};
  fs::path root = temp.path() / "proj";
  fs::path site = temp.path() / "site";

  std::shared_ptr<ModuleFinder> finder(BufferText buffers = {}) {
    ModuleSearchPath path;
    path.front = {root};
    path.tail = {site};
    return std::make_shared<ModuleFinder>(root, path, nullptr, std::move(buffers));
  }

  ModuleResult discover(const std::string& module_path, std::shared_ptr<ModuleFinder> lookup = nullptr) {
    std::ifstream in(root / module_path);
    std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CollectRules rules;
    rules.modules = lookup ? lookup : finder();
    auto parser = make_python_parser();
    auto tree = parse_python(parser.get(), source);
    return discover_module(tree.get(), source, module_path, rules);
  }
};

std::vector<std::string> static_ids(const ModuleResult& r) {
  std::vector<std::string> out;
  for (const std::string& id : test::leaf_ids(r)) {
    const TestItem* item = test::find_item(r, id);
    bool dynamic = item->dynamic;
    for (const TestItem* p = test::find_item(r, std::string(item->parent_id())); p; p = test::find_item(r, std::string(p->parent_id())))
      dynamic |= p->dynamic;
    if (!dynamic) out.push_back(id);
  }
  return out;
}

const TestItem& item(const ModuleResult& r, const std::string& id) {
  const TestItem* found = test::find_item(r, id);
  REQUIRE(found);
  return *found;
}

}  // namespace

TEST_CASE("finder: absolute, relative, packages, first hit on the path", "[bases]") {
  Project p;
  write_file(p.root / "helpers/__init__.py");
  write_file(p.root / "helpers/base.py");
  write_file(p.root / "tests/__init__.py");
  write_file(p.root / "tests/test_a.py");
  write_file(p.root / "tests/sub/__init__.py");
  write_file(p.site / "helpers/__init__.py", "# shadowed by the project's\n");
  write_file(p.site / "other.py");
  write_file(p.site / "fast.cpython-311-x86_64-linux-gnu.so");
  write_file(p.site / "nspkg/mod.py");
  auto finder = p.finder();
  std::string why;
  CHECK(finder->find_file("tests/test_a.py", 0, "helpers.base", why) == p.root / "helpers/base.py");
  CHECK(finder->find_file("tests/test_a.py", 0, "other", why) == p.site / "other.py");
  CHECK(finder->find_file("tests/test_a.py", 1, "", why) == p.root / "tests/__init__.py");
  CHECK(finder->find_file("tests/sub/x.py", 2, "test_a", why) == p.root / "tests/test_a.py");
  CHECK_FALSE(finder->find_file("tests/test_a.py", 2, "", why));  // beyond the top-level package
  CHECK_FALSE(finder->find_file("tests/test_a.py", 0, "fast", why));
  CHECK(why.find("compiled") != std::string::npos);
  CHECK_FALSE(finder->find_file("tests/test_a.py", 0, "nspkg.mod", why));
  CHECK(why.find("namespace") != std::string::npos);
  CHECK_FALSE(finder->find_file("tests/test_a.py", 0, "missing", why));
}

TEST_CASE("finder: a name the run's sys.path order decides must load the same text", "[bases]") {
  Project p;
  fs::path cwd = p.temp.path() / "cwd";
  write_file(cwd / "lib.py", "class A: pass\n");
  write_file(p.site / "lib.py", "class B: pass\n");
  write_file(cwd / "same.py", "x = 1\n");
  write_file(p.site / "same.py", "x = 1\n");
  ModuleSearchPath path;
  path.maybe = {cwd};
  path.tail = {p.site};
  ModuleFinder finder(p.root, path, nullptr);
  std::string why;
  CHECK_FALSE(finder.find_file("t.py", 0, "lib", why));
  CHECK(why.find("differ") != std::string::npos);
  CHECK(finder.find_file("t.py", 0, "same", why));
}

TEST_CASE("inherited tests: a base in a helper package, in pytest's MRO order", "[bases]") {
  Project p;
  write_file(p.root / "helpers/__init__.py", "from .testing import Base\n");
  write_file(p.root / "helpers/testing.py",
        "import pytest\n"
        "class Base:\n"
        "    def test_one(self): pass\n"
        "    @pytest.mark.parametrize('x', [1, 2])\n"
        "    def test_two(self, x): pass\n"
        "    def helper(self): pass\n");
  write_file(p.root / "tests/test_a.py",
        "from helpers import Base\n"
        "import helpers.testing as ht\n"
        "class TestA(Base):\n"
        "    def test_own(self): pass\n"
        "class TestB(ht.Base):\n"
        "    def test_one(self): pass\n");
  ModuleResult r = p.discover("tests/test_a.py");
  CHECK(static_ids(r) == std::vector<std::string>{
                             "tests/test_a.py::TestA::test_one", "tests/test_a.py::TestA::test_two[1]",
                             "tests/test_a.py::TestA::test_two[2]", "tests/test_a.py::TestA::test_own",
                             // TestB's own test_one is in its own dict: after the base's entries
                             "tests/test_a.py::TestB::test_two[1]", "tests/test_a.py::TestB::test_two[2]",
                             "tests/test_a.py::TestB::test_one"});
  CHECK(r.base_files.size() == 2);
  // Inherited items sit at the subclass (their definition is in another file).
  CHECK(item(r, "tests/test_a.py::TestA::test_one").range.start.line == 2);
  CHECK(item(r, "tests/test_a.py::TestB::test_one").range.start.line == 5);
}

TEST_CASE("inherited tests: relative imports and a unittest base", "[bases]") {
  Project p;
  write_file(p.root / "tests/__init__.py",
        "import unittest\n"
        "class Mixin:\n"
        "    def test_z(self): pass\n"
        "    def test_a(self): pass\n");
  write_file(p.root / "tests/common/__init__.py");
  write_file(p.root / "tests/common/base.py",
        "from unittest import TestCase\n"
        "class Case(TestCase):\n"
        "    def test_base(self): pass\n");
  write_file(p.root / "tests/common/test_x.py",
        "import unittest\n"
        "from .. import Mixin\n"
        "from . import base\n"
        "class TestM(unittest.TestCase, Mixin):\n"
        "    def test_m(self): pass\n"
        "class SubCase(base.Case):\n"
        "    def test_sub(self): pass\n");
  ModuleResult r = p.discover("tests/common/test_x.py");
  CHECK(static_ids(r) == std::vector<std::string>{
                             "tests/common/test_x.py::TestM::test_a", "tests/common/test_x.py::TestM::test_m",
                             "tests/common/test_x.py::TestM::test_z", "tests/common/test_x.py::SubCase::test_base",
                             "tests/common/test_x.py::SubCase::test_sub"});
}

TEST_CASE("inherited tests: a package whose __init__ imports its own submodule", "[bases]") {
  Project p;
  write_file(p.root / "pkg/__init__.py", "from . import testing\n");
  write_file(p.root / "pkg/testing.py", "class Base:\n    def test_b(self): pass\n");
  write_file(p.root / "test_p.py", "import pkg\nclass TestP(pkg.testing.Base): pass\n");
  CHECK(static_ids(p.discover("test_p.py")) == std::vector<std::string>{"test_p.py::TestP::test_b"});
}

TEST_CASE("inherited tests: a class nested in an imported class", "[bases]") {
  Project p;
  write_file(p.root / "lib/__init__.py");
  write_file(p.root / "lib/testing.py",
        "import unittest\n"
        "class lib_test:\n"
        "    class Asserts(unittest.TestCase):\n"
        "        def assertThing(self): pass\n"
        "        def test_in_base(self): pass\n");
  write_file(p.root / "test_n.py",
        "import unittest\n"
        "import lib.testing as lt\n"
        "ppt = lt.lib_test\n"
        "class TestN(ppt.Asserts, unittest.TestCase):\n"
        "    def test_n(self): pass\n");
  ModuleResult r = p.discover("test_n.py");
  CHECK(static_ids(r) == std::vector<std::string>{"test_n.py::TestN::test_in_base", "test_n.py::TestN::test_n"});
}

TEST_CASE("inherited tests: marks are the base module's, pytestmark of the subclass applies", "[bases]") {
  Project p;
  write_file(p.root / "base.py",
        "import pytest\n"
        "VALUES = [3, 4]\n"
        "@pytest.mark.slow\n"
        "class Base:\n"
        "    @pytest.mark.parametrize('v', VALUES)\n"
        "    def test_v(self, v): pass\n");
  write_file(p.root / "test_m.py",
        "import pytest\n"
        "from base import Base\n"
        "VALUES = [1]\n"
        "class TestM(Base):\n"
        "    pytestmark = pytest.mark.fast\n");
  ModuleResult r = p.discover("test_m.py");
  CHECK(static_ids(r) == std::vector<std::string>{"test_m.py::TestM::test_v[3]", "test_m.py::TestM::test_v[4]"});
  std::vector<std::string> marks;
  for (const Mark& m : item(r, "test_m.py::TestM::test_v").marks) marks.push_back(m.name);
  CHECK(std::find(marks.begin(), marks.end(), "slow") != marks.end());
  CHECK(std::find(marks.begin(), marks.end(), "fast") != marks.end());
}

TEST_CASE("inherited tests: what cannot be known stays dynamic", "[bases]") {
  Project p;
  write_file(p.root / "cond.py",
        "import sys\n"
        "if sys.argv:\n"
        "    class Base:\n"
        "        def test_a(self): pass\n"
        "else:\n"
        "    class Base:\n"
        "        def test_b(self): pass\n");
  write_file(p.root / "fallback.py",
        "try:\n"
        "    from fast_impl import Base\n"
        "except ImportError:\n"
        "    class Base:\n"
        "        def test_a(self): pass\n");
  write_file(p.root / "built.py", "def make():\n    return object\nBase = make()\n");
  write_file(p.root / "written.py", "class Base:\n    pass\nsetattr(Base, 'test_x', lambda self: None)\n");
  write_file(p.root / "star.py", "from cond import *\n");
  write_file(p.root / "meta.py",
        "class Meta(type):\n    pass\n"
        "class Base(metaclass=Meta):\n    def test_a(self): pass\n"
        "class Hooked:\n    def __init_subclass__(cls): pass\n");
  write_file(p.root / "test_d.py",
        "import cond, fallback, built, written, missing_mod, meta\n"
        "from star import Base as StarBase\n"
        "class TestC(cond.Base): pass\n"
        "class TestF(fallback.Base): pass\n"
        "class TestB(built.Base): pass\n"
        "class TestW(written.Base): pass\n"
        "class TestM(missing_mod.Base): pass\n"
        "class TestS(StarBase): pass\n"
        "class TestMeta(meta.Base): pass\n"
        "class TestHooked(meta.Hooked): pass\n");
  ModuleResult r = p.discover("test_d.py");
  for (const char* cls : {"TestC", "TestF", "TestB", "TestW", "TestM", "TestS", "TestMeta", "TestHooked"}) {
    INFO(cls);
    const TestItem& c = item(r, std::string("test_d.py::") + cls);
    CHECK(c.dynamic);
    CHECK(c.dynamic_reason.find("inherits from") != std::string::npos);
  }
  CHECK(item(r, "test_d.py::TestC").dynamic_reason.find("conditionally") != std::string::npos);
  CHECK(item(r, "test_d.py::TestB").dynamic_reason.find("computed") != std::string::npos);
  CHECK(item(r, "test_d.py::TestM").dynamic_reason.find("not found") != std::string::npos);
}

TEST_CASE("inherited tests: an import cycle and a self-referencing alias stay dynamic", "[bases]") {
  Project p;
  write_file(p.root / "a.py", "from b import Base\n");
  write_file(p.root / "b.py", "from a import Base\n");
  write_file(p.root / "test_c.py", "from a import Base\nclass TestC(Base): pass\n");
  ModuleResult r = p.discover("test_c.py");
  CHECK(item(r, "test_c.py::TestC").dynamic);
}

TEST_CASE("inherited tests: an open buffer's text is what the base says", "[bases]") {
  Project p;
  write_file(p.root / "base.py", "class Base:\n    def test_disk(self): pass\n");
  write_file(p.root / "test_o.py", "from base import Base\nclass TestO(Base): pass\n");
  std::string buffer = "class Base:\n    def test_buffer(self): pass\n";
  auto finder = p.finder([&](const fs::path& file) -> std::optional<std::string> {
    if (file == p.root / "base.py") return buffer;
    return std::nullopt;
  });
  CHECK(static_ids(p.discover("test_o.py", finder)) == std::vector<std::string>{"test_o.py::TestO::test_buffer"});
  buffer = "class Base:\n    def test_edited(self): pass\n";
  CHECK(static_ids(p.discover("test_o.py", finder)) == std::vector<std::string>{"test_o.py::TestO::test_edited"});
}

TEST_CASE("inherited tests: unittest's TestSuite imported under a test name is left to pytest", "[bases]") {
  Project p;
  write_file(p.root / "base.py", "import unittest\nclass TestCase(unittest.TestCase):\n    def helper(self): pass\n");
  write_file(p.root / "test_s.py",
        "from unittest import TestSuite\n"
        "from base import TestCase\n"
        "class TestS(TestCase):\n"
        "    def test_s(self): pass\n");
  ModuleResult r = p.discover("test_s.py");
  CHECK(r.dynamic);
  CHECK(r.dynamic_reason.find("TestSuite") != std::string::npos);
  CHECK(r.dynamic_reason.find("TestCase") == std::string::npos);  // read statically
}

TEST_CASE("inherited tests: an imported test-named class pytest does not collect is left to pytest", "[bases]") {
  Project p;
  write_file(p.root / "data.py", "class TestData:\n    def __init__(self): pass\n    def test_x(self): pass\n");
  write_file(p.root / "test_d.py", "from data import TestData\ndef test_ok(): pass\n");
  ModuleResult r = p.discover("test_d.py");
  CHECK(r.dynamic);
  CHECK(r.dynamic_reason.find("TestData") != std::string::npos);
}

TEST_CASE("module finder: one collection's answers are remembered, and forgotten when it ends", "[bases]") {
  Project p;
  write_file(p.root / "helper.py", "VALUE = 1\n");
  auto finder = p.finder();
  std::string why;
  auto text_now = [&] {
    auto module = finder->import_module("tests/test_a.py", 0, "helper", why);
    REQUIRE(module);
    return module->text;
  };
  finder->remember_answers(true);
  CHECK(text_now() == "VALUE = 1\n");
  write_file(p.root / "helper.py", "VALUE = 2\n");
  write_file(p.root / "other.py", "X = 1\n");
  CHECK(text_now() == "VALUE = 1\n");  // read once while the collection runs
  finder->remember_answers(false);
  CHECK(text_now() == "VALUE = 2\n");  // a finder that lives on sees the edit
  CHECK(finder->find_file("tests/test_a.py", 0, "other", why));
  // Not remembering: every question goes to the file system.
  write_file(p.root / "helper.py", "VALUE = 3\n");
  CHECK(text_now() == "VALUE = 3\n");
}
