#include "server/cli/selection_args.h"

#include <filesystem>

#include <CLI/CLI.hpp>

namespace fastest::cli {

std::vector<std::string> SelectionArgs::collect_options() const {
  std::vector<std::string> options;
  if (doctest_modules) options.push_back("--doctest-modules");
  for (const std::string& g : doctest_glob) options.push_back("--doctest-glob=" + g);
  if (!import_mode.empty()) options.push_back("--import-mode=" + import_mode);
  // Ini overrides decide collection too (python_files, strict markers, ...).
  for (const std::string& o : override_ini) options.insert(options.end(), {"-o", o});
  if (strict_markers) options.push_back("--strict-markers");
  if (strict_config) options.push_back("--strict-config");
  if (strict) options.push_back("--strict");
  return options;
}

std::vector<std::string> SelectionArgs::select_options() const {
  std::vector<std::string> options;
  if (!keyword.empty()) options.insert(options.end(), {"-k", keyword});
  if (!markexpr.empty()) options.insert(options.end(), {"-m", markexpr});
  for (const std::string& d : deselect) options.push_back("--deselect=" + d);
  return options;
}

Invocation SelectionArgs::invocation() const {
  Invocation inv;
  inv.invocation_dir = std::filesystem::current_path();
  inv.args = paths;
  if (!rootdir.empty()) inv.rootdir = rootdir;
  if (!inifile.empty()) inv.inifile = inifile;
  if (!python.empty()) inv.python = python;
  auto add = [&inv](const char* option, const std::string& value) {
    inv.extra_options.push_back(option);
    inv.extra_options.push_back(value);
  };
  if (!keyword.empty()) add("-k", keyword);
  if (!markexpr.empty()) add("-m", markexpr);
  for (const std::string& i : ignore) add("--ignore", i);
  for (const std::string& i : ignore_glob) add("--ignore-glob", i);
  for (const std::string& i : deselect) add("--deselect", i);
  for (std::string& option : collect_options()) inv.extra_options.push_back(std::move(option));
  return inv;
}

void add_selection_options(CLI::App& cmd, SelectionArgs& args, const char* python_help) {
  cmd.add_option("paths", args.paths, "Paths or node ids (as given to pytest)");
  cmd.add_option("--rootdir", args.rootdir, "pytest's --rootdir");
  cmd.add_option("-c,--config-file", args.inifile, "Use this config file (pytest's -c)");
  cmd.add_option("-k", args.keyword, "Select by keyword expression");
  cmd.add_option("-m", args.markexpr, "Select by mark expression");
  // One value per occurrence, as pytest: `--ignore a tests` ignores `a` and collects `tests`.
  cmd.add_option("--ignore", args.ignore, "Ignore a path (repeatable)")->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd.add_option("--ignore-glob", args.ignore_glob, "Ignore paths matching a glob (repeatable)")->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd.add_option("--deselect", args.deselect, "Deselect a node id prefix (repeatable)")->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd.add_flag("--doctest-modules", args.doctest_modules, "Collect doctests in all .py modules (as pytest)");
  cmd.add_option("--doctest-glob", args.doctest_glob, "Text files whose doctests are collected (as pytest; repeatable)")
      ->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd.add_option("--import-mode", args.import_mode, "pytest's --import-mode: decides doctest names");
  cmd.add_option("-o,--override-ini", args.override_ini, "Override an ini option, NAME=VALUE (as pytest; repeatable)")
      ->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd.add_flag("--strict-markers", args.strict_markers, "Unregistered marks are errors (as pytest)");
  cmd.add_flag("--strict-config", args.strict_config, "Unknown ini options are errors (as pytest)");
  cmd.add_flag("--strict", args.strict, "pytest's --strict (pytest 9: every strict option)");
  cmd.add_option("--python", args.python, python_help);
}

}  // namespace fastest::cli
