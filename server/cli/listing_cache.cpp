#include "server/cli/listing_cache.h"

#include <unistd.h>

#include <algorithm>
#include <set>
#include <unordered_set>

#include "server/core/cache_file.h"
#include "server/core/cbor_file.h"
#include "server/core/file_text.h"
#include "server/core/tree_fingerprint.h"
#include "server/execution/settled_cache.h"
#include "server/workspace/interpreter.h"
#include "server/workspace/module_finder.h"

extern char** environ;

namespace fastest::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Environment variables that name the terminal, the shell or the session, never what pytest
// collects: left out of the key so that a new terminal still hits.
bool volatile_variable(std::string_view name) {
  static const std::set<std::string_view> names{
      "_",           "OLDPWD",       "PWD",           "SHLVL",       "COLUMNS",          "LINES",
      "TERM",        "COLORTERM",    "TERM_PROGRAM",  "TERM_PROGRAM_VERSION", "TERM_SESSION_ID", "WINDOWID",
      "SSH_CLIENT",  "SSH_CONNECTION", "SSH_TTY",     "SSH_AUTH_SOCK", "TMUX",           "TMUX_PANE",
      "STY",         "DISPLAY",      "WAYLAND_DISPLAY", "XDG_SESSION_ID", "INSIDE_EMACS", "VSCODE_IPC_HOOK_CLI",
      "PS1",         "PROMPT_COMMAND"};
  return names.count(name) != 0;
}

std::vector<std::string> environment_lines() {
  std::vector<std::string> lines;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    if (!volatile_variable(entry.substr(0, entry.find('=')))) lines.emplace_back(entry);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

// The command line but for what does not change the listing.
std::vector<std::string> listing_arguments(const std::vector<std::string>& command_line) {
  std::vector<std::string> out;
  for (size_t i = 1; i < command_line.size(); ++i)
    if (command_line[i] != "--timings" && command_line[i] != "--cache-clear") out.push_back(command_line[i]);
  return out;
}

fs::path cache_dir(const fs::path& rootdir) { return rootdir / ".fastest_cache" / "listing"; }


// An argument's file or folder (a node id's `::` part dropped), absolute.
fs::path argument_path(const fs::path& invocation_dir, const std::string& arg) {
  fs::path p(arg.substr(0, arg.find("::")));
  return (p.is_absolute() ? p : invocation_dir / p).lexically_normal();
}

bool inside(const fs::path& path, const fs::path& folder) {
  const fs::path rel = path.lexically_relative(folder);
  return !rel.empty() && rel.begin()->string() != "..";
}


// An entry: a magic line, then three sections each after its length on a line of its own (the
// key's text, the fingerprint's lines, the listing but its ids as CBOR), then the ids, one a
// line (an id holds no newline: pytest's own listing prints one a line). No JSON or CBOR
// reader on the thousands of ids and paths: nlohmann's takes a string byte by byte, and those
// were most of a warm discover's time.
constexpr std::string_view kMagic = "fastest listing 1\n";

struct EntryParts {
  std::string_view key, fingerprint, head, ids;
};

void append_section(std::string& out, std::string_view section) {
  out += std::to_string(section.size());
  out += '\n';
  out += section;
}

bool take_section(std::string_view& bytes, std::string_view& section) {
  const size_t newline = bytes.find('\n');
  if (newline == std::string_view::npos || newline == 0 || newline > 12) return false;
  size_t length = 0;
  for (char c : bytes.substr(0, newline)) {
    if (c < '0' || c > '9') return false;
    length = length * 10 + size_t(c - '0');
  }
  bytes.remove_prefix(newline + 1);
  if (length > bytes.size()) return false;
  section = bytes.substr(0, length);
  bytes.remove_prefix(length);
  return true;
}

// The entry, written as it is made: 100,000 ids are not copied into one string first.
void write_entry(std::ostream& stream, const std::string& key, const std::string& fingerprint,
                 const std::vector<std::uint8_t>& head, const std::vector<std::string>& ids) {
  std::string out(kMagic);
  append_section(out, key);
  append_section(out, fingerprint);
  append_section(out, std::string_view(reinterpret_cast<const char*>(head.data()), head.size()));
  for (const std::string& id : ids) {
    out += id;
    out += '\n';
    if (out.size() > (1 << 16)) {
      stream << out;
      out.clear();
    }
  }
  stream << out;
}

std::optional<EntryParts> split_entry(std::string_view bytes) {
  EntryParts parts;
  if (!bytes.starts_with(kMagic)) return std::nullopt;
  bytes.remove_prefix(kMagic.size());
  if (!take_section(bytes, parts.key) || !take_section(bytes, parts.fingerprint) || !take_section(bytes, parts.head))
    return std::nullopt;
  if (!bytes.empty() && bytes.back() != '\n') return std::nullopt;
  parts.ids = bytes;
  return parts;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> out;
  out.reserve(std::count(text.begin(), text.end(), '\n'));  // 100,000 ids: no doubling's copies and slack
  for (size_t start = 0, end; start < text.size(); start = end + 1) {
    end = text.find('\n', start);
    out.emplace_back(text.substr(start, end - start));
  }
  return out;
}

}  // namespace

ListingCache::ListingCache(const ProjectConfig& config, const Invocation& invocation,
                           const std::vector<std::string>& command_line)
    : config_(config), invocation_(invocation) {
  std::vector<std::string> options{"listing", "cwd " + invocation.invocation_dir.string()};
  for (const std::string& a : listing_arguments(command_line)) options.push_back("arg " + a);
  const fs::path python = config.python.value_or(fs::path());
  key_ = environment_key(python, config.rootdir, config.inifile, options).text();
  for (const std::string& line : environment_lines()) key_ += "environ " + line + "\n";
  entry_ = cache_dir(config.rootdir) / (hex64(std::hash<std::string>{}(json(options).dump())) + ".cbor");
}

std::vector<fs::path> ListingCache::trees() const {
  std::vector<fs::path> out{config_.rootdir};
  for (const std::string& arg : invocation_.args)
    if (fs::path p = argument_path(invocation_.invocation_dir, arg); !inside(p, config_.rootdir) && p != config_.rootdir)
      out.push_back(p);
  return out;
}

// Where pytest looks for its config, conftests and packages above the rootdir and the
// arguments (a pytest.ini created in a parent folder moves the rootdir), and the folders of
// the import path (a module created there may be imported instead).
std::vector<fs::path> ListingCache::probed_paths() const {
  std::set<fs::path> folders;
  auto add_ancestors = [&](fs::path p) {
    for (; !p.empty(); p = p.parent_path()) {
      if (!folders.insert(p).second) break;
      if (p == p.root_path()) break;
    }
  };
  add_ancestors(invocation_.invocation_dir);
  add_ancestors(config_.rootdir);
  for (const std::string& arg : invocation_.args) add_ancestors(argument_path(invocation_.invocation_dir, arg).parent_path());
  std::vector<fs::path> out;
  for (const fs::path& folder : folders)
    for (const char* name : {"pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg", "setup.py",
                             "conftest.py", "__init__.py"})
      out.push_back(folder / name);
  if (config_.inifile) out.push_back(*config_.inifile);
  for (const fs::path& p : config_.pythonpath) out.push_back(p);
  if (config_.python)
    if (auto interpreter = find_interpreter(config_.rootdir, config_.python->string())) {
      ModuleSearchPath search = module_search_path(*interpreter, {}, {});
      out.insert(out.end(), search.tail.begin(), search.tail.end());
      for (const auto& [name, folder] : search.editable) out.push_back(folder);
      out.push_back(interpreter->executable);
    }
  return out;
}

std::optional<Listing> ListingCache::load() const {
  auto bytes = read_file_if_readable(entry_);
  if (!bytes) return std::nullopt;
  auto parts = split_entry(*bytes);
  if (!parts || parts->key != key_) return std::nullopt;
  auto files = TreeFingerprint::from_text(parts->fingerprint);
  if (!files || !files->unchanged()) return std::nullopt;
  auto head = parse_shallow_cbor(parts->head);
  if (!head) return std::nullopt;
  auto listing = listing_from_json(*head);
  if (listing) listing->selected = split_lines(parts->ids);
  return listing;
}

void ListingCache::store(const Listing& listing, const Collection& collection,
                         const std::vector<std::string>& pytest_imported, std::chrono::system_clock::time_point started,
                         std::string* why_not) const {
  std::string why;
  std::vector<fs::path> paths = probed_paths();
  for (fs::path& read : files_read()) paths.push_back(std::move(read));
  for (const std::string& imported : pytest_imported) paths.emplace_back(imported);
  auto fingerprint = TreeFingerprint::take(trees(), paths, started, &why);
  if (fingerprint) {
    // Every collected module must be one the fingerprint watches (not in a skipped folder).
    const std::vector<std::string> watched_list = fingerprint->paths();
    const std::unordered_set<std::string> watched(watched_list.begin(), watched_list.end());
    for (const TestItem& item : collection.items)
      if (item.kind == ItemKind::Module)
        if (std::string file = (config_.rootdir / std::string(item.path())).lexically_normal().string(); !watched.count(file)) {
          why = file + " is not under a folder the cache watches";
          fingerprint.reset();
          break;
        }
  }
  if (!fingerprint) {
    if (why_not) *why_not = why;
    return;
  }
  auto fingerprint_text = fingerprint->to_text();
  if (!fingerprint_text) {
    if (why_not) *why_not = "a path holds a newline";
    return;
  }
  for (const std::string& id : listing.selected)
    if (id.find('\n') != std::string::npos) {
      if (why_not) *why_not = "an id holds a newline";
      return;
    }
  const json head = to_json(listing);  // the ids are written as lines after it
  make_cache_folder(entry_.parent_path());
  const std::vector<std::uint8_t> head_cbor = json::to_cbor(head);
  write_file_atomically(entry_, [&](std::ostream& out) { write_entry(out, key_, *fingerprint_text, head_cbor, listing.selected); });
}

void ListingCache::clear(const fs::path& rootdir) {
  std::error_code ec;
  fs::remove_all(cache_dir(rootdir), ec);
}

}  // namespace fastest::cli
