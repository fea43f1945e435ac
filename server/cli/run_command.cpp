// `fastest run`: static discovery picks the tests, warm workers run them, the terminal shows
// what a pytest user expects (progress, FAILURES, short summary, closing line, exit code).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <unistd.h>

#include "server/cli/cache_options.h"
#include "server/cli/commands.h"
#include "server/cli/coverage_run.h"
#include "server/cli/durations_report.h"
#include "server/cli/format.h"
#include "server/cli/junit_xml.h"
#include "server/cli/option_values.h"
#include "server/cli/collected_count.h"
#include "server/cli/collection_gate.h"
#include "server/cli/selection_args.h"
#include "server/cli/session_header.h"
#include "server/cli/session_report.h"
#include "server/cli/shard_selection.h"
#include "server/cli/terminal_reporter.h"
#include "server/core/exit_code.h"
#include "server/core/node_id.h"
#include "server/discovery/module_discovery.h"
#include "server/execution/duration_history.h"
#include "server/cli/watch_loop.h"
#include "server/execution/engine.h"
#include "server/execution/run_plan.h"
#include "server/execution/scheduler.h"
#include "server/workspace/project.h"

namespace fastest::cli {
namespace {

struct RunArgs {
  SelectionArgs selection;
  std::string junitxml;
  int workers = 0;
  bool exitfirst = false;
  int maxfail = 0;
  double timeout = 0;
  double still_running_after = 60;  // say which tests run longer than this (0: never)
  bool json = false;
  bool quiet = false;
  bool continue_on_collection_errors = false;
  std::string reportchars;  // -r from the command line
  std::optional<ShardSpec> shard;  // --shard K/N: run only shard K of N (sharding.h)
  std::string durations_path;      // --durations-path: the duration history's file
  int verbose = 0;          // -v: a line per test; handed to the workers' pytest too
  bool force_short_summary = false;
  // pytest's own options that change how tests run or are reported, handed to the workers'
  // pytest as given: -p, --tb, -W, -s, -l, and any other option written as --name=value.
  std::vector<std::string> plugins, warning_filters, other_pytest_options;
  std::string tbstyle;
  bool no_capture = false, showlocals = false;
  DurationsArgs durations;  // --durations, --durations-min
  std::vector<std::string> coverage_options;  // pytest-cov's, run by the CLI (coverage_run.h)
  CacheArgs cache;  // --lf, --ff, --sw, ...: pytest's cache, applied and written by the run
  bool watch = false;  // --watch: run again on each change (watch_loop.h)

  std::vector<std::string> passthrough() const {
    std::vector<std::string> out;
    for (const std::string& p : plugins) out.insert(out.end(), {"-p", p});
    for (const std::string& w : warning_filters) out.insert(out.end(), {"-W", w});
    if (!tbstyle.empty()) out.push_back("--tb=" + tbstyle);
    if (no_capture) out.push_back("-s");
    if (showlocals) out.push_back("-l");
    // pytest's assertion explanations grow with -v (whole diffs, no truncation at -vv).
    for (int i = 0; i < verbose; ++i) out.push_back("-v");
    out.insert(out.end(), other_pytest_options.begin(), other_pytest_options.end());
    return out;
  }
};

std::atomic<ExecutionEngine*> g_engine{nullptr};

void on_sigint(int) {
  if (ExecutionEngine* e = g_engine.load()) e->cancel();
}

bool covers(const std::string& container, const std::string& id) { return node_id_covers(container, id); }

// The dynamic folders, modules and classes pytest is handed whole, outermost only.
std::vector<std::string> dynamic_containers(const Collection& c) {
  std::vector<std::string> candidates(c.dynamic_folders.begin(), c.dynamic_folders.end());
  candidates.insert(candidates.end(), c.dynamic_containers.begin(), c.dynamic_containers.end());
  return outermost_containers(std::move(candidates));
}

// The collection errors of a collect-only probe, handed on to the run's reporter.
class CollectionErrorsOf : public RunObserver {
 public:
  explicit CollectionErrorsOf(RunObserver& reporter) : reporter_(reporter) {}
  void on_collection_error_reason(const std::string& id, const std::string& reason) override {
    reporter_.on_collection_error_reason(id, reason);
  }
  void on_collection_error(const std::string& id, const std::string& longrepr) override {
    if (std::find(failing.begin(), failing.end(), id) == failing.end()) failing.push_back(id);
    reporter_.on_collection_error(id, longrepr);
  }
  void on_collection_skip(const std::string& id, const std::string& path, int line, const std::string& reason) override {
    reporter_.on_collection_skip(id, path, line, reason);
  }
  void on_internal_error(const std::string& lines) override { reporter_.on_internal_error(lines); }
  void on_usage_error(const std::string& message) override { reporter_.on_usage_error(message); }
  void on_late_usage_error(const std::string& message) override { reporter_.on_late_usage_error(message); }
  void on_collected(const std::vector<std::string>& ids) override { collected += ids.size(); }
  void on_deselected(const std::vector<std::string>& ids) override { deselected += ids.size(); }
  std::vector<std::string> failing;
  size_t collected = 0, deselected = 0;

 private:
  RunObserver& reporter_;
};

// Where the run's duration history lives: --durations-path, else the project's .fastest_cache.
std::filesystem::path durations_path(const RunArgs& args, const ProjectConfig& config) {
  return args.durations_path.empty() ? config.rootdir / ".fastest_cache" / "durations.json"
                                     : std::filesystem::absolute(args.durations_path);
}

// The workers' set-up for a run: the interpreter, pytest's options (selection inside dynamic
// containers, what the user passes through, addopts without the cache options the run applies
// itself), coverage's environment, and what the report needs the workers to send.
EngineOptions run_engine_options(const RunArgs& args, const ProjectConfig& config, int workers, CoverageRun& coverage) {
  EngineOptions options;
  // pytest-cov in the ini's addopts: the run's coverage, as --cov on the command line.
  std::vector<std::string> addopts = config.addopts;
  if (take_addopts_coverage_options(addopts)) coverage.wanted_by_addopts();
  std::string error;
  if (coverage.wanted() && !coverage.prepare(*config.python, options.env, &error))
    std::cerr << "fastest: warning: " << error << "\n";
  options.python = *config.python;
  options.rootdir = config.rootdir;
  options.inifile = config.inifile;
  options.pytest_args = args.selection.collect_options();  // doctest items need pytest's options
  // -k/-m/--deselect: pytest applies them inside the dynamic containers it is handed (the
  // static ids it is given are already selected by the same rules).
  for (std::string& option : args.selection.select_options()) options.pytest_args.push_back(std::move(option));
  for (std::string& option : args.passthrough()) options.pytest_args.push_back(std::move(option));
  options.workers = workers;
  // --watch's cycles fork from the warm project image (engine.h), as the editor's runs do.
  options.project_image = args.watch;
  options.durations_path = durations_path(args, config);
  std::optional<std::string> kept_addopts;  // without the cache options, which the run applies
  with_addopts(args.cache, addopts, &kept_addopts);
  if (!kept_addopts && addopts.size() != config.addopts.size()) kept_addopts = joined_addopts(addopts);
  if (kept_addopts) options.pytest_args.insert(options.pytest_args.end(), {"-o", "addopts=" + *kept_addopts});
  const std::string sections = report_sections(config.reportchars);
  if (sections.find_first_of("PX") != std::string::npos) options.env["FASTEST_REPORT_PASSES"] = "1";
  if (args.durations.durations) options.env["FASTEST_REPORT_PHASES"] = "1";
  return options;
}

// `kept`: an engine to run on (its workers already warm) and where the engine is left when the
// run ends, for the next run (`--watch`'s cycles); null: the engine ends with the run.
int run_tests(const RunArgs& args, std::unique_ptr<ExecutionEngine>* kept = nullptr) {
  auto started = std::chrono::steady_clock::now();
  int cores = std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  int wanted = args.workers > 0 ? args.workers : cores;
  auto durations_file = [&](const ProjectConfig& config) { return durations_path(args, config); };
  CoverageRun coverage(args.coverage_options);
  auto engine_options = [&](const ProjectConfig& config, int workers) {
    return run_engine_options(args, config, workers, coverage);
  };
  // The workers (importing pytest, preparing the session) start as soon as the config is
  // known, while the files are walked and parsed. Their number is not yet known to be capped
  // by the number of tests: an extra pooled worker costs a fork, not an interpreter start-up.
  std::unique_ptr<ExecutionEngine> early;
  if (kept && *kept) early = std::move(*kept);
  Invocation invocation = args.selection.invocation();
  if (!args.reportchars.empty()) invocation.extra_options.insert(invocation.extra_options.end(), {"-r", args.reportchars});
  Collection c = collect(invocation, [&](const ProjectConfig& config) {
    if (!config.python || !config.pytest_found || early) return;
    early = std::make_unique<ExecutionEngine>(engine_options(config, wanted));
    std::string ignored;  // reported by start() below
    early->launch(&ignored);
  });
  for (const std::string& w : c.warnings) std::cerr << "fastest: warning: " << w << "\n";
  if (!c.usage_errors.empty()) {
    for (const std::string& e : c.usage_errors) std::cerr << "ERROR: " << e << "\n";
    return exit_status(ExitCode::UsageError);
  }
  if (!c.config.python) {
    std::cerr << "ERROR: no Python interpreter found: pass --python, activate a virtualenv, or create .venv\n";
    return exit_status(ExitCode::UsageError);
  }
  const CacheArgs cache_args = with_addopts(args.cache, c.config.addopts);
  // pytest refuses the cache options next to `-p no:cacheprovider` on its command line, and
  // ignores them when addopts disabled the plugin.
  const bool cache_disabled = cacheprovider_disabled(args.plugins, c.config.addopts);
  if (auto option = first_cache_option(cache_args); option && cacheprovider_disabled(args.plugins, {})) {
    std::cerr << "ERROR: unrecognized arguments: " << *option << " (pytest's cacheprovider is disabled: -p no:cacheprovider)\n";
    return exit_status(ExitCode::UsageError);
  }
  RunCache run_cache(cache_args, PytestCache::dir_for(c.config.rootdir, c.config.cache_dir), !cache_disabled);
  if (cache_args.cache_show && !cache_disabled) return show_cache(run_cache, c.config, *cache_args.cache_show);
  if (cache_args.any_selection() && !cache_disabled) run_cache.apply(c, args.selection.paths);
  // A shard left empty by a split of a non-empty selection is no failure (exit 0, not 5): a CI
  // matrix wider than a narrow selection stays green.
  bool empty_shard_ok = false;
  if (args.shard) {
    DurationHistory history(durations_file(c.config));
    std::string warning;
    history.load(&warning);
    if (!warning.empty()) std::cerr << "fastest: warning: " << warning << "\n";
    ShardSelection shard = select_shard(c, dynamic_containers(c), *args.shard, history.durations());
    std::cerr << "fastest: " << shard_line(*args.shard, shard) << "\n";
    empty_shard_ok = shard.total_tests > 0;
  }
  const std::vector<std::string>& ids = c.selected;
  // Of `of`, the ids under a module (or folder) pytest could not collect: no items to pytest.
  auto count_under = [](const std::vector<std::string>& of, const std::vector<std::string>& failing,
                        const std::vector<std::string>& skipped) -> size_t {
    auto under = [&](const std::vector<std::string>& collectors, const std::string& id) {
      return std::any_of(collectors.begin(), collectors.end(), [&](const std::string& m) { return covers(m, id); });
    };
    return std::count_if(of.begin(), of.end(),
                         [&](const std::string& id) { return under(failing, id) || under(skipped, id); });
  };
  // pytest's header; `failing` and `skipped` are the modules that failed to collect or skipped
  // at import (their tests are no items). `counted`: pytest's own selected and deselected
  // counts, when it collected everything.
  auto print_header = [&](const std::vector<std::string>& failing, const std::vector<std::string>& skipped,
                          std::optional<std::pair<size_t, size_t>> counted) {
    if (args.json) return;
    CollectedCounts counts;
    counts.selected = counted ? counted->first : ids.size() - count_under(ids, failing, skipped);
    counts.deselected = counted ? counted->second : c.deselected;
    counts.errors = failing.size();
    counts.skipped_modules = skipped.size();
    print_session_header(c, counts, args.verbose, run_cache.report_lines());
  };
  const OnCollectionError on_errors = on_collection_error(args.continue_on_collection_errors, c.config.continue_on_collection_errors);
  const bool continue_on_errors = on_errors == OnCollectionError::ContinueSession;
  // Unless told to continue, a module failing to import stops pytest before any test: the
  // modules that may are collected first (run_plan.h).
  std::vector<std::string> suspects;
  if (!continue_on_errors) {
    std::vector<std::string> unparsable;
    for (const Diagnostic& d : c.collection_errors) unparsable.push_back(d.path);
    suspects = import_suspects(c.items, unparsable);
  }
  const std::vector<std::string> containers = dynamic_containers(c);
  auto contained = [&](const std::string& id) {
    return std::any_of(containers.begin(), containers.end(), [&](const std::string& t) { return covers(t, id); });
  };
  std::vector<std::string> run_ids = runnable_ids(c.items, c.selected, containers);
  // Deselected: static selection's outside the dynamic containers, pytest's inside them.
  size_t static_deselected = c.deselected;
  if (!containers.empty())
    static_deselected = std::count_if(c.deselected_ids.begin(), c.deselected_ids.end(),
                                      [&](const std::string& id) { return !contained(id); });
  // Modules pytest cannot import still run (their tests report the collection error).
  for (const Diagnostic& d : c.collection_errors) run_ids.push_back(d.path);
  if (run_ids.empty()) {
    print_header({}, {}, std::nullopt);
    std::string ignored;
    run_cache.record({}, {}, false, &ignored);
    if (!args.json) std::cout << banner(counts_line(RunSummary{}, static_deselected, 0, 0), '=') << "\n";
    return exit_status(empty_shard_ok ? ExitCode::Ok : ExitCode::NoTestsCollected);
  }

  std::unique_ptr<ExecutionEngine> engine_owner =
      early ? std::move(early)
            : std::make_unique<ExecutionEngine>(engine_options(
                  c.config, std::max(1, std::min<int>(wanted, static_cast<int>(run_ids.size())))));
  ExecutionEngine& engine = *engine_owner;
  // Whichever way the run ends, a caller that keeps the engine gets it back.
  struct KeepEngine {
    std::unique_ptr<ExecutionEngine>& owner;
    std::unique_ptr<ExecutionEngine>* kept;
    ~KeepEngine() {
      if (kept && owner) *kept = std::move(owner);
    }
  } keep_engine{engine_owner, kept};
  std::string error;
  if (!engine.start(&error)) {
    std::cerr << "ERROR: " << error << "\n";
    return exit_status(ExitCode::UsageError);
  }
  g_engine = &engine;
  // The engine's own warnings (an unreadable duration history), once each, on stderr.
  std::set<std::string> warned;
  auto run_engine = [&](const RunRequest& request, RunObserver& observer) {
    RunSummary summary = engine.run(request, observer);
    for (const std::string& w : summary.warnings)
      if (warned.insert(w).second) std::cerr << "fastest: warning: " << w << "\n";
    return summary;
  };
  std::signal(SIGINT, on_sigint);
  std::signal(SIGTERM, on_sigint);

  // pytest's bestrelpath: test files relative to the invocation dir.
  const std::filesystem::path invocation_dir = std::filesystem::current_path();
  std::map<std::string, std::string> shown_paths;
  auto shown_path = [&, rootdir = c.config.rootdir](const std::string& module) -> std::string {
    auto [it, fresh] = shown_paths.try_emplace(module);
    if (fresh) {
      std::filesystem::path file = (rootdir / module).lexically_normal();
      std::filesystem::path relative = file.lexically_relative(invocation_dir);
      it->second = relative.empty() ? file.string() : relative.string();
    }
    return it->second;
  };
  // The progress's denominator: the static tests outside dynamic containers; pytest's
  // collection adds the rest as each batch reports what it collected.
  const size_t static_total = std::count_if(ids.begin(), ids.end(), [&](const std::string& id) { return !contained(id); });
  TerminalReporter reporter(static_total, args.json, args.verbose, shown_path);
  reporter.still_running_after(args.still_running_after);
  reporter.hold_until_collected(CollectionGate(on_errors, run_ids));
  // pytest prints its header once its session started: not when its command line or an initial
  // conftest fails (a usage error on stderr only). So the header waits for pytest's first word,
  // and counts what the run's collection found by then (the gate holds it until every module
  // was collected).
  reporter.set_header([&] { print_header(reporter.failing_collectors(), reporter.skipped_collectors(), std::nullopt); });
  for (const std::string& id : run_ids)
    if (const TestItem* item = c.find(id); item && !item->dynamic &&
        (item->kind == ItemKind::Function || item->kind == ItemKind::Case))
      reporter.expect(id);
  bool collection_failed = false;
  if (!suspects.empty()) {
    CollectionErrorsOf probe_observer(reporter);
    RunRequest probe;
    probe.ids = suspects;
    probe.collect_only = true;
    run_engine(probe, probe_observer);
    collection_failed = !probe_observer.failing.empty();
    if (collection_failed) {
      // pytest reports every module's collection error and skip before it stops.
      probe.ids.clear();
      for (const std::string& id : run_ids)
        if (std::find(suspects.begin(), suspects.end(), id) == suspects.end()) probe.ids.push_back(id);
      if (!probe.ids.empty()) run_engine(probe, probe_observer);
    }
    if (collection_failed) {
      const auto counted = std::make_pair(probe_observer.collected, static_deselected + probe_observer.deselected);
      reporter.deselected_ += probe_observer.deselected;  // the closing line's count
      reporter.set_header([=, &print_header, &reporter, failing = probe_observer.failing] {
        print_header(failing, reporter.skipped_collectors(), counted);
      });
    }
  }

  // pytest's header counts what it collected: what only pytest can list (dynamic containers and
  // items) is collected first, the rest is counted from the exact static ids.
  std::vector<std::string> to_count = containers;
  std::set<std::string> counting(containers.begin(), containers.end());
  std::vector<std::string> exact_static;
  for (const std::string& id : ids) {
    if (contained(id)) continue;
    const TestItem* item = c.find(id);
    if (!item || !item->dynamic) {
      exact_static.push_back(id);
      continue;
    }
    const std::string run_id = item->kind == ItemKind::Case && !item->parent_id().empty() ? std::string(item->parent_id()) : id;
    if (counting.insert(run_id).second) to_count.push_back(run_id);
  }
  if (!collection_failed && !to_count.empty() && !args.json) {
    CollectedCount count;
    RunRequest probe;
    probe.ids = to_count;
    probe.collect_only = true;
    run_engine(probe, count);
    // A dynamic module failing to collect spoils the count only for a session that stops there.
    if (!count.failed && (continue_on_errors || !count.collection_error)) {
      const size_t selected = exact_static.size() + count.collected, deselected = static_deselected + count.deselected;
      reporter.set_total(selected);
      reporter.set_header([=, &print_header, &reporter, &count_under, &exact_static] {
        const std::vector<std::string> failing = reporter.failing_collectors(), skipped = reporter.skipped_collectors();
        const size_t lost = count_under(exact_static, failing, skipped);
        print_header(failing, skipped, std::make_pair(selected - std::min(selected, lost), deselected));
      });
    }
  }

  RunRequest request;
  request.ids = run_ids;
  request.stop_on_collection_error = !continue_on_errors;
  request.collect_everything_early = reporter.gate().state() == CollectionGate::State::Holding && !args.json;
  request.stop_on_interrupt = true;  // a test raising KeyboardInterrupt ends the run, as in pytest
  request.first = run_cache.run_first();
  // Modules none of whose tests were filtered out can be handed to pytest whole.
  {
    bool node_id_args = false;
    for (const std::string& p : args.selection.paths) node_id_args |= p.find("::") != std::string::npos;
    if (!node_id_args) request.whole_modules = modules_selected_whole(c.items, ids);
  }
  request.timeout_s = args.timeout;
  request.maxfail = run_cache.maxfail(args.exitfirst ? 1 : args.maxfail);
  RunSummary summary = collection_failed ? RunSummary{} : run_engine(request, reporter);
  if (!collection_failed && !continue_on_errors && !reporter.collection_errors_.empty() && !summary.cancelled) {
    // The run stopped at a collection error no static rule foresaw: pytest would report every
    // module's, so the rest is collected (not run).
    CollectionErrorsOf rest(reporter);
    RunRequest collect;
    collect.ids = run_ids;
    collect.collect_only = true;
    run_engine(collect, rest);
    if (reporter.gate().failed()) {  // nothing was shown: pytest's header counts what it collected
      const size_t selected = rest.collected, deselected = static_deselected + rest.deselected;
      reporter.deselected_ = rest.deselected;  // the closing line's, of the whole collection
      reporter.set_header([=, &print_header, &reporter] {
        print_header(reporter.failing_collectors(), reporter.skipped_collectors(), std::make_pair(selected, deselected));
      });
    }
  }
  g_engine = nullptr;
  std::signal(SIGINT, SIG_DFL);
  reporter.finish_progress(summary.interrupted.has_value());
  if (!reporter.usage_error_.empty()) {
    std::cerr << reporter.usage_error_ << "\n";
    return exit_status(ExitCode::UsageError);
  }
  if (!reporter.internal_error_.empty()) {  // as pytest: its INTERNALERROR lines, exit 3
    std::cerr << reporter.internal_error_ << "\n";
    return exit_status(ExitCode::InternalError);
  }
  summary.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // Results in collection order, for the report and JUnit.
  const RunOrder order(run_ids);
  auto rank = [&order](const std::string& id) { return order.rank(id); };
  std::vector<TestResult> results = reporter.results_;
  std::stable_sort(results.begin(), results.end(),
                   [&](const TestResult& a, const TestResult& b) { return rank(a.id) < rank(b.id); });

  // The tests of a module that failed to collect are not tests to pytest: the module's error is
  // the one report. And unless told to continue, pytest runs nothing once collection failed.
  // A module skipped at import is one "skipped" to pytest, however many tests it holds.
  for (const TestResult& r : results) {
    if (!r.uncollected) continue;
    if (auto it = summary.counts.find(r.outcome); it != summary.counts.end() && --it->second == 0)
      summary.counts.erase(it);
  }
  std::erase_if(results, [](const TestResult& r) { return r.uncollected; });
  // A usage error raised after collection (strict_config) ends pytest's session before any test.
  const bool late_usage_error = !reporter.late_usage_error_.empty();
  bool interrupted = !reporter.collection_errors_.empty() && !continue_on_errors && !summary.cancelled && !late_usage_error;
  if (interrupted || late_usage_error) {
    results.clear();
    summary.counts.clear();
  }
  // Collection's own skips count even when the session is interrupted, as in pytest.
  if (!reporter.skipped_collectors_.empty()) summary.counts[Outcome::Skipped] += reporter.skipped_collectors_.size();

  // pytest's cache (lastfailed, nodeids, stepwise) from this run's results.
  bool stepwise_stopped = false;
  {
    std::vector<std::string> failed_modules;
    for (const auto& [id, text] : reporter.collection_errors_) failed_modules.push_back(id);
    size_t failures = std::count_if(results.begin(), results.end(), [](const TestResult& r) { return is_failure(r.outcome); });
    bool stopped = request.maxfail > 0 && failures >= static_cast<size_t>(request.maxfail);
    std::string warning;
    stepwise_stopped = run_cache.record(results, failed_modules, stopped, &warning);
    if (stepwise_stopped) run_cache.drop_after_stop(results, summary.counts);
    if (!warning.empty()) std::cerr << "fastest: warning: " << warning << "\n";
  }

  if (!args.junitxml.empty() && !write_junit_xml(args.junitxml, reporter.collection_reports_, results, summary.duration_s))
    std::cerr << "fastest: cannot write " << args.junitxml << "\n";

  bool failed = false;
  for (const TestResult& r : results) failed |= is_failure(r.outcome);
  failed |= !reporter.collection_errors_.empty();
  std::string coverage_report, coverage_error;
  bool coverage_below = coverage.wanted() && coverage.finish(*c.config.python, failed, &coverage_report, &coverage_error);
  if (!coverage_error.empty()) std::cerr << "fastest: warning: " << coverage_error << "\n";
  failed |= coverage_below;  // pytest-cov's --cov-fail-under counts as a failed test
  // pytest.exit(returncode=N) ends with N; else pytest's ExitCode.
  int exit_code = late_usage_error ? exit_status(ExitCode::UsageError)
                  : summary.interrupted && summary.interrupted->exit_code && !interrupted ? *summary.interrupted->exit_code
                  : interrupted || stepwise_stopped || summary.cancelled || summary.interrupted || !summary.fatal_error.empty()
                      ? exit_status(ExitCode::Interrupted)
                  : failed          ? exit_status(ExitCode::TestsFailed)
                  : results.empty() ? exit_status(ExitCode::NoTestsCollected)
                                    : exit_status(ExitCode::Ok);

  if (args.json) {
    print_json_report(exit_code, summary, results);
    return exit_code;
  }
  print_session_report(SessionReport{.reporter = reporter,
                                     .results = results,
                                     .summary = summary,
                                     .rank = rank,
                                     .tbstyle = args.tbstyle,
                                     .reportchars = c.config.reportchars,
                                     .verbose = args.verbose,
                                     .quiet = args.quiet,
                                     .force_short_summary = args.force_short_summary,
                                     .durations = args.durations,
                                     .coverage_report = coverage_report,
                                     .deselected = static_deselected + reporter.deselected_,
                                     .exit_code = exit_code,
                                     .collection_interrupted = interrupted,
                                     .stepwise_stopped = stepwise_stopped});
  if (late_usage_error) std::cerr << "ERROR: " << reporter.late_usage_error_ << "\n\n";
  return exit_code;
}

}  // namespace

// --watch: the first run as asked, then a run per change of the test files it reaches (an id
// the user named stays that id when its file is reached), last failures first.
int run_watching(const RunArgs& args) {
  auto collect_tests = [&] {
    Collection c = collect(args.selection.invocation());
    WatchTarget target{c.config.rootdir, {}};
    for (const TestItem& item : c.items)
      if (item.kind == ItemKind::Module) target.test_files.push_back(c.config.rootdir / item.path());
    return target;
  };
  // The workers stay warm from one cycle to the next (a worker re-executes itself when a conftest
  // or the ini file it loaded changed); a change of config starts them afresh.
  std::unique_ptr<ExecutionEngine> warm;
  return watch_and_rerun(collect_tests, [&](const WatchCycle& cycle) {
    if (cycle.everything) {
      warm.reset();
      return run_tests(args, &warm);
    }
    RunArgs again = args;
    again.selection.paths.clear();
    for (const std::string& file : cycle.paths) {
      bool named_inside = false;
      for (const std::string& asked : args.selection.paths)
        if (asked.rfind(file + "::", 0) == 0) {
          again.selection.paths.push_back(asked);
          named_inside = true;
        }
      if (!named_inside) again.selection.paths.push_back(file);
    }
    again.cache.options.failed_first = true;
    return run_tests(again, &warm);
  });
}

void add_run_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Run tests through warm pytest workers, like `pytest -n auto`");
  add_selection_options(*cmd, args->selection, "The interpreter to run tests with");
  cmd->add_option("-n,--workers", args->workers, "Number of workers (default: cores)");
  cmd->add_flag("-x,--exitfirst", args->exitfirst, "Stop after the first failure");
  cmd->add_option("--maxfail", args->maxfail, "Stop after this many failures");
  cmd->add_option("--timeout", args->timeout, "Per-test timeout in seconds (0: none)");
  cmd->add_option("--still-running-after", args->still_running_after,
                  "Name the tests still running after this many seconds, on stderr (default 60; 0: never)");
  cmd->add_option("--junitxml,--junit-xml", args->junitxml, "Write a JUnit XML report");
  auto shard_text = std::make_shared<std::string>();
  cmd->add_option("--shard", *shard_text,
                  "K/N: run shard K of N, balanced by recorded durations (docs/sharding.md)");
  cmd->add_option("--durations-path", args->durations_path,
                  "The duration history to read and update (default <rootdir>/.fastest_cache/durations.json)");
  cmd->add_flag("--json", args->json, "Print results as JSON");
  cmd->add_flag("--continue-on-collection-errors", args->continue_on_collection_errors,
                "Run the tests even when some modules fail to collect (pytest's option)");
  cmd->add_option("-r", args->reportchars, "pytest's -r: which outcomes the short test summary lists (fE by default; a: all but passed)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cmd->add_flag("-v,--verbose", args->verbose, "A line per test, as pytest -v");
  cmd->add_flag("--force-short-summary", args->force_short_summary,
                "pytest's option: trim the short summary's reasons even on CI or with -vv");
  cmd->add_flag("-q,--quiet", args->quiet, "Accepted for pytest compatibility");
  cmd->add_option("-p", args->plugins, "pytest's -p: load or disable (no:NAME) a plugin (repeatable)")
      ->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("-W,--pythonwarnings", args->warning_filters, "pytest's -W: a warnings filter (repeatable)")
      ->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--tb", args->tbstyle, "pytest's traceback style: auto, long, short, line, native, no");
  cmd->add_flag("-s", args->no_capture, "pytest's -s (output is not shown: workers have no terminal)");
  cmd->add_flag("-l,--showlocals", args->showlocals, "pytest's -l: show locals in tracebacks");
  add_cache_options(*cmd, args->cache);
  add_durations_options(*cmd, args->durations);
  cmd->add_flag("--watch", args->watch,
                "After the run, run again on each change the tests whose imports reach the changed files "
                "(last failures first), until Ctrl-C");
  // Other pytest (or plugin) options go to the workers' pytest as written; a value written
  // apart (`--cov src`) is theirs when pytest's parser says the option takes one.
  cmd->allow_extras();
  cmd->callback([args, cmd, shard_text, &exit_code] {
    if (!shard_text->empty()) {
      std::string error;
      args->shard = parse_shard_spec(*shard_text, &error);
      if (!args->shard) {
        std::cerr << "ERROR: usage: fastest run: " << error << "\n";
        exit_code = exit_status(ExitCode::UsageError);
        return;
      }
    }
    std::vector<std::string> extras = cmd->remaining();
    std::vector<std::string> plugin_args;
    for (const std::string& p : args->plugins) plugin_args.insert(plugin_args.end(), {"-p", p});
    std::string error;
    if (!reattach_option_values(extras, args->selection.paths,
                                args->selection.python.empty() ? std::nullopt : std::optional(args->selection.python),
                                plugin_args, &error))
      std::cerr << "fastest: warning: " << error << "\n";
    for (const std::string& extra : extras) {
      if (extra.rfind("-", 0) != 0) {
        std::cerr << "ERROR: unexpected argument: " << extra << " (write pytest options' values with '=')\n";
        exit_code = exit_status(ExitCode::UsageError);
        return;
      }
      args->other_pytest_options.push_back(extra);
    }
    args->coverage_options = take_coverage_options(args->other_pytest_options);
    exit_code = args->watch ? run_watching(*args) : run_tests(*args);
  });
}

}  // namespace fastest::cli
