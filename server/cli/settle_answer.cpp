#include "server/cli/settle_answer.h"

#include <filesystem>

#include "server/execution/scheduler.h"

namespace fastest::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

json to_json(const SettleAnswer& a) {
  json j = {{"conftest_exit", a.conftests.exit_code},
            {"conftest_message", a.conftests.message},
            {"failing_folders", a.conftests.failing_folders}};
  if (a.collected) {
    const CollectAnswer& c = *a.collected;
    json errors = json::array(), skips = json::array();
    for (const CollectionError& e : c.errors) errors.push_back({e.id, e.report, e.reason});
    for (const CollectionSkip& s : c.skips) skips.push_back({s.id, s.path, s.line, s.reason});
    j["collected"] = {{"ids", c.ids},
                      {"errors", errors},
                      {"skips", skips},
                      {"deselected", c.deselected},
                      {"usage_errors", c.usage_errors},
                      {"internal_error", c.internal_error},
                      {"warnings", c.warnings}};
  }
  return j;
}

std::optional<SettleAnswer> settle_answer_from_json(const json& j) {
  try {  // a malformed answer is a miss
    SettleAnswer a;
    a.conftests.exit_code = j.at("conftest_exit").get<int>();
    a.conftests.message = j.at("conftest_message").get<std::string>();
    a.conftests.failing_folders = j.at("failing_folders").get<std::vector<std::string>>();
    if (j.contains("collected")) {
      const json& c = j.at("collected");
      CollectAnswer collected;
      collected.ids = c.at("ids").get<std::vector<std::string>>();
      for (const json& e : c.at("errors"))
        collected.errors.push_back({e.at(0).get<std::string>(), e.at(1).get<std::string>(), e.at(2).get<std::string>()});
      for (const json& s : c.at("skips"))
        collected.skips.push_back(
            {s.at(0).get<std::string>(), s.at(1).get<std::string>(), s.at(2).get<int>(), s.at(3).get<std::string>()});
      collected.deselected = c.at("deselected").get<std::vector<std::string>>();
      collected.usage_errors = c.at("usage_errors").get<std::vector<std::string>>();
      collected.internal_error = c.at("internal_error").get<std::string>();
      collected.warnings = c.at("warnings").get<std::vector<std::pair<std::string, std::string>>>();
      a.collected = std::move(collected);
    }
    return a;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::optional<DiscoverCacheKey> discover_cache_key(const Collection& c, const Invocation& inv,
                                                   const std::vector<std::string>& settle_options,
                                                   const std::vector<std::string>& static_targets) {
  if (!c.config.python) return std::nullopt;
  const fs::path& rootdir = c.config.rootdir;
  std::vector<std::string> options{"discover", "cwd " + inv.invocation_dir.string(),
                                   "--rootdir " + (inv.rootdir ? inv.rootdir->string() : ""),
                                   "-c " + (inv.inifile ? inv.inifile->string() : "")};
  for (const std::string& a : inv.args) options.push_back("arg " + a);
  for (const std::string& o : inv.extra_options) options.push_back("extra " + o);
  for (const std::string& o : settle_options) options.push_back("settle " + o);
  for (const std::string& o : c.config.addopts) options.push_back("addopts " + o);
  DiscoverCacheKey out;
  out.slot = "discover\n" + json(options).dump();
  out.key = environment_key(*c.config.python, rootdir, c.config.inifile, options);
  out.key.add("configure_may_fail", c.config.configure_may_fail ? "yes" : "no");
  for (const std::string& folder : folders_with_a_conftest(c))
    if (!out.key.add_file("conftest " + folder, fs::path(folder) / "conftest.py")) return std::nullopt;
  for (const std::string& target : static_targets) {
    out.key.add("target", target);
    const std::string module = module_of(target);
    const fs::path file = rootdir / module;
    std::error_code ec;
    if (module.empty() || fs::is_directory(file, ec)) out.key.add_folder("folder " + module, file);
    else if (!out.key.add_file("module " + module, file)) return std::nullopt;
  }
  return out;
}

}  // namespace fastest::cli
