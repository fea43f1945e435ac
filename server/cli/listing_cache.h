// `fastest discover`'s whole listing, kept on disk with everything it was computed from, so
// that a second `fastest discover` of an unchanged project prints it without walking, parsing
// or asking pytest: the warm path is the config, a stat per file and the print.
//
// Where: `<rootdir>/.fastest_cache/listing/<slot>.cbor`, one entry per invocation (cwd and
// command line); a newer listing replaces the older one.
// Key (compared as text): the settled cache's environment key (fastest's build and worker, the
// interpreter and its installed distributions, pytest's environment variables, rootdir, ini
// file and its text), the command line, the working directory and every other environment
// variable but a few that only name the terminal or shell.
// Fingerprint (TreeFingerprint, checked by stat): every folder and file under the rootdir and
// under any argument outside it; the config and conftest files pytest looks for in each folder
// above; the interpreter's import path folders and `pythonpath` (a module created there); every
// file discovery read (collect()'s reads: helper modules, plugins' sources) and every file
// pytest imported while settling.
// Not kept: a listing whose settle failed or was incomplete, `--json`, pytest's own verbose
// listings, and a listing whose inputs changed while it was computed (taken again next time).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "server/cli/discover_listing.h"
#include "server/workspace/project.h"

namespace fastest::cli {

class ListingCache {
 public:
  // `config`: the invocation's resolved configuration (collect() with config_only).
  ListingCache(const ProjectConfig& config, const Invocation& invocation, const std::vector<std::string>& command_line);

  // The listing stored for this very key, with every fingerprinted file and folder unchanged.
  std::optional<Listing> load() const;
  // Stores the listing of `collection`; `pytest_imported`: absolute paths of what pytest
  // imported while settling. Nothing is stored when an input changed since `started` or a
  // collected module lies outside what the fingerprint covers. Failing to write is not an error.
  void store(const Listing& listing, const Collection& collection, const std::vector<std::string>& pytest_imported,
             std::chrono::system_clock::time_point started, std::string* why_not = nullptr) const;
  // --cache-clear.
  static void clear(const std::filesystem::path& rootdir);

 private:
  std::vector<std::filesystem::path> trees() const;
  std::vector<std::filesystem::path> probed_paths() const;

  const ProjectConfig& config_;
  const Invocation& invocation_;
  std::string key_;
  std::filesystem::path entry_;
};

}  // namespace fastest::cli
