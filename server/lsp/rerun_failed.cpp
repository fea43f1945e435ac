// The editor's share of pytest's cache (`.pytest_cache/v/cache/lastfailed`): runs started from
// the editor record their results there as `fastest run` (and pytest) do, and
// fastest.rerunFailed runs what it lists, as `pytest --lf` would. So `pytest --lf` after an
// editor run, and the editor's rerun after `pytest`, both rerun the right tests.
#include "server/lsp/server_state.h"

#include <spdlog/spdlog.h>

#include "server/cli/cache_options.h"
#include "server/execution/pytest_cache.h"

namespace fastest::lsp {

using protocol::RpcError;

std::optional<fs::path> pytest_cache_dir(const ProjectConfig& config, const std::vector<std::string>& extra_args) {
  std::vector<std::string> words = config.addopts;
  words.insert(words.end(), extra_args.begin(), extra_args.end());
  if (cli::cacheprovider_disabled({}, words)) return std::nullopt;
  return PytestCache::dir_for(config.rootdir, config.cache_dir);
}

void LspServer::State::record_in_pytest_cache(const RootSnapshot& root, const std::vector<TestResult>& results,
                                              const std::vector<std::string>& collection_errors) {
  if (!root.pytest_cache) return;
  const cli::CacheArgs plain_run;  // no --lf/--sw...: pytest's cache plugins only record
  cli::RunCache cache(plain_run, *root.pytest_cache);
  std::string warning;
  cache.record(results, collection_errors, false, &warning);
  if (!warning.empty()) spdlog::warn("pytest cache: {}", warning);
}

namespace {

// A recorded id the tree does not hold as such (a case of a test pytest parametrizes at run
// time, not settled yet) is run through its function, which pytest expands.
std::string known_form(const std::vector<std::string>& leaves, const std::string& id) {
  if (!leaves.empty()) return id;
  size_t bracket = id.find('[');
  return bracket == std::string::npos ? "" : id.substr(0, bracket);
}

}  // namespace

// pytest's `--lf` with nothing recorded runs everything (`--lfnf all`); from an editor that is
// a surprise, so the reply is an error saying nothing failed, and nothing runs.
json LspServer::State::rerun_failed(const json& arg) {
  std::optional<uint64_t> only;
  if (arg.is_object() && arg.contains("rootUri")) only = test_ref({{"id", ""}, {"rootUri", arg["rootUri"]}}).root_key;
  await_collections();  // the recorded ids resolve against the whole tree
  std::vector<TestRef> include;
  size_t recorded = 0, disabled = 0, considered = 0;
  for (auto& root : roots) {
    if (only && root->key != *only) continue;
    ++considered;
    std::optional<fs::path> dir = pytest_cache_dir(root->collection.config, settings.extra_args);
    if (!dir) {
      ++disabled;
      continue;
    }
    std::optional<CacheValue> lastfailed = PytestCache(*dir).get("cache/lastfailed");
    if (!lastfailed || !lastfailed->is_object()) continue;
    for (auto it = lastfailed->begin(); it != lastfailed->end(); ++it) {
      ++recorded;
      std::string id = known_form(leaves_under(*root, it.key()), it.key());
      if (!id.empty() && !leaves_under(*root, id).empty()) include.push_back({id, root->key});
    }
  }
  if (considered > 0 && disabled == considered)
    throw RpcError(protocol::kRequestFailed, "pytest's cache is disabled (-p no:cacheprovider): no failures are recorded");
  if (recorded == 0) throw RpcError(protocol::kRequestFailed, "no failed tests recorded: the last run passed");
  if (include.empty())
    throw RpcError(protocol::kRequestFailed, "none of the " + std::to_string(recorded) +
                                                 " recorded failures is a test the workspace still has");
  json reply = start_run(include, {}, RunKind::Run);
  reply["failures"] = recorded;
  return reply;
}

}  // namespace fastest::lsp
