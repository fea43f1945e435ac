// The pytest plugins a session loads (pytest11 entry points, `-p`, `pytest_plugins`), read from
// their source without starting Python: a plugin defining collection hooks (or parametrized
// fixtures) may change what pytest collects, e.g. anyio's marker turns `test_x` into
// `test_x[asyncio]` and `test_x[trio]`. Its reach is every test, so a real collection settles
// them, unless the plugin is on the allow-list of plugins whose hooks are known not to change
// ids (docs/discovery-parity.md, with the version that was read).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "server/discovery/collect_rules.h"
#include "server/workspace/interpreter.h"

namespace fastest {

struct PluginSources {
  bool autoload = true;                        // PYTEST_DISABLE_PLUGIN_AUTOLOAD unset
  std::vector<std::string> plugin_options;     // `-p` values, in order (`no:NAME` disables)
  std::vector<std::string> pytest_plugins;     // module names from `pytest_plugins` variables
  std::vector<std::filesystem::path> import_dirs;  // where pytest's sys.path finds local modules
  std::string markexpr, keywordexpr;           // -m, -k: a mark a plugin adds may select items
};

// Why a loaded plugin may change collected ids (naming the plugin, its distribution and version
// and the hook), or nothing when no loaded plugin can.
// `global_fixtures` set: a plugin's parametrized fixtures (module level, not autouse) are no
// reason; each such plugin's fixtures are appended as one layer, for the fixture closures.
std::optional<std::string> plugin_collection_reason(const Interpreter& interpreter, const PluginSources& sources,
                                                    std::vector<std::vector<FixtureDecl>>* global_fixtures = nullptr);

}  // namespace fastest
