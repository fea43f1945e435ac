// What `fastest discover` and `fastest run` share: pytest's options that decide which tests
// are collected and selected, registered once on each subcommand, turned into an Invocation.
#pragma once

#include <string>
#include <vector>

#include "server/workspace/project.h"

namespace CLI { class App; }

namespace fastest::cli {

struct SelectionArgs {
  std::vector<std::string> paths;
  std::string rootdir, inifile, keyword, markexpr, python, import_mode;
  std::vector<std::string> ignore, ignore_glob, deselect, doctest_glob;
  std::vector<std::string> override_ini;  // -o name=value, as pytest
  bool doctest_modules = false;
  bool strict_markers = false, strict_config = false, strict = false;

  // Options that change what pytest itself collects: a worker's pytest needs them too.
  std::vector<std::string> collect_options() const;
  // -k, -m and --deselect from the command line (addopts reach a worker's pytest by themselves).
  std::vector<std::string> select_options() const;
  // The collection request, from the current directory.
  Invocation invocation() const;
};

// `python_help` says what the interpreter is used for by this command.
void add_selection_options(CLI::App& cmd, SelectionArgs& args, const char* python_help);

}  // namespace fastest::cli
