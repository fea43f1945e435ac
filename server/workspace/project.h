// The engine's entry point for a whole tree: config + files -> collected test items.
// Shared by `fastest discover`, `fastest run` and the language server.
// All I/O of discovery lives here (and in its helpers in server/workspace/);
// server/discovery stays pure.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/core/model.h"
#include "server/discovery/collect_rules.h"

namespace fastest {

// Where collect()'s time goes (`fastest discover --timings`). Wall milliseconds per phase; read,
// parse and rules run on every core at once, so theirs are summed over the threads (thread-ms),
// and `discover_wall_ms` is the wall time of that parallel phase.
struct CollectTimings {
  double config_ms = 0;
  double walk_ms = 0;
  double imports_ms = 0;  // the importable names and the plugins' hooks (interpreter facts)
  double discover_wall_ms = 0;
  std::atomic<int64_t> read_us{0};
  std::atomic<int64_t> parse_us{0};
  std::atomic<int64_t> rules_us{0};
  double assembly_ms = 0;
  double selection_ms = 0;
};

// What pytest would be given on its command line.
struct Invocation {
  std::filesystem::path invocation_dir;          // pytest's cwd; relative args resolve against it
  std::vector<std::string> args;                 // positional paths and node ids (may be empty)
  std::optional<std::filesystem::path> rootdir;  // --rootdir
  std::optional<std::filesystem::path> inifile;  // -c FILE
  std::vector<std::string> extra_options;        // e.g. {"-m", "slow", "--ignore", "x"} as on a pytest CLI
  std::optional<std::string> python;             // --python: the interpreter whose pytest decides the rules
  // Open editor buffers: absolute path -> text, read instead of the file on disk.
  std::vector<std::pair<std::filesystem::path, std::string>> overlays;
  // Stop once the config is resolved (rootdir, ini, rules): no walk, no items. Cheap.
  bool config_only = false;
  // Set by another thread: the walk and the files' discovery stop early; the (partial)
  // collection is for the caller to drop. The language server's background collections.
  const std::atomic<bool>* cancel = nullptr;
  // When set, collect() records where its time went.
  CollectTimings* timings = nullptr;
  // The caller reads static leaves by their ids in `selected` alone (`fastest discover`'s text
  // listing): a module read once with nothing dynamic or failing in it keeps its Module item,
  // its leaves are ids only and its classes and parametrized functions go with them (a
  // 100,000-test tree's items were half of the process's memory). The leaves' place in the tree
  // is kept in `Collection::leaf_runs`. Ignored under -k/-m/--deselect (they read the items).
  bool static_leaves_as_ids = false;
  // The caller keeps each module's items in a list of its own (the language server's
  // `file_items`): they go to Collection::file_items as they are assembled, never through one
  // tree-wide list (copying 100,000 items from that list into per-file ones held both: +17 MB
  // at the server's peak). Not with static_leaves_as_ids, which places leaves by `items`.
  bool items_by_file = false;
  // The installed modules' values the interpreter answered (discovery/library_facts.h), given
  // the interpreter and rootdir once they are known. Unset: such values stay unknown.
  std::function<std::shared_ptr<const LibraryFacts>(const std::filesystem::path& python,
                                                    const std::filesystem::path& rootdir)>
      library_facts;
};

// pytest's resolved configuration for an invocation.
struct ProjectConfig {
  std::filesystem::path rootdir;                 // absolute
  std::optional<std::filesystem::path> inifile;  // absolute, if any
  CollectRules rules;
  std::vector<std::string> python_files{"test_*.py", "*_test.py"};
  std::vector<std::string> testpaths;
  std::vector<std::string> norecursedirs;        // effective patterns
  std::vector<std::string> addopts;              // split like a shell would
  std::vector<std::string> ignore;               // --ignore (absolute paths)
  std::vector<std::string> ignore_glob;          // --ignore-glob
  std::string markexpr;                          // -m from addopts/extra_options
  std::string keywordexpr;                       // -k
  std::vector<std::string> markers;              // registered `markers` ini lines (name part)
  std::vector<std::string> deselect;             // --deselect node-id prefixes
  bool doctest_modules = false;                  // --doctest-modules
  std::vector<std::string> doctest_globs;        // --doctest-glob; empty means pytest's `test*.txt`
  std::string import_mode = "prepend";           // --import-mode: decides doctest module names
  // pytest's verbosity from addopts, $PYTEST_ADDOPTS and the command line (-v, -q, --verbosity).
  int verbosity = 0;
  std::string reportchars = "fE";                 // -r: what the short test summary lists
  std::string color = "auto";                     // --color: yes, no, auto (terminal_markup.h)
  // --continue-on-collection-errors in addopts, $PYTEST_ADDOPTS or the command line.
  bool continue_on_collection_errors = false;
  std::vector<std::filesystem::path> pythonpath;  // the `pythonpath` ini option, absolute
  std::optional<std::string> cache_dir;          // the `cache_dir` ini option as written (pytest_cache.h resolves it)
  // strict_config on: the config file's keys pytest itself does not define. A plugin or conftest
  // may; if none does, pytest ends with a usage error after collecting (settled by pytest).
  std::vector<std::string> unverified_ini_keys;
  // pytest would stop while configuring if pytest or a plugin warned there (INTERNALERROR, exit
  // 3): an `error` warnings filter (filterwarnings, -W) is set and a pytest plugin is installed.
  bool configure_may_fail = false;
  std::optional<std::filesystem::path> python;   // the interpreter found, if any
  bool pytest_found = false;                     // its pytest version was read from metadata
};

struct Collection {
  ProjectConfig config;
  // The whole tree in pytest's order, pre-order: folders, modules, classes, functions, cases.
  // With Invocation::items_by_file: the folders alone (their modules' items are in file_items).
  std::vector<TestItem> items;
  // With Invocation::items_by_file: each module's items in pytest's order, by module id.
  std::map<std::string, std::vector<TestItem>> file_items;
  std::vector<Diagnostic> diagnostics;  // syntax errors, unreadable files: never fatal
  // Usage errors pytest would stop on (missing path, bad config, minversion): exit code 4.
  std::vector<std::string> usage_errors;
  // Modules pytest could not import (syntax errors): pytest reports a collection error each.
  std::vector<Diagnostic> collection_errors;
  // Folders (ids; "" for rootdir) named by the invocation whose files a conftest chooses at
  // run time: settled by collecting the whole folder (see FileWalker::dynamic_collection_dir).
  std::vector<std::string> dynamic_folders;
  // Dynamic modules and classes wholly in the invocation's scope: they hold tests only pytest
  // can list (inherited from an imported base, made by a hook), so a run hands pytest the
  // container itself rather than its static leaves.
  std::vector<std::string> dynamic_containers;
  // No path was given and `testpaths` said what to collect (pytest's header names them).
  bool from_testpaths = false;
  // Messages for stderr: unreadable files, symlink loops, dynamic folders.
  std::vector<std::string> warnings;
  // Ids of runnable tests (functions without cases, and cases), in pytest's order,
  // after -m/-k/--deselect selection; and how many selection removed.
  std::vector<std::string> selected;
  size_t deselected = 0;
  std::vector<std::string> deselected_ids;  // the leaves -k/-m/--deselect removed, in order
  const std::vector<std::string>& selected_ids() const { return selected; }
  // The static leaves without an item (Invocation::static_leaves_as_ids): `count` ids of
  // `selected` from `first` on come in the tree right after its first `items_before` items.
  // Valid while `selected` is the list collect() made.
  struct LeafRun {
    size_t items_before = 0;
    size_t first = 0;
    size_t count = 0;
  };
  std::vector<LeafRun> leaf_runs;
  // Every node of the tree in pytest's order, the leaf runs in their places: fn(id, its item, or
  // nullptr for a leaf that has none).
  template <class Fn>
  void for_each_in_order(Fn&& fn) const {
    auto run = leaf_runs.begin();
    auto leaves_at = [&](size_t items_before) {
      for (; run != leaf_runs.end() && run->items_before == items_before; ++run)
        for (size_t i = run->first; i < run->first + run->count; ++i) fn(std::string_view(selected[i]), nullptr);
    };
    leaves_at(0);
    for (size_t i = 0; i < items.size(); ++i) {
      fn(std::string_view(items[i].id), &items[i]);
      leaves_at(i + 1);
    }
  }
  // The fixtures a module's tests may request beyond its own: each conftest's (by folder) and
  // the loaded plugins' (outermost). Kept so that an editor's open document is read by the
  // same rules as the collection (rules_for_module).
  std::map<std::filesystem::path, std::vector<FixtureDecl>> conftest_fixtures;
  std::map<std::filesystem::path, std::shared_ptr<const GenerateTestsHook>> conftest_generate_tests;
  std::vector<std::vector<FixtureDecl>> plugin_fixtures;
  // Module id -> the other modules its test classes' bases were read from (absolute paths):
  // the language server discovers the module again when one of them changes.
  std::map<std::string, std::vector<std::string>> base_files;
  // Keywords pytest's -k matches for a leaf: its name, its parents' names, its marks.
  std::vector<std::string> keywords_of(const TestItem& item) const;
  const TestItem* find(const std::string& id) const;
};

// The rules a module at `file` is discovered by: the config's, with the fixtures of the
// conftests from its folder up to the rootdir (nearest first), then the plugins'.
CollectRules rules_for_module(const Collection& collection, const std::filesystem::path& file);

// Resolves config and collects every test the invocation names. Never throws for bad
// input files; those become diagnostics. `on_config`, when given, is called once the config
// (interpreter, rootdir, ini file) is settled and before the files are walked.
Collection collect(const Invocation& invocation, const std::function<void(const ProjectConfig&)>& on_config = {});

}  // namespace fastest
