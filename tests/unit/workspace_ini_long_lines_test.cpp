#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "server/workspace/ini_long_lines.h"

using namespace fastest;

TEST_CASE("long ini lines: blanked in other sections and comments, kept whole in the section read") {
  const std::string envlist = "envlist = " + std::string(280, 'e');
  const std::string addopts = std::string(260, 'a');
  const std::string comment = "# " + std::string(250, 'c');
  const std::string text = "[tox]\n" + envlist + "\n\n[pytest]\n" + comment + "\naddopts = " + addopts +
                           "\ntestpaths =\n    " + std::string(240, 't') + "\n  short\n";
  ShortenedIni out = shorten_long_ini_lines(text, "pytest");
  for (size_t start = 0, end; start < out.text.size(); start = end + 1) {
    end = out.text.find('\n', start);
    if (end == std::string::npos) end = out.text.size();
    CHECK(end - start < 150);
  }
  // Line numbers stay: inih's error lines are the file's.
  CHECK(std::count(out.text.begin(), out.text.end(), '\n') == std::count(text.begin(), text.end(), '\n'));
  REQUIRE(out.long_values.size() == 2);
  CHECK(out.long_values[0] == addopts);
  CHECK(out.long_values[1] == std::string(240, 't'));
  CHECK(restore_long_ini_value("\x01" "0", out.long_values) == addopts);
  CHECK(restore_long_ini_value("short", out.long_values) == "short");
  CHECK(out.text.find("eeee") == std::string::npos);
}
