#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "server/discovery/source_keywords.h"

using fastest::SourceKeywords;

TEST_CASE("source keywords: counts kept across edits equal a fresh count, at every edit") {
  // Edits that make and break words across their bounds: inserting "ki" into "s p", deleting
  // the middle of "setattr(", replacing around "exec(".
  const std::string pieces[] = {"skip", "s", "kip", "fail", "raise", "assert", "parameteri", "globals()", "locals()[",
                                "vars()[", "sys.modules[__name__]", "setattr(", "exec(", "mark.", "ex", "ec(",
                                "\n", " ", "x", "(", "[", "sys.modules[", "__name__]", "parametris", "aaa"};
  std::mt19937 random(12345);
  std::string text = "import pytest\npytest.mark.skip\nsetattr(m, 'x', 1)\n";
  SourceKeywords counted(text);
  for (int step = 0; step < 3000; ++step) {
    const size_t start = random() % (text.size() + 1);
    const size_t old_end = std::min(text.size(), start + random() % 12);
    std::string inserted;
    for (int n = random() % 3; n > 0; --n) inserted += pieces[random() % std::size(pieces)];
    std::string updated = text.substr(0, start) + inserted + text.substr(old_end);
    counted.update(text, updated, start, old_end, start + inserted.size());
    text = std::move(updated);
    const SourceKeywords fresh(text);
    for (std::string_view word : SourceKeywords::kWords) REQUIRE(counted.count(word) == fresh.count(word));
  }
}

TEST_CASE("source keywords: a tracked word is answered from the counts, another by a scan") {
  const std::string text = "def test_a():\n    setattr(x, 'y', 1)\n";
  const SourceKeywords counted(text);
  CHECK(counted.contains("setattr(") == std::optional<bool>(true));
  CHECK(counted.contains("skip") == std::optional<bool>(false));
  CHECK_FALSE(counted.contains("def ").has_value());
  CHECK(fastest::source_contains(text, "def ", &counted));
  CHECK_FALSE(fastest::source_contains(text, "exec(", &counted));
  CHECK(fastest::source_contains(text, "setattr(", nullptr));
}
