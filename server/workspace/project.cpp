// collect(): an Invocation -> pytest's configuration -> the files pytest would visit, in its
// order -> per-module discovery (in parallel) -> the selected ids.
#include "server/workspace/project.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <asio/post.hpp>
#include <asio/thread_pool.hpp>

#include "server/core/node_id.h"
#include "server/discovery/conftest_analysis.h"
#include "server/discovery/doctest_discovery.h"
#include "server/discovery/file_items.h"
#include "server/discovery/line_breaks.h"
#include "server/discovery/module_discovery.h"
#include "server/discovery/recovery.h"
#include "server/discovery/syntax_tree.h"
#include "server/workspace/command_options.h"
#include "server/workspace/config.h"
#include "server/workspace/file_walker.h"
#include "server/workspace/import_name.h"
#include "server/workspace/import_resolver.h"
#include "server/workspace/local_imports.h"
#include "server/workspace/interpreter.h"
#include "server/workspace/python_facts.h"
#include "server/workspace/mapped_file.h"
#include "server/workspace/module_finder.h"
#include "server/workspace/plugin_hooks.h"
#include "server/workspace/selection.h"

namespace fs = std::filesystem;

namespace fastest {
namespace {

std::string relative_id(const fs::path& path, const fs::path& rootdir) {
  fs::path rel = path.lexically_relative(rootdir);
  std::string s = rel.generic_string();
  if (s == ".") return "";
  return s;
}

struct ArgSpec {
  std::string original;
  fs::path path;                  // absolute, normalised
  std::string node_suffix;        // "::Class::test" (without the path), empty if none
};

std::vector<std::string> expand_testpaths(const std::vector<std::string>& testpaths, const fs::path& rootdir) {
  std::vector<std::string> out;
  for (const std::string& tp : testpaths) {
    fs::path pattern = fs::path(tp).is_absolute() ? fs::path(tp) : rootdir / tp;
    glob_t g{};
    if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      std::vector<std::string> matches;
      for (size_t i = 0; i < g.gl_pathc; ++i) matches.emplace_back(g.gl_pathv[i]);
      std::sort(matches.begin(), matches.end());
      out.insert(out.end(), matches.begin(), matches.end());
    }
    globfree(&g);
  }
  return out;
}

// Reads one file (overlay text or mmap) and runs the discovery its collectors need.
struct ModuleJob {
  fs::path path;
  std::string module_id;
  bool python_module = false;   // some argument collects it as a python Module
  bool doctest_module = false;  // ... as a DoctestModule
  bool doctest_text = false;    // ... as a DoctestTextfile
  std::string import_name;      // the module's __name__, for doctest names
  ModuleResult result;
  DoctestResult doctests;
  bool syntax_error = false;
  std::vector<Diagnostic> syntax_diagnostics;
  std::string read_error;
};

thread_local ParserPtr tls_parser;

// Microseconds since `start`, added to `total` when timings are asked for.
class PhaseClock {
 public:
  explicit PhaseClock(std::atomic<int64_t>* total) : total_(total) {}
  ~PhaseClock() {
    if (total_)
      total_->fetch_add(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start_).count(),
                        std::memory_order_relaxed);
  }

 private:
  std::atomic<int64_t>* total_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

void discover_text(ModuleJob& job, const CollectRules& rules, std::string_view text, CollectTimings* timings) {
  std::string lf_text;  // Python's universal newlines: a lone CR is a line break (line_breaks.h)
  if (has_lone_cr(text)) text = lf_text = lone_cr_as_lf(text);
  if (job.doctest_text) {
    PhaseClock clock(timings ? &timings->rules_us : nullptr);
    job.doctests = discover_doctest_text(text, job.module_id);
    return;
  }
  TreePtr tree;
  {
    PhaseClock clock(timings ? &timings->parse_us : nullptr);
    tree = parse_python(tls_parser.get(), text);
  }
  PhaseClock clock(timings ? &timings->rules_us : nullptr);
  if (job.python_module) job.result = discover_module_recovering(tls_parser.get(), tree.get(), text, job.module_id, rules);
  if (job.doctest_module) job.doctests = discover_doctests(tree.get(), text, job.module_id, job.import_name);
  job.syntax_error = !tree || ts_node_has_error(ts_tree_root_node(tree.get()));
  job.syntax_diagnostics.clear();
  if (tree && job.syntax_error) job.syntax_diagnostics = syntax_errors(ts_tree_root_node(tree.get()), job.module_id);
  else if (!tree) job.syntax_diagnostics.push_back({job.module_id, Range{}, "could not parse the file"});
  tree.reset();  // the tree goes as soon as the items exist
}

// Files up to this size are read into one buffer per thread, reused file after file: no
// mmap/munmap pair per file (each munmap of a multi-threaded process interrupts the other cores
// to flush their TLBs) and no page faults on fresh pages. Bigger ones are mapped.
constexpr off_t kReadWholeUpTo = 1 << 20;
thread_local std::string tls_text;

// The file's text into tls_text when it is small; false with `*big` set when it should be mapped.
bool read_small(const fs::path& path, bool* big, std::string* error) {
  *big = false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {  // as MappedFile::open says it
    *error = S_ISREG(st.st_mode) ? std::strerror(errno) : "not a regular file";
    ::close(fd);
    return false;
  }
  if (st.st_size > kReadWholeUpTo) {
    *big = true;
    ::close(fd);
    return false;
  }
  // One byte more than the size: a file that grew since fstat is read whole.
  size_t capacity = static_cast<size_t>(st.st_size) + 1, size = 0;
  tls_text.resize(capacity);
  for (;;) {
    const ssize_t n = ::read(fd, tls_text.data() + size, capacity - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = std::strerror(errno);
      ::close(fd);
      return false;
    }
    size += static_cast<size_t>(n);
    if (n == 0) break;
    if (size == capacity) tls_text.resize(capacity *= 2);
  }
  ::close(fd);
  tls_text.resize(size);
  return true;
}

void discover_file(ModuleJob& job, const CollectRules& rules,
                   const std::unordered_map<std::string, std::string>& overlays, CollectTimings* timings) {
  if (!tls_parser) tls_parser = make_python_parser();
  if (auto overlay = overlays.find(job.path.string()); overlay != overlays.end()) {
    discover_text(job, rules, overlay->second, timings);
    return;
  }
  {
    bool big = false, read = false;
    {
      PhaseClock clock(timings ? &timings->read_us : nullptr);
      read = read_small(job.path, &big, &job.read_error);
    }
    if (read) {
      discover_text(job, rules, tls_text, timings);
      return;
    }
    if (!big) return;  // job.read_error says why
    job.read_error.clear();
  }
  // Read straight from the mapping; a file that shrank meanwhile (mapped_file.h) is read again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    MappedFile mapped;
    std::string error;
    bool opened;
    {
      PhaseClock clock(timings ? &timings->read_us : nullptr);
      opened = mapped.open(job.path, &error);
    }
    if (!opened) {
      job.read_error = error;
      return;
    }
    discover_text(job, rules, mapped.text(), timings);
    if (!mapped.changed_while_read()) return;
  }
  job.result = {};
  job.doctests = {};
  job.read_error = "the file kept changing while it was read";
}

// Which discovery jobs are done, for the thread that assembles the tree while they run.
class JobsDone {
 public:
  explicit JobsDone(size_t jobs) : done_(jobs, 0) {}
  void mark(size_t job) {
    bool awaited;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_[job] = 1;
      last_done_ = std::chrono::steady_clock::now();
      awaited = awaited_ == job;
    }
    if (awaited) changed_.notify_one();  // no wake-up for a job nobody waits on yet
  }
  void wait(size_t job) {
    std::unique_lock<std::mutex> lock(mutex_);
    awaited_ = job;
    changed_.wait(lock, [&] { return done_[job] != 0; });
    awaited_ = SIZE_MAX;
  }
  std::chrono::steady_clock::time_point last_done() {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_done_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<char> done_;
  size_t awaited_ = SIZE_MAX;  // the job wait() waits on
  std::chrono::steady_clock::time_point last_done_{};
};

std::vector<TestItem> file_items(const ModuleJob& job, const WalkedFile& walked) {
  return merge_file_items(job.module_id, job.path.filename().string(), walked.python_module ? &job.result : nullptr,
                          walked.doctest_module || walked.doctest_text ? &job.doctests : nullptr);
}

// The same, moving the items out of the job: its last visit.
std::vector<TestItem> take_file_items(ModuleJob& job, const WalkedFile& walked) {
  return fastest::take_file_items(job.module_id, job.path.filename().string(), walked.python_module ? &job.result : nullptr,
                                  walked.doctest_module || walked.doctest_text ? &job.doctests : nullptr);
}

}  // namespace

namespace {

// Keywords pytest's -k matches for a leaf; `find` gives an item by its id.
std::vector<std::string> keywords_of(const TestItem& item, const std::function<const TestItem*(std::string_view)>& find) {
  std::vector<std::string> keywords;
  const TestItem* node = &item;
  while (node) {
    if (node->kind != ItemKind::Folder || !node->parent_id().empty() || node->id.find('/') != std::string::npos)
      keywords.emplace_back(node->label());
    node = node->parent_id().empty() ? nullptr : find(node->parent_id());
  }
  // Folders between rootdir and the module: pytest's Dir nodes (the root one excluded).
  fs::path dir = fs::path(item.path()).parent_path();
  while (!dir.empty() && dir != dir.parent_path()) {
    keywords.push_back(dir.filename().string());
    dir = dir.parent_path();
  }
  for (const Mark& m : item.marks) keywords.push_back(m.name);
  return keywords;
}

}  // namespace

std::vector<std::string> Collection::keywords_of(const TestItem& item) const {
  return fastest::keywords_of(item, [this](std::string_view id) { return find(std::string(id)); });
}

const TestItem* Collection::find(const std::string& id) const {
  for (const TestItem& item : items)
    if (item.id == id) return &item;
  return nullptr;
}

CollectRules rules_for_module(const Collection& collection, const fs::path& file) {
  CollectRules rules = collection.config.rules;
  const fs::path& rootdir = collection.config.rootdir;
  for (fs::path dir = file.parent_path();; dir = dir.parent_path()) {
    if (auto it = collection.conftest_fixtures.find(dir); it != collection.conftest_fixtures.end())
      rules.conftest_fixtures.push_back(it->second);
    if (auto it = collection.conftest_generate_tests.find(dir); it != collection.conftest_generate_tests.end())
      rules.conftest_generate_tests.push_back(it->second);
    if (dir == rootdir || dir == dir.parent_path() || dir.empty()) break;
  }
  rules.conftest_fixtures.insert(rules.conftest_fixtures.end(), collection.plugin_fixtures.begin(),
                                 collection.plugin_fixtures.end());
  return rules;
}

// Room for `adding` more items in the tree, `files_done` of `files` assembled: when it is full,
// the tree so far scaled to every file, and a tenth more. Doubling kept the old and the new
// buffer (3x the items) alive at its last growth: 100,000 tests peaked 15 MB higher.
template <class T>
void reserve_for_the_tree(std::vector<T>& items, size_t adding, size_t files_done, size_t files) {
  const size_t needed = items.size() + adding;
  if (needed <= items.capacity()) return;
  const double share_done = files ? std::max(0.01, double(files_done) / double(files)) : 1.0;
  items.reserve(std::max(needed, size_t(double(needed) / share_done * 1.1) + 16));
}

namespace {

bool all_ids_distinct(const std::vector<TestItem>& items) {
  std::vector<std::string_view> ids;
  ids.reserve(items.size());
  for (const TestItem& item : items) ids.push_back(item.id);
  std::sort(ids.begin(), ids.end());
  return std::adjacent_find(ids.begin(), ids.end()) == ids.end();
}

// The items marked 1 in `emitted` (a module's, in order) moved to the end of their file's list,
// each list sized once.
void move_into_file_lists(std::vector<TestItem>& items, const std::vector<char>& emitted,
                          std::map<std::string, std::vector<TestItem>>& file_items) {
  std::vector<TestItem>* list = nullptr;
  std::string list_path;
  for (size_t i = 0; i < items.size(); ++i) {
    if (emitted[i] != 1) continue;
    if (!list || items[i].path() != list_path) {
      list_path = std::string(items[i].path());
      list = &file_items[list_path];
      size_t more = 0;
      for (size_t j = i; j < items.size(); ++j) more += emitted[j] == 1 && items[j].path() == list_path;
      list->reserve(list->size() + more);
    }
    list->push_back(std::move(items[i]));
  }
}

}  // namespace

Collection collect(const Invocation& invocation, const std::function<void(const ProjectConfig&)>& on_config) {
  Collection collection;
  ProjectConfig& config = collection.config;
  // Each phase's wall time, when timings are asked for.
  auto lap_start = std::chrono::steady_clock::now();
  auto lap = [&](double CollectTimings::*phase) {
    auto now = std::chrono::steady_clock::now();
    if (invocation.timings) invocation.timings->*phase += std::chrono::duration<double, std::milli>(now - lap_start).count();
    lap_start = now;
  };
  fs::path invocation_dir = fs::absolute(invocation.invocation_dir).lexically_normal();

  CommandOptions options;
  if (const char* env = std::getenv("PYTEST_ADDOPTS")) parse_command_options(shlex_split(env), options);
  CommandOptions cli;
  parse_command_options(invocation.extra_options, cli);

  // Positional args: paths and node ids, resolved against the invocation dir.
  std::vector<ArgSpec> args;
  auto add_arg = [&](const std::string& arg) {
    ArgSpec spec;
    spec.original = arg;
    std::string path_part = arg;
    size_t sep = arg.find("::");
    if (sep != std::string::npos) {
      path_part = arg.substr(0, sep);
      spec.node_suffix = arg.substr(sep);
    }
    fs::path p(path_part);
    spec.path = (p.is_absolute() ? p : invocation_dir / p).lexically_normal();
    if (spec.path.filename().empty()) spec.path = spec.path.parent_path();
    args.push_back(spec);
  };
  for (const std::string& a : invocation.args) add_arg(a);
  for (const std::string& a : cli.positional) add_arg(a);

  // The interpreter's pytest decides version-dependent rules; rootdir search needs a guess first.
  std::optional<std::string> python = invocation.python;
  PytestVersion version;
  auto interpreter = find_interpreter(invocation_dir, python);
  std::optional<Interpreter> chosen = interpreter;
  if (interpreter) {
    config.python = interpreter->executable;
    if (auto v = installed_pytest_version(*interpreter)) {
      version = *v;
      config.pytest_found = true;
    }
  }

  std::vector<fs::path> arg_paths;
  for (const ArgSpec& a : args) arg_paths.push_back(a.path);
  std::optional<fs::path> inifile = invocation.inifile;
  if (!inifile && options.inifile) inifile = fs::path(*options.inifile);
  if (inifile && inifile->is_relative()) inifile = invocation_dir / *inifile;
  std::optional<fs::path> rootdir_option = invocation.rootdir;
  if (!rootdir_option && options.rootdir) rootdir_option = fs::path(*options.rootdir);
  if (rootdir_option && rootdir_option->is_relative()) rootdir_option = invocation_dir / *rootdir_option;

  RootdirResult root = determine_rootdir(arg_paths, inifile, rootdir_option, invocation_dir, version);
  for (auto& e : root.errors) collection.usage_errors.push_back(e);
  config.rootdir = root.rootdir;
  if (!interpreter || !config.pytest_found) {
    // Look again from the rootdir (its .venv), now that we know it.
    if (auto again = find_interpreter(config.rootdir, python)) {
      config.python = again->executable;
      chosen = again;
      if (auto v = installed_pytest_version(*again)) {
        version = *v;
        config.pytest_found = true;
      }
    }
  }
  ConfigFile file;
  if (root.config) {
    config.inifile = root.config->path;
    file = *root.config;
  }
  for (auto& [name, value] : cli.ini_overrides) file.options[name] = IniValue{value, std::nullopt};
  for (auto& [name, value] : options.ini_overrides) file.options[name] = IniValue{value, std::nullopt};

  // pytest's order: ini addopts, then $PYTEST_ADDOPTS, then the command line (later ones win).
  CommandOptions merged;
  std::vector<std::string> addopts = ini_args(file, "addopts");
  config.addopts = addopts;
  parse_command_options(addopts, merged);
  if (const char* env = std::getenv("PYTEST_ADDOPTS")) parse_command_options(shlex_split(env), merged);
  parse_command_options(invocation.extra_options, merged);
  // Overrides in any of them (`-o`, `--strict-markers`), later ones winning.
  for (auto& [name, value] : merged.ini_overrides) file.options[name] = IniValue{value, std::nullopt};
  for (const std::string& a : merged.positional)
    if (std::find(cli.positional.begin(), cli.positional.end(), a) == cli.positional.end()) add_arg(a);

  if (auto minversion = ini_string(file, "minversion")) {
    PytestVersion need = parse_version(*minversion);
    bool too_old = version.major < need.major || (version.major == need.major && version.minor < need.minor) ||
                   (version.major == need.major && version.minor == need.minor && version.patch < need.patch);
    if (config.pytest_found && too_old)
      collection.usage_errors.push_back(config.inifile->string() + ": 'minversion' requires pytest-" + *minversion +
                                        ", actual pytest-" + std::to_string(version.major) + "." +
                                        std::to_string(version.minor) + "." + std::to_string(version.patch) + "'");
  }

  config.rules.pytest_version = version;
  if (chosen)
    if (auto facts = read_python_facts(*chosen)) config.rules.python = std::make_shared<const PythonFacts>(*facts);
  if (chosen && invocation.library_facts && !invocation.config_only)
    config.rules.library = invocation.library_facts(chosen->executable, config.rootdir);
  if (auto v = ini_args(file, "python_classes"); file.options.count("python_classes")) config.rules.python_classes = v;
  if (auto v = ini_args(file, "python_functions"); file.options.count("python_functions")) config.rules.python_functions = v;
  if (auto v = ini_args(file, "python_files"); file.options.count("python_files")) config.python_files = v;
  config.rules.disable_id_escaping =
      ini_bool(file, "disable_test_id_escaping_and_forfeit_all_rights_to_community_support", false);
  if (auto strategy = ini_string(file, "parametrize_long_str_id_strategy")) config.rules.long_str_id_strategy = *strategy;
  config.testpaths = ini_args(file, "testpaths");
  config.cache_dir = ini_string(file, "cache_dir");
  for (const std::string& p : ini_args(file, "pythonpath")) {
    fs::path entry(p);  // relative to the config file's folder
    config.pythonpath.push_back(entry.is_absolute() ? entry : (config.inifile ? config.inifile->parent_path() : config.rootdir) / entry);
  }
  config.norecursedirs = file.options.count("norecursedirs")
                             ? ini_args(file, "norecursedirs")
                             : std::vector<std::string>{"*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}"};
  for (const std::string& line : ini_linelist(file, "markers")) {
    // pytest's _iter_registered_markers: the part before ':' then before '(', stripped.
    std::string name = line.substr(0, line.find(':'));
    name = name.substr(0, name.find('('));
    size_t first = name.find_first_not_of(" \t"), last = name.find_last_not_of(" \t");
    config.markers.push_back(first == std::string::npos ? "" : name.substr(first, last - first + 1));
  }
  // strict_markers unset falls back to pytest 9's `strict`.
  bool strict_markers = file.options.count("strict_markers") ? ini_bool(file, "strict_markers", false)
                                                             : ini_bool(file, "strict", false);
  if (strict_markers) {
    std::vector<std::string> registered{"filterwarnings", "skip", "skipif", "xfail", "parametrize",
                                        "usefixtures", "tryfirst", "trylast"};
    registered.insert(registered.end(), config.markers.begin(), config.markers.end());
    config.rules.registered_marks = std::move(registered);
  }
  bool strict_config = file.options.count("strict_config") ? ini_bool(file, "strict_config", false)
                                                           : ini_bool(file, "strict", false);
  if (strict_config && root.config)
    for (const auto& [key, value] : root.config->options)
      if (!is_pytest_ini_option(key)) config.unverified_ini_keys.push_back(key);
  for (const std::string& p : merged.ignore) {
    fs::path ip(p);
    config.ignore.push_back((ip.is_absolute() ? ip : invocation_dir / ip).lexically_normal().string());
  }
  for (const std::string& g : merged.ignore_glob) {
    fs::path gp(g);
    config.ignore_glob.push_back(gp.is_absolute() ? g : (invocation_dir / gp).string());
  }
  config.markexpr = merged.markexpr.value_or("");
  config.keywordexpr = merged.keywordexpr.value_or("");
  config.deselect = merged.deselect;
  config.doctest_modules = merged.doctest_modules;
  config.doctest_globs = merged.doctest_globs;
  if (merged.import_mode) config.import_mode = *merged.import_mode;
  if (merged.reportchars) config.reportchars = *merged.reportchars;
  config.verbosity = merged.verbosity;
  config.continue_on_collection_errors = merged.continue_on_collection_errors;
  if (merged.color) config.color = *merged.color;
  {
    // Python's filter syntax: action[:message[:category[:module[:lineno]]]]; "error" or any
    // unambiguous prefix of it ("e", "err") turns a matching warning into an exception.
    auto is_error_filter = [](const std::string& filter) {
      std::string action = filter.substr(0, filter.find(':'));
      action.erase(0, action.find_first_not_of(" \t"));
      action.erase(action.find_last_not_of(" \t") + 1);
      return !action.empty() && std::string("error").rfind(action, 0) == 0;
    };
    std::vector<std::string> filters = ini_linelist(file, "filterwarnings");
    filters.insert(filters.end(), merged.warning_filters.begin(), merged.warning_filters.end());
    const char* python_warnings = std::getenv("PYTHONWARNINGS");
    std::vector<std::string> env_filters;
    if (python_warnings)
      for (std::string_view rest = python_warnings; !rest.empty();) {
        size_t comma = rest.find(',');
        env_filters.emplace_back(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    config.rules.warnings_may_error = std::any_of(filters.begin(), filters.end(), is_error_filter) ||
                                      std::any_of(env_filters.begin(), env_filters.end(), is_error_filter);
    const char* no_autoload = std::getenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD");
    if (chosen && !(no_autoload && *no_autoload) && std::any_of(filters.begin(), filters.end(), is_error_filter))
      config.configure_may_fail = has_pytest_plugins(*chosen);
  }

  if (!collection.usage_errors.empty()) return collection;

  // No args: testpaths (only when invoked from the rootdir), else the invocation dir.
  if (args.empty()) {
    if (!config.testpaths.empty() && invocation_dir == config.rootdir)
      for (const std::string& p : expand_testpaths(config.testpaths, config.rootdir)) add_arg(p);
    collection.from_testpaths = !args.empty();
    if (args.empty()) add_arg(invocation_dir.string());
  }
  for (const ArgSpec& a : args) {
    std::error_code ec;
    if (!fs::exists(a.path, ec)) {
      collection.usage_errors.push_back("file or directory not found: " + a.original);
    }
  }
  if (!collection.usage_errors.empty() || invocation.config_only) return collection;
  if (on_config) on_config(config);
  lap(&CollectTimings::config_ms);

  // Walk: the module files pytest would import, in its order, per argument.
  WalkOptions walk;
  walk.rootdir = config.rootdir;
  walk.python_files = config.python_files;
  walk.norecursedirs = config.norecursedirs;
  walk.ignore = config.ignore;
  walk.ignore_glob = config.ignore_glob;
  walk.pytest_version = version;
  walk.given_options = config.addopts;
  if (const char* env = std::getenv("PYTEST_ADDOPTS"))
    for (std::string& token : shlex_split(env)) walk.given_options.push_back(std::move(token));
  walk.given_options.insert(walk.given_options.end(), invocation.extra_options.begin(), invocation.extra_options.end());
  walk.id_rules = config.rules;  // a conftest fixture's params= ids, its `if sys.version_info` depend on them
  walk.id_rules.pytest_version = version;
  walk.doctest_modules = config.doctest_modules;
  if (!config.doctest_globs.empty()) walk.doctest_globs = config.doctest_globs;
  walk.cancel = invocation.cancel;
  for (const auto& [path, text] : invocation.overlays) walk.overlays.emplace(fs::absolute(path).lexically_normal().string(), text);
  FileWalker walker(walk);
  std::vector<std::vector<WalkedFile>> files_per_arg;
  for (const ArgSpec& a : args) files_per_arg.push_back(walker.collect_files(a.path));
  const size_t warnings_before_walk = collection.warnings.size(), diagnostics_before_walk = collection.diagnostics.size();
  for (const std::string& w : walker.warnings()) collection.warnings.push_back(w);
  for (const Diagnostic& d : walker.diagnostics()) collection.diagnostics.push_back(d);
  lap(&CollectTimings::walk_ms);

  std::vector<std::vector<FixtureDecl>> plugin_fixtures;  // the loaded plugins' parametrized fixtures
  // The finder remembers what the file system answered while this collection runs, and only then.
  struct ForgetAnswersAtTheEnd {
    std::shared_ptr<ModuleFinder> finder;
    ~ForgetAnswersAtTheEnd() {
      if (finder) finder->remember_answers(false);
    }
  } forget_answers;
  // The names the interpreter can import with the sys.path pytest gives these modules: the
  // rootdir, the invocation dir, `pythonpath` (relative to the config file) and the basedirs.
  if (chosen) {
    std::vector<fs::path> files;
    for (const auto& walked : files_per_arg)
      for (const WalkedFile& f : walked) files.push_back(f.path);
    std::vector<fs::path> dirs = pytest_basedirs(files, config.rootdir);
    std::vector<fs::path> basedirs = dirs;
    dirs.push_back(config.rootdir);
    dirs.push_back(invocation_dir);
    const std::vector<fs::path>& pythonpath = config.pythonpath;
    dirs.insert(dirs.end(), pythonpath.begin(), pythonpath.end());
    config.rules.importable = importable_names(*chosen, dirs);
    BufferText buffers;
    if (!invocation.overlays.empty()) {
      auto texts = std::make_shared<std::map<fs::path, std::string>>();
      for (const auto& [path, text] : invocation.overlays) (*texts)[fs::absolute(path).lexically_normal()] = text;
      buffers = [texts](const fs::path& file) -> std::optional<std::string> {
        auto it = texts->find(file);
        return it == texts->end() ? std::nullopt : std::optional<std::string>(it->second);
      };
    }
    forget_answers.finder = make_module_finder(*chosen, config.rootdir, invocation_dir, basedirs, pythonpath,
                                               parse_import_mode(config.import_mode) == ImportMode::Importlib,
                                               config.rules.python, std::move(buffers));
    forget_answers.finder->remember_answers(true);
    config.rules.modules = forget_answers.finder;
    if (config.rules.importable)
      config.rules.local_import_failures = std::make_shared<LocalImportCheck>(dirs, config.rootdir, config.rules.importable);
    walker.set_importable(config.rules.importable, config.rules.local_import_failures);
    // The conftests were read before the walk found the modules: read again, names they import
    // (`from pkg._compat import PY_3_10_PLUS`) are known, and what they ignore may be too.
    CollectRules conftest_rules = config.rules;
    conftest_rules.pytest_version = version;
    if (walker.reread_conftests(conftest_rules)) {
      walker.forget_walk();
      files_per_arg.clear();
      for (const ArgSpec& a : args) files_per_arg.push_back(walker.collect_files(a.path));
      collection.warnings.resize(warnings_before_walk);
      collection.diagnostics.resize(diagnostics_before_walk);
      for (const std::string& w : walker.warnings()) collection.warnings.push_back(w);
      for (const Diagnostic& d : walker.diagnostics()) collection.diagnostics.push_back(d);
    }
    // A loaded plugin with collection hooks may change any id: pytest settles everything.
    PluginSources plugins;
    const char* no_autoload = std::getenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD");
    plugins.autoload = !(no_autoload && *no_autoload) && !merged.disable_plugin_autoload;
    plugins.plugin_options = merged.plugins;
    plugins.pytest_plugins = walker.conftest_plugins();
    plugins.import_dirs = dirs;
    plugins.markexpr = config.markexpr;
    plugins.keywordexpr = config.keywordexpr;
    if (auto why = plugin_collection_reason(*chosen, plugins, &plugin_fixtures)) walker.set_plugin_reason(*why);
  }

  lap(&CollectTimings::imports_ms);
  // Discover each distinct module once, in parallel.
  // Each job is freed once its module's last visit is assembled: their ~300 bytes each never all
  // wait beside the finished tree.
  std::vector<std::unique_ptr<ModuleJob>> jobs;
  {
    size_t walked_files = 0;
    for (const auto& files : files_per_arg) walked_files += files.size();
    jobs.reserve(walked_files);
  }
  std::unordered_map<std::string, size_t> job_index;
  ImportMode import_mode = parse_import_mode(config.import_mode);
  for (const auto& files : files_per_arg)
    for (const WalkedFile& f : files) {
      if (job_index.emplace(f.path.string(), jobs.size()).second) {
        auto job = std::make_unique<ModuleJob>();
        job->path = f.path;
        job->module_id = relative_id(f.path, config.rootdir);
        if (f.doctest_module) job->import_name = module_import_name(f.path, config.rootdir, import_mode);
        jobs.push_back(std::move(job));
      }
      ModuleJob& job = *jobs[job_index.at(f.path.string())];
      job.python_module |= f.python_module;
      job.doctest_module |= f.doctest_module;
      job.doctest_text |= f.doctest_text;
      if (f.doctest_module && job.import_name.empty())
        job.import_name = module_import_name(f.path, config.rootdir, import_mode);
    }
  collection.conftest_fixtures = walker.conftest_fixtures();
  collection.conftest_generate_tests = walker.conftest_generate_tests();
  collection.plugin_fixtures = plugin_fixtures;

  // Each walked file's job, in walk order, and how many times a job is reached.
  std::vector<uint32_t> visits_left(jobs.size(), 0);
  std::vector<size_t> job_of_file;
  for (const auto& files : files_per_arg)
    for (const WalkedFile& f : files) {
      job_of_file.push_back(job_index.at(f.path.string()));
      ++visits_left[job_of_file.back()];
    }
  std::unordered_map<std::string, size_t>().swap(job_index);

  // The pool discovers the modules; this thread assembles the tree meanwhile, module by module
  // in walk order as each is done, and frees each module's list once taken: the lists never all
  // wait beside the tree, and the assembly overlaps the parsing. Ids of different modules never
  // collide, so duplicates are looked for only inside a module.
  // The rules of each folder's modules, made once here (not copied per module on the pool's
  // threads, whose shared_ptr copies fought over the same reference counts), and freed once the
  // folder's last module is read.
  std::vector<std::unique_ptr<const CollectRules>> folder_rules;
  std::vector<size_t> folder_of_job(jobs.size()), jobs_left_in_folder;
  {
    std::unordered_map<std::string, size_t> folder_index;
    for (size_t j = 0; j < jobs.size(); ++j) {
      const fs::path folder = jobs[j]->path.parent_path();
      auto [it, added] = folder_index.emplace(folder.string(), folder_rules.size());
      if (added) {
        auto made = std::make_unique<CollectRules>(config.rules);
        made->conftest_fixtures = walker.conftest_fixtures_for(folder);
        made->conftest_generate_tests = walker.generate_tests_for(folder);
        // Plugins' fixtures are visible everywhere, outside every conftest.
        made->conftest_fixtures.insert(made->conftest_fixtures.end(), plugin_fixtures.begin(), plugin_fixtures.end());
        folder_rules.push_back(std::move(made));
        jobs_left_in_folder.push_back(0);
      }
      folder_of_job[j] = it->second;
      ++jobs_left_in_folder[it->second];
    }
  }
  std::vector<const CollectRules*> rules_of_job(jobs.size());
  for (size_t j = 0; j < jobs.size(); ++j) rules_of_job[j] = folder_rules[folder_of_job[j]].get();
  std::vector<char> job_read(jobs.size(), 0);
  JobsDone done(jobs.size());
  const unsigned threads =
      std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), static_cast<unsigned>(jobs.size())));
  asio::thread_pool pool(threads);
  for (size_t j = 0; j < jobs.size(); ++j) {
    const FileWalker& w = walker;
    asio::post(pool, [&jobs, &rules_of_job, &w, &done, j, cancel = invocation.cancel, timings = invocation.timings] {
      ModuleJob& job = *jobs[j];
      if (!(cancel && cancel->load(std::memory_order_relaxed))) discover_file(job, *rules_of_job[j], w.overlays(), timings);
      done.mark(j);
    });
  }
  // Static leaves kept as ids only (Invocation::static_leaves_as_ids); the selection reads items.
  const bool leaves_as_ids =
      invocation.static_leaves_as_ids && config.keywordexpr.empty() && config.markexpr.empty() && config.deselect.empty();
  const bool items_by_file = invocation.items_by_file && !leaves_as_ids;
  // A first guess at the tree's size; reserve_for_the_tree grows it as modules come.
  collection.items.reserve(collection.items.size() + jobs.size() * (leaves_as_ids ? 2 : 8));
  std::vector<bool> module_reported(jobs.size(), false);
  // A module reached by several arguments: the ids already emitted and the leaves already listed.
  std::unordered_map<size_t, std::pair<std::unordered_set<std::string>, std::unordered_set<std::string>>> seen_of_job;
  std::unordered_set<std::string> folders_emitted;
  std::vector<std::string> leaves;
  leaves.reserve(jobs.size() * 8);
  // Facts of a file's folder, computed once per folder (a folder's files come one after another).
  fs::path last_dir;
  bool last_dir_known = false;
  std::string dir_parent, dir_dynamic_reason;
  std::optional<fs::path> dir_dynamic_collection;
  size_t file_index = 0;
  for (size_t a = 0; a < args.size(); ++a) {
    const ArgSpec& arg = args[a];
    for (WalkedFile& walked : files_per_arg[a]) {
      const fs::path file = std::move(walked.path);  // read here for the last time: freed as the tree grows
      const size_t job_id = job_of_file[file_index++];
      done.wait(job_id);
      if (!job_read[job_id]) {  // its rules are not read any more
        job_read[job_id] = 1;
        if (--jobs_left_in_folder[folder_of_job[job_id]] == 0) folder_rules[folder_of_job[job_id]].reset();
      }
      ModuleJob& job = *jobs[job_id];
      const bool last_visit = --visits_left[job_id] == 0;
      if (!job.read_error.empty()) {
        collection.warnings.push_back(file.string() + ": cannot read: " + job.read_error);
        collection.diagnostics.push_back({job.module_id, Range{}, "cannot read file: " + job.read_error});
        if (last_visit) jobs[job_id].reset();
        continue;
      }
      const fs::path dir = file.parent_path();
      if (!last_dir_known || dir != last_dir) {
        // Folder items from rootdir down to the module.
        fs::path rel = fs::path(job.module_id).parent_path();
        std::vector<fs::path> chain;
        for (fs::path d = rel; !d.empty() && d != d.parent_path(); d = d.parent_path()) chain.push_back(d);
        std::string parent;
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
          std::string id = it->generic_string();
          if (folders_emitted.insert(id).second) {
            TestItem folder;
            folder.id = id;
            folder.set_label(it->filename().string());
            folder.kind = ItemKind::Folder;
            folder.set_parent_id(parent);
            folder.set_path(id);
            collection.items.push_back(std::move(folder));
          }
          parent = std::move(id);
        }
        dir_parent = std::move(parent);
        dir_dynamic_reason = walker.dynamic_reason_for(dir);
        dir_dynamic_collection = walker.dynamic_collection_dir(dir);
        last_dir = dir;
        last_dir_known = true;
      } else {
        // The same folder as the file before: its folder items were emitted then (by this
        // argument or an earlier one), nothing to add.
      }
      const std::string& parent = dir_parent;
      const std::string& dynamic_reason = dir_dynamic_reason;
      if (const auto& dir = dir_dynamic_collection; dir && arg.node_suffix.empty()) {
        const fs::path inside_arg = dir->lexically_relative(arg.path);
        const bool arg_holds_dir = !inside_arg.empty() && *inside_arg.begin() != "..";
        // A folder arg inside that folder (the rootdir, or testpaths under it) is what pytest
        // collects with those rules: it is settled whole. A file arg is never ignored.
        const bool dir_holds_arg = !arg_holds_dir && fs::is_directory(arg.path);
        std::string folder = (arg_holds_dir ? *dir : arg.path).lexically_relative(config.rootdir).generic_string();
        if (folder == ".") folder.clear();
        if ((arg_holds_dir || dir_holds_arg) && std::find(collection.dynamic_folders.begin(), collection.dynamic_folders.end(), folder) ==
                                 collection.dynamic_folders.end())
          collection.dynamic_folders.push_back(folder);
      }
      // A file pytest cannot import: one collection error per collector (Module, DoctestModule).
      bool import_fails = (walked.python_module || walked.doctest_module) && job.syntax_error;
      if (!module_reported[job_id]) {
        module_reported[job_id] = true;
        for (const Diagnostic& d : job.syntax_diagnostics) collection.diagnostics.push_back(d);
        if (import_fails && !job.syntax_diagnostics.empty()) {
          if (walked.doctest_module) collection.collection_errors.push_back(job.syntax_diagnostics.front());
          if (walked.python_module) collection.collection_errors.push_back(job.syntax_diagnostics.front());
        }
      }
      if (!job.result.base_files.empty()) collection.base_files[job.module_id] = job.result.base_files;
      std::vector<TestItem> items = last_visit ? take_file_items(job, walked) : file_items(job, walked);
      const bool module_dynamic = job.result.dynamic || items.front().dynamic;
      if (last_visit) job.result = {}, job.doctests = {};
      std::string prefix = job.module_id + arg.node_suffix;
      std::unordered_set<std::string_view> with_children;
      for (const TestItem& item : items)
        if (item.kind == ItemKind::Case) with_children.insert(item.parent_id());
      // Duplicate ids inside this visit, and across visits of a module reached several times.
      std::unordered_set<std::string_view> emitted_here, listed_here;
      const bool ids_distinct = all_ids_distinct(items);  // then no set is needed to find a repeat
      auto* seen_before = visits_left[job_id] > 0 || seen_of_job.count(job_id) ? &seen_of_job[job_id] : nullptr;
      bool any_selected_by_arg = false;
      // A static leaf of a module read once, with nothing dynamic and nothing failing, is only its
      // id in `leaves` when the caller asked so: the ids are all that is read of it.
      const bool leaves_without_items = leaves_as_ids && !seen_before && !import_fails && !module_dynamic &&
                                        dynamic_reason.empty() &&
                                        std::none_of(items.begin(), items.end(), [](const TestItem& i) { return i.dynamic; });
      // Per item: 1 into the tree, 2 its id alone (at leaf_at in `leaves`), 3 a container left out
      // with its leaves, 0 none of these.
      std::vector<char> emitted(items.size(), 0);  // moved out once the views into `items` are done with
      std::vector<size_t> leaf_at(leaves_without_items ? items.size() : 0);
      reserve_for_the_tree(leaves, items.size(), file_index, job_of_file.size());
      for (size_t i = 0; i < items.size(); ++i) {
        TestItem& item = items[i];
        if (item.kind == ItemKind::Module) item.set_parent_id(parent);
        if (!dynamic_reason.empty() && !item.dynamic) {
          item.dynamic = true;
          item.dynamic_reason = dynamic_reason;
        }
        bool in_scope = arg.node_suffix.empty() || item.id == prefix ||
                        item.id.rfind(prefix + "::", 0) == 0 || item.id.rfind(prefix + "[", 0) == 0 ||
                        prefix.rfind(item.id + "::", 0) == 0 || item.kind == ItemKind::Module;
        bool selected_by_arg = arg.node_suffix.empty() || item.id == prefix ||
                               item.id.rfind(prefix + "::", 0) == 0 || item.id.rfind(prefix + "[", 0) == 0;
        any_selected_by_arg |= selected_by_arg;
        if (!in_scope) continue;
        bool is_leaf = item.kind == ItemKind::Case ||
                       (item.kind == ItemKind::Function && !with_children.count(item.id));
        const bool first_here = ids_distinct || emitted_here.insert(item.id).second;
        const bool emit = first_here && (!seen_before || seen_before->first.insert(item.id).second);
        const bool list = is_leaf && selected_by_arg && !import_fails && (ids_distinct || listed_here.insert(item.id).second) &&
                          (!seen_before || seen_before->second.insert(item.id).second);
        if (list && leaves_without_items) {
          leaf_at[i] = leaves.size();
          leaves.push_back(item.id);  // copied: the sets above hold views of it
          emitted[i] = 2;
          continue;
        }
        if (list) leaves.push_back(item.id);
        if (item.dynamic && selected_by_arg && !import_fails &&
            (item.kind == ItemKind::Module || item.kind == ItemKind::Class) &&
            std::find(collection.dynamic_containers.begin(), collection.dynamic_containers.end(), item.id) ==
                collection.dynamic_containers.end())
          collection.dynamic_containers.push_back(item.id);
        emitted[i] = emit;
      }
      if (leaves_without_items)
        // A class or parametrized function goes with its leaves when the next node is under it:
        // its place is its first leaf's (innermost first, so a class sees its methods go).
        for (size_t i = items.size(); i-- > 0;) {
          const TestItem& item = items[i];
          const bool container = item.kind == ItemKind::Class ||
                                 (item.kind == ItemKind::Function && with_children.count(item.id));
          if (emitted[i] != 1 || !container) continue;
          size_t next = i + 1;
          while (next < items.size() && emitted[next] == 0) ++next;
          if (next < items.size() && emitted[next] >= 2 && node_id_covers(item.id, items[next].id)) emitted[i] = 3;
        }
      if (items_by_file) {
        move_into_file_lists(items, emitted, collection.file_items);
      } else {
        reserve_for_the_tree(collection.items, std::count(emitted.begin(), emitted.end(), 1), file_index,
                             job_of_file.size());
      }
      for (size_t i = 0; i < items.size(); ++i) {
        if (emitted[i] == 1 && !items_by_file) collection.items.push_back(std::move(items[i]));
        if (emitted[i] != 2) continue;
        auto& runs = collection.leaf_runs;
        if (!runs.empty() && runs.back().items_before == collection.items.size() &&
            runs.back().first + runs.back().count == leaf_at[i])
          ++runs.back().count;
        else
          runs.push_back({collection.items.size(), leaf_at[i], 1});
      }
      if (!arg.node_suffix.empty() && !any_selected_by_arg && !import_fails && !module_dynamic)
        collection.usage_errors.push_back("not found: " + arg.original);
      if (last_visit) jobs[job_id].reset();  // `job` is not read past here
    }
  }

  // A folder settled whole is dynamic itself: a conftest's hooks may make items under it that
  // no module holds (e.g. `tests/conftest.py::name`).
  for (TestItem& item : collection.items)
    if (item.kind == ItemKind::Folder && !item.dynamic &&
        std::find(collection.dynamic_folders.begin(), collection.dynamic_folders.end(), item.id) !=
            collection.dynamic_folders.end()) {
      item.dynamic = true;
      item.dynamic_reason = walker.dynamic_reason_for(config.rootdir / item.id);
    }

  pool.join();
  // discover: until the last module was read; assembly: what was left to assemble after it.
  if (invocation.timings) {
    const auto end = std::chrono::steady_clock::now();
    const auto last_done = std::max(done.last_done(), lap_start);
    invocation.timings->discover_wall_ms += std::chrono::duration<double, std::milli>(last_done - lap_start).count();
    invocation.timings->assembly_ms += std::chrono::duration<double, std::milli>(end - last_done).count();
    lap_start = end;
  }
  // -k / -m / --deselect.
  std::optional<SelectionExpression> keyword, mark;
  std::string error;
  if (!config.keywordexpr.empty()) {
    keyword = SelectionExpression::parse(config.keywordexpr, &error);
    if (!keyword) collection.usage_errors.push_back("Wrong expression passed to '-k': " + config.keywordexpr + ": " + error);
  }
  error.clear();
  if (!config.markexpr.empty()) {
    mark = SelectionExpression::parse(config.markexpr, &error);
    if (!mark) collection.usage_errors.push_back("Wrong expression passed to '-m': " + config.markexpr + ": " + error);
  }
  if (!keyword && !mark && config.deselect.empty()) {
    // Nothing to select by: every leaf is kept (no index of the items is needed).
    collection.selected = std::move(leaves);
    lap(&CollectTimings::selection_ms);
    return collection;
  }
  std::unordered_map<std::string_view, const TestItem*> by_id;
  by_id.reserve(collection.items.size());
  for (const TestItem& item : collection.items) by_id.emplace(item.id, &item);
  for (const auto& [module_id, file] : collection.file_items)
    for (const TestItem& item : file) by_id.emplace(item.id, &item);
  auto find_item = [&](std::string_view id) -> const TestItem* {
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : it->second;
  };
  for (const std::string& id : leaves) {
    const TestItem* item = find_item(id);
    bool keep = item != nullptr;
    for (const std::string& prefix : config.deselect)
      if (id.rfind(prefix, 0) == 0) keep = false;
    if (keep && keyword) keep = keyword_matches(*keyword, keywords_of(*item, find_item));
    if (keep && mark) {
      std::vector<std::string> names;
      for (const Mark& m : item->marks) names.push_back(m.name);
      keep = marks_match(*mark, names);
    }
    if (keep) collection.selected.push_back(id);
    else {
      ++collection.deselected;
      collection.deselected_ids.push_back(id);
    }
  }
  lap(&CollectTimings::selection_ms);
  return collection;
}

}  // namespace fastest
