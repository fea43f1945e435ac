// The static import graph behind continuous runs: which test files a change reaches.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "server/discovery/import_statements.h"
#include "server/discovery/syntax_tree.h"
#include "server/workspace/import_graph.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/support/write_file.h"

namespace fs = std::filesystem;
using fastest::test::write_file;
using namespace fastest;

namespace {

std::vector<std::string> names(const std::vector<fs::path>& files, const fs::path& root) {
  std::vector<std::string> out;
  for (const fs::path& f : files) out.push_back(f.lexically_relative(root).generic_string());
  return out;
}

}  // namespace

TEST_CASE("import statements: absolute, aliased, from, relative, nested in blocks", "[import-graph]") {
  std::string source =
      "import a.b.c as d, e\nfrom . import x\nfrom ..pkg.m import y as z, w\nfrom .m import *\n"
      "from q import (r, s)\ndef f():\n    import inner\n\"import not_this\"\n# import nor_this\n";
  ParserPtr parser = make_python_parser();
  TreePtr tree = parse_python(parser.get(), source);
  auto found = import_statements(ts_tree_root_node(tree.get()), source);
  REQUIRE(found.size() == 7);
  CHECK(found[0].module == "a.b.c");
  CHECK(found[1].module == "e");
  CHECK((found[2].level == 1 && found[2].module.empty() && found[2].names == std::vector<std::string>{"x"}));
  CHECK((found[3].level == 2 && found[3].module == "pkg.m" && found[3].names == std::vector<std::string>{"y", "w"}));
  CHECK((found[4].level == 1 && found[4].module == "m" && found[4].names.empty()));
  CHECK((found[5].module == "q" && found[5].names == std::vector<std::string>{"r", "s"}));
  CHECK(found[6].module == "inner");
}

TEST_CASE("import graph: a change reaches the tests that import it, through packages and conftests", "[import-graph]") {
  test::ScopedTempDir temp("fastest_import_graph_");
  const fs::path root = temp.path();
  write_file(root / "src/shop/__init__.py", "from .money import Money\n");
  write_file(root / "src/shop/money.py", "import decimal\n");
  write_file(root / "src/shop/cart.py", "from shop import money\n");
  write_file(root / "src/shop/util.py", "");
  write_file(root / "tests/conftest.py", "import helpers\n");
  write_file(root / "tests/helpers.py", "");
  write_file(root / "tests/test_cart.py", "from shop.cart import Cart\n");
  write_file(root / "tests/test_util.py", "def test_u():\n    from shop import util\n");
  write_file(root / "tests/unit/test_plain.py", "import os\n");
  write_file(root / "other/test_outside.py", "import json\n");
  write_file(root / ".venv/pyvenv.cfg", "");
  write_file(root / ".venv/lib/shop/money.py", "");

  ImportGraph graph;
  auto files = project_python_files(root);
  CHECK(files.size() == 10);  // the venv's file is not the project's
  graph.reset({root, root / "src", root / "tests"}, files);
  std::vector<fs::path> tests{root / "tests/test_cart.py", root / "tests/test_util.py",
                              root / "tests/unit/test_plain.py", root / "other/test_outside.py"};

  // money.py is imported by shop/__init__.py, which every `shop...` import runs.
  CHECK(names(graph.affected(tests, {root / "src/shop/money.py"}), root) ==
        std::vector<std::string>{"tests/test_cart.py", "tests/test_util.py"});
  CHECK(names(graph.affected(tests, {root / "src/shop/cart.py"}), root) == std::vector<std::string>{"tests/test_cart.py"});
  // An import inside a test function counts too.
  CHECK(names(graph.affected(tests, {root / "src/shop/util.py"}), root) == std::vector<std::string>{"tests/test_util.py"});
  // A conftest (or what it imports) reaches every test under its folder, and nothing else.
  CHECK(names(graph.affected(tests, {root / "tests/helpers.py"}), root) ==
        std::vector<std::string>{"tests/test_cart.py", "tests/test_util.py", "tests/unit/test_plain.py"});
  // A test module reaches itself only.
  CHECK(names(graph.affected(tests, {root / "other/test_outside.py"}), root) == std::vector<std::string>{"other/test_outside.py"});

  // An edit that adds an import is seen after update(); an unsaved buffer's text overrides the disk.
  write_file(root / "tests/unit/test_plain.py", "import os\nfrom shop import cart\n");
  graph.refresh();
  CHECK(names(graph.affected(tests, {root / "src/shop/cart.py"}), root) ==
        std::vector<std::string>{"tests/test_cart.py", "tests/unit/test_plain.py"});
  std::string buffer = "from shop.util import x\n";
  graph.update(root / "other/test_outside.py", &buffer);
  CHECK(names(graph.affected(tests, {root / "src/shop/util.py"}), root) ==
        std::vector<std::string>{"tests/test_util.py", "other/test_outside.py"});
}
