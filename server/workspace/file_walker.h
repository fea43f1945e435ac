// pytest's file walk: which files an argument collects, in pytest's order, honouring
// norecursedirs, virtualenvs, --ignore/--ignore-glob and conftest `collect_ignore`; and which
// collectors pytest makes of each (python Module, DoctestModule, DoctestTextfile).
// Also reads each visited conftest.py (statically) for what it means to collection.
#pragma once

#include <memory>
#include <atomic>
#include <filesystem>
#include <optional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/core/model.h"
#include "server/discovery/collect_rules.h"
#include "server/discovery/conftest_analysis.h"

namespace fastest {

struct WalkOptions {
  std::filesystem::path rootdir;
  std::vector<std::string> python_files{"test_*.py", "*_test.py"};
  std::vector<std::string> norecursedirs;
  std::vector<std::string> ignore;       // absolute paths
  std::vector<std::string> ignore_glob;  // absolute-path globs
  PytestVersion pytest_version;
  std::vector<std::string> given_options;  // ini addopts, $PYTEST_ADDOPTS, the command line
  CollectRules id_rules;  // what parametrize ids depend on (version, escaping), for conftest fixtures' params
  std::unordered_map<std::string, std::string> overlays;  // absolute path -> editor text
  bool doctest_modules = false;                            // --doctest-modules
  std::vector<std::string> doctest_globs{"test*.txt"};     // --doctest-glob patterns
  const std::atomic<bool>* cancel = nullptr;               // set: the walk stops (its result is dropped)
};

// One collected file and the collectors pytest_collect_file returns for it. The doctest
// plugin answers first, so a file's doctest items precede its python Module's items.
struct WalkedFile {
  std::filesystem::path path;
  bool python_module = false;   // matches python_files, or named on the command line
  bool doctest_module = false;  // a .py file under --doctest-modules (not __main__.py nor a setuptools setup.py)
  bool doctest_text = false;    // matches --doctest-glob, or a .txt/.rst named on the command line
};

class FileWalker {
 public:
  explicit FileWalker(WalkOptions options) : options_(std::move(options)) {}

  // The files `arg` (a file or folder, absolute) collects, in pytest's order.
  std::vector<WalkedFile> collect_files(const std::filesystem::path& arg);

  // Reads the conftests visited so far again with `rules`: the project's modules and the
  // interpreter's answers, known only once the walk found the test files, so that names a
  // conftest imports are read where they come from. True when what one ignores changed: the
  // walk is then done again (forget_walk, then collect_files).
  bool reread_conftests(const CollectRules& rules);
  // Forgets the folders walked and what walking them reported (not the conftests read).
  void forget_walk();

  // Read-only after the walk (safe to call from several threads then).
  // The fixtures of the conftest.py files from `dir` up to the rootdir, nearest first.
  std::vector<std::vector<FixtureDecl>> conftest_fixtures_for(const std::filesystem::path& dir) const;
  // Every visited conftest's fixtures, by folder: what the language server's open documents need.
  std::map<std::filesystem::path, std::vector<FixtureDecl>> conftest_fixtures() const;
  // The pytest_generate_tests hooks read statically, from `dir` up to the rootdir, nearest first;
  // and every visited conftest's, by folder.
  std::vector<std::shared_ptr<const GenerateTestsHook>> generate_tests_for(const std::filesystem::path& dir) const;
  std::map<std::filesystem::path, std::shared_ptr<const GenerateTestsHook>> conftest_generate_tests() const;
  // Non-empty when a conftest above `dir` makes collection there unknowable statically.
  std::string dynamic_reason_for(const std::filesystem::path& dir) const;
  // The outermost folder (dir or a parent, up to rootdir) whose conftest decides at run time
  // which files pytest collects (collect_ignore built at run time, collection hooks). pytest
  // applies those rules to what it finds in a folder, never to a path it is handed, so only a
  // real collection of that whole folder settles its tests.
  std::optional<std::filesystem::path> dynamic_collection_dir(const std::filesystem::path& dir) const;
  const std::unordered_map<std::string, std::string>& overlays() const { return options_.overlays; }

  const std::vector<std::string>& warnings() const { return warnings_; }
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

  // The `pytest_plugins` modules the conftests read so far name.
  std::vector<std::string> conftest_plugins() const;
  // A loaded plugin may change every collected id: the rootdir is settled whole, for this reason.
  void set_plugin_reason(std::string reason) { plugin_reason_ = std::move(reason); }
  // The names the interpreter can import: a conftest importing another may fail pytest's
  // collection of its folder (exit 4 for an initial conftest), which pytest settles.
  void set_importable(std::shared_ptr<const ImportableNames> names,
                      std::shared_ptr<const LocalImportFailures> local_failures = nullptr) {
    importable_ = std::move(names);
    local_failures_ = std::move(local_failures);
  }

 private:
  std::string plugin_reason_;
  std::shared_ptr<const ImportableNames> importable_;
  std::shared_ptr<const LocalImportFailures> local_failures_;
  void walk_dir(const std::filesystem::path& dir, std::vector<WalkedFile>& out,
                std::set<std::filesystem::path>& stack);
  WalkedFile classify(const std::filesystem::path& file, bool named_on_command_line) const;
  bool is_setuptools_setup_py(const std::filesystem::path& file) const;
  bool ignored(const std::filesystem::path& path, bool is_dir);
  bool is_virtualenv(const std::filesystem::path& dir) const;
  bool matches_python_files(const std::filesystem::path& file) const;
  void load_conftests_down_to(const std::filesystem::path& dir);
  // The collection hook of a conftest that may change ids, or "".
  std::string collection_hook(const ConftestInfo& info) const;
  const ConftestInfo* load_conftest(const std::filesystem::path& dir);
  std::optional<std::string> conftest_text(const std::filesystem::path& file);
  ConftestInfo read_conftest(const std::filesystem::path& dir, const std::string& text) const;
  void warn(const std::filesystem::path& path, const std::string& message);
  bool follow_symlink(const std::filesystem::path& link);

  WalkOptions options_;
  std::map<std::filesystem::path, ConftestInfo> conftests_;  // folder -> its conftest.py
  std::set<std::filesystem::path> conftest_checked_;
  // Folders walked (real paths), and how often one was walked again through a symlink: at
  // most about once per folder, and kMinWalksAgain times in any case (see walk_dir).
  static constexpr size_t kMinWalksAgain = 1000;
  std::set<std::filesystem::path> walked_;
  size_t walked_again_ = 0;
  bool walk_bound_warned_ = false;
  int links_on_path_ = 0;  // symlinks between the walk's start and the folder being walked
  std::optional<std::filesystem::path> real_rootdir_;
  std::vector<std::string> warnings_;
  std::vector<Diagnostic> diagnostics_;
  // What reading conftests reported (also in warnings_ and diagnostics_): forget_walk keeps it.
  std::vector<std::string> conftest_warnings_;
  std::vector<Diagnostic> conftest_diagnostics_;
};

}  // namespace fastest
