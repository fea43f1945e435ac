// The part of pytest's configuration that decides, inside one module, what is a test.
// Filled by server/workspace from ini/toml config; consumed by discover_module().
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "server/core/model.h"

namespace fastest {

struct PytestVersion {
  // Defaults to the newest pytest we know; the workspace reads the installed one.
  int major = 9;
  int minor = 2;
  int patch = 0;
  bool at_least(int maj, int min = 0) const { return major > maj || (major == maj && minor >= min); }
};

// One value of a fixture's `params=`: the id pytest gives it and the marks of pytest.param.
struct FixtureParam {
  std::string id;
  std::vector<Mark> marks;
};

// A fixture as declared in source: what decides whether it multiplies its requesters.
struct FixtureDecl {
  std::string name;
  bool has_params = false;             // `params=` in its decorator
  bool autouse = false;
  std::vector<std::string> requests;   // fixture names its parameters request
  // Set for a name imported into the scope (name "*" for a star import): it may be a fixture
  // defined elsewhere, parametrized or not, so requesting it is settled by pytest.
  std::string imported_from;
  std::string attribute;               // the function's name (pytest orders autouse fixtures by it)
  // `scope=` when a string literal ("function" by default); empty when computed at run time.
  std::string scope = "function";
  // With has_params: the values' ids in order, when params= and ids= are known statically;
  // otherwise params_unknown says why not.
  std::vector<FixtureParam> params;
  std::string params_unknown;
};

// The top-level module names the interpreter pytest runs under can import (stdlib, builtins,
// site-packages, the folders pytest puts on sys.path), read by server/workspace/import_resolver.
struct ImportableNames {
  std::unordered_set<std::string> names;
  bool contains(const std::string& name) const { return names.count(name) != 0; }
};

// Why importing a module of the project fails: a module its import runs unconditionally (itself,
// or one of the project's modules it imports in turn) imports a name the interpreter's path does
// not hold. Read from the project's files on demand (server/workspace/local_imports.h), memoised
// and thread-safe. nullopt: nothing says it fails (or the module is not the project's).
class LocalImportFailures {
 public:
  virtual ~LocalImportFailures() = default;
  // `dotted`: an absolute module name (`pkg.sub.mod`).
  virtual std::optional<std::string> failure(const std::string& dotted) const = 0;
  // Why importing `dotted`, a module of the collected test's own package (installed or not), may
  // skip or fail its importer: numpy's f2py/tests/util.py probes for compilers at import and
  // skips with `allow_module_level=True` (or fails). Only that module's own text is read.
  virtual std::optional<std::string> skips_importers(const std::string& /*dotted*/) const { return std::nullopt; }
  // The package a file of the project belongs to ("tests.unit" for tests/unit/test_a.py when
  // tests/ and tests/unit/ hold an `__init__.py`), where its relative imports start. `path`:
  // relative to the rootdir, '/'-separated.
  virtual std::string package_of(const std::string& path) const = 0;
  // Whether an answer read `path` (absolute): a change to it may change the answers.
  virtual bool has_read(const std::string& path) const = 0;
};

// What the interpreter pytest runs under answers for the conditions tests are written under
// (`sys.version_info`, `sys.platform`, `os.name`, the implementation), read without starting
// it (server/workspace/interpreter.*). A part left empty/unset is unknown: conditions that
// need it stay unknown.
struct PythonFacts {
  int major = 0;
  int minor = 0;
  std::optional<int> micro;
  std::optional<std::string> releaselevel;  // "final", "candidate", ...
  std::optional<int> serial;
  std::string platform;        // sys.platform: "linux", "darwin"
  std::string os_name;         // os.name: "posix"
  std::string implementation;  // sys.implementation.name: "cpython"
};

class ModuleLookup;
class LibraryFacts;
struct GenerateTestsHook;

struct CollectRules {
  // Each entry is a pytest name pattern: a glob if it contains * ? [ , otherwise a prefix.
  std::vector<std::string> python_classes{"Test"};
  std::vector<std::string> python_functions{"test"};
  PytestVersion pytest_version;
  // `disable_test_id_escaping_and_forfeit_all_rights_to_community_support` ini option.
  bool disable_id_escaping = false;
  // `parametrize_long_str_id_strategy` (pytest >= 9.2): what an auto-generated id does with a
  // str/bytes value over 100 characters. "short" (the default) falls back to argname+index.
  std::string long_str_id_strategy = "short";
  // Fixtures the conftest.py files above the module define, nearest conftest first: a test
  // whose fixture closure reaches a `params=` fixture is multiplied at run time (dynamic).
  std::vector<std::vector<FixtureDecl>> conftest_fixtures;
  // The pytest_generate_tests hooks of those conftests that are read statically, nearest first
  // (pytest calls a deeper conftest's first); a conftest whose hook is not read makes its folder
  // dynamic instead.
  std::vector<std::shared_ptr<const GenerateTestsHook>> conftest_generate_tests;
  // Set when strict markers is on: the marks known to be registered (pytest's builtin ones and
  // the ini's `markers`). A module reaching any other mark is dynamic: a plugin or conftest may
  // register it at run time, or pytest fails the module's import.
  std::optional<std::vector<std::string>> registered_marks;
  // Set when the interpreter's import path could be read: a module importing (unconditionally,
  // at module level) a top-level name not in it is dynamic, since pytest may fail its import.
  // Null: every name counts as importable.
  std::shared_ptr<const ImportableNames> importable;
  // The project's own modules whose import fails transitively (set with `importable`).
  std::shared_ptr<const LocalImportFailures> local_import_failures;
  // Set when the interpreter's version could be read: `if sys.version_info ...` and the like
  // are decided statically. Null: such conditions stay unknown.
  std::shared_ptr<const PythonFacts> python;
  // An `error` warnings filter is set (filterwarnings, -W, PYTHONWARNINGS): a warning pytest
  // emits while collecting (a non-Collection iterable given to parametrize) may fail the module.
  bool warnings_may_error = false;
  // Finds and parses the modules test classes' bases are imported from (module_lookup.h), so
  // their tests are inherited statically. Null: such classes stay dynamic.
  std::shared_ptr<ModuleLookup> modules;
  // Values of installed modules the interpreter answered (library_facts.h). Null: such values
  // stay unknown.
  std::shared_ptr<const LibraryFacts> library;
};

}  // namespace fastest
