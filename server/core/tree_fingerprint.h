// What a cached answer was computed from, as stat results: every folder and file under some
// trees, and single paths (present or absent). A file written, created, removed or renamed
// changes its own stat or its folder's (mtime, ctime, inode, size), so checking the
// fingerprint is one stat per entry: no reading, no listing.
//
// Taken after the answer was computed, it is refused when an entry changed at or after the
// computation started (its stat may describe text the answer was not read from): timestamps
// are the kernel's coarse clock, so "after" has a margin, wider on file systems that keep whole
// seconds. An entry older than that cannot change again without a newer timestamp.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fastest {

class TreeFingerprint {
 public:
  // Folders under a tree that are never walked: version control, caches (fastest's own is
  // written by the run itself), and virtual environments (a folder holding pyvenv.cfg; the
  // interpreter's are keyed by its installed distributions instead).
  static bool skipped_folder(const std::string& name);

  // Every folder and file under `trees` (symbolic links followed, each folder once), and each
  // of `paths`. nullopt, with the reason, when an entry changed at or after `started` or there
  // are more than `max_entries`.
  static std::optional<TreeFingerprint> take(const std::vector<std::filesystem::path>& trees,
                                             const std::vector<std::filesystem::path>& paths,
                                             std::chrono::system_clock::time_point started, std::string* why,
                                             size_t max_entries = 200000);

  // Every entry's stat is what it was.
  bool unchanged() const;
  size_t size() const { return entries_.size(); }
  std::vector<std::string> paths() const;

  // One line per entry, "<inode> <size> <mtime_ns> <ctime_ns> <path>" (fast to read back: a
  // warm `fastest discover` checks hundreds). nullopt when a path holds a newline.
  std::optional<std::string> to_text() const;
  static std::optional<TreeFingerprint> from_text(std::string_view text);

 private:
  struct Entry {
    std::string path;
    int64_t inode = -1, size = -1, mtime_ns = -1, ctime_ns = -1;  // all -1: absent
    bool operator==(const Entry&) const = default;
  };
  static Entry stat_of(const std::string& path);

  std::vector<Entry> entries_;
};

}  // namespace fastest
