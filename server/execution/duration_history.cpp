#include "server/execution/duration_history.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace fastest {

void DurationHistory::load() {
  durations_.clear();
  std::ifstream in(file_);
  if (!in) return;
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return;
  auto d = j.find("durations");
  if (d == j.end() || !d->is_object()) return;
  for (auto& [id, value] : d->items())
    if (value.is_number()) durations_[id] = value.get<double>();
}

bool DurationHistory::save() const {
  std::error_code ec;
  std::filesystem::create_directories(file_.parent_path(), ec);
  if (ec) return false;
  nlohmann::json j;
  j["version"] = 1;
  j["durations"] = durations_;
  auto tmp = file_;
  tmp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    if (!out) return false;
    out << j.dump();
    if (!out) return false;
  }
  std::filesystem::rename(tmp, file_, ec);
  return !ec;
}

void DurationHistory::record(const std::string& id, double seconds) {
  // A moving average keeps one noisy run from reordering the next.
  auto it = durations_.find(id);
  if (it == durations_.end()) durations_[id] = seconds;
  else it->second = 0.5 * it->second + 0.5 * seconds;
}

}  // namespace fastest
