// Per-test durations remembered across runs, in <rootdir>/.fastest_cache/durations.json
// (or the file `fastest run --durations-path` names).
//
// Several runs may share one file (two `fastest run` on disjoint parts of a project, the
// language server and a terminal): save() merges this run's samples into the file as it is
// then, under an flock, so no run loses another's durations.
#pragma once

#include <filesystem>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fastest {

using Durations = std::unordered_map<std::string, double>;

class DurationHistory {
 public:
  explicit DurationHistory(std::filesystem::path file) : file_(std::move(file)) {}
  // A missing file is an empty history. An unreadable or corrupt one is empty too (never an
  // error): `warning` then says why, for the caller to show.
  void load(std::string* warning = nullptr);
  // Merges the samples recorded since load() into the file as it is now: under an exclusive
  // flock on `<file>.lock`, re-read, apply them, write a temp file, rename it over the file.
  // False (and `warning`) when the history could not be written; the run goes on regardless.
  bool save(std::string* warning = nullptr);
  void record(const std::string& id, double seconds);
  const std::unordered_map<std::string, double>& durations() const { return durations_; }

 private:
  std::filesystem::path file_;
  std::unordered_map<std::string, double> durations_;
  std::vector<std::pair<std::string, double>> samples_;  // recorded since load(), in order
};

// The histories of shards that all started from `base` (`fastest merge-durations`): `base`, with
// each id a shard changed or added taken from that shard (shards run disjoint tests; should two
// disagree, the later one wins).
Durations merge_shard_durations(const Durations& base, const std::vector<Durations>& shards);

// Writes `durations` as a history file (a temp file renamed over it). False and `warning` when
// it cannot.
bool write_durations(const std::filesystem::path& file, const Durations& durations, std::string* warning);

}  // namespace fastest
