#include "server/discovery/source_keywords.h"

#include <algorithm>

#include "server/discovery/source_search.h"

namespace fastest {

namespace {

// Occurrences of `word` in `text`, overlapping ones included.
uint32_t occurrences(std::string_view text, std::string_view word) {
  uint32_t n = 0;
  for (size_t at = find_in_source(text, word); at != std::string_view::npos; at = find_in_source(text, word, at + 1)) ++n;
  return n;
}

// The bytes an occurrence touching [start, end) can lie in: `reach` more on each side.
std::string_view around(std::string_view text, size_t start, size_t end, size_t reach) {
  const size_t from = start > reach ? start - reach : 0;
  const size_t to = std::min(text.size(), end + reach);
  return from < to ? text.substr(from, to - from) : std::string_view();
}

}  // namespace

SourceKeywords::SourceKeywords(std::string_view text) {
  for (size_t i = 0; i < kWords.size(); ++i) counts_[i] = occurrences(text, kWords[i]);
}

void SourceKeywords::update(std::string_view old_text, std::string_view new_text, size_t start, size_t old_end,
                            size_t new_end) {
  for (size_t i = 0; i < kWords.size(); ++i) {
    // An occurrence the edit can have made or broken overlaps the edited bytes; the unchanged
    // ones in both windows are the same bytes and cancel out.
    const size_t reach = kWords[i].size() - 1;
    counts_[i] -= occurrences(around(old_text, start, old_end, reach), kWords[i]);
    counts_[i] += occurrences(around(new_text, start, new_end, reach), kWords[i]);
  }
}

std::optional<bool> SourceKeywords::contains(std::string_view word) const {
  for (size_t i = 0; i < kWords.size(); ++i)
    if (kWords[i] == word) return counts_[i] > 0;
  return std::nullopt;
}

uint32_t SourceKeywords::count(std::string_view word) const {
  for (size_t i = 0; i < kWords.size(); ++i)
    if (kWords[i] == word) return counts_[i];
  return 0;
}

bool source_contains(std::string_view text, std::string_view word, const SourceKeywords* keywords) {
  if (keywords)
    if (std::optional<bool> known = keywords->contains(word)) return *known;
  return find_in_source(text, word) != std::string_view::npos;
}

}  // namespace fastest
