#include "server/workspace/command_options.h"

#include <cstdlib>
#include <set>

namespace fastest {
namespace {

// Options (of pytest and common plugins) that take a separate value. pytest 9.2's own are all
// here (every store/append option of its parser, `nargs="?"` ones too: argparse takes the next
// word when it is not an option); a missing one made its value a path (semver's addopts
// `--doctest-report ndiff`: "file or directory not found: ndiff").
const std::set<std::string>& options_with_value() {
  static const std::set<std::string> names{
      "--assert", "--debug", "--doctest-report", "--junitprefix", "--last-failed-no-failures", "--lfnf",
      "--log-auto-indent", "--log-cli-date-format", "--log-cli-format", "--log-disable",
      "--log-file-date-format", "--log-file-format", "--log-file-mode", "--max-warnings", "--pastebin",
      "--pdbcls", "--report-chars", "--cov-context", "--cov-precision",
      "-m", "-k", "-p", "-c", "-o", "-W", "-n", "-r", "--ignore", "--ignore-glob", "--deselect",
      "--rootdir", "--config-file", "--doctest-glob", "--maxfail", "--tb", "--timeout", "--cov",
      "--cov-report", "--cov-config", "--cov-fail-under", "--junitxml", "--junit-xml", "--junit-prefix",
      "--basetemp", "--confcutdir", "--import-mode", "--durations", "--durations-min", "--dist",
      "--log-level", "--log-cli-level", "--log-file", "--log-file-level", "--log-format",
      "--log-date-format", "--capture", "--color", "--code-highlight", "--numprocesses",
      "--maxprocesses", "--max-worker-restart", "--reruns", "--reruns-delay", "--count",
      "-x-no-value-placeholder", "--override-ini", "--pythonwarnings", "--asyncio-mode",
      "--html", "--report-log", "--result-log", "--tx", "--rsyncdir", "--verbosity",
      "--show-capture", "--cache-show", "--lf-no-value", "--randomly-seed", "--pyargs-no-value"};
  return names;
}

}  // namespace

void parse_command_options(const std::vector<std::string>& args, CommandOptions& out) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.empty()) continue;
    if (arg == "--") {
      for (++i; i < args.size(); ++i) out.positional.push_back(args[i]);
      break;
    }
    if (arg[0] != '-' || arg == "-") {
      out.positional.push_back(arg);
      continue;
    }
    std::string name = arg, value;
    bool has_inline = false;
    if (arg.rfind("--", 0) == 0) {
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        name = arg.substr(0, eq);
        value = arg.substr(eq + 1);
        has_inline = true;
      }
    } else if (arg.size() > 2 && !options_with_value().count(arg.substr(0, 2))) {
      // A group of short flags (`-vv`, `-sv`, `-qx`): count -v and -q up to an option's value.
      for (size_t k = 1; k < arg.size(); ++k) {
        if (arg[k] == 'v') ++out.verbosity;
        else if (arg[k] == 'q') --out.verbosity;
        else if (options_with_value().count(std::string("-") + arg[k])) break;
      }
      continue;
    } else if (arg.size() > 2) {
      // Short options with an attached value: -mslow, -kfoo, -ra, -n4, -p no:cacheprovider.
      std::string short_name = arg.substr(0, 2);
      if (options_with_value().count(short_name)) {
        name = short_name;
        value = arg.substr(2);
        has_inline = true;
      }
    }
    if (!has_inline) {
      if (!options_with_value().count(name)) {
        if (name == "--doctest-modules") out.doctest_modules = true;
        else if (name == "-v" || name == "--verbose") ++out.verbosity;
        else if (name == "--disable-plugin-autoload") out.disable_plugin_autoload = true;
        else if (name == "--continue-on-collection-errors") out.continue_on_collection_errors = true;
        else if (name == "-q" || name == "--quiet") --out.verbosity;
        // pytest turns these into ini overrides (`-o strict_markers=true`); pytest < 9's
        // `--strict` meant strict markers, pytest 9's `strict` ini enables them too.
        else if (name == "--strict-markers") out.ini_overrides.emplace_back("strict_markers", "true");
        else if (name == "--strict-config") out.ini_overrides.emplace_back("strict_config", "true");
        else if (name == "--strict") out.ini_overrides.emplace_back("strict", "true");
        continue;  // a flag
      }
      if (i + 1 >= args.size()) continue;
      value = args[++i];
    }
    if (name == "-m") out.markexpr = value;
    else if (name == "-k") out.keywordexpr = value;
    else if (name == "--ignore") out.ignore.push_back(value);
    else if (name == "--ignore-glob") out.ignore_glob.push_back(value);
    else if (name == "--deselect") out.deselect.push_back(value);
    else if (name == "--rootdir") out.rootdir = value;
    else if (name == "--doctest-glob") out.doctest_globs.push_back(value);
    else if (name == "--import-mode") out.import_mode = value;
    else if (name == "-r") out.reportchars = value;
    else if (name == "-p") out.plugins.push_back(value);
    else if (name == "--verbosity") out.verbosity = std::atoi(value.c_str());
    else if (name == "--color") out.color = value;
    else if (name == "-W" || name == "--pythonwarnings") out.warning_filters.push_back(value);
    else if (name == "-c" || name == "--config-file") out.inifile = value;
    else if (name == "-o" || name == "--override-ini") {
      size_t eq = value.find('=');
      if (eq != std::string::npos) out.ini_overrides.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    }
  }
}

}  // namespace fastest
