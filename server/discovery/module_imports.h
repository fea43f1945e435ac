// Which packages a test module imports unconditionally at import time: if one of them cannot
// be found, pytest reports the module as a collection error instead of listing its tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "server/discovery/import_statements.h"

namespace fastest {

struct TopLevelImport {
  std::string name;    // the first component of the dotted module name (`a` for `import a.b`)
  uint32_t line = 0;   // 1-based line of the import statement
};

// Absolute imports that run whenever the module is imported: statements at module level, also
// inside a `try` none of whose handlers can catch ImportError (bare `except`, ImportError,
// ModuleNotFoundError, Exception, BaseException or a name we cannot read) and visibly falls
// back (only binds names or passes; a handler that re-raises or calls anything does not guard
// the import, as pytest then reports the module's collection error). Imports under `if`
// (TYPE_CHECKING, version checks), `with`, in functions or classes are not listed: they may not
// run. Relative imports are part of the module's package and never listed. In source order.
std::vector<TopLevelImport> unconditional_imports(TSNode root, std::string_view source);

// The same statements whole: absolute and relative, with the names a `from` import takes (each
// may be a submodule, which the import then runs too). What a project module's import runs.
struct UnconditionalImport {
  ImportStatement statement;
  uint32_t line = 0;  // 1-based
};
std::vector<UnconditionalImport> unconditional_import_statements(TSNode root, std::string_view source);

}  // namespace fastest
