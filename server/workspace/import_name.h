// The __name__ pytest gives a module it imports (pytest.pathlib.import_path), which prefixes
// the module's doctest names. Reads the disk: which folders hold an __init__.py.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace fastest {

enum class ImportMode { Prepend, Append, Importlib };

// `--import-mode` value; unknown values fall back to prepend (pytest rejects them earlier).
ImportMode parse_import_mode(const std::string& value);

// prepend/append: the dotted path from the outermost package (folders with __init__.py and
// identifier names) down to the file, else the file's stem. importlib: the same when the file
// is in a package, else the path relative to rootdir with dots (`tests/sub/m.py` -> `tests.sub.m`).
std::string module_import_name(const std::filesystem::path& file, const std::filesystem::path& rootdir,
                               ImportMode mode);

}  // namespace fastest
