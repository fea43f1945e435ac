#include "server/workspace/config.h"

#include <fnmatch.h>

#include <fstream>
#include <set>
#include <sstream>
#include <ini.h>
#include <toml++/toml.h>

#include "server/core/file_text.h"
#include "server/workspace/ini_long_lines.h"
#include "server/workspace/toml_guard.h"

namespace fs = std::filesystem;

namespace fastest {
namespace {

// toml++'s parse of a file, after the guard its Debian version needs (toml_guard.h).
toml::table parse_toml_file(const fs::path& path) {
  const std::string text = read_file_text(path);
  if (auto line = non_ascii_outside_strings(text))
    throw toml::parse_error("a non-ASCII character outside a string or comment",
                            toml::source_position{static_cast<toml::source_index>(*line), 1},
                            std::make_shared<const std::string>(path.string()));
  return toml::parse(text, path.string());
}


std::string toml_scalar_to_string(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (auto b = node.value<bool>()) return *b ? "true" : "false";
  if (auto i = node.value<int64_t>()) return std::to_string(*i);
  if (auto d = node.value<double>()) {
    std::ostringstream os;
    os << *d;
    return os.str();
  }
  return "";
}

void read_toml_table(const toml::table& table, ConfigFile& out) {
  for (auto&& [key, node] : table) {
    IniValue value;
    if (auto* arr = node.as_array()) {
      std::vector<std::string> items;
      for (auto&& element : *arr) items.push_back(toml_scalar_to_string(element));
      value.list = std::move(items);
    } else if (!node.is_table()) {
      value.text = toml_scalar_to_string(node);
    }
    out.options[std::string(key.str())] = std::move(value);
  }
}

struct IniParseState {
  std::string wanted_section;
  bool found = false;
  ConfigFile* out = nullptr;
  std::string last_name;
  const std::vector<std::string>* long_values = nullptr;  // shorten_long_ini_lines' placeholders
};

int ini_handler(void* user, const char* section, const char* name, const char* value) {
  auto* state = static_cast<IniParseState*>(user);
  if (state->wanted_section != section) return 1;
  state->found = true;
  if (!name) return 1;  // section header seen (INI_CALL_HANDLER_ON_NEW_SECTION builds)
  std::string key(name);
  auto& entry = state->out->options[key];
  // inih calls the handler again for each continuation line of a multi-line value.
  std::string text = restore_long_ini_value(value, *state->long_values);
  if (entry.text && state->last_name == key) *entry.text += "\n" + text;
  else entry.text = std::move(text);
  state->last_name = key;
  return 1;
}

std::optional<ConfigFile> read_ini(const fs::path& path, const std::string& section, bool always,
                                   std::string* error) {
  std::string text = read_file_text(path);
  ConfigFile file;
  file.path = path;
  ShortenedIni shortened = shorten_long_ini_lines(text, section);
  IniParseState state{section, false, &file, {}, &shortened.long_values};
  // A section header alone (no keys) still counts for pytest.ini: look for it textually.
  if (text.find("[" + section + "]") != std::string::npos) state.found = true;
  int rc = ini_parse_string(shortened.text.c_str(), ini_handler, &state);
  if (rc > 0 && error && state.found) *error = path.string() + ":" + std::to_string(rc) + ": could not parse the ini file";
  if (!state.found && !always) return std::nullopt;
  return file;
}

}  // namespace

PytestVersion parse_version(const std::string& text) {
  PytestVersion v{0, 0, 0};
  int* parts[] = {&v.major, &v.minor, &v.patch};
  size_t i = 0, part = 0;
  while (part < 3 && i < text.size()) {
    int n = 0;
    bool any = false;
    // A part too long for an int (`minversion = 10000000000`) saturates: no pytest is that new.
    constexpr int kMax = 1'000'000'000;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n >= kMax / 10 ? kMax : n * 10 + (text[i] - '0');
      ++i;
      any = true;
    }
    if (!any) break;
    *parts[part++] = n;
    if (i < text.size() && text[i] == '.') ++i; else break;
  }
  return v;
}

std::optional<ConfigFile> read_config_file(const fs::path& path, const PytestVersion& version, std::string* error) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  std::string name = path.filename().string();
  if (name == "pytest.toml" || name == ".pytest.toml") {
    ConfigFile file;
    file.path = path;
    try {
      toml::table table = parse_toml_file(path);
      if (auto* t = table["pytest"].as_table()) read_toml_table(*t, file);
    } catch (const toml::parse_error& e) {
      if (error) *error = path.string() + ": " + std::string(e.description());
    }
    return file;
  }
  if (name == "pyproject.toml") {
    try {
      toml::table table = parse_toml_file(path);
      if (auto* t = table["tool"]["pytest"]["ini_options"].as_table()) {
        ConfigFile file;
        file.path = path;
        read_toml_table(*t, file);
        return file;
      }
      if (version.at_least(9)) {
        if (auto* t = table["tool"]["pytest"].as_table()) {
          ConfigFile file;
          file.path = path;
          read_toml_table(*t, file);
          return file;
        }
      }
    } catch (const toml::parse_error& e) {
      if (error) *error = path.string() + ": " + std::string(e.description());
    }
    return std::nullopt;
  }
  if (name == "pytest.ini" || name == ".pytest.ini") return read_ini(path, "pytest", true, error);
  if (name == "tox.ini") return read_ini(path, "pytest", false, error);
  if (name == "setup.cfg") return read_ini(path, "tool:pytest", false, error);
  return std::nullopt;
}

namespace {

std::vector<std::string> config_names(const PytestVersion& version) {
  std::vector<std::string> names;
  if (version.at_least(9)) names = {"pytest.toml", ".pytest.toml"};
  for (const char* n : {"pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"}) names.push_back(n);
  return names;
}

// locate_config: the first directory (from each arg upwards) holding a pytest config. From
// pytest 8.1 the first pyproject.toml met, pytest table or not, is the answer when none is.
std::optional<ConfigFile> locate_config(const std::vector<fs::path>& dirs, const PytestVersion& version,
                                        std::vector<std::string>& errors) {
  std::optional<fs::path> first_pyproject;
  for (const fs::path& start : dirs) {
    for (fs::path dir = start;; dir = dir.parent_path()) {
      for (const std::string& name : config_names(version)) {
        std::string error;
        auto file = read_config_file(dir / name, version, &error);
        if (!error.empty()) errors.push_back(error);
        if (file) return file;
        std::error_code ec;
        if (name == "pyproject.toml" && !first_pyproject && version.at_least(8, 1) &&
            fs::is_regular_file(dir / name, ec))
          first_pyproject = dir / name;
      }
      if (dir == dir.parent_path()) break;
    }
  }
  if (!first_pyproject) return std::nullopt;
  ConfigFile file;  // no options: only where the rootdir is
  file.path = *first_pyproject;
  return file;
}

fs::path common_ancestor(const std::vector<fs::path>& paths, const fs::path& invocation_dir) {
  std::optional<fs::path> common;
  for (const fs::path& p : paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) continue;
    fs::path dir = p;
    if (!common) { common = dir; continue; }
    fs::path a = *common, result;
    auto ai = a.begin(), bi = dir.begin();
    while (ai != a.end() && bi != dir.end() && *ai == *bi) { result /= *ai; ++ai; ++bi; }
    common = result;
  }
  if (!common) return invocation_dir;
  std::error_code ec;
  if (fs::is_regular_file(*common, ec)) return common->parent_path();
  return *common;
}

}  // namespace

RootdirResult determine_rootdir(const std::vector<fs::path>& args, const std::optional<fs::path>& inifile,
                                const std::optional<fs::path>& rootdir_option, const fs::path& invocation_dir,
                                const PytestVersion& version) {
  RootdirResult result;
  fs::path ancestor = common_ancestor(args, invocation_dir);
  if (inifile) {
    std::string error;
    auto file = read_config_file(*inifile, version, &error);
    if (!error.empty()) result.errors.push_back(error);
    if (!file) {
      // -c FILE is used even without a pytest section (then it just has no options).
      ConfigFile empty;
      empty.path = *inifile;
      file = empty;
    }
    result.config = file;
    result.rootdir = inifile->parent_path();
  } else {
    std::vector<fs::path> dirs{ancestor};
    result.config = locate_config(dirs, version, result.errors);
    if (result.config) {
      result.rootdir = result.config->path.parent_path();
    } else if (!rootdir_option) {
      // pytest's determine_setup: a setup.py upwards, else a config from each argument's own
      // folder, else the common ancestor of the invocation dir and the arguments.
      std::optional<fs::path> setup_dir;
      for (fs::path dir = ancestor;; dir = dir.parent_path()) {
        std::error_code ec;
        if (fs::is_regular_file(dir / "setup.py", ec)) { setup_dir = dir; break; }
        if (dir == dir.parent_path()) break;
      }
      if (setup_dir) {
        result.rootdir = *setup_dir;
      } else {
        std::vector<fs::path> arg_dirs;
        for (const fs::path& a : args) {
          std::error_code ec;
          if (fs::is_directory(a, ec)) arg_dirs.push_back(a);
          else if (fs::exists(a, ec)) arg_dirs.push_back(a.parent_path());
        }
        if (arg_dirs.empty()) arg_dirs.push_back(invocation_dir);
        if (arg_dirs != std::vector<fs::path>{ancestor}) result.config = locate_config(arg_dirs, version, result.errors);
        if (result.config) {
          result.rootdir = result.config->path.parent_path();
        } else {
          result.rootdir = common_ancestor({invocation_dir, ancestor}, invocation_dir);
          if (result.rootdir == result.rootdir.root_path()) result.rootdir = ancestor;
        }
      }
    }
  }
  if (rootdir_option) {
    std::error_code ec;
    fs::path r = fs::absolute(*rootdir_option, ec).lexically_normal();
    if (!fs::is_directory(r, ec)) result.errors.push_back("Directory '" + rootdir_option->string() + "' not found. Check your '--rootdir' option.");
    else result.rootdir = r;
  }
  if (result.rootdir.has_filename() == false && result.rootdir != result.rootdir.root_path())
    result.rootdir = result.rootdir.parent_path();
  return result;
}

std::vector<std::string> shlex_split(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  bool in_token = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote == '\'') {
      if (c == '\'') quote = 0; else current += c;
    } else if (quote == '"') {
      if (c == '"') quote = 0;
      else if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\' || text[i + 1] == '$' || text[i + 1] == '`')) current += text[++i];
      else current += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_token = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      current += text[++i];
      in_token = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_token) { out.push_back(current); current.clear(); in_token = false; }
    } else {
      current += c;
      in_token = true;
    }
  }
  if (in_token) out.push_back(current);
  return out;
}

std::vector<std::string> ini_args(const ConfigFile& file, const std::string& name) {
  auto it = file.options.find(name);
  if (it == file.options.end()) return {};
  if (it->second.list) return *it->second.list;
  return shlex_split(it->second.text.value_or(""));
}

std::vector<std::string> ini_linelist(const ConfigFile& file, const std::string& name) {
  auto it = file.options.find(name);
  if (it == file.options.end()) return {};
  std::vector<std::string> out;
  auto add = [&](std::string line) {
    size_t b = line.find_first_not_of(" \t\r"), e = line.find_last_not_of(" \t\r");
    if (b != std::string::npos) out.push_back(line.substr(b, e - b + 1));
  };
  if (it->second.list) {
    for (const std::string& s : *it->second.list) add(s);
    return out;
  }
  std::stringstream ss(it->second.text.value_or(""));
  std::string line;
  while (std::getline(ss, line)) add(line);
  return out;
}

std::optional<std::string> ini_string(const ConfigFile& file, const std::string& name) {
  auto it = file.options.find(name);
  if (it == file.options.end()) return std::nullopt;
  if (it->second.text) return it->second.text;
  if (it->second.list) {
    std::string joined;
    for (auto& s : *it->second.list) joined += (joined.empty() ? "" : " ") + s;
    return joined;
  }
  return std::nullopt;
}

bool ini_bool(const ConfigFile& file, const std::string& name, bool fallback) {
  auto value = ini_string(file, name);
  if (!value) return fallback;
  std::string v;
  for (char c : *value)
    if (!std::isspace(static_cast<unsigned char>(c))) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "1" || v == "true" || v == "yes" || v == "on" || v == "y" || v == "t") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off" || v == "n" || v == "f") return false;
  return fallback;
}

bool py_fnmatch(const std::string& name, const std::string& pattern) {
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

bool fnmatch_ex(const std::string& pattern, const fs::path& path) {
  if (pattern.find('/') == std::string::npos) return py_fnmatch(path.filename().string(), pattern);
  std::string p = pattern;
  if (!fs::path(p).is_absolute()) p = "*/" + p;
  return py_fnmatch(path.string(), p);
}

bool is_pytest_ini_option(const std::string& name) {
  // Parser._inidict and _ini_aliases of pytest 9.2 with its default plugins (no third-party ones).
  static const std::set<std::string> names{
      "addopts", "assertion_text_diff_style", "cache_dir", "collect_imported_tests",
      "consider_namespace_packages", "console_output_style",
      "disable_test_id_escaping_and_forfeit_all_rights_to_community_support", "doctest_encoding",
      "doctest_optionflags", "empty_parameter_set_mark", "enable_assertion_pass_hook",
      "faulthandler_exit_on_timeout", "faulthandler_timeout", "filterwarnings", "junit_duration_report",
      "junit_family", "junit_log_passing_tests", "junit_logging", "junit_suite_name", "log_auto_indent",
      "log_cli", "log_cli_date_format", "log_cli_format", "log_cli_level", "log_date_format", "log_file",
      "log_file_date_format", "log_file_format", "log_file_level", "log_file_mode", "log_format",
      "log_level", "markers", "max_warnings", "minversion", "norecursedirs",
      "parametrize_long_str_id_strategy", "python_classes", "python_files", "python_functions",
      "pythonpath", "required_plugins", "strict", "strict_config", "strict_markers",
      "strict_parametrization_ids", "strict_xfail", "testpaths", "tmp_path_retention_count",
      "tmp_path_retention_policy", "truncation_limit_chars", "truncation_limit_lines", "usefixtures",
      "verbosity_assertions", "verbosity_subtests", "verbosity_test_cases", "xfail_strict"};
  return names.count(name) > 0;
}

}  // namespace fastest
