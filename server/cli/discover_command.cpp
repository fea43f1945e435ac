// `fastest discover`: prints what `pytest --collect-only -q` prints, statically.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <set>
#include <nlohmann/json.hpp>

#include "server/cli/commands.h"
#include "server/cli/format.h"
#include "server/execution/engine.h"
#include "server/workspace/project.h"

namespace fastest::cli {
namespace {

struct DiscoverArgs {
  std::vector<std::string> paths;
  std::string rootdir, inifile, keyword, markexpr, python;
  std::vector<std::string> ignore, ignore_glob, deselect, doctest_glob;
  std::string import_mode;
  bool doctest_modules = false;
  bool json = false;
  bool quiet = false;
  bool no_settle = false;
};

nlohmann::json range_json(const Range& r) {
  return {{"start", {{"line", r.start.line}, {"column", r.start.column}}},
          {"end", {{"line", r.end.line}, {"column", r.end.column}}}};
}

nlohmann::json to_json(const Collection& c) {
  nlohmann::json items = nlohmann::json::array();
  for (const TestItem& item : c.items) {
    nlohmann::json marks = nlohmann::json::array();
    for (const Mark& m : item.marks) marks.push_back({{"name", m.name}, {"args", m.args}});
    nlohmann::json j = {{"id", item.id},          {"label", item.label},
                        {"kind", to_string(item.kind)}, {"file", item.path},
                        {"range", range_json(item.range)}, {"nameRange", range_json(item.name_range)},
                        {"marks", marks},         {"dynamic", item.dynamic}};
    if (!item.parent_id.empty()) j["parentId"] = item.parent_id;
    if (item.dynamic) j["dynamicReason"] = item.dynamic_reason;
    items.push_back(std::move(j));
  }
  nlohmann::json diagnostics = nlohmann::json::array();
  for (const Diagnostic& d : c.diagnostics)
    diagnostics.push_back({{"file", d.path}, {"range", range_json(d.range)}, {"message", d.message}});
  return {{"rootdir", c.config.rootdir.string()},
          {"inifile", c.config.inifile ? nlohmann::json(c.config.inifile->string()) : nlohmann::json(nullptr)},
          {"items", items},
          {"selected", c.selected},
          {"deselected", c.deselected},
          {"diagnostics", diagnostics},
          {"errors", c.usage_errors}};
}

class CollectedIds : public RunObserver {
 public:
  void on_collected(const std::vector<std::string>& ids) override { ids_.insert(ids_.end(), ids.begin(), ids.end()); }
  std::vector<std::string> ids_;
};

bool covers(const std::string& target, const std::string& id) {
  if (id == target) return true;
  if (id.size() <= target.size() || id.compare(0, target.size(), target) != 0) return false;
  char next = id[target.size()];
  return next == '[' || next == ':';
}

// What static analysis flagged dynamic is settled by pytest's real collection in a worker
// (only when there is something to settle): the printed ids then equal pytest's.
void settle_dynamic(Collection& c, const std::vector<std::string>& pytest_args) {
  std::vector<std::string> targets;
  std::set<std::string> dynamic_modules;
  for (const TestItem& item : c.items) {
    if (!item.dynamic) continue;
    bool under_target = false;
    for (const std::string& t : targets) under_target |= covers(t, item.id);
    if (under_target) continue;
    if (item.kind == ItemKind::Module || item.kind == ItemKind::Class || item.kind == ItemKind::Function)
      targets.push_back(item.id);
  }
  if (targets.empty() || !c.config.python || !c.config.pytest_found) return;
  EngineOptions options;
  options.python = *c.config.python;
  options.rootdir = c.config.rootdir;
  options.inifile = c.config.inifile;
  options.workers = 1;
  options.pytest_args = pytest_args;
  options.cache_dir = std::filesystem::temp_directory_path() / "fastest-settle-unused";
  ExecutionEngine engine(options);
  std::string error;
  if (!engine.start(&error)) {
    std::cerr << "fastest: could not settle dynamic tests: " << error << "\n";
    return;
  }
  RunRequest request;
  request.ids = targets;
  request.collect_only = true;
  CollectedIds observer;
  RunSummary summary = engine.run(request, observer);
  if (!summary.fatal_error.empty()) {
    std::cerr << "fastest: could not settle dynamic tests: " << summary.fatal_error << "\n";
    return;
  }
  // Replace each target's static leaves with pytest's ids, at the target's place in the tree
  // (a target may have no static leaves: a module whose doctests only pytest can list).
  std::set<std::string> selected(c.selected.begin(), c.selected.end());
  std::set<std::string> with_static_leaves, with_selected_leaves;
  for (const TestItem& item : c.items)
    for (const std::string& t : targets)
      if (item.id != t && covers(t, item.id) && (item.kind == ItemKind::Function || item.kind == ItemKind::Case)) {
        with_static_leaves.insert(t);
        if (selected.count(item.id)) with_selected_leaves.insert(t);
      }
  std::vector<std::string> settled;
  std::set<std::string> placed;
  for (const TestItem& item : c.items) {
    const std::string* target = nullptr;
    for (const std::string& t : targets) if (covers(t, item.id)) target = &t;
    if (!target) {
      if (selected.count(item.id)) settled.push_back(item.id);
      continue;
    }
    if (with_static_leaves.count(*target) && !with_selected_leaves.count(*target)) continue;  // deselected
    if (!placed.insert(*target).second) continue;
    for (const std::string& real : observer.ids_)
      if (covers(*target, real)) settled.push_back(real);
  }
  c.selected = std::move(settled);
  for (TestItem& item : c.items)
    for (const std::string& t : targets)
      if (item.id == t) item.dynamic_reason += " (settled by pytest's collection)";
}

int run_discover(const DiscoverArgs& args) {
  auto start = std::chrono::steady_clock::now();
  Invocation inv;
  inv.invocation_dir = std::filesystem::current_path();
  inv.args = args.paths;
  if (!args.rootdir.empty()) inv.rootdir = args.rootdir;
  if (!args.inifile.empty()) inv.inifile = args.inifile;
  if (!args.python.empty()) inv.python = args.python;
  if (!args.keyword.empty()) inv.extra_options.insert(inv.extra_options.end(), {"-k", args.keyword});
  if (!args.markexpr.empty()) inv.extra_options.insert(inv.extra_options.end(), {"-m", args.markexpr});
  for (auto& i : args.ignore) inv.extra_options.insert(inv.extra_options.end(), {"--ignore", i});
  for (auto& i : args.ignore_glob) inv.extra_options.insert(inv.extra_options.end(), {"--ignore-glob", i});
  for (auto& i : args.deselect) inv.extra_options.insert(inv.extra_options.end(), {"--deselect", i});
  // Options that change what pytest collects: the settle step's pytest gets them too.
  std::vector<std::string> collect_options;
  if (args.doctest_modules) collect_options.push_back("--doctest-modules");
  for (auto& g : args.doctest_glob) collect_options.push_back("--doctest-glob=" + g);
  if (!args.import_mode.empty()) collect_options.push_back("--import-mode=" + args.import_mode);
  inv.extra_options.insert(inv.extra_options.end(), collect_options.begin(), collect_options.end());

  Collection c = collect(inv);
  if (!args.no_settle && c.usage_errors.empty()) settle_dynamic(c, collect_options);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const std::string& w : c.warnings) std::cerr << "fastest: warning: " << w << "\n";

  if (args.json) {
    std::cout << to_json(c).dump(2) << "\n";
    if (!c.usage_errors.empty()) return 4;
    if (!c.collection_errors.empty()) return 2;
    return c.selected.empty() ? 5 : 0;
  }
  if (!c.usage_errors.empty()) {
    std::cout << "no tests collected in " << format_seconds(seconds) << "\n";
    for (const std::string& e : c.usage_errors) std::cerr << "ERROR: " << e << "\n";
    return 4;
  }
  for (const std::string& id : c.selected) std::cout << id << "\n";
  if (args.no_settle)
    for (const TestItem& item : c.items)
      if (item.dynamic && (item.kind == ItemKind::Module || item.kind == ItemKind::Class || item.kind == ItemKind::Function))
        std::cerr << "fastest: " << item.id << " is dynamic (" << item.dynamic_reason << ")\n";
  std::cout << "\n";
  if (!c.collection_errors.empty()) {
    std::cout << banner("ERRORS", '=') << "\n";
    for (const Diagnostic& d : c.collection_errors) {
      std::cout << banner("ERROR collecting " + d.path, '_') << "\n";
      std::cout << "E     File \"" << d.path << "\", line " << d.range.start.line + 1 << "\n";
      std::cout << "E   SyntaxError: " << d.message << "\n";
    }
    std::cout << banner("short test summary info", '=') << "\n";
    for (const Diagnostic& d : c.collection_errors) std::cout << "ERROR " << d.path << "\n";
    std::string n = std::to_string(c.collection_errors.size());
    std::cout << banner("Interrupted: " + n + (c.collection_errors.size() == 1 ? " error" : " errors") + " during collection", '!') << "\n";
  }
  std::cout << collected_line(c.selected.size(), c.deselected, c.collection_errors.size(), seconds) << "\n";
  if (!c.collection_errors.empty()) return 2;
  return c.selected.empty() ? 5 : 0;
}

}  // namespace

void add_discover_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DiscoverArgs>();
  auto* cmd = app.add_subcommand("discover", "List tests statically, as `pytest --collect-only -q` would");
  cmd->add_option("paths", args->paths, "Paths or node ids (as given to pytest)");
  cmd->add_option("--rootdir", args->rootdir, "pytest's --rootdir");
  cmd->add_option("-c,--config-file", args->inifile, "Use this config file (pytest's -c)");
  cmd->add_option("-k", args->keyword, "Select by keyword expression");
  cmd->add_option("-m", args->markexpr, "Select by mark expression");
  cmd->add_option("--ignore", args->ignore, "Ignore a path");
  cmd->add_option("--ignore-glob", args->ignore_glob, "Ignore paths matching a glob");
  cmd->add_option("--deselect", args->deselect, "Deselect a node id prefix");
  cmd->add_flag("--doctest-modules", args->doctest_modules, "Collect doctests in all .py modules (as pytest)");
  cmd->add_option("--doctest-glob", args->doctest_glob, "Text files whose doctests are collected (as pytest; repeatable)");
  cmd->add_option("--import-mode", args->import_mode, "pytest's --import-mode: decides doctest names");
  cmd->add_option("--python", args->python, "The interpreter whose pytest version decides the rules");
  cmd->add_flag("--json", args->json, "Print the whole tree as JSON");
  cmd->add_flag("--no-settle", args->no_settle, "Static answers only: do not ask pytest about dynamic tests");
  cmd->add_flag("-q,--quiet,--collect-only,--co", args->quiet, "Accepted for pytest compatibility");
  cmd->callback([args, &exit_code] { exit_code = run_discover(*args); });
}

}  // namespace fastest::cli
