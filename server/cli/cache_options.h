// `fastest run`'s options of pytest's cache plugins (--lf, --ff, --nf, --sw, --sw-skip,
// --sw-reset, --lfnf, --cache-clear, --cache-show): the workers run pytest without its
// cacheprovider (each batch is a session of its own, which would write partial results), so
// the run applies the rules (server/execution/cache_selection.h) to its own collection and
// writes pytest's `.pytest_cache` itself, once, at the end.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "server/execution/cache_selection.h"
#include "server/execution/engine.h"
#include "server/workspace/project.h"

namespace fastest::cli {

struct CacheArgs {
  CacheOptions options;
  bool cache_clear = false;
  std::optional<std::string> cache_show;  // the glob ("*" when given without one)
  bool any_selection() const {
    return options.last_failed || options.failed_first || options.new_first || stepwise();
  }
  // --sw-skip and --sw-reset imply --sw, as in pytest.
  bool stepwise() const {
    return options.stepwise || options.stepwise_skip || options.stepwise_reset;
  }
};

void add_cache_options(CLI::App& cmd, CacheArgs& args);

// The ini file's addopts may hold cache options too (`addopts = --ff`): they are the run's, and
// the workers' pytest (no cacheprovider) must not see them. Returns `args` with them added, and
// sets `kept_addopts` to the rest when there were any (the workers then get `-o addopts=...`).
CacheArgs with_addopts(CacheArgs args, const std::vector<std::string>& addopts,
                       std::optional<std::string>* kept_addopts = nullptr);
// Words joined as pytest's shlex.split of addopts reads them back.
std::string joined_addopts(const std::vector<std::string>& words);

// `-p no:cacheprovider` (on the command line or in addopts): pytest then neither reads nor
// writes its cache, and refuses the cache options.
bool cacheprovider_disabled(const std::vector<std::string>& plugins, const std::vector<std::string>& addopts);
// The first cache option given, for pytest's "unrecognized arguments" when the cache is disabled.
std::optional<std::string> first_cache_option(const CacheArgs& args);

// One run's use of the cache: reads it before the run, changes the collection's selection,
// and records the run's results in it afterwards.
class RunCache {
 public:
  // `enabled` false: nothing is read or written (pytest's `-p no:cacheprovider`).
  // `cache_dir`: where pytest keeps its cache (PytestCache::dir_for).
  RunCache(const CacheArgs& args, const std::filesystem::path& cache_dir, bool enabled = true);
  const PytestCache& cache() const { return cache_; }
  // Selects and orders `c.selected` (and its deselected ids, and the dynamic containers pytest is
  // handed whole) as pytest's cache plugins would. `paths`: the command line's.
  void apply(Collection& c, const std::vector<std::string>& paths);
  // The selected tests pytest runs before the rest (--ff, --nf), for RunRequest::first.
  const std::vector<std::string>& run_first() const { return run_first_; }
  // pytest's lines after "collected N items".
  const std::vector<std::string>& report_lines() const { return report_lines_; }
  // How many failures stop the run (--sw: the first, --sw-skip: the second); 0: no limit.
  int maxfail(int requested) const;
  // Records the results (`results` in pytest's order); true when stepwise stopped the run.
  bool record(const std::vector<TestResult>& results, const std::vector<std::string>& collection_errors,
              bool stopped, std::string* warning);
  // pytest's session ends at the test stepwise stopped on: what a parallel run (or a batch still
  // running when the stop was seen) reported after it, in pytest's order, is neither shown nor
  // counted. `results` in pytest's order.
  void drop_after_stop(std::vector<TestResult>& results, std::map<Outcome, size_t>& counts) const;

 private:
  const CacheArgs& args_;
  PytestCache cache_;
  bool enabled_ = true;
  CacheValue lastfailed_ = CacheValue::object();
  CacheValue saved_lastfailed_ = CacheValue::object();
  std::set<std::string> known_ids_;
  StepwiseState stepwise_;
  std::vector<std::string> planned_;  // the selected ids, in order
  std::vector<std::string> report_lines_;
  std::vector<std::string> run_first_;
};

// --cache-show: pytest's header, the cache's listing, "no tests ran"; exit 0.
int show_cache(const RunCache& cache, const ProjectConfig& config, const std::string& glob);

}  // namespace fastest::cli
