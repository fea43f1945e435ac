// The words discovery's whole-module text gates look for ("skip", "setattr(", ...), counted in
// a document's text and kept counted across edits: a keystroke then answers "does the module
// say X?" without scanning its text again (a rename in a 5,000-line module ran eleven such
// scans, ~15% of its time). A word not tracked here is looked for in the text.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fastest {

class SourceKeywords {
 public:
  static constexpr std::array<std::string_view, 13> kWords = {
      "skip", "fail", "raise", "assert",                  // module_skip's gates
      "parameteri", "parametris",                         // misspelt marks
      "globals()", "locals()[", "vars()[", "sys.modules[__name__]", "setattr(", "exec(",  // namespace writers
      "mark."};

  explicit SourceKeywords(std::string_view text = {});
  // `old_text`'s bytes [start, old_end) became `new_text`'s [start, new_end); the rest is unchanged.
  void update(std::string_view old_text, std::string_view new_text, size_t start, size_t old_end, size_t new_end);
  // Whether the text holds `word`; nullopt when `word` is not tracked.
  std::optional<bool> contains(std::string_view word) const;
  // The count of `word` (tracked), for tests.
  uint32_t count(std::string_view word) const;

 private:
  std::array<uint32_t, kWords.size()> counts_{};
};

// Whether `text` holds `word`: from `keywords` when given and tracking it, else by a scan.
bool source_contains(std::string_view text, std::string_view word, const SourceKeywords* keywords);

}  // namespace fastest
