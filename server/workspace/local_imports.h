// The project's own modules whose import fails because of what they import: a test module's
// `from mypkg import thing` is fine when `mypkg` is in the project, unless mypkg's import (its
// `__init__.py`, and each project module that imports in turn, unconditionally) reaches a name
// the interpreter's path does not hold — then pytest reports the test module's collection error,
// and its tests must not be listed statically. Files are read and parsed on demand, once.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/discovery/collect_rules.h"

namespace fastest {

class LocalImportCheck final : public LocalImportFailures {
 public:
  // `search_dirs`: the folders pytest's sys.path puts first (basedirs, rootdir, invocation dir,
  // `pythonpath`), in that order; only modules found there under `project_root` are read (an
  // installed package is trusted to import). `importable`: the top-level names the interpreter
  // can import at all.
  LocalImportCheck(std::vector<std::filesystem::path> search_dirs, std::filesystem::path project_root,
                   std::shared_ptr<const ImportableNames> importable);

  std::optional<std::string> failure(const std::string& dotted) const override;
  std::optional<std::string> skips_importers(const std::string& dotted) const override;
  std::string package_of(const std::string& path) const override;
  bool has_read(const std::string& path) const override;

 private:
  struct ModuleFile {
    std::filesystem::path file;
    std::string package;  // where its relative imports start: its own name for an `__init__.py`
  };
  // The files importing `dotted` runs, outermost package first; empty when it is not the
  // project's (or not found: Python's own error is for pytest to report).
  // `sibling`: a module of the collected tests' own package, read even when installed.
  std::vector<ModuleFile> files_of(const std::string& dotted, bool sibling = false) const;
  std::optional<std::string> module_failure(const std::string& dotted, int depth) const;
  std::optional<std::string> file_failure(const std::filesystem::path& file, const std::string& package,
                                          int depth) const;
  std::string shown(const std::filesystem::path& file) const;

  std::vector<std::filesystem::path> dirs_;
  std::filesystem::path root_;
  std::shared_ptr<const ImportableNames> importable_;
  mutable std::recursive_mutex mutex_;
  mutable std::map<std::string, std::optional<std::string>> modules_;         // dotted -> failure
  mutable std::map<std::filesystem::path, std::optional<std::string>> files_;  // file -> failure
  mutable std::set<std::filesystem::path> in_progress_;                        // import cycles
  mutable std::map<std::string, std::optional<std::string>> skippers_;        // dotted -> skips_importers
  mutable std::set<std::filesystem::path> texts_read_;                         // by skips_importers
  mutable std::unordered_map<std::string, std::string> packages_;              // folder -> package_of
};

}  // namespace fastest
