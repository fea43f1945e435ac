// The user's settings for the language server, from initializationOptions and
// workspace/didChangeConfiguration (`{"fastest": {...}}` or the object itself).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/jsonrpc.h"

namespace fastest::lsp {

struct Settings {
  std::optional<std::string> python_path;
  int workers = 0;       // 0: one per core
  double timeout_s = 0;  // per test; 0: none
  std::vector<std::string> extra_args;
  std::map<std::string, std::string> env;
  int resettle_delay_ms = 300;  // the pause after the last edit before a module is re-settled

  // Keys that are absent or of the wrong type leave the current value.
  void update(const protocol::json& j);
};

}  // namespace fastest::lsp
