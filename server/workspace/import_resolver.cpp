#include "server/workspace/import_resolver.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "server/core/file_text.h"

namespace fs = std::filesystem;

namespace fastest {
namespace {

// sys.builtin_module_names of CPython 3.8-3.14: the default Unix build (Modules/Setup.bootstrap.in,
// Modules/config.c.in) and distribution builds that compile more extensions in (Debian/Ubuntu's
// python3, conda). A union: an extra name can only keep a module static.
constexpr const char* kBuiltinModules[] = {
    "_abc", "_ast", "_asyncio", "_bisect", "_blake2", "_bz2", "_codecs", "_codecs_cn", "_codecs_hk",
    "_codecs_iso2022", "_codecs_jp", "_codecs_kr", "_codecs_tw", "_collections", "_contextvars", "_crypt",
    "_csv", "_ctypes", "_datetime", "_decimal", "_elementtree", "_functools", "_hashlib", "_heapq", "_imp",
    "_interpchannels", "_interpqueues", "_interpreters", "_io", "_json", "_locale", "_lsprof", "_lzma", "_md5",
    "_multibytecodec", "_opcode", "_operator", "_pickle", "_posixshmem", "_posixsubprocess", "_queue",
    "_random", "_sha1", "_sha2", "_sha256", "_sha3", "_sha512", "_signal", "_socket", "_sqlite3", "_sre",
    "_ssl", "_stat", "_statistics", "_string", "_struct", "_suggestions", "_symtable", "_sysconfig",
    "_thread", "_tokenize", "_tracemalloc", "_typing", "_uuid", "_warnings", "_weakref", "_zoneinfo",
    "array", "atexit", "audioop", "binascii", "builtins", "cmath", "errno", "faulthandler", "fcntl", "gc",
    "grp", "itertools", "marshal", "math", "mmap", "posix", "pwd", "pyexpat", "readline", "resource",
    "select", "spwd", "sys", "syslog", "termios", "time", "unicodedata", "xxsubtype", "zlib"};

bool is_identifier(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          static_cast<unsigned char>(c) >= 0x80))
      return false;
  return true;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// What a sys.path folder offers at top level: packages (regular or namespace: any folder with an
// identifier name), `.py`/`.pyc` modules and extension modules (`name.cpython-311-x86_64-linux-gnu.so`).
void add_folder_names(const fs::path& dir, std::unordered_set<std::string>& out) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (it->is_directory(ec)) {
      if (is_identifier(name)) out.insert(name);
      continue;
    }
    std::string stem = name.substr(0, name.find('.'));
    if (ends_with(name, ".py") || ends_with(name, ".pyc") || ends_with(name, ".so") || ends_with(name, ".pyd"))
      if (is_identifier(stem)) out.insert(stem);
  }
}

// The quoted keys of the dict literal assigned to `variable` in a setuptools editable finder
// (`MAPPING: dict[str, str] = {'pkg': '/src/pkg'}`); read as text, never run. A dotted key
// (NAMESPACES' `ns.sub`) offers its first component.
void add_dict_keys(const std::string& text, const std::string& variable, std::unordered_set<std::string>& out) {
  size_t at = text.find("\n" + variable);
  if (at == std::string::npos) return;
  size_t open = text.find('{', at), close = text.find('}', at);
  if (open == std::string::npos || close == std::string::npos || close < open) return;
  std::string body = text.substr(open + 1, close - open - 1);
  // Keys are the strings followed by ':'; values (paths) are followed by ',' or the end.
  for (size_t i = 0; i < body.size(); ++i) {
    char q = body[i];
    if (q != '\'' && q != '"') continue;
    size_t end = body.find(q, i + 1);
    if (end == std::string::npos) break;
    size_t after = body.find_first_not_of(" \t\r\n", end + 1);
    if (after != std::string::npos && body[after] == ':') {
      std::string key = body.substr(i + 1, end - i - 1);
      out.insert(key.substr(0, key.find('.')));
    }
    i = end;
  }
}

void add_site_packages(const fs::path& site, std::unordered_set<std::string>& out) {
  add_folder_names(site, out);
  std::error_code ec;
  for (fs::directory_iterator it(site, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.rfind("__editable___", 0) == 0 && ends_with(name, "_finder.py")) {
      std::string text = read_file_text(it->path());
      add_dict_keys(text, "MAPPING", out);
      add_dict_keys(text, "NAMESPACES", out);
      continue;
    }
    if (!ends_with(name, ".pth")) continue;
    std::ifstream in(it->path());
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      if (line.rfind("import ", 0) == 0 || line.rfind("import\t", 0) == 0) {
        // Executed lines may add anything; the one common one that adds a module is setuptools'
        // distutils shim. Editable finders are read above.
        if (line.find("_distutils_hack") != std::string::npos) out.insert("distutils");
        continue;
      }
      fs::path entry(line);
      add_folder_names(entry.is_absolute() ? entry : site / entry, out);
    }
  }
}

// "3.11" from a site-packages path `.../lib/python3.11/site-packages`.
std::string python_version_of(const std::vector<fs::path>& site_packages) {
  for (const fs::path& sp : site_packages) {
    std::string lib = sp.parent_path().filename().string();
    if (lib.rfind("python3.", 0) == 0) return lib.substr(6);
  }
  return "";
}

std::shared_ptr<const ImportableNames> interpreter_names(const Interpreter& interpreter) {
  std::optional<fs::path> stdlib = stdlib_folder(interpreter);
  if (!stdlib) return nullptr;
  auto names = std::make_shared<ImportableNames>();
  for (const char* b : kBuiltinModules) names->names.insert(b);
  add_folder_names(*stdlib, names->names);
  add_folder_names(*stdlib / "lib-dynload", names->names);
  for (const fs::path& sp : interpreter.site_packages) add_site_packages(sp, names->names);
  return names;
}

}  // namespace

std::optional<fs::path> stdlib_folder(const Interpreter& interpreter) {
  std::string version = python_version_of(interpreter.site_packages);
  if (version.empty()) return std::nullopt;
  std::error_code ec;
  // The base installation: the real executable's prefix, or a venv's `home` (pyvenv.cfg).
  std::vector<fs::path> prefixes;
  fs::path real = fs::canonical(interpreter.executable, ec);
  if (!ec) prefixes.push_back(real.parent_path().parent_path());
  fs::path venv = fs::absolute(interpreter.executable, ec).parent_path().parent_path();
  std::ifstream cfg(venv / "pyvenv.cfg");
  for (std::string line; std::getline(cfg, line);) {
    if (line.rfind("home", 0) != 0) continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(line.find_first_not_of(" \t", eq + 1));
    while (!value.empty() && (value.back() == ' ' || value.back() == '\r')) value.pop_back();
    prefixes.push_back(fs::path(value).parent_path());
  }
  for (const fs::path& prefix : prefixes) {
    fs::path stdlib = prefix / "lib" / ("python" + version);
    if (!fs::is_regular_file(stdlib / "os.py", ec)) continue;
    // A zipped stdlib on sys.path (python311.zip) cannot be listed here: give up rather than guess.
    std::string nodot = version;
    nodot.erase(nodot.find('.'), 1);
    if (fs::exists(prefix / "lib" / ("python" + nodot + ".zip"), ec)) return std::nullopt;
    return stdlib;
  }
  return std::nullopt;
}

std::vector<fs::path> pytest_basedirs(const std::vector<fs::path>& files, const fs::path& rootdir) {
  std::set<fs::path> folders;
  for (const fs::path& f : files)
    for (fs::path d = f.parent_path(); !d.empty(); d = d.parent_path()) {
      if (!folders.insert(d).second) break;  // its ancestors are in already
      fs::path rel = d.lexically_relative(rootdir);
      if (d == rootdir || d == d.parent_path() || rel.empty() || *rel.begin() == "..") break;
    }
  std::set<fs::path> out;
  std::map<fs::path, bool> has_init;
  std::error_code ec;
  auto is_package = [&](const fs::path& d) {
    auto [it, fresh] = has_init.emplace(d, false);
    if (fresh) it->second = fs::is_regular_file(d / "__init__.py", ec);
    return it->second;
  };
  for (fs::path d : folders) {
    while (is_package(d) && d != d.parent_path()) d = d.parent_path();
    out.insert(d);
  }
  return {out.begin(), out.end()};
}

std::shared_ptr<const ImportableNames> importable_names(const Interpreter& interpreter,
                                                        const std::vector<fs::path>& extra_dirs) {
  static std::mutex mutex;
  static std::map<fs::path, std::shared_ptr<const ImportableNames>> cache;
  std::shared_ptr<const ImportableNames> base;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(interpreter.executable);
    if (it == cache.end()) it = cache.emplace(interpreter.executable, interpreter_names(interpreter)).first;
    base = it->second;
  }
  if (!base) return nullptr;
  auto names = std::make_shared<ImportableNames>(*base);
  for (const fs::path& d : extra_dirs) add_folder_names(d, names->names);
  if (const char* env = std::getenv("PYTHONPATH")) {
    std::stringstream ss(env);
    for (std::string dir; std::getline(ss, dir, ':');)
      if (!dir.empty()) add_folder_names(dir, names->names);
  }
  return names;
}

}  // namespace fastest
