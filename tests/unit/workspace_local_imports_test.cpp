// The project's own modules whose import fails through what they import, read from a fake project.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "server/workspace/local_imports.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/support/write_file.h"

namespace fs = std::filesystem;
using fastest::test::write_file;
using namespace fastest;

namespace {

std::shared_ptr<ImportableNames> names(std::initializer_list<const char*> list) {
  auto out = std::make_shared<ImportableNames>();
  for (const char* n : list) out->names.insert(n);
  return out;
}

}  // namespace

TEST_CASE("a project package whose import reaches a missing module fails, naming the file and line", "[imports]") {
  test::ScopedTempDir temp("fastest_local_imports_");
  const fs::path root = temp.path() / "proj";
  write_file(root / "pkg/__init__.py", "from .core import run\nfrom pkg import extras\n");
  write_file(root / "pkg/core.py", "import os\nfrom . import util\n");
  write_file(root / "pkg/util/__init__.py", "\"\"\"Doc.\"\"\"\nimport json\nimport missing_dep.sub\n");
  write_file(root / "pkg/extras.py", "try:\n    import optional_dep\nexcept ImportError:\n    optional_dep = None\n");
  write_file(root / "fine/__init__.py", "import os\nfrom .a import x\n");
  write_file(root / "fine/a.py", "from .b import y\ndef f():\n    import missing_dep\n");
  write_file(root / "fine/b.py", "from .a import x\nif False:\n    import missing_dep\n");  // a cycle; an `if`
  LocalImportCheck check({root}, root, names({"os", "json", "pkg", "fine"}));

  auto why = check.failure("pkg");
  REQUIRE(why);
  CHECK(*why == "pkg/util/__init__.py imports `missing_dep` at line 3, which is not found on the interpreter's import path");
  CHECK(check.failure("pkg.util"));
  CHECK(check.failure("pkg.extras"));  // importing pkg.extras runs pkg/__init__.py first
  CHECK_FALSE(check.failure("fine"));
  CHECK_FALSE(check.failure("fine.b"));
  CHECK_FALSE(check.failure("os"));  // not the project's: trusted
  CHECK(check.has_read((root / "pkg/util/__init__.py").string()));  // an edit there may mend the import
  CHECK_FALSE(check.has_read((root / "pkg/unrelated.py").string()));
}

TEST_CASE("a module outside the project or in site-packages is not read", "[imports]") {
  test::ScopedTempDir temp("fastest_local_imports_");
  const fs::path root = temp.path() / "proj", elsewhere = temp.path() / "lib";
  write_file(elsewhere / "outside/__init__.py", "import missing_dep\n");
  write_file(root / ".venv/lib/python3.11/site-packages/inst/__init__.py", "import missing_dep\n");
  LocalImportCheck check({root / ".venv/lib/python3.11/site-packages", elsewhere}, root, names({"outside", "inst"}));
  CHECK_FALSE(check.failure("outside"));
  CHECK_FALSE(check.failure("inst"));
}

TEST_CASE("a test file's package is read from the __init__.py files above it", "[imports]") {
  test::ScopedTempDir temp("fastest_local_imports_");
  const fs::path root = temp.path() / "proj";
  write_file(root / "tests/__init__.py");
  write_file(root / "tests/unit/__init__.py");
  write_file(root / "tests/unit/test_a.py");
  write_file(root / "loose/test_b.py");
  LocalImportCheck check({root}, root, names({}));
  CHECK(check.package_of("tests/unit/test_a.py") == "tests.unit");
  CHECK(check.package_of("loose/test_b.py") == "");
}
