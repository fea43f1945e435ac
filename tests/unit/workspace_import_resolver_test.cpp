// The importable names read from a fake installation: a base Python and a venv over it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "server/workspace/import_resolver.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/support/write_file.h"

namespace fs = std::filesystem;
using fastest::test::write_file;
using namespace fastest;


TEST_CASE("importable names: stdlib, builtins, site-packages, .pth lines, editable finders", "[imports]") {
  test::ScopedTempDir temp("fastest_resolver_");
  const fs::path base = temp.path() / "base", venv = temp.path() / "venv", site = venv / "lib/python3.11/site-packages";
  write_file(base / "bin/python3.11");
  write_file(base / "lib/python3.11/os.py");
  write_file(base / "lib/python3.11/json/__init__.py");
  write_file(base / "lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so");
  write_file(venv / "pyvenv.cfg", "home = " + (base / "bin").string() + "\nversion = 3.11.7\n");
  write_file(venv / "bin/python");
  write_file(site / "numpy/__init__.py");
  write_file(site / "six.py");
  write_file(site / "extra.pth", "# comment\n" + (temp.path() / "linked").string() + "\nimport _distutils_hack\n");
  write_file(temp.path() / "linked/linkedmod.py");
  write_file(site / "__editable___proj_1_0_finder.py",
        "import sys\nMAPPING: dict[str, str] = {'editpkg': '/src/editpkg', \"other\": '/src/other'}\n"
        "NAMESPACES: dict[str, list[str]] = {'nsroot.sub': ['/src/ns']}\n");
  write_file(temp.path() / "proj/tests/helper.py");

  Interpreter interpreter{venv / "bin/python", "--python", {site}};
  auto names = importable_names(interpreter, {temp.path() / "proj/tests"});
  REQUIRE(names);
  for (const char* n : {"os", "json", "_ssl", "sys", "numpy", "six", "linkedmod", "distutils", "editpkg", "other",
                        "nsroot", "helper"})
    CHECK(names->contains(n));
  for (const char* n : {"missing", "MAPPING", "sub"}) CHECK_FALSE(names->contains(n));

  SECTION("without a readable stdlib every name counts as importable") {
    Interpreter bare{temp.path() / "nowhere/bin/python", "--python", {site}};
    CHECK_FALSE(importable_names(bare, {}));
  }
}

TEST_CASE("basedirs: the first folder without __init__.py above each folder up to the rootdir", "[imports]") {
  test::ScopedTempDir temp("fastest_basedirs_");
  const fs::path root = temp.path();
  write_file(root / "tests/unit/test_a.py");
  write_file(root / "pkg/__init__.py");
  write_file(root / "pkg/sub/__init__.py");
  write_file(root / "pkg/sub/test_b.py");
  auto dirs = pytest_basedirs({root / "tests/unit/test_a.py", root / "pkg/sub/test_b.py"}, root);
  CHECK(dirs == std::vector<fs::path>{root, root / "tests", root / "tests/unit"});
}
