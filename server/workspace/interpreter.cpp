#include "server/workspace/interpreter.h"

#include <cstdlib>
#include <unistd.h>
#include <fstream>
#include <sstream>

#include "server/workspace/config.h"

namespace fs = std::filesystem;

namespace fastest {
namespace {

bool is_executable_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
}

std::optional<fs::path> on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (!path) return std::nullopt;
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    fs::path candidate = fs::path(dir) / name;
    if (is_executable_file(candidate)) return candidate;
  }
  return std::nullopt;
}

std::string read_first_line(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

// site-packages folders under a prefix: lib/pythonX.Y/site-packages (and dist-packages).
void add_prefix_site_packages(const fs::path& prefix, std::vector<fs::path>& out) {
  std::error_code ec;
  for (const char* lib : {"lib", "lib64"}) {
    fs::path libdir = prefix / lib;
    if (!fs::is_directory(libdir, ec)) continue;
    for (auto& entry : fs::directory_iterator(libdir, ec)) {
      std::string name = entry.path().filename().string();
      if (name.rfind("python3", 0) != 0) continue;
      for (const char* sp : {"site-packages", "dist-packages"})
        if (fs::is_directory(entry.path() / sp, ec)) out.push_back(entry.path() / sp);
    }
  }
}

std::vector<fs::path> site_packages_for(const fs::path& executable) {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::path bin = fs::absolute(executable, ec).parent_path();
  fs::path prefix = bin.parent_path();
  fs::path cfg = prefix / "pyvenv.cfg";
  if (fs::is_regular_file(cfg, ec)) {
    add_prefix_site_packages(prefix, out);
    std::ifstream in(cfg);
    std::string line, home;
    bool system_site = false;
    while (std::getline(in, line)) {
      auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      std::string key = line.substr(0, eq), value = line.substr(eq + 1);
      auto trim = [](std::string s) {
        size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t\r");
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
      };
      key = trim(key);
      value = trim(value);
      if (key == "home") home = value;
      if (key == "include-system-site-packages") system_site = value == "true";
    }
    if (system_site && !home.empty()) add_prefix_site_packages(fs::path(home).parent_path(), out);
    return out;
  }
  // A pyenv shim find_interpreter could not resolve (a "system" version): nothing to read.
  if (executable.string().find("/shims/") != std::string::npos) return out;
  fs::path real = fs::canonical(executable, ec);
  if (!ec) add_prefix_site_packages(real.parent_path().parent_path(), out);
  if (real.string().rfind("/usr/bin/", 0) == 0) {
    out.push_back("/usr/lib/python3/dist-packages");
    add_prefix_site_packages("/usr/local", out);
  }
  if (const char* home = std::getenv("HOME")) add_prefix_site_packages(fs::path(home) / ".local", out);
  return out;
}

// The interpreter a pyenv shim runs when started in `dir`, by pyenv's own order: $PYENV_VERSION,
// else the nearest `.python-version` from `dir` up, else `$PYENV_ROOT/version`; the first of its
// `:`-separated versions installed under `$PYENV_ROOT/versions`. Nullopt for anything else
// ("system", a version not installed): the shim itself is used then.
std::optional<fs::path> pyenv_shim_target(const fs::path& shim, const fs::path& dir) {
  if (shim.parent_path().filename() != "shims") return std::nullopt;
  const char* root_env = std::getenv("PYENV_ROOT");
  const fs::path pyenv_root = root_env && *root_env ? fs::path(root_env) : shim.parent_path().parent_path();
  std::string versions;
  if (const char* v = std::getenv("PYENV_VERSION"); v && *v) versions = v;
  std::error_code ec;
  for (fs::path d = fs::absolute(dir, ec); versions.empty() && !d.empty(); d = d.parent_path()) {
    if (fs::is_regular_file(d / ".python-version", ec)) versions = read_first_line(d / ".python-version");
    if (d == d.parent_path()) break;
  }
  if (versions.empty()) versions = read_first_line(pyenv_root / "version");
  std::stringstream parts(versions);
  for (std::string version; std::getline(parts, version, ':');) {
    while (!version.empty() && (version.back() == ' ' || version.back() == '\r')) version.pop_back();
    if (version.empty() || version == "system") return std::nullopt;
    const fs::path target = pyenv_root / "versions" / version / "bin" / shim.filename();
    if (is_executable_file(target)) return target;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Interpreter> find_interpreter(const fs::path& root, const std::optional<std::string>& explicit_python) {
  Interpreter found;
  if (explicit_python) {
    fs::path p(*explicit_python);
    if (p.is_relative() && p.has_parent_path()) p = fs::absolute(p).lexically_normal();
    if (!p.has_parent_path()) {
      auto resolved = on_path(*explicit_python);
      if (!resolved) return std::nullopt;
      p = *resolved;
    }
    if (!is_executable_file(p)) return std::nullopt;
    found.executable = p;
    found.how = "--python";
  } else if (const char* venv = std::getenv("VIRTUAL_ENV"); venv && is_executable_file(fs::path(venv) / "bin" / "python")) {
    found.executable = fs::path(venv) / "bin" / "python";
    found.how = "$VIRTUAL_ENV";
  } else if (is_executable_file(root / ".venv" / "bin" / "python")) {
    found.executable = root / ".venv" / "bin" / "python";
    found.how = ".venv";
  } else if (is_executable_file(root / "venv" / "bin" / "python")) {
    found.executable = root / "venv" / "bin" / "python";
    found.how = "venv";
  } else if (auto p = on_path("python3")) {
    found.executable = *p;
    found.how = "PATH";
  } else {
    return std::nullopt;
  }
  // A pyenv shim is a script: the interpreter it would run is read (its stdlib and
  // site-packages are found from the real executable's prefix).
  if (auto target = pyenv_shim_target(found.executable, root)) found.executable = *target;
  found.site_packages = site_packages_for(found.executable);
  return found;
}

bool has_pytest_plugins(const Interpreter& interpreter) {
  std::error_code ec;
  for (const fs::path& sp : interpreter.site_packages) {
    for (auto& entry : fs::directory_iterator(sp, ec)) {
      const std::string name = entry.path().filename().string();
      if (!name.ends_with(".dist-info") && !name.ends_with(".egg-info")) continue;
      std::ifstream in(entry.path() / "entry_points.txt");
      for (std::string line; std::getline(in, line);)
        if (line.rfind("[pytest11]", 0) == 0) return true;
    }
  }
  return false;
}

std::optional<PytestVersion> installed_pytest_version(const Interpreter& interpreter) {
  std::error_code ec;
  for (const fs::path& sp : interpreter.site_packages) {
    for (auto& entry : fs::directory_iterator(sp, ec)) {
      std::string name = entry.path().filename().string();
      const std::string prefix = "pytest-", suffix = ".dist-info";
      if (name.size() > prefix.size() + suffix.size() && name.rfind(prefix, 0) == 0 &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        PytestVersion v = parse_version(name.substr(prefix.size(), name.size() - prefix.size() - suffix.size()));
        if (v.major > 0) return v;
      }
    }
  }
  return std::nullopt;
}

}  // namespace fastest
