#include "server/execution/pytest_cache.h"

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

namespace fastest {
namespace fs = std::filesystem;

namespace {

// pytest's supporting files, byte for byte (cacheprovider.CACHEDIR_FILES).
const std::pair<const char*, const char*> kSupportingFiles[] = {
    {"README.md",
     "# pytest cache directory #\n\n"
     "This directory contains data from the pytest's cache plugin,\n"
     "which provides the `--lf` and `--ff` options, as well as the `cache` fixture.\n\n"
     "**Do not** commit this to version control.\n\n"
     "See [the docs](https://docs.pytest.org/en/stable/how-to/cache.html) for more information.\n"},
    {".gitignore", "# Created by pytest automatically.\n*\n"},
    {"CACHEDIR.TAG",
     "Signature: 8a477f597d28d172789f06886806bc55\n"
     "# This file is a cache directory tag created by pytest.\n"
     "# For information about cache directory tags, see:\n"
     "#\thttps://bford.info/cachedir/spec.html\n"},
};

bool write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

// Python's len() of a UTF-8 string: code points.
size_t code_points(const std::string& s) {
  return std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string python_str_repr(const std::string& text) {
  char quote = text.find('\'') != std::string::npos && text.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : text) {
    if (c == '\\' || c == static_cast<unsigned char>(quote)) out += '\\', out += static_cast<char>(c);
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else out += static_cast<char>(c);
  }
  return out + quote;
}

std::string python_repr(const CacheValue& v) {
  if (v.is_null()) return "None";
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_string()) return python_str_repr(v.get<std::string>());
  if (v.is_number_float()) {
    std::string s = v.dump();
    if (s.find_first_of(".eE") == std::string::npos) s += ".0";
    return s;
  }
  if (v.is_number()) return v.dump();
  std::vector<std::pair<std::string, const CacheValue*>> items;
  std::string out;
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) items.emplace_back(it.key(), &it.value());
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [key, value] : items) out += (out.empty() ? "" : ", ") + python_str_repr(key) + ": " + python_repr(*value);
    return "{" + out + "}";
  }
  for (const CacheValue& e : v) out += (out.empty() ? "" : ", ") + python_repr(e);
  return "[" + out + "]";
}

// pprint.PrettyPrinter._format with width 80: a value whose repr does not fit is split one
// item per line. (Long strings are not cut into chunks: node ids have no spaces to cut at.)
void pformat_into(const CacheValue& v, std::string& out, size_t indent, size_t allowance) {
  const int width = 80;
  std::string rep = python_repr(v);
  long max_width = width - static_cast<long>(indent) - static_cast<long>(allowance);
  bool container = (v.is_object() || v.is_array()) && !v.empty();
  if (!container || static_cast<long>(code_points(rep)) <= max_width) {
    out += rep;
    return;
  }
  const size_t inner = indent + 1;
  const std::string delimiter = ",\n" + std::string(inner, ' ');
  if (v.is_object()) {
    std::vector<std::pair<std::string, const CacheValue*>> items;
    for (auto it = v.begin(); it != v.end(); ++it) items.emplace_back(it.key(), &it.value());
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    out += '{';
    for (size_t i = 0; i < items.size(); ++i) {
      bool last = i + 1 == items.size();
      std::string key = python_str_repr(items[i].first);
      out += key + ": ";
      pformat_into(*items[i].second, out, inner + code_points(key) + 2, last ? allowance + 1 : 1);
      if (!last) out += delimiter;
    }
    out += '}';
    return;
  }
  out += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    bool last = i + 1 == v.size();
    if (i) out += delimiter;
    pformat_into(v[i], out, inner, last ? allowance + 1 : 1);
  }
  out += ']';
}

// TerminalWriter.sep('-', title) at pytest's 80 columns (cli::banner's rule; execution does not
// depend on the CLI layer).
std::string sep_line(const std::string& title) {
  const size_t width = 80, title_width = code_points(title);
  size_t n = width > title_width + 2 ? std::max<size_t>((width - title_width - 2) / 2, 1) : 1;
  std::string line = std::string(n, '-') + " " + title + " " + std::string(n, '-');
  if (2 * n + title_width + 2 + 1 <= width) line += '-';
  return line;
}

std::vector<fs::path> matching_files(const fs::path& base, const std::string& glob) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(base, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(base, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    // Path.rglob(glob): the glob matches the file's name (or a tail of its path with a '/').
    std::string rel = it->path().lexically_relative(base).generic_string();
    std::string name = it->path().filename().string();
    bool match = glob.find('/') == std::string::npos ? fnmatch(glob.c_str(), name.c_str(), 0) == 0
                                                     : fnmatch(("*" + glob).c_str(), rel.c_str(), 0) == 0 ||
                                                           fnmatch(glob.c_str(), rel.c_str(), 0) == 0;
    if (match) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string python_pformat(const CacheValue& value) {
  std::string out;
  pformat_into(value, out, 0, 0);
  return out;
}

fs::path PytestCache::default_dir(const fs::path& rootdir) {
  if (const char* tox = std::getenv("TOX_ENV_DIR"); tox && *tox) return fs::path(tox) / ".pytest_cache";
  return rootdir / ".pytest_cache";
}

namespace {
// Python's os.path.expanduser for a leading `~` (the current user only) and os.path.expandvars
// (`$NAME`, `${NAME}`; unknown names and a lone `$` stay as written).
std::string expand_user_and_vars(std::string text) {
  if (!text.empty() && text[0] == '~' && (text.size() == 1 || text[1] == '/'))
    if (const char* home = std::getenv("HOME"); home && *home) text = std::string(home) + text.substr(1);
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text[i] != '$') {
      out += text[i++];
      continue;
    }
    const bool braced = i + 1 < text.size() && text[i + 1] == '{';
    size_t start = i + (braced ? 2 : 1), end = start;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) ++end;
    const bool closed = !braced || (end < text.size() && text[end] == '}');
    const char* value = end > start && closed ? std::getenv(text.substr(start, end - start).c_str()) : nullptr;
    const size_t consumed = end + (braced && closed ? 1 : 0) - i;
    out += value ? std::string(value) : text.substr(i, consumed == 0 ? 1 : consumed);
    i += consumed == 0 ? 1 : consumed;
  }
  return out;
}
}  // namespace

fs::path PytestCache::dir_for(const fs::path& rootdir, const std::optional<std::string>& cache_dir_option) {
  if (!cache_dir_option) return default_dir(rootdir);
  return rootdir / fs::path(expand_user_and_vars(*cache_dir_option));  // an absolute path replaces rootdir
}

std::optional<CacheValue> PytestCache::get(const std::string& key) const {
  std::ifstream in(dir_ / "v" / key, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  CacheValue value = CacheValue::parse(text.str(), nullptr, false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

bool PytestCache::ensure_dir(std::string* error) const {
  std::error_code ec;
  if (fs::is_directory(dir_, ec)) return true;
  // As pytest: the supporting files go into a temp folder renamed into place, so a concurrent
  // pytest (or fastest) never sees a half-made cache folder.
  fs::create_directories(dir_.parent_path(), ec);
  std::string pattern = (dir_.parent_path() / "pytest-cache-files-XXXXXX").string();
  if (!mkdtemp(pattern.data())) {
    if (error) *error = "could not create cache path " + dir_.string();
    return false;
  }
  fs::path temp(pattern);
  fs::permissions(temp, fs::perms::all & ~fs::perms::group_write & ~fs::perms::others_write, ec);
  for (auto& [name, text] : kSupportingFiles) write_file(temp / name, text);
  fs::rename(temp, dir_, ec);  // losing the race to another process is fine
  fs::remove_all(temp, ec);
  return fs::is_directory(dir_, ec);
}

bool PytestCache::set(const std::string& key, const CacheValue& value, std::string* error) const {
  fs::path path = dir_ / "v" / key;
  std::error_code ec;
  if (!ensure_dir(error)) return false;
  fs::create_directories(path.parent_path(), ec);
  // json.dumps(value, ensure_ascii=False, indent=2): nlohmann writes the same text.
  if (ec || !write_file(path, value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace))) {
    if (error) *error = "cache could not write path " + path.string();
    return false;
  }
  return true;
}

void PytestCache::clear() const {
  std::error_code ec;
  fs::remove_all(dir_ / "d", ec);
  fs::remove_all(dir_ / "v", ec);
}

std::string PytestCache::show(const std::string& glob) const {
  std::string out = "cachedir: " + dir_.string() + "\n";
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return out + "cache is empty\n";
  const fs::path values = dir_ / "v";
  out += sep_line("cache values for " + python_str_repr(glob)) + "\n";
  for (const fs::path& file : matching_files(values, glob)) {
    std::string key = file.lexically_relative(values).string();
    std::optional<CacheValue> value = get(key);
    if (!value) {
      out += key + " contains unreadable content, will be ignored\n";
      continue;
    }
    out += key + " contains:\n";
    std::istringstream lines(python_pformat(*value));
    for (std::string line; std::getline(lines, line);) out += "  " + line + "\n";
  }
  const fs::path dirs = dir_ / "d";
  if (fs::is_directory(dirs, ec)) {
    out += sep_line("cache directories for " + python_str_repr(glob)) + "\n";
    for (const fs::path& file : matching_files(dirs, glob))
      out += file.lexically_relative(dir_).string() + " is a file of length " + std::to_string(fs::file_size(file, ec)) + "\n";
  }
  return out;
}

}  // namespace fastest
