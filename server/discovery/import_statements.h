// Every import statement of a module, anywhere in it (functions, `if`, `try` included): what a
// change to another file may reach. A superset of what runs at import time on purpose: choosing
// which tests to re-run after an edit must never miss one (module_imports.h answers the
// narrower question of which imports always run).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

namespace fastest {

struct ImportStatement {
  int level = 0;                   // leading dots of a relative import (0: absolute)
  std::string module;              // dotted name after the dots ("" for `from . import x`)
  std::vector<std::string> names;  // `from M import a, b`: a, b (maybe submodules); empty for `import M` and `*`
};

std::vector<ImportStatement> import_statements(TSNode root, std::string_view source);

// The import(s) one `import` / `from ... import` statement makes (`import a, b` makes two).
void read_import_statement(TSNode statement, std::string_view source, std::vector<ImportStatement>& out);

}  // namespace fastest
