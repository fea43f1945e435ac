// The top-level module names pytest's interpreter can import, read from disk without starting
// Python: what discovery needs to tell a module whose import may fail (see module_imports.h).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "server/discovery/collect_rules.h"
#include "server/workspace/interpreter.h"

namespace fastest {

// The folders pytest's import modes put on sys.path for these test files and their conftests:
// for each folder from a file's up to the rootdir, the first folder without __init__.py at or
// above it (prepend/append's basedir). A superset on purpose: a name found in an extra folder
// only stays static, a missing folder would cost a settle. Also used for importlib mode.
std::vector<std::filesystem::path> pytest_basedirs(const std::vector<std::filesystem::path>& files,
                                                   const std::filesystem::path& rootdir);

// The interpreter's stdlib (lib/pythonX.Y, lib-dynload), its builtin modules, site-packages
// (entries, `.pth` path lines, setuptools editable finders' literal MAPPING), plus the names in
// `extra_dirs` (rootdir, `pythonpath`, $PYTHONPATH, basedirs). The interpreter's part is cached
// per executable for the process. Null when the stdlib cannot be located or read: then no name
// is treated as unimportable.
// The interpreter's standard library folder (lib/pythonX.Y), found without starting it; nothing
// when it cannot be located or is zipped.
std::optional<std::filesystem::path> stdlib_folder(const Interpreter& interpreter);

std::shared_ptr<const ImportableNames> importable_names(const Interpreter& interpreter,
                                                        const std::vector<std::filesystem::path>& extra_dirs);

}  // namespace fastest
