// `fastest discover`: prints what `pytest --collect-only -q` prints, statically.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <nlohmann/json.hpp>

#include "server/cli/collection_gate.h"
#include "server/cli/commands.h"
#include "server/cli/conftest_check.h"
#include "server/cli/discover_json.h"
#include "server/cli/discover_listing.h"
#include "server/cli/listing_cache.h"
#include "server/cli/option_values.h"
#include "server/cli/discover_timings.h"
#include "server/cli/format.h"
#include "server/cli/json_output.h"
#include "server/cli/selection_args.h"
#include "server/cli/terminal_markup.h"
#include "server/cli/warnings_summary.h"
#include "server/core/exit_code.h"
#include "server/cli/settle_answer.h"
#include "server/core/file_text.h"
#include "server/core/node_id.h"
#include "server/execution/engine.h"
#include "server/execution/python_module_process.h"
#include "server/execution/run_plan.h"
#include "server/execution/pytest_cache.h"
#include "server/execution/library_facts_store.h"
#include "server/execution/settled_cache.h"
#include "server/execution/scheduler.h"
#include "server/workspace/project.h"

namespace fastest::cli {
namespace {


struct DiscoverArgs {
  SelectionArgs selection;
  bool json = false;
  bool quiet = false;
  bool no_settle = false;
  bool no_library_facts = false;  // installed modules' values are not asked of the interpreter
  bool cache_clear = false;  // the settled cache's entries are dropped first (and pytest's cache)
  bool continue_on_collection_errors = false;
  bool timings = false;  // --timings: where the time went, on stderr
  bool no_listing_cache = false;  // --no-listing-cache: compute the listing even if nothing changed
  std::string reportchars;  // -r from the command line
  std::vector<std::string> plugins;  // -p from the command line (`no:NAME` disables one)
};

// What the settle step learnt from pytest's collection.
struct Settled {
  std::vector<CollectionError> errors;
  std::vector<CollectionSkip> skips;
  // pytest's usage errors raised after collecting (strict_config's unknown ini option): pytest
  // still prints the listing, then the error, and exits 4.
  std::vector<std::string> usage_errors;
  // pytest's INTERNALERROR lines when a hook raised while it collected (a conftest's
  // pytest_collection_modifyitems): pytest prints them after the listing and exits 3.
  std::string internal_error;
  // pytest's warnings summary of that collection: (location, message).
  std::vector<std::pair<std::string, std::string>> warnings;
};

// The errors static analysis knows: syntax errors, reported as pytest reports them.
std::vector<CollectionError> static_collection_errors(const Collection& c) {
  std::vector<CollectionError> errors;
  for (const Diagnostic& d : c.collection_errors)
    errors.push_back({d.path,
                      "E     File \"" + d.path + "\", line " + std::to_string(d.range.start.line + 1) +
                          "\nE   SyntaxError: " + d.message,
                      ""});
  return errors;
}

// One line for --json: the summary's reason, else pytest's `E   ` lines, else its first line.
std::string error_message(const CollectionError& e) {
  if (!e.reason.empty()) return e.reason;
  std::string message;
  std::istringstream lines(e.report);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("E   ", 0) == 0) message += (message.empty() ? "" : "\n") + line.substr(4);
  return message.empty() ? e.report.substr(0, e.report.find('\n')) : message;
}

nlohmann::json range_json(const Range& r) {
  return {{"start", {{"line", r.start.line}, {"column", r.start.column}}},
          {"end", {{"line", r.end.line}, {"column", r.end.column}}}};
}

nlohmann::json item_json(const TestItem& item) {
  nlohmann::json marks = nlohmann::json::array();
  for (const Mark& m : item.marks) marks.push_back({{"name", m.name}, {"args", m.args}});
  nlohmann::json j = {{"id", item.id},          {"label", item.label()},
                      {"kind", to_string(item.kind)}, {"file", item.path()},
                      {"range", range_json(item.range)}, {"nameRange", range_json(item.name_range)},
                      {"marks", marks},         {"dynamic", item.dynamic}};
  if (!item.parent_id().empty()) j["parentId"] = item.parent_id();
  if (item.dynamic) j["dynamicReason"] = item.dynamic_reason.str();
  return j;
}

// The document but for its two long arrays, "items" and "selected", left empty: write_json
// streams those in (a 100,000-test tree as one nlohmann::json is ~700 MB).
nlohmann::json document_head(const Collection& c, const std::vector<CollectionError>& collection_errors) {
  nlohmann::json diagnostics = nlohmann::json::array();
  for (const Diagnostic& d : c.diagnostics)
    diagnostics.push_back({{"file", d.path}, {"range", range_json(d.range)}, {"message", d.message}});
  nlohmann::json errors_json = nlohmann::json::array();
  for (const CollectionError& e : collection_errors)
    errors_json.push_back({{"path", e.id}, {"message", error_message(e)}, {"report", e.report}});
  return {{"rootdir", c.config.rootdir.string()},
          {"inifile", c.config.inifile ? nlohmann::json(c.config.inifile->string()) : nlohmann::json(nullptr)},
          {"items", nlohmann::json::array()},
          {"selected", nlohmann::json::array()},
          {"deselected", c.deselected},
          {"diagnostics", diagnostics},
          {"errors", c.usage_errors},
          {"collectionErrors", errors_json}};
}

// One element of a top-level array, as nlohmann's dump(2) nests it: every line 4 spaces in (a
// JSON text has no raw newline inside a string, so lines are the printer's).
void append_element(std::string& out, const std::string& element_text, bool first) {
  out += first ? "\n" : ",\n";
  size_t start = 0;
  for (size_t nl; (nl = element_text.find('\n', start)) != std::string::npos; start = nl + 1) {
    out += "    ";
    out.append(element_text, start, nl + 1 - start);
  }
  out += "    ";
  out.append(element_text, start);
}

// Streams `"key": [...]` into `out` for each element `text_of(i)` gives, flushing as it goes.
template <typename TextOf>
void write_array(std::ostream& out, size_t count, TextOf text_of) {
  std::string chunk = "[";
  for (size_t i = 0; i < count; ++i) {
    append_element(chunk, text_of(i), i == 0);
    if (chunk.size() > (1 << 16)) {
      out << chunk;
      chunk.clear();
    }
  }
  chunk += count ? "\n  ]" : "]";
  out << chunk;
}

}  // namespace

// The --json document, byte for byte nlohmann's dump(2) of the whole, written as it is made:
// one writer for `fastest discover --json` and the fuzzer.
void write_json(std::ostream& out, const Collection& c, const std::vector<CollectionError>& collection_errors) {
  const std::string head = cli::json_text(document_head(c, collection_errors), 2);
  // Keys are sorted and strings hold no raw newline: each marker is found once, in order.
  const std::string items_marker = "\n  \"items\": []", selected_marker = "\n  \"selected\": []";
  const size_t items_at = head.find(items_marker), selected_at = head.find(selected_marker);
  out << std::string_view(head).substr(0, items_at + items_marker.size() - 2);
  write_array(out, c.items.size(), [&](size_t i) { return cli::json_text(item_json(c.items[i]), 2); });
  const size_t after_items = items_at + items_marker.size();
  out << std::string_view(head).substr(after_items, selected_at + selected_marker.size() - 2 - after_items);
  write_array(out, c.selected.size(), [&](size_t i) { return cli::json_text(nlohmann::json(c.selected[i])); });
  out << std::string_view(head).substr(selected_at + selected_marker.size());
}

namespace {

class CollectedIds : public RunObserver {
 public:
  void on_collected(const std::vector<std::string>& ids) override { a.ids.insert(a.ids.end(), ids.begin(), ids.end()); }
  void on_imported_files(const std::vector<std::string>& files) override {
    a.imported.insert(a.imported.end(), files.begin(), files.end());
  }
  void on_collection_error_reason(const std::string& id, const std::string& reason) override { reasons_[id] = reason; }
  void on_collection_error(const std::string& id, const std::string& longrepr) override {
    a.errors.push_back({id, longrepr, reasons_[id]});
  }
  void on_collection_skip(const std::string& id, const std::string& path, int line, const std::string& reason) override {
    a.skips.push_back({id, path, line, reason});
  }
  void on_deselected(const std::vector<std::string>& ids) override {
    a.deselected.insert(a.deselected.end(), ids.begin(), ids.end());
  }
  void on_usage_error(const std::string& message) override { a.usage_errors.push_back(message); }
  void on_internal_error(const std::string& lines) override {
    if (a.internal_error.empty()) a.internal_error = lines;
  }
  void on_warning(const std::string& location, const std::string& message) override {
    a.warnings.push_back({location, message});
  }
  CollectAnswer a;

 private:
  std::map<std::string, std::string> reasons_;
};

bool covers(const std::string& target, const std::string& id) { return node_id_covers(target, id); }

// What static analysis flagged dynamic is settled by pytest's real collection in a worker
// (only when there is something to settle): the printed ids then equal pytest's. Modules with
// a syntax error are settled too, so that their errors are pytest's own. Folders whose conftest
// fails to import are collected by pytest too: the failure is their collection error.
std::vector<std::string> settle_targets(const Collection& c, const std::vector<std::string>& failing_conftest_folders) {
  std::vector<std::string> targets;
  std::set<std::string> failing_modules;
  for (const std::string& folder : c.dynamic_folders) targets.push_back(folder);
  for (const std::string& folder : failing_conftest_folders) {
    bool covered = false;
    for (const std::string& t : targets) covered |= covers(t, folder);
    if (!covered) targets.push_back(folder);
    failing_modules.insert(folder);
  }
  auto under_a_target = [&](const std::string& id) {
    for (const std::string& t : targets)
      if (covers(t, id)) return true;
    return false;
  };
  for (const Diagnostic& d : c.collection_errors)
    if (failing_modules.insert(d.path).second && !under_a_target(d.path)) targets.push_back(d.path);
  add_settle_targets(c.items, targets);
  if (targets.empty() && !c.config.unverified_ini_keys.empty()) {
    // Only pytest knows whether a plugin defines those ini keys, and it checks them after
    // collecting: settle one module so that it does (its ids are static ones anyway).
    for (const TestItem& item : c.items)
      if (item.kind == ItemKind::Module) { targets.push_back(item.id); break; }
  }
  return targets;
}

// pytest's collect-only batch over the targets (pytest is handed the selection: -k, -m,
// --deselect, so a target's ids and deselected count are its own); nothing when it could not run.
std::optional<CollectAnswer> collect_with_pytest(const Collection& c, const std::vector<std::string>& targets,
                                                 const std::vector<std::string>& pytest_args, std::string* failure) {
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
    *failure = error;
    return std::nullopt;
  }
  // pytest is handed the targets' modules, not the targets: a node id whose module fails to
  // import makes pytest stop with "found no collectors" and leave other modules' errors
  // unreported. The extra ids a module yields are dropped by apply_answer (only a target's are placed).
  RunRequest request;
  std::set<std::string> asked;
  for (const std::string& t : targets)
    if (std::string module = t.empty() ? "." : module_of(t); asked.insert(module).second) request.ids.push_back(module);
  request.collect_only = true;
  CollectedIds observer;
  RunSummary summary = engine.run(request, observer);
  if (!summary.fatal_error.empty()) {
    *failure = summary.fatal_error;
    return std::nullopt;
  }
  return std::move(observer.a);
}

// The conftest check, then the collect-only batch of what is left to settle.
SettleAnswer ask_pytest(const Collection& c, const Invocation& inv, const std::vector<std::string>& pytest_args) {
  SettleAnswer answer;
  if (auto check = start_conftest_check(c, inv)) {
    answer.conftests = finish_conftest_check(*check, c);
    answer.asked = true;
    if (answer.conftests.exit_code != 0 || !answer.conftests.answered) answer.complete = false;
    if (answer.conftests.exit_code != 0) return answer;  // pytest stopped before collecting
  }
  std::vector<std::string> targets = settle_targets(c, answer.conftests.failing_folders);
  if (targets.empty()) return answer;
  const bool checked = answer.complete;  // the conftest check's part
  answer.complete = false;  // until pytest answers
  if (!c.config.python) {
    answer.failure = "no Python interpreter found (pass --python, activate a virtualenv, or create .venv)";
    return answer;
  }
  if (!c.config.pytest_found) {
    answer.failure = "pytest is not installed for " + c.config.python->string() + " (run `" +
                     c.config.python->string() + " -m pip install pytest`)";
    answer.pytest_missing = true;
    return answer;
  }
  answer.asked = true;
  answer.collected = collect_with_pytest(c, targets, pytest_args, &answer.failure);
  answer.complete = checked && answer.collected.has_value();
  return answer;
}

// pytest's answer, from the settled cache when nothing it depends on changed (no Python then),
// else asked and stored.
SettleAnswer settle_answer(const Collection& c, const Invocation& inv, const std::vector<std::string>& pytest_args) {
  const std::vector<std::string> static_targets = settle_targets(c, {});
  // Nothing to ask pytest (no conftest, nothing dynamic): no key to compute either.
  if (static_targets.empty() && !c.config.configure_may_fail && folders_with_a_conftest(c).empty()) return {};
  SettledCache cache(c.config.rootdir);
  auto key = discover_cache_key(c, inv, pytest_args, static_targets);
  if (key)
    if (auto stored = cache.load(key->slot, key->key))
      if (auto answer = settle_answer_from_json(*stored)) return *answer;
  const auto started = std::filesystem::file_time_type::clock::now();
  SettleAnswer answer = ask_pytest(c, inv, pytest_args);
  if (key && answer.asked && answer.complete) {
    // Stored only if no file of the key changed while pytest collected.
    auto after = discover_cache_key(c, inv, pytest_args, static_targets);
    std::vector<std::string> imported = answer.conftests.imported;
    if (answer.collected) imported.insert(imported.end(), answer.collected->imported.begin(), answer.collected->imported.end());
    if (after && after->key == key->key) cache.store(key->slot, key->key, to_json(answer), imported, started);
  }
  return answer;
}

// The key of `keys` that covers `id` (it, or one of its parents: a case's function, a class, a
// module, its folders), found by the id's prefixes in a hash map: linear in the ids, not
// ids × keys. "" or "." covers everything.
class PrefixIndex {
 public:
  explicit PrefixIndex(const std::vector<std::string>& keys) : keys_(keys) {
    for (size_t i = 0; i < keys.size(); ++i) index_.emplace(keys[i], i);
    if (index_.count("")) root_ = &keys[index_.at("")];
    else if (index_.count(".")) root_ = &keys[index_.at(".")];
  }
  const std::string* find(std::string_view id) const {
    if (root_) return root_;
    for (size_t end = id.size();;) {
      if (auto it = index_.find(id.substr(0, end)); it != index_.end()) return &keys_[it->second];
      const size_t cut = id.find_last_of("[:/", end - 1);
      if (cut == std::string_view::npos || cut == 0) return nullptr;
      end = id[cut] == ':' && id[cut - 1] == ':' ? cut - 1 : cut;
      if (end == 0) return nullptr;
    }
  }
  bool contains(std::string_view key) const { return index_.count(key) != 0; }

 private:
  const std::vector<std::string>& keys_;
  std::unordered_map<std::string_view, size_t> index_;
  const std::string* root_ = nullptr;
};

// pytest reports collection errors and skips in collection order: the place in the tree of the
// first node each covers (leaves without items included).
template <class Report>
void sort_by_collection_order(std::vector<Report>& reports, const Collection& c) {
  if (reports.size() < 2) return;
  std::vector<size_t> position(reports.size(), SIZE_MAX);
  size_t place = 0, placed = 0;
  c.for_each_in_order([&](std::string_view id, const TestItem*) {
    if (placed < reports.size())
      for (size_t r = 0; r < reports.size(); ++r)
        if (position[r] == SIZE_MAX && node_id_covers(reports[r].id, id)) position[r] = place, ++placed;
    ++place;
  });
  std::vector<size_t> order(reports.size());
  for (size_t r = 0; r < order.size(); ++r) order[r] = r;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return position[a] < position[b]; });
  std::vector<Report> sorted;
  sorted.reserve(reports.size());
  for (size_t r : order) sorted.push_back(std::move(reports[r]));
  reports = std::move(sorted);
}

// Places pytest's answer in the collection. The static leaves of each module pytest collected
// are replaced with pytest's ids, at the module's place in the tree (a target may have no static
// leaves: a module whose doctests only pytest can list). pytest's order is kept inside the
// module, static leaves included: a module-scoped parametrized fixture makes pytest reorder them
// (reorder_items). Of a module's ids, only its targets' and the statically selected ones are
// kept (a node id argument may have asked for part of it). Modules with no static leaf between
// them keep pytest's order across them: a session- or package-scoped parametrized fixture
// groups items by its values across modules.
Settled apply_answer(Collection& c, const std::vector<std::string>& targets, CollectAnswer answer) {
  const PrefixIndex target_index(targets);
  auto under_a_target = [&](std::string_view id) { return target_index.find(id) != nullptr; };
  // pytest was handed the targets' modules (collect_with_pytest): those are the units placed.
  std::vector<std::string> modules;
  {
    std::set<std::string> seen;
    for (const std::string& t : targets)
      if (std::string module = t.empty() ? "." : module_of(t); seen.insert(module).second) modules.push_back(module);
  }
  const PrefixIndex module_index(modules);
  std::set<std::string, std::less<>> selected(c.selected.begin(), c.selected.end());
  auto kept = [&](const std::string& real) { return selected.count(real) != 0 || under_a_target(real); };
  std::unordered_map<const std::string*, std::vector<size_t>> answer_of;  // module -> its kept ids' indexes
  for (size_t i = 0; i < answer.ids.size(); ++i)
    if (const std::string* m = module_index.find(answer.ids[i]); m && kept(answer.ids[i])) answer_of[m].push_back(i);
  std::vector<std::string> settled;
  std::set<const std::string*> placed;
  std::vector<size_t> group;  // the indexes of the ids of the modules met since the last static leaf
  auto flush_group = [&] {
    std::sort(group.begin(), group.end());
    for (size_t i : group) settled.push_back(answer.ids[i]);
    group.clear();
  };
  c.for_each_in_order([&](std::string_view id, const TestItem*) {
    const std::string* module = module_index.find(id);
    if (!module) {
      if (selected.count(id)) {
        flush_group();
        settled.emplace_back(id);
      }
      return;
    }
    if (!under_a_target(id) && !selected.count(id)) return;
    if (placed.insert(module).second)
      if (auto it = answer_of.find(module); it != answer_of.end()) group.insert(group.end(), it->second.begin(), it->second.end());
  });
  flush_group();
  // pytest lists nothing under a collector it could not collect or skipped, including static
  // leaves of a module that was asked for only for its dynamic part.
  auto under_a_failed_collector = [&](const std::string& id) {
    for (const auto& e : answer.errors) if (covers(e.id, id)) return true;
    for (const auto& s : answer.skips) if (covers(s.id, id)) return true;
    return false;
  };
  std::erase_if(settled, under_a_failed_collector);
  std::erase_if(c.deselected_ids, under_a_failed_collector);
  // In the tree's order, read while `selected` still places the leaves without items.
  sort_by_collection_order(answer.errors, c);
  sort_by_collection_order(answer.skips, c);
  c.selected = std::move(settled);
  c.leaf_runs.clear();
  // Deselected: static analysis's count outside the targets, pytest's inside them.
  std::vector<std::string> deselected;
  for (const std::string& id : c.deselected_ids)
    if (!under_a_target(id)) deselected.push_back(id);
  for (const std::string& id : answer.deselected)
    if (under_a_target(id)) deselected.push_back(id);
  c.deselected = deselected.size();
  c.deselected_ids = std::move(deselected);
  for (TestItem& item : c.items)
    if (item.dynamic && target_index.contains(item.id)) item.dynamic_reason += " (settled by pytest's collection)";
  return Settled{std::move(answer.errors), std::move(answer.skips), std::move(answer.usage_errors),
                 std::move(answer.internal_error), std::move(answer.warnings)};
}

// pytest's verbosity for the listing: `--collect-only -q` plus the project's -v/-q/--verbosity
// (addopts, $PYTEST_ADDOPTS). -1 lists ids, -2 and below counts tests per file, 0 and above
// prints the collector tree under pytest's session header.
int listing_verbosity(const Collection& c) { return c.config.verbosity - 1; }

// The collector tree and header are pytest's own (its plugins' header lines, docstrings under
// -v): pytest prints them. Returns its exit code, or nothing when it cannot be started.
std::optional<int> pytest_prints_collection(const Collection& c, const Invocation& inv, const DiscoverArgs& args) {
  if (!c.config.python || !c.config.pytest_found) return std::nullopt;
  std::vector<std::string> pytest_args{"--collect-only", "-q"};
  if (inv.rootdir) pytest_args.insert(pytest_args.end(), {"--rootdir", inv.rootdir->string()});
  if (inv.inifile) pytest_args.insert(pytest_args.end(), {"-c", inv.inifile->string()});
  if (args.continue_on_collection_errors) pytest_args.push_back("--continue-on-collection-errors");
  pytest_args.insert(pytest_args.end(), inv.extra_options.begin(), inv.extra_options.end());
  pytest_args.insert(pytest_args.end(), inv.args.begin(), inv.args.end());
  std::string error;
  auto process = PythonModuleProcess::start(*c.config.python, "pytest", pytest_args, inv.invocation_dir, {}, &error);
  if (!process) {
    std::cerr << "fastest: could not start pytest for its verbose listing: " << error << "\n";
    return std::nullopt;
  }
  PythonModuleOutput output = process->wait();
  std::cout << output.out << std::flush;
  std::cerr << output.err;
  return output.exit_code;
}

// The collection of this one command, never freed: the process exits right after, and freeing
// 100,000 items one by one is time the user waits for (reachable from here, so no leak either).
Collection& collection_kept_until_exit(Collection c) {
  static Collection* kept = nullptr;
  delete kept;
  kept = new Collection(std::move(c));
  return *kept;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

int run_discover_timed(const DiscoverArgs& args, DiscoverTimings& timings);

// The output phase's time, from its start to whichever return.
struct OutputClock {
  DiscoverTimings& t;
  std::chrono::steady_clock::time_point start;
  ~OutputClock() {
    std::cout.flush();
    t.output_ms = ms_since(start);
  }
};

int run_discover(const DiscoverArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  // Not use_one_malloc_arena(): one short-lived process, and with one arena collect()'s threads
  // wait on its lock (100,000 tests: 0.87 -> 0.58 s wall, futex time gone, +5 MB peak).
  DiscoverTimings timings;
  const int code = run_discover_timed(args, timings);
  if (args.timings) {
    std::cout.flush();
    timings.total_ms = ms_since(start);
    print_timings(timings, std::max(1u, std::thread::hardware_concurrency()), std::cerr);
  }
  return code;
}

// The listing cache's part of one invocation: the cache of its resolved config, and whether
// this run's listing may be stored.
struct ListingCacheUse {
  std::optional<Collection> config;  // collect() with config_only: what the cache is keyed by
  std::optional<ListingCache> cache;
};

// Opens the listing cache for a text listing pytest's -q would print (not --json, not pytest's
// own verbose tree); nothing when the config alone is a usage error.
ListingCacheUse open_listing_cache(const DiscoverArgs& args, const Invocation& inv) {
  ListingCacheUse use;
  if (args.json || args.no_listing_cache) return use;
  Invocation config_only = inv;
  config_only.config_only = true;
  config_only.timings = nullptr;
  use.config = collect(config_only);
  if (!use.config->usage_errors.empty() || listing_verbosity(*use.config) >= 0) return use;
  use.cache.emplace(use.config->config, inv, command_line());
  return use;
}

int run_discover_timed(const DiscoverArgs& args, DiscoverTimings& timings) {
  auto start = std::chrono::steady_clock::now();
  const auto started = std::chrono::system_clock::now();  // what the listing cache's fingerprint must predate
  Invocation inv = args.selection.invocation();
  if (!args.reportchars.empty()) inv.extra_options.insert(inv.extra_options.end(), {"-r", args.reportchars});
  // Options that change what pytest collects: the settle step's pytest gets them too.
  std::vector<std::string> settle_options = args.selection.collect_options();
  for (std::string& option : args.selection.select_options()) settle_options.push_back(std::move(option));
  for (const std::string& p : args.plugins) {
    inv.extra_options.insert(inv.extra_options.end(), {"-p", p});
    settle_options.insert(settle_options.end(), {"-p", p});
  }

  // An unchanged project's listing is printed as it was: no walk, no parse, no Python.
  ListingCacheUse listing_cache = open_listing_cache(args, inv);
  if (listing_cache.cache && !args.cache_clear)
    if (auto listing = listing_cache.cache->load()) {
      timings.cached = true;
      OutputClock output_clock{timings, std::chrono::steady_clock::now()};
      return print_listing(*listing, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  if (args.timings) inv.timings = &timings.collect;
  // The text listing reads a static leaf's id alone; --json writes every item.
  inv.static_leaves_as_ids = !args.json;
  if (listing_cache.cache) note_files_read(true);
  Collection& c = collection_kept_until_exit(args.no_library_facts ? collect(inv) : collect_with_library_facts(inv));
  note_files_read(false);
  if (args.cache_clear) {  // as pytest's: before anything reads them
    SettledCache(c.config.rootdir).clear();
    ListingCache::clear(c.config.rootdir);
    PytestCache(PytestCache::dir_for(c.config.rootdir, c.config.cache_dir)).clear();
  }
  const int verbosity = listing_verbosity(c);
  if (!args.json && verbosity >= 0 && c.usage_errors.empty())
    if (auto code = pytest_prints_collection(c, inv, args)) return *code;
  std::vector<CollectionError> errors = static_collection_errors(c);
  std::vector<CollectionSkip> skips;
  std::vector<std::string> late_usage_errors;
  std::string internal_error;
  std::vector<std::pair<std::string, std::string>> warnings;
  const auto settle_start = std::chrono::steady_clock::now();
  std::string settle_failure;  // there were dynamic tests and pytest could not settle them
  bool pytest_missing = false;
  bool complete = true;                   // every part pytest was asked answered
  std::vector<std::string> pytest_imported;  // what pytest imported while it settled
  bool answer_applied = false;
  if (!args.no_settle && c.usage_errors.empty()) {
    SettleAnswer answer = settle_answer(c, inv, settle_options);
    settle_failure = answer.failure;
    pytest_missing = answer.pytest_missing;
    complete = answer.complete && answer.failure.empty();
    pytest_imported = answer.conftests.imported;
    if (answer.conftests.exit_code != 0) {  // pytest stopped before collecting: nothing on stdout
      if (!args.json) {
        std::cerr << answer.conftests.message;
        return answer.conftests.exit_code;
      }
      c.usage_errors.push_back(answer.conftests.message);
    } else if (answer.collected) {
      pytest_imported.insert(pytest_imported.end(), answer.collected->imported.begin(), answer.collected->imported.end());
      Settled settled = apply_answer(c, settle_targets(c, answer.conftests.failing_folders), std::move(*answer.collected));
      errors = std::move(settled.errors);
      skips = std::move(settled.skips);
      late_usage_errors = std::move(settled.usage_errors);
      internal_error = std::move(settled.internal_error);
      warnings = std::move(settled.warnings);
      answer_applied = true;  // its errors and skips are in collection order
    }
  }
  if (!answer_applied) {
    sort_by_collection_order(errors, c);
    sort_by_collection_order(skips, c);
  }
  timings.settle_ms = ms_since(settle_start);
  OutputClock output_clock{timings, std::chrono::steady_clock::now()};
  const bool continue_on_errors = on_collection_error(args.continue_on_collection_errors, c.config.continue_on_collection_errors) ==
                                  OnCollectionError::ContinueSession;
  const size_t unsettled = std::count_if(c.items.begin(), c.items.end(), [](const TestItem& i) { return i.dynamic; });
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (args.json) {
    for (const std::string& w : c.warnings) std::cerr << "fastest: warning: " << w << "\n";
    for (std::string& e : late_usage_errors) c.usage_errors.push_back(std::move(e));
    write_json(std::cout, c, errors);
    std::cout << "\n";
    if (!c.usage_errors.empty()) return exit_status(ExitCode::UsageError);
    if (!settle_failure.empty()) {
      std::cout.flush();
      std::cerr << "ERROR: fastest could not settle " << unsettled << " dynamic item" << (unsettled == 1 ? "" : "s")
                << " with pytest: " << settle_failure
                << "\nThe listing shows their static form, which pytest may not print (--no-settle says which).\n";
      return exit_status(pytest_missing ? ExitCode::UsageError : ExitCode::InternalError);
    }
    if (!errors.empty()) return exit_status(continue_on_errors ? ExitCode::TestsFailed : ExitCode::Interrupted);
    return exit_status(c.selected.empty() ? ExitCode::NoTestsCollected : ExitCode::Ok);
  }
  Listing listing;
  listing.fastest_warnings = c.warnings;
  listing.usage_errors = c.usage_errors;
  listing.verbosity = verbosity;
  listing.selected = std::move(c.selected);  // 100,000 ids: moved, not copied (c's are not read again)
  listing.deselected = c.deselected;
  listing.errors = std::move(errors);
  listing.skips = std::move(skips);
  listing.warnings = std::move(warnings);
  listing.internal_error = std::move(internal_error);
  listing.late_usage_errors = std::move(late_usage_errors);
  if (args.no_settle)
    for (const TestItem& item : c.items)
      if (item.dynamic && (item.kind == ItemKind::Module || item.kind == ItemKind::Class || item.kind == ItemKind::Function))
        listing.dynamic_notes.push_back(item.id + " is dynamic (" + item.dynamic_reason + ")");
  listing.reportchars = c.config.reportchars;
  listing.color = c.config.color;
  listing.continue_on_errors = continue_on_errors;
  listing.settle_failure = settle_failure;
  listing.unsettled = unsettled;
  listing.pytest_missing = pytest_missing;
  const int code = print_listing(listing, seconds);
  if (listing_cache.cache && complete) {
    std::cout.flush();  // the user has the listing; the fingerprint is taken after
    listing_cache.cache->store(listing, c, pytest_imported, started);
  }
  return code;
}

}  // namespace

std::string discover_json(const Collection& c) {
  std::ostringstream out;
  write_json(out, c, static_collection_errors(c));
  return out.str();
}

void add_discover_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DiscoverArgs>();
  auto* cmd = app.add_subcommand("discover", "List tests statically, as `pytest --collect-only -q` would");
  add_selection_options(*cmd, args->selection, "The interpreter whose pytest version decides the rules");
  cmd->add_flag("--json", args->json, "Print the whole tree as JSON");
  cmd->add_flag("--continue-on-collection-errors", args->continue_on_collection_errors,
                "As pytest: no `Interrupted` line, exit code 1 when a module cannot be collected");
  cmd->add_option("-r", args->reportchars, "pytest's -r: which outcomes the short test summary lists (s: skipped modules, E: errors)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cmd->add_flag("--timings", args->timings, "Print where the time went (walk, read, parse, rules, assembly, output) on stderr");
  cmd->add_flag("--no-settle", args->no_settle, "Static answers only: do not ask pytest about dynamic tests");
  cmd->add_flag("--no-library-facts", args->no_library_facts,
                "Do not ask the interpreter for installed modules' values (np.float64, math.pi) tests are parametrized with");
  cmd->add_flag("--no-listing-cache", args->no_listing_cache,
                "Walk, parse and settle even when nothing changed since the last listing (neither read nor stored)");
  cmd->add_option("-p", args->plugins, "pytest's -p: load or disable (no:NAME) a plugin (repeatable)");
  cmd->add_flag("--cache-clear", args->cache_clear,
                "As pytest's: forget cached answers first (fastest's settled cache and .pytest_cache)");
  cmd->add_flag("-q,--quiet,--collect-only,--co", args->quiet, "Accepted for pytest compatibility");
  cmd->callback([args, &exit_code] { exit_code = run_discover(*args); });
}

}  // namespace fastest::cli
