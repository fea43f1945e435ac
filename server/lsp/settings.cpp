#include "server/lsp/settings.h"

#include <algorithm>

namespace fastest::lsp {

void Settings::update(const protocol::json& j) {
  if (!j.is_object()) return;
  const protocol::json& s = j.contains("fastest") && j["fastest"].is_object() ? j["fastest"] : j;
  if (s.contains("pythonPath") && s["pythonPath"].is_string() && !s["pythonPath"].get<std::string>().empty())
    python_path = s["pythonPath"].get<std::string>();
  if (s.contains("workers") && s["workers"].is_number_integer()) workers = s["workers"].get<int>();
  if (s.contains("timeout") && s["timeout"].is_number()) timeout_s = s["timeout"].get<double>();
  if (s.contains("resettleDelayMs") && s["resettleDelayMs"].is_number_integer())
    resettle_delay_ms = std::max(0, s["resettleDelayMs"].get<int>());
  if (s.contains("extraArgs") && s["extraArgs"].is_array()) extra_args = s["extraArgs"].get<std::vector<std::string>>();
  if (s.contains("env") && s["env"].is_object())
    for (auto& [k, v] : s["env"].items())
      if (v.is_string()) env[k] = v.get<std::string>();
}

}  // namespace fastest::lsp
