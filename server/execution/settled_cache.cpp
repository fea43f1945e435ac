#include "server/execution/settled_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

#include "server/core/cache_file.h"
#include "server/core/cbor_file.h"
#include "server/core/file_text.h"
#include "server/execution/engine.h"
#include "server/workspace/interpreter.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace fastest {
namespace {

constexpr int kFormat = 2;  // bump when an answer's shape or the entry's encoding changes


// What identifies a file we cannot hash cheaply (an executable): its real path, size, mtime.
std::string stat_line(const fs::path& file) {
  std::error_code ec;
  fs::path real = fs::canonical(file, ec);
  if (ec) return "absent";
  auto size = fs::file_size(real, ec);
  auto mtime = fs::last_write_time(real, ec).time_since_epoch().count();
  return real.string() + " " + std::to_string(size) + " " + std::to_string(mtime);
}

// A file by its stat alone (inode, size, mtime, ctime): one system call.
std::string stat_numbers(const fs::path& file) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) return "absent";
  return std::to_string(st.st_ino) + " " + std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + " " + std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec);
}

// Installed distributions by folder name (`pytest-9.0.1.dist-info`: a version change renames
// it) with their metadata file's mtime (a version edited in place), and the site-packages
// folder's own mtime (any install or removal changes it).
std::string distributions(const fs::path& site_packages) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(site_packages, ec)) {
    std::string name = entry.path().filename().string();
    if (name.ends_with(".dist-info") || name.ends_with(".egg-info")) {
      std::error_code stat_error;
      const fs::path metadata = entry.path() / (name.ends_with(".dist-info") ? "METADATA" : "PKG-INFO");
      auto mtime = fs::last_write_time(metadata, stat_error).time_since_epoch().count();
      names.push_back(name + "@" + (stat_error ? std::string("-") : std::to_string(mtime)));
    } else if (name.ends_with(".pth") || name.ends_with(".egg-link")) {
      names.push_back(std::move(name) + "@" + std::to_string(fs::last_write_time(entry.path(), ec).time_since_epoch().count()));
    }
  }
  std::sort(names.begin(), names.end());
  std::string out = stat_line(site_packages);
  for (const std::string& name : names) out += " " + name;
  return out;
}

// The worker's Python files: a changed worker may answer differently. By stat, not by text:
// every key of a warm `fastest discover` has them, and hashing them was a third of its check.
std::string worker_files() {
  std::vector<std::string> lines;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(worker_package_dir() / "fastest_worker", ec))
    if (entry.path().extension() == ".py") lines.push_back(entry.path().filename().string() + "=" + stat_numbers(entry.path()));
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& line : lines) out += line + " ";
  return out;
}

}  // namespace

std::string text_hash(std::string_view text) {
  // Two independent 64-bit hashes (FNV-1a and the standard library's) and the length.
  uint64_t fnv = 1469598103934665603ull;
  for (unsigned char c : text) fnv = (fnv ^ c) * 1099511628211ull;
  return std::to_string(text.size()) + ":" + hex64(fnv) + hex64(std::hash<std::string_view>{}(text));
}

std::optional<std::string> file_hash(const fs::path& file) {
  std::error_code ec;
  const fs::file_status status = fs::status(file, ec);
  if (!fs::exists(status)) return ec && ec != std::errc::no_such_file_or_directory ? std::nullopt : std::optional<std::string>("absent");
  if (fs::is_directory(status)) {
    // A folder the collection listed (a conftest globbing its data files): its names, but for
    // the caches tools write there.
    std::vector<std::string> names;
    for (fs::directory_iterator it(file, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name != "__pycache__" && name != ".pytest_cache" && name != ".fastest_cache") names.push_back(std::move(name));
    }
    if (ec) return std::nullopt;
    std::sort(names.begin(), names.end());
    std::string listing;
    for (const std::string& name : names) listing += name + '\n';
    return "folder " + text_hash(listing);
  }
  auto text = read_file_if_readable(file);
  if (!text) return std::nullopt;
  return text_hash(*text);
}

void SettledKey::add(const std::string& name, const std::string& value) {
  text_ += name;
  text_ += '=';
  text_ += value;
  text_ += '\n';
}

bool SettledKey::add_file(const std::string& name, const fs::path& file) {
  auto hash = file_hash(file);
  if (!hash) return false;
  add(name, *hash);
  return true;
}

void SettledKey::add_folder(const std::string& name, const fs::path& folder) {
  std::vector<std::string> lines;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(folder, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (it->is_directory(ec) && (file == "__pycache__" || file.starts_with("."))) {
      it.disable_recursion_pending();
      continue;
    }
    lines.push_back(it->path().lexically_relative(folder).generic_string() + " " + stat_line(it->path()));
  }
  std::sort(lines.begin(), lines.end());
  add(name, ec ? "unreadable " + ec.message() : std::to_string(lines.size()));
  for (const std::string& line : lines) add(name + " file", line);
}

SettledKey environment_key(const fs::path& python, const fs::path& rootdir, const std::optional<fs::path>& inifile,
                           const std::vector<std::string>& options, const std::map<std::string, std::string>& extra_env) {
  SettledKey key;
  key.add("format", std::to_string(kFormat));
  key.add("fastest", stat_line("/proc/self/exe"));
  key.add("worker", worker_files());
  key.add("python", python.string() + " -> " + stat_line(python));
  key.add_file("pyvenv.cfg", python.parent_path().parent_path() / "pyvenv.cfg");
  auto interpreter = find_interpreter(rootdir, python.string());
  if (interpreter)
    for (const fs::path& sp : interpreter->site_packages) key.add("site-packages", distributions(sp));
  for (const char* name : {"PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTHONPATH",
                           "PYTHONSAFEPATH", "PYTHONHASHSEED", "TOX_ENV_DIR"}) {
    const char* value = std::getenv(name);
    key.add(std::string("env ") + name, value ? std::string("set ") + value : "unset");
  }
  for (const auto& [name, value] : extra_env) key.add("env " + name, "set " + value);
  key.add("rootdir", rootdir.string());
  key.add("inifile", inifile ? inifile->string() : "none");
  if (inifile) key.add_file("inifile text", *inifile);
  for (const std::string& option : options) key.add("option", option);
  return key;
}

bool add_module_files(SettledKey& key, const fs::path& rootdir, const std::string& module_id) {
  fs::path folder = rootdir;
  bool ok = key.add_file("conftest", folder / "conftest.py");
  const fs::path module(module_id);
  for (const fs::path& part : module.parent_path()) {
    folder /= part;
    ok &= key.add_file("conftest " + folder.lexically_relative(rootdir).generic_string(), folder / "conftest.py");
  }
  ok &= key.add_file("module " + module_id, rootdir / module);
  return ok;
}

SettledCache::SettledCache(const fs::path& rootdir)
    : rootdir_(rootdir), dir_(rootdir / ".fastest_cache" / "settled") {}

fs::path SettledCache::entry_path(const std::string& slot) const {
  // CBOR, not JSON text: an entry is mostly thousands of ids, which nlohmann reads several
  // times faster length-prefixed than quoted (a warm `discover` of 3,900 ids spent 7% there).
  return dir_ / (hex64(std::hash<std::string>{}(slot)) + ".cbor");
}

std::optional<std::string> SettledCache::cached_hash(const std::string& file) {
  auto it = hashes_.find(file);
  if (it == hashes_.end()) it = hashes_.emplace(file, file_hash(rootdir_ / file)).first;
  return it->second;
}

// The imported files of one collection are shared by the entries it answered (one per module in
// the language server): stored once, in a record named by its content, and checked once per
// SettledCache object.
bool SettledCache::imports_unchanged(const std::string& record) {
  if (auto it = records_.find(record); it != records_.end()) return it->second;
  bool unchanged = false;
  if (record.find('/') == std::string::npos)
    if (auto text = read_file_if_readable(dir_ / record)) {
      json files = json::parse(*text, nullptr, /*allow_exceptions=*/false);
      unchanged = files.is_object();
      if (unchanged)
        for (const auto& [file, hash] : files.items()) {
          auto now = cached_hash(file);
          if (!now || !hash.is_string() || *now != hash.get<std::string>()) {
            unchanged = false;
            break;
          }
        }
    }
  records_[record] = unchanged;
  return unchanged;
}


std::optional<json> SettledCache::load(const std::string& slot, const SettledKey& key) {
  auto text = read_file_if_readable(entry_path(slot));
  if (!text) return std::nullopt;
  auto parsed = parse_shallow_cbor(*text);
  if (!parsed) return std::nullopt;
  json& entry = *parsed;
  if (!entry.is_object() || entry.value("format", 0) != kFormat) return std::nullopt;  // discarded: corrupt
  auto stored_slot = entry.find("slot");
  auto stored_key = entry.find("key");
  auto imports = entry.find("imports");
  auto answer = entry.find("answer");
  if (stored_slot == entry.end() || *stored_slot != slot || stored_key == entry.end() || *stored_key != key.text() ||
      imports == entry.end() || !imports->is_string() || answer == entry.end())
    return std::nullopt;
  if (!imports_unchanged(imports->get<std::string>())) return std::nullopt;
  return std::move(*answer);  // the entry is ours: its thousands of ids are not copied
}


void SettledCache::store(const std::string& slot, const SettledKey& key, const json& answer,
                         const std::vector<std::string>& imported, fs::file_time_type started) {
  json files = json::object();
  std::error_code ec;
  for (const std::string& path : imported) {
    fs::path rel = fs::path(path).lexically_normal().lexically_relative(rootdir_);
    if (rel.empty() || rel.begin()->string() == "..") continue;  // outside the rootdir
    if (fs::last_write_time(path, ec) > started || ec) return;   // changed while pytest collected
    auto hash = cached_hash(rel.generic_string());
    if (!hash) return;
    files[rel.generic_string()] = *hash;
  }
  make_cache_folder(dir_);
  const std::string files_text = files.dump();
  const std::string record = "imports-" + hex64(std::hash<std::string>{}(files_text)) + ".json";
  if (!fs::exists(dir_ / record, ec) && !write_file_atomically(dir_ / record, files_text)) return;
  records_[record] = true;
  json entry = {{"format", kFormat}, {"slot", slot}, {"key", key.text()}, {"imports", record}, {"answer", answer}};
  const std::vector<std::uint8_t> bytes = json::to_cbor(entry);
  write_file_atomically(entry_path(slot), std::string(bytes.begin(), bytes.end()));
}

void SettledCache::clear() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

}  // namespace fastest
