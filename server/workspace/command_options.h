// The part of a pytest command line (addopts, PYTEST_ADDOPTS, explicit options) that changes
// what is collected. Everything else (reporting, plugins' options) is skipped over.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace fastest {

struct CommandOptions {
  std::vector<std::string> positional;   // paths and node ids
  std::optional<std::string> markexpr;   // -m (last one wins, as argparse)
  std::optional<std::string> keywordexpr;  // -k
  std::vector<std::string> ignore;       // --ignore
  std::vector<std::string> ignore_glob;  // --ignore-glob
  std::vector<std::string> deselect;     // --deselect
  std::vector<std::pair<std::string, std::string>> ini_overrides;  // -o name=value
  std::optional<std::string> rootdir;    // --rootdir
  std::optional<std::string> inifile;    // -c / --config-file
  bool doctest_modules = false;            // --doctest-modules
  std::vector<std::string> doctest_globs;  // --doctest-glob (repeatable)
  std::optional<std::string> import_mode;  // --import-mode
  std::optional<std::string> reportchars;  // -r (last one wins): the short test summary's sections
  std::vector<std::string> warning_filters;  // -W / --pythonwarnings
  std::vector<std::string> plugins;          // -p (`no:NAME` disables one)
  bool disable_plugin_autoload = false;      // --disable-plugin-autoload
  // pytest's `verbose`: -v adds one, -q takes one, --verbosity=N sets it (in order).
  int verbosity = 0;
  std::optional<std::string> color;          // --color (last one wins): yes, no or auto
  bool continue_on_collection_errors = false;  // --continue-on-collection-errors
};

// Parses `args` into `out` (appending). Unknown options are skipped; an unknown option's value
// is consumed only when written `--opt=value`.
void parse_command_options(const std::vector<std::string>& args, CommandOptions& out);

}  // namespace fastest
