// The system's inih reads a line into a fixed 200-byte buffer and takes the rest of a longer line
// for a new, unparsable line; pytest's iniconfig has no limit (tox.ini's long `envlist` lines
// made `fastest discover` fail with "could not parse the ini file"). Before inih parses a file,
// long lines are made short: in other sections than the one read, and comments, they are blanked
// (line numbers stay); in the section read, a long value is replaced by a placeholder that the
// handler turns back into the value (stripped, as iniconfig keeps it: no inline comment removed).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fastest {

struct ShortenedIni {
  std::string text;                      // what inih parses
  std::vector<std::string> long_values;  // the values the placeholders stand for
};

ShortenedIni shorten_long_ini_lines(std::string_view text, std::string_view section);

// The value inih handed over, with a placeholder replaced by its long value.
std::string restore_long_ini_value(const char* value, const std::vector<std::string>& long_values);

}  // namespace fastest
