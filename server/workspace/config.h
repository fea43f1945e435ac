// pytest's configuration: which config file applies (rootdir and inifile rules), and the
// ini options that change collection. toml++ reads TOML, inih reads ini/cfg.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "server/discovery/collect_rules.h"

namespace fastest {

// Raw ini options of the chosen config file: name -> value. TOML arrays are kept as lists;
// ini values as one string (multi-line values joined with '\n').
struct IniValue {
  std::optional<std::string> text;
  std::optional<std::vector<std::string>> list;
};

struct ConfigFile {
  std::filesystem::path path;               // absolute
  std::map<std::string, IniValue> options;  // only the pytest section
};

// Reads a candidate file; nullopt when it holds no pytest section (pytest.ini and
// pytest.toml always count, even empty). `error` is set when the file is malformed.
std::optional<ConfigFile> read_config_file(const std::filesystem::path& path, const PytestVersion& version,
                                           std::string* error);

struct RootdirResult {
  std::filesystem::path rootdir;
  std::optional<ConfigFile> config;
  std::vector<std::string> errors;  // usage errors (malformed config, --rootdir missing, ...)
};

// pytest's determine_setup: `args` are absolute paths (node-id suffixes stripped).
RootdirResult determine_rootdir(const std::vector<std::filesystem::path>& args,
                                const std::optional<std::filesystem::path>& inifile,
                                const std::optional<std::filesystem::path>& rootdir_option,
                                const std::filesystem::path& invocation_dir, const PytestVersion& version);

// getini for "args" (shlex-split string or list), "linelist" (non-empty stripped lines).
std::vector<std::string> ini_args(const ConfigFile& file, const std::string& name);
std::vector<std::string> ini_linelist(const ConfigFile& file, const std::string& name);
std::optional<std::string> ini_string(const ConfigFile& file, const std::string& name);
bool ini_bool(const ConfigFile& file, const std::string& name, bool fallback);

// POSIX shell-like split, as Python's shlex.split (quotes, backslashes, no comments).
std::vector<std::string> shlex_split(const std::string& text);

// Python's fnmatch.fnmatch (case-sensitive on POSIX) and pytest's fnmatch_ex (a pattern
// without '/' matches the basename; otherwise the whole path).
bool py_fnmatch(const std::string& name, const std::string& pattern);
bool fnmatch_ex(const std::string& pattern, const std::filesystem::path& path);

// Whether pytest itself (9.2, its default plugins) defines this ini option; plugins add more.
bool is_pytest_ini_option(const std::string& name);

// "8.3.5" -> {8,3,5}; garbage parts are 0.
PytestVersion parse_version(const std::string& text);

}  // namespace fastest
