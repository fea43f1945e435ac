// Per-test durations remembered across runs, in <rootdir>/.fastest_cache/durations.json.
#pragma once

#include <filesystem>
#include <string>
#include <unordered_map>

namespace fastest {

class DurationHistory {
 public:
  explicit DurationHistory(std::filesystem::path file) : file_(std::move(file)) {}
  // A missing or corrupt file is an empty history (never an error).
  void load();
  // Writes atomically (temp file + rename); false if the folder is not writable.
  bool save() const;
  void record(const std::string& id, double seconds);
  const std::unordered_map<std::string, double>& durations() const { return durations_; }

 private:
  std::filesystem::path file_;
  std::unordered_map<std::string, double> durations_;
};

}  // namespace fastest
