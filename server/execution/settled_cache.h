// Settled answers kept on disk: what a real pytest collection said about dynamic modules and
// folders (ids, order, collection errors...), so that a reopened workspace or a second
// `fastest discover` shows pytest's tree without starting Python.
//
// Where: `<rootdir>/.fastest_cache/settled/<slot>.json`, one file per slot (a language server's
// module, a `fastest discover` invocation); a newer answer for the slot replaces the older one.
// Key: everything that can change the answer, as text lines (SettledKey): the cache format,
// the fastest binary and worker, the interpreter (path, real file, size, mtime, pyvenv.cfg),
// the distributions installed in its site-packages (names with versions), the environment
// variables pytest reads, the options, the ini file and the files the caller names (modules,
// conftests), each by a hash of its text. The entry also names a record of the files under the
// rootdir that the collection imported (its helper modules, packages), each with its hash,
// checked on every read (`imports-<hash>.json`, shared by the entries one collection answered).
// A key that differs in anything, a file that changed, is missing or unreadable, an entry that is corrupt or truncated: a miss. Writes go to a temp file renamed over the
// entry, so concurrent processes each see a whole entry or none.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fastest {

// The hash of a file's text, or of a folder's names ("absent" when it does not exist, nullopt
// when it cannot be read).
std::optional<std::string> file_hash(const std::filesystem::path& file);
std::string text_hash(std::string_view text);

class SettledKey {
 public:
  void add(const std::string& name, const std::string& value);
  // The file's text hash (or "absent"); false when it exists but cannot be read (the caller
  // should not use the cache then).
  bool add_file(const std::string& name, const std::filesystem::path& file);
  // A folder's files, recursively (names, sizes, mtimes; __pycache__ and dot folders left out):
  // for a folder pytest collects whole, whose files a conftest chooses.
  void add_folder(const std::string& name, const std::filesystem::path& folder);
  const std::string& text() const { return text_; }
  bool operator==(const SettledKey& other) const { return text_ == other.text_; }

 private:
  std::string text_;
};

// The part of every key that does not depend on the project's files: cache format, fastest's
// own build, the interpreter and its installed distributions, pytest's environment variables,
// the rootdir and ini file (with its text), and the options pytest gets.
SettledKey environment_key(const std::filesystem::path& python, const std::filesystem::path& rootdir,
                           const std::optional<std::filesystem::path>& inifile, const std::vector<std::string>& options,
                           const std::map<std::string, std::string>& extra_env = {});

// The conftest.py of each folder from the rootdir down to the module's folder, and the module.
// False when one cannot be read.
bool add_module_files(SettledKey& key, const std::filesystem::path& rootdir, const std::string& module_id);

class SettledCache {
 public:
  // Entries live in `<rootdir>/.fastest_cache/settled` (next to durations.json).
  explicit SettledCache(const std::filesystem::path& rootdir);

  // The answer stored for the slot under this very key, with every imported file unchanged.
  std::optional<nlohmann::json> load(const std::string& slot, const SettledKey& key);
  // Stores the answer; `imported` are absolute paths of the files the collection imported
  // (those outside the rootdir are ignored: the key's distributions cover them). Files modified
  // after `started` (when the collection began) make the answer too new to trust: not stored.
  // Failing to write is not an error (the next run asks pytest again).
  void store(const std::string& slot, const SettledKey& key, const nlohmann::json& answer,
             const std::vector<std::string>& imported, std::filesystem::file_time_type started);
  // --cache-clear.
  void clear();

 private:
  std::filesystem::path entry_path(const std::string& slot) const;
  std::optional<std::string> cached_hash(const std::string& file);
  bool imports_unchanged(const std::string& record);

  std::filesystem::path rootdir_;
  std::filesystem::path dir_;  // <rootdir>/.fastest_cache/settled
  std::map<std::string, std::optional<std::string>> hashes_;  // file -> hash, for this object's life
  std::map<std::string, bool> records_;                       // imports record -> still true
};

}  // namespace fastest
