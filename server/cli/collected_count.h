// What pytest's collection of some ids counts: its items and the ones it deselected. `fastest
// run` asks pytest to collect the dynamic containers before running, so its header says
// `collected N items` with pytest's own N (never the static guess of one item per dynamic one).
#pragma once

#include <string>
#include <vector>

#include "server/execution/engine.h"

namespace fastest::cli {

class CollectedCount : public RunObserver {
 public:
  void on_collected(const std::vector<std::string>& ids) override { collected += ids.size(); }
  void on_deselected(const std::vector<std::string>& ids) override { deselected += ids.size(); }
  void on_collection_error(const std::string&, const std::string&) override { collection_error = true; }
  void on_usage_error(const std::string&) override { failed = true; }
  void on_internal_error(const std::string&) override { failed = true; }

  size_t collected = 0, deselected = 0;
  bool failed = false;  // the count is not pytest's: the run reports why
  bool collection_error = false;  // a module failed to collect (pytest's count of the rest)
};

}  // namespace fastest::cli
