// The import scan: which top-level imports always run when pytest imports a module.
#include <catch2/catch.hpp>

#include "server/discovery/module_imports.h"
#include "tests/unit/discovery_test_util.h"

using namespace fastest;
using namespace fastest::test;

namespace {

std::vector<std::string> scanned(const std::string& source) {
  auto parser = make_python_parser();
  auto tree = parse_python(parser.get(), source);
  std::vector<std::string> out;
  for (const TopLevelImport& imp : unconditional_imports(ts_tree_root_node(tree.get()), source))
    out.push_back(imp.name + ":" + std::to_string(imp.line));
  return out;
}

CollectRules knowing(std::vector<std::string> names) {
  CollectRules rules;
  auto set = std::make_shared<ImportableNames>();
  for (auto& n : names) set->names.insert(n);
  rules.importable = set;
  return rules;
}

}  // namespace

TEST_CASE("module-level imports are listed by their top-level name", "[imports]") {
  CHECK(scanned("import os\nimport a.b.c as d, e\nfrom f.g import h\nfrom . import x\nfrom .k import y\n") ==
        std::vector<std::string>{"os:1", "a:2", "e:2", "f:3"});
  CHECK(scanned("from __future__ import annotations\n") == std::vector<std::string>{});
}

TEST_CASE("imports that may not run or whose failure is caught are not listed", "[imports]") {
  CHECK(scanned("try:\n    import a\nexcept ImportError:\n    a = None\n").empty());
  CHECK(scanned("try:\n    import a\nexcept (KeyError, ModuleNotFoundError):\n    pass\n").empty());
  CHECK(scanned("try:\n    import a\nexcept Exception as e:\n    pass\n").empty());
  CHECK(scanned("try:\n    import a\nexcept:\n    pass\n").empty());
  CHECK(scanned("try:\n    import a\nexcept errors:\n    pass\n").empty());  // an alias may be ImportError
  CHECK(scanned("if TYPE_CHECKING:\n    import a\n").empty());
  CHECK(scanned("def f():\n    import a\nclass C:\n    import b\nwith x:\n    import c\n").empty());
}

TEST_CASE("a try whose handlers cannot catch ImportError still imports", "[imports]") {
  CHECK(scanned("try:\n    import a\nexcept KeyError:\n    pass\n") == std::vector<std::string>{"a:2"});
  CHECK(scanned("try:\n    import a\nexcept (KeyError, ValueError) as e:\n    pass\n") == std::vector<std::string>{"a:2"});
}

TEST_CASE("a module importing a name the interpreter lacks is dynamic", "[imports]") {
  const std::string source = "import os\nimport missing_pkg.sub\n\ndef test_a():\n    pass\n";
  ModuleResult unknown = discover_snippet(source, knowing({"os"}));
  CHECK(unknown.dynamic);
  CHECK(unknown.dynamic_reason.find("imports `missing_pkg` at line 2") != std::string::npos);
  CHECK(leaf_ids(unknown) == std::vector<std::string>{"test_m.py::test_a"});  // still listed for editors

  CHECK_FALSE(discover_snippet(source, knowing({"os", "missing_pkg"})).dynamic);
  CHECK_FALSE(discover_snippet(source).dynamic);  // no import path read: every name is importable
  CHECK_FALSE(discover_snippet("try:\n    import missing_pkg\nexcept ImportError:\n    pass\ndef test_a(): pass\n",
                               knowing({})).dynamic);
}

TEST_CASE("a handler that re-raises or calls a helper does not guard the import", "[imports]") {
  CHECK(scanned("try:\n    import a\nexcept ImportError:\n    raise\n") == std::vector<std::string>{"a:2"});
  CHECK(scanned("try:\n    import a\nexcept ImportError as e:\n    raise RuntimeError('x') from e\n") ==
        std::vector<std::string>{"a:2"});
  CHECK(scanned("try:\n    import a\nexcept ImportError:\n    _fail('install a')\n") == std::vector<std::string>{"a:2"});
  CHECK(scanned("try:\n    import a\nexcept ImportError:\n    a = None\n    raise\n") == std::vector<std::string>{"a:2"});
  // Visible fallbacks keep the import optional.
  CHECK(scanned("try:\n    import a\nexcept ImportError:\n    a = None\n    HAS_A: bool = False\n").empty());
  CHECK(scanned("try:\n    import a\nexcept ImportError:\n    from b import a\n").empty());
  CHECK(scanned("try:\n    import a\nexcept ImportError:\n    def a(): pass\n").empty());
  // A nested fallback (ecdsa: gmpy2, else gmpy, else none).
  CHECK(scanned("try:\n    import a\nexcept ImportError:\n    try:\n        import b\n    except ImportError:\n"
                "        b = None\n").empty());
  CHECK(scanned("try:\n    import a\nexcept ImportError:\n    try:\n        import b\n    except KeyError:\n"
                "        b = None\n") == std::vector<std::string>{"a:2"});
  CHECK(scanned("try:\n    import a\nexcept ImportError:\n    try:\n        import b\n    except ImportError:\n"
                "        raise\n") == std::vector<std::string>{"a:2"});
}
