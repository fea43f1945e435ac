// pytest's own cache directory (`<rootdir>/.pytest_cache`), read and written as pytest's
// cacheprovider does, so `pytest --lf` after `fastest run` and the reverse agree.
//
// Values live in `v/<key>` as JSON (`json.dumps(value, ensure_ascii=False, indent=2)`); the
// directory is created with pytest's README.md, .gitignore and CACHEDIR.TAG. The keys fastest
// uses: `cache/lastfailed` (node id -> true), `cache/nodeids` (sorted list of every id seen),
// `cache/stepwise` ({last_failed, last_test_count, last_cache_date_str}, pytest >= 8.4).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace fastest {

// pytest's dicts keep insertion order; ordered_json writes them back in the same order.
using CacheValue = nlohmann::ordered_json;

class PytestCache {
 public:
  explicit PytestCache(std::filesystem::path dir) : dir_(std::move(dir)) {}
  // `<rootdir>/.pytest_cache`, or `$TOX_ENV_DIR/.pytest_cache` as pytest's default has it.
  static std::filesystem::path default_dir(const std::filesystem::path& rootdir);
  // Where pytest keeps it: the `cache_dir` ini option when set (`~` and `$VAR`/`${VAR}`
  // expanded, relative to the rootdir, as pytest's resolve_from_str), else default_dir.
  static std::filesystem::path dir_for(const std::filesystem::path& rootdir, const std::optional<std::string>& cache_dir_option);

  const std::filesystem::path& dir() const { return dir_; }
  // nullopt when the value is missing or not JSON (pytest's `default`).
  std::optional<CacheValue> get(const std::string& key) const;
  // False (and `error`) when it could not be written: pytest warns and goes on.
  bool set(const std::string& key, const CacheValue& value, std::string* error = nullptr) const;
  // --cache-clear: the `v` and `d` folders, as pytest's Cache.clear_cache.
  void clear() const;
  // --cache-show [GLOB]: pytest's listing of values (pformat'ed) and directories.
  std::string show(const std::string& glob) const;

 private:
  bool ensure_dir(std::string* error) const;
  std::filesystem::path dir_;
};

// Python's pprint.pformat of a JSON value (width 80, dict keys sorted), as --cache-show prints.
std::string python_pformat(const CacheValue& value);

}  // namespace fastest
