// The importable names read from a fake installation: a base Python and a venv over it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "server/workspace/import_resolver.h"
#include "tests/support/scoped_temp_dir.h"

namespace fs = std::filesystem;
using namespace fastest;

namespace {

void write(const fs::path& p, const std::string& text = "") {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

}  // namespace

TEST_CASE("importable names: stdlib, builtins, site-packages, .pth lines, editable finders", "[imports]") {
  test::ScopedTempDir temp("fastest_resolver_");
  const fs::path base = temp.path() / "base", venv = temp.path() / "venv", site = venv / "lib/python3.11/site-packages";
  write(base / "bin/python3.11");
  write(base / "lib/python3.11/os.py");
  write(base / "lib/python3.11/json/__init__.py");
  write(base / "lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so");
  write(venv / "pyvenv.cfg", "home = " + (base / "bin").string() + "\nversion = 3.11.7\n");
  write(venv / "bin/python");
  write(site / "numpy/__init__.py");
  write(site / "six.py");
  write(site / "extra.pth", "# comment\n" + (temp.path() / "linked").string() + "\nimport _distutils_hack\n");
  write(temp.path() / "linked/linkedmod.py");
  write(site / "__editable___proj_1_0_finder.py",
        "import sys\nMAPPING: dict[str, str] = {'editpkg': '/src/editpkg', \"other\": '/src/other'}\n"
        "NAMESPACES: dict[str, list[str]] = {'nsroot.sub': ['/src/ns']}\n");
  write(temp.path() / "proj/tests/helper.py");

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
  write(root / "tests/unit/test_a.py");
  write(root / "pkg/__init__.py");
  write(root / "pkg/sub/__init__.py");
  write(root / "pkg/sub/test_b.py");
  auto dirs = pytest_basedirs({root / "tests/unit/test_a.py", root / "pkg/sub/test_b.py"}, root);
  CHECK(dirs == std::vector<fs::path>{root, root / "tests", root / "tests/unit"});
}
