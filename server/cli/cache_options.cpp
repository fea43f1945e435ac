#include "server/cli/cache_options.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>

#include "server/cli/format.h"
#include "server/core/node_id.h"

namespace fastest::cli {
namespace fs = std::filesystem;

void add_cache_options(CLI::App& cmd, CacheArgs& args) {
  CacheOptions& o = args.options;
  cmd.add_flag("--lf,--last-failed", o.last_failed, "pytest's --lf: rerun only the tests that failed last time");
  cmd.add_flag("--ff,--failed-first", o.failed_first, "pytest's --ff: run last failures first, then the rest");
  cmd.add_flag("--nf,--new-first", o.new_first, "pytest's --nf: new tests first, then by file mtime");
  cmd.add_flag("--sw,--stepwise", o.stepwise, "pytest's --sw: stop at a failure, resume from it next time");
  cmd.add_flag("--sw-skip,--stepwise-skip", o.stepwise_skip, "pytest's --sw-skip: --sw, ignoring the first failure");
  cmd.add_flag("--sw-reset,--stepwise-reset", o.stepwise_reset, "pytest's --sw-reset: --sw, forgetting where it stopped");
  cmd.add_option("--lfnf,--last-failed-no-failures", o.no_failures,
                 "pytest's --lfnf: with --lf and no known failures, run all or none")
      ->check(CLI::IsMember({"all", "none"}));
  cmd.add_flag("--cache-clear", args.cache_clear, "pytest's --cache-clear: empty .pytest_cache first");
  cmd.add_option_function<std::string>(
         "--cache-show", [&args](const std::string& glob) { args.cache_show = glob.empty() ? "*" : glob; },
         "pytest's --cache-show [GLOB]: print the cache, run nothing")
      ->expected(0, 1)
      ->default_str("*");
}

namespace {

// A word as a shell (and pytest's shlex.split of addopts) reads it back.
std::string shell_quoted(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,:/+@%") ==
                           std::string::npos)
    return word;
  std::string out = "'";
  for (char ch : word) out += ch == '\'' ? std::string("'\"'\"'") : std::string(1, ch);
  return out + "'";
}

}  // namespace

std::string joined_addopts(const std::vector<std::string>& words) {
  std::string joined;
  for (const std::string& word : words) joined += (joined.empty() ? "" : " ") + shell_quoted(word);
  return joined;
}

CacheArgs with_addopts(CacheArgs args, const std::vector<std::string>& addopts, std::optional<std::string>* kept_addopts) {
  CacheOptions& o = args.options;
  const std::map<std::string, bool*> flags{
      {"--lf", &o.last_failed},        {"--last-failed", &o.last_failed},  {"--ff", &o.failed_first},
      {"--failed-first", &o.failed_first}, {"--nf", &o.new_first},         {"--new-first", &o.new_first},
      {"--sw", &o.stepwise},           {"--stepwise", &o.stepwise},        {"--sw-skip", &o.stepwise_skip},
      {"--stepwise-skip", &o.stepwise_skip}, {"--sw-reset", &o.stepwise_reset},
      {"--stepwise-reset", &o.stepwise_reset}, {"--cache-clear", &args.cache_clear}};
  std::vector<std::string> kept;
  bool removed = false;
  for (size_t i = 0; i < addopts.size(); ++i) {
    const std::string& word = addopts[i];
    if (auto flag = flags.find(word); flag != flags.end()) {
      *flag->second = true;
      removed = true;
    } else if ((word == "--lfnf" || word == "--last-failed-no-failures") && i + 1 < addopts.size()) {
      o.no_failures = addopts[++i];
      removed = true;
    } else if (word.rfind("--lfnf=", 0) == 0 || word.rfind("--last-failed-no-failures=", 0) == 0) {
      o.no_failures = word.substr(word.find('=') + 1);
      removed = true;
    } else {
      kept.push_back(word);
    }
  }
  if (removed && kept_addopts) *kept_addopts = joined_addopts(kept);
  return args;
}

bool cacheprovider_disabled(const std::vector<std::string>& plugins, const std::vector<std::string>& addopts) {
  if (std::find(plugins.begin(), plugins.end(), "no:cacheprovider") != plugins.end()) return true;
  for (size_t i = 0; i < addopts.size(); ++i)
    if (addopts[i] == "-pno:cacheprovider" || (addopts[i] == "-p" && i + 1 < addopts.size() && addopts[i + 1] == "no:cacheprovider"))
      return true;
  return false;
}

std::optional<std::string> first_cache_option(const CacheArgs& args) {
  const CacheOptions& o = args.options;
  if (o.last_failed) return "--lf";
  if (o.failed_first) return "--ff";
  if (o.new_first) return "--nf";
  if (o.stepwise) return "--sw";
  if (o.stepwise_skip) return "--sw-skip";
  if (o.stepwise_reset) return "--sw-reset";
  if (args.cache_clear) return "--cache-clear";
  if (args.cache_show) return "--cache-show";
  if (o.no_failures != "all") return "--lfnf";
  return std::nullopt;
}

RunCache::RunCache(const CacheArgs& args, const fs::path& cache_dir, bool enabled)
    : args_(args), cache_(cache_dir), enabled_(enabled) {
  if (!enabled) return;
  if (args.cache_clear) cache_.clear();
  if (auto v = cache_.get("cache/lastfailed"); v && v->is_object()) lastfailed_ = *v;
  saved_lastfailed_ = lastfailed_;
  if (auto v = cache_.get("cache/nodeids"); v && v->is_array())
    for (const CacheValue& id : *v)
      if (id.is_string()) known_ids_.insert(id.get<std::string>());
  if (args.stepwise())
    stepwise_ = StepwiseState::from_cache(cache_.get("cache/stepwise"));
}

void RunCache::apply(Collection& c, const std::vector<std::string>& paths) {
  CacheOptions options = args_.options;
  options.stepwise |= options.stepwise_skip || options.stepwise_reset;
  CacheSelectionInput in;
  // Every leaf in pytest's order: the selected ones and those -k/-m/--deselect removed.
  std::set<std::string> selected(c.selected.begin(), c.selected.end());
  in.deselected.insert(c.deselected_ids.begin(), c.deselected_ids.end());
  std::set<std::string> leaves;
  for (const TestItem& item : c.items) {
    if (item.kind == ItemKind::Module) in.modules.push_back(item.id);
    if ((selected.count(item.id) || in.deselected.count(item.id)) && leaves.insert(item.id).second)
      in.collected.push_back(item.id);
  }
  for (const std::string& id : c.selected)  // not in the tree (pytest's own ids): last
    if (leaves.insert(id).second) in.collected.push_back(id);
  for (const std::string& p : paths) in.initial_files.insert(p.substr(0, p.find("::")));
  for (const Diagnostic& d : c.collection_errors) in.failing_modules.insert(d.path);
  const fs::path rootdir = c.config.rootdir;
  in.exists = [rootdir](const std::string& path) { return fs::exists(rootdir / path); };
  in.mtime = [rootdir](const std::string& module) {
    struct stat st {};
    if (stat((rootdir / module).c_str(), &st) != 0) return 0.0;
    return static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec * 1e-9;
  };

  CacheSelection s =
      select_with_cache(in, options, lastfailed_, known_ids_, stepwise_, std::chrono::system_clock::now());
  report_lines_ = s.report_lines;
  planned_ = s.selected;
  run_first_.assign(s.selected.begin(), s.selected.begin() + static_cast<std::ptrdiff_t>(std::min(s.run_first, s.selected.size())));
  // A dynamic container (handed to pytest whole) stays when one of its tests is still selected
  // or, under --lf, when a recorded failure is inside it: pytest alone knows its real ids.
  auto keep_container = [&](const std::string& container) {
    for (const std::string& id : s.selected)
      if (node_id_covers(container, id)) return true;
    if (options.last_failed)
      for (auto it = lastfailed_.begin(); it != lastfailed_.end(); ++it)
        if (node_id_covers(container, it.key())) return true;
    return false;
  };
  std::erase_if(c.dynamic_containers, [&](const std::string& t) { return !keep_container(t); });
  std::erase_if(c.dynamic_folders, [&](const std::string& t) { return !keep_container(t); });
  c.selected = std::move(s.selected);
  c.deselected_ids = std::move(s.deselected);
  c.deselected = c.deselected_ids.size();
  // The header's "collected N" is selected + deselected: pytest never collected what --lf skipped.
}

int RunCache::maxfail(int requested) const {
  const CacheOptions& o = args_.options;
  if (!args_.stepwise()) return requested;
  int stop_at = o.stepwise_skip ? 2 : 1;
  return requested > 0 ? std::min(requested, stop_at) : stop_at;
}

bool RunCache::record(const std::vector<TestResult>& results, const std::vector<std::string>& collection_errors,
                      bool stopped, std::string* warning) {
  if (!enabled_) return false;
  std::vector<RanTest> ran;
  for (const TestResult& r : results)
    if (!r.uncollected) ran.push_back({r.id, r.counted_as.value_or(r.outcome)});
  record_last_failed(lastfailed_, ran, collection_errors);
  std::string error;
  if (lastfailed_ != saved_lastfailed_ && !cache_.set("cache/lastfailed", lastfailed_, &error) && warning)
    *warning = error;
  // NFPlugin: every id pytest collected and kept, sorted.
  for (const RanTest& r : ran) known_ids_.insert(r.id);
  for (const std::string& id : planned_) known_ids_.insert(id);
  CacheValue nodeids = CacheValue::array();
  for (const std::string& id : known_ids_) nodeids.push_back(id);
  if (!cache_.set("cache/nodeids", nodeids, &error) && warning) *warning = error;
  if (!args_.stepwise()) return false;
  bool stopped_here = record_stepwise(stepwise_, args_.options, planned_, ran, stopped);
  stepwise_.date = python_isoformat(std::chrono::system_clock::now());
  if (!cache_.set("cache/stepwise", stepwise_.to_cache(), &error) && warning) *warning = error;
  return stopped_here;
}

void RunCache::drop_after_stop(std::vector<TestResult>& results, std::map<Outcome, size_t>& counts) const {
  if (!stepwise_.last_failed) return;
  PlannedOrder order(planned_);
  std::optional<size_t> stop = order.of(*stepwise_.last_failed);
  if (!stop) return;
  auto after = std::find_if(results.begin(), results.end(), [&](const TestResult& r) {
    std::optional<size_t> at = order.of(r.id);
    return at && *at > *stop;
  });
  for (auto it = after; it != results.end(); ++it) {
    auto count = counts.find(it->counted_as.value_or(it->outcome));
    if (count != counts.end() && --count->second == 0) counts.erase(count);
  }
  results.erase(after, results.end());
}

int show_cache(const RunCache& cache, const ProjectConfig& config, const std::string& glob) {
  auto started = std::chrono::steady_clock::now();
  std::cout << banner("test session starts", '=') << "\n";
  std::cout << "rootdir: " << config.rootdir.string() << "\n";
  if (config.inifile) std::cout << "configfile: " << config.inifile->lexically_relative(config.rootdir).string() << "\n";
  std::cout << cache.cache().show(glob) << "\n";
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << banner("no tests ran in " + format_seconds(seconds), '=') << "\n";
  return 0;
}

}  // namespace fastest::cli
