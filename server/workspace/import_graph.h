// Which project files each Python file of a root imports, read statically, and its reverse: the
// test files a change reaches. What continuous runs (`fastest run --watch`, the server's armed
// runs) re-run after an edit. Every import statement counts, wherever it is (import_statements.h),
// and every package `__init__.py` on the way: a superset, so a change never misses a test that
// imports it; at worst a few more tests run.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace fastest {

class ImportGraph {
 public:
  // `source_roots`: the folders import names are resolved against (rootdir, src/, the folders
  // pytest's import mode puts on sys.path); `files`: the root's Python files.
  // `cancel`, when set by another thread, stops the reading early (the graph is then partial).
  void reset(std::vector<std::filesystem::path> source_roots, const std::vector<std::filesystem::path>& files,
             const std::atomic<bool>* cancel = nullptr);

  // Re-reads one file (or forgets it when it no longer exists); `text` overrides the disk (an
  // unsaved buffer). Only a file whose size or mtime changed is parsed again by refresh().
  void update(const std::filesystem::path& file, const std::string* text = nullptr);
  void refresh(const std::atomic<bool>* cancel = nullptr);

  // The files `file` imports, directly (absolute paths, sorted).
  std::vector<std::filesystem::path> imports_of(const std::filesystem::path& file) const;

  // Of `test_files`, those whose closure reaches one of `changed`: the test file itself, a
  // module it imports (transitively), or a conftest.py in its folder or above (and what that
  // conftest imports). In the order of `test_files`.
  std::vector<std::filesystem::path> affected(const std::vector<std::filesystem::path>& test_files,
                                              const std::vector<std::filesystem::path>& changed) const;

  size_t file_count() const { return files_.size(); }

 private:
  struct FileImports {
    std::filesystem::file_time_type mtime{};
    uintmax_t size = 0;
    std::vector<std::filesystem::path> imports;
  };
  std::vector<std::filesystem::path> resolve(const std::filesystem::path& file, const std::string& source) const;
  void add_module(const std::string& dotted, std::vector<std::filesystem::path>& out) const;
  void add_relative(const std::filesystem::path& base, const std::string& dotted,
                    std::vector<std::filesystem::path>& out) const;

  std::vector<std::filesystem::path> roots_;
  std::map<std::string, std::filesystem::path> modules_;  // dotted name -> file (first root wins)
  std::map<std::filesystem::path, FileImports> files_;
};

// pytest's config files by name (pytest.ini, .pytest.ini, pyproject.toml, tox.ini, setup.cfg).
bool is_pytest_config_file(const std::filesystem::path& file);

// Editors' lock, backup and swap files and Python's caches: never a reason to re-run a test.
bool is_editor_noise(const std::filesystem::path& file);

// Folders no project file lives in: hidden ones, __pycache__, node_modules, site-packages and
// virtual environments (a pyvenv.cfg). Shared by the import graph and `run --watch`.
bool skipped_folder(const std::filesystem::path& dir);

// The Python files of a project under `root` that imports may reach: not in hidden folders,
// __pycache__, node_modules, virtual environments (a pyvenv.cfg) or site-packages.
std::vector<std::filesystem::path> project_python_files(const std::filesystem::path& root,
                                                        const std::atomic<bool>* cancel = nullptr);

}  // namespace fastest
