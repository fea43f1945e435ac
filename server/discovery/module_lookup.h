// The modules a test class's bases come from: discovery asks, server/workspace answers by
// finding the file pytest's import would load (its sys.path, first hit wins), reading and
// parsing it once (cached, shared by the threads that discover modules). Discovery itself
// still does no I/O: it only reads what this object hands it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "server/discovery/module_scope.h"
#include "server/discovery/syntax_tree.h"

namespace fastest {

// A module read for its classes. Immutable once built: its tree and scope are read by several
// threads at once.
struct ForeignModule {
  std::string path;  // absolute file path
  std::string text;
  TreePtr tree;
  Scope scope;
  bool is_package = false;  // an `__init__.py`
};

class ModuleLookup {
 public:
  virtual ~ModuleLookup() = default;
  // The module `from <level dots><dotted> import ...` (level 0: `import dotted`) loads when
  // executed in `from_file` (absolute, or relative to the rootdir for a collected module).
  // Null, with `why`, when the file cannot be known for sure: not found, in the standard
  // library, a namespace package, a compiled extension, two candidates that differ, ...
  virtual std::shared_ptr<const ForeignModule> import_module(std::string_view from_file, int level,
                                                             std::string_view dotted, std::string& why) = 0;
  // The file (canonical) a top-level module `top` loads from under pytest's sys.path, whatever
  // its kind (the standard library's, compiled): what the interpreter's answer about it
  // (LibraryFacts) must have come from. Nullopt when not certain (not found, a namespace
  // package, candidates the run's sys.path order chooses between).
  virtual std::optional<std::string> top_module_file(std::string_view /*top*/) { return std::nullopt; }
};

}  // namespace fastest
