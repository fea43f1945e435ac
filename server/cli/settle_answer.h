// What `fastest discover`'s settle step learnt from pytest (the conftest check, then the
// collect-only batch), as one value: asked of pytest, or read back from the settled cache
// (server/execution/settled_cache.h) when nothing it depends on changed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/cli/conftest_check.h"
#include "server/execution/settled_cache.h"
#include "server/workspace/project.h"

namespace fastest::cli {

// A collector pytest could not collect (a module that fails to import, a syntax error).
struct CollectionError {
  std::string id;      // pytest's node id of the collector: the module's path
  std::string report;  // the text under `ERROR collecting <id>`: pytest's own once settled
  std::string reason;  // what the short test summary prints after ` - `; pytest has none for
                       // import and syntax errors
};

// A collector pytest skipped: a module calling pytest.skip(allow_module_level=True) or
// pytest.importorskip at import time. pytest lists none of its tests.
struct CollectionSkip {
  std::string id;      // the skipped collector's node id
  std::string path;    // where the skip was raised, as pytest reports it (absolute)
  int line = 0;        // 1-based; 0 when pytest gave none
  std::string reason;
};

// What pytest's collect-only batch said about the settle targets.
struct CollectAnswer {
  std::vector<std::string> ids;  // pytest's selected ids, in its order
  std::vector<CollectionError> errors;
  std::vector<CollectionSkip> skips;
  std::vector<std::string> deselected;
  std::vector<std::string> usage_errors;
  std::string internal_error;
  std::vector<std::pair<std::string, std::string>> warnings;  // pytest's warnings summary: location, message
  std::vector<std::string> imported;  // files pytest imported (the cache checks them)
};

struct SettleAnswer {
  ConftestCheck conftests;              // exit_code 0 and nothing failing when it did not run
  std::optional<CollectAnswer> collected;  // none: nothing to settle, or pytest could not be asked
  bool asked = false;     // Python was started (the check or the batch)
  // Every part pytest was asked answered: the answer may be cached.
  bool complete = true;
  // Non-empty when there was something to settle and pytest could not be asked or did not
  // answer (no interpreter, pytest not installed, the worker failed): `discover` says so and
  // exits non-zero rather than print a partial answer quietly. Never cached.
  std::string failure;
  bool pytest_missing = false;  // the failure is that pytest cannot be imported
};

nlohmann::json to_json(const SettleAnswer& answer);
std::optional<SettleAnswer> settle_answer_from_json(const nlohmann::json& j);

// The settled cache's slot and key for one `fastest discover` invocation: the environment
// (interpreter, distributions, options), every conftest.py the check imports, the static
// settle targets and their modules' text (a folder target: its files' names, sizes, mtimes).
// nullopt when a file cannot be read (no caching then).
struct DiscoverCacheKey {
  std::string slot;
  SettledKey key;
};
std::optional<DiscoverCacheKey> discover_cache_key(const Collection& c, const Invocation& inv,
                                                   const std::vector<std::string>& settle_options,
                                                   const std::vector<std::string>& static_targets);

}  // namespace fastest::cli
