#include "server/workspace/file_walker.h"

#include <algorithm>

#include "server/discovery/doctest_discovery.h"
#include "server/discovery/fixture_graph.h"
#include "server/discovery/hook_reading.h"
#include "server/discovery/line_breaks.h"
#include "server/discovery/syntax_tree.h"
#include "server/workspace/config.h"
#include "server/workspace/mapped_file.h"

namespace fs = std::filesystem;

namespace fastest {

void FileWalker::warn(const fs::path& path, const std::string& message) {
  warnings_.push_back(path.string() + ": " + message);
  diagnostics_.push_back({path.lexically_relative(options_.rootdir).generic_string(), Range{}, message});
}

std::optional<std::string> FileWalker::conftest_text(const fs::path& file) {
  std::string text;
  auto overlay = options_.overlays.find(file.string());
  if (overlay != options_.overlays.end()) {
    text = overlay->second;
  } else {
    std::string error;
    if (!read_file_text(file, &text, &error)) {
      warn(file, "cannot read: " + error);
      conftest_warnings_.push_back(warnings_.back());
      conftest_diagnostics_.push_back(diagnostics_.back());
      return std::nullopt;
    }
  }
  if (has_lone_cr(text)) text = lone_cr_as_lf(text);  // as Python reads it (line_breaks.h)
  return text;
}

ConftestInfo FileWalker::read_conftest(const fs::path& dir, const std::string& text) const {
  ParserPtr parser = make_python_parser();
  TreePtr tree = parse_python(parser.get(), text);
  const fs::path file = dir / "conftest.py";
  const std::string module_path = file.lexically_relative(options_.rootdir).generic_string();
  ConftestInfo info = analyze_conftest(tree.get(), text, options_.id_rules, module_path);
  if (info.generate_tests) info.generate_tests->where = module_path;
  return info;
}

const ConftestInfo* FileWalker::load_conftest(const fs::path& dir) {
  if (!conftest_checked_.insert(dir).second) {
    auto it = conftests_.find(dir);
    return it == conftests_.end() ? nullptr : &it->second;
  }
  fs::path file = dir / "conftest.py";
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return nullptr;
  std::optional<std::string> text = conftest_text(file);
  if (!text) return nullptr;
  auto [it, inserted] = conftests_.emplace(dir, read_conftest(dir, *text));
  return &it->second;
}

bool FileWalker::reread_conftests(const CollectRules& rules) {
  options_.id_rules = rules;
  bool ignores_changed = false;
  for (auto& [dir, info] : conftests_) {
    std::optional<std::string> text = conftest_text(dir / "conftest.py");
    if (!text) continue;
    ConftestInfo again = read_conftest(dir, *text);
    ignores_changed |= again.collect_ignore != info.collect_ignore || again.collect_ignore_glob != info.collect_ignore_glob;
    info = std::move(again);
  }
  return ignores_changed;
}

void FileWalker::forget_walk() {
  walked_.clear();
  walked_again_ = 0;
  walk_bound_warned_ = false;
  links_on_path_ = 0;
  // What reading the conftests reported stays (they are not read again by the next walk).
  warnings_ = conftest_warnings_;
  diagnostics_ = conftest_diagnostics_;
}

void FileWalker::load_conftests_down_to(const fs::path& dir) {
  std::vector<fs::path> chain;
  for (fs::path d = dir;; d = d.parent_path()) {
    chain.push_back(d);
    if (d == options_.rootdir || d == d.parent_path()) break;
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) load_conftest(*it);
}

bool FileWalker::is_virtualenv(const fs::path& dir) const {
  std::error_code ec;
  if (fs::is_regular_file(dir / "pyvenv.cfg", ec)) return true;
  if (options_.pytest_version.at_least(8, 1)) return false;
  // Older pytest looked for activation scripts instead.
  for (const char* script : {"activate", "activate.csh", "activate.fish", "Activate.bat", "Activate.ps1"}) {
    if (fs::is_regular_file(dir / "bin" / script, ec) || fs::is_regular_file(dir / "Scripts" / script, ec)) return true;
  }
  return false;
}

bool FileWalker::matches_python_files(const fs::path& file) const {
  for (const std::string& pattern : options_.python_files)
    if (fnmatch_ex(pattern, file)) return true;
  return false;
}

bool FileWalker::ignored(const fs::path& path, bool is_dir) {
  if (path.filename() == "__pycache__") return true;
  std::string p = path.string();
  for (const std::string& i : options_.ignore)
    if (p == i) return true;
  for (const std::string& g : options_.ignore_glob)
    if (py_fnmatch(p, g)) return true;
  // collect_ignore / collect_ignore_glob of every conftest from the rootdir down.
  for (fs::path d = path.parent_path();; d = d.parent_path()) {
    auto it = conftests_.find(d);
    if (it != conftests_.end()) {
      for (const std::string& rel : it->second.collect_ignore)
        if ((d / rel).lexically_normal() == path) return true;
      for (const std::string& g : it->second.collect_ignore_glob)
        if (py_fnmatch(p, (d / g).string())) return true;
    }
    if (d == options_.rootdir || d == d.parent_path()) break;
  }
  if (is_dir) {
    if (is_virtualenv(path)) return true;
    for (const std::string& pattern : options_.norecursedirs)
      if (fnmatch_ex(pattern, path)) return true;
  }
  return false;
}

bool FileWalker::is_setuptools_setup_py(const fs::path& file) const {
  if (file.filename() != "setup.py") return false;
  auto overlay = options_.overlays.find(file.string());
  if (overlay != options_.overlays.end()) return is_setuptools_script(overlay->second);
  std::string text, error;
  return read_file_text(file, &text, &error) && is_setuptools_script(text);
}

// pytest follows a symlink to a folder as a folder (its tests get the link's path as ids), and
// so does the walk, except for a link to the filesystem's root or a folder directly under it
// (`/`, `/usr`, `/proc`: pytest would walk the whole machine) and a link to a folder containing
// the rootdir (a loop through everything around the project); each is skipped with a warning.
// A link back to a folder being walked is a loop too, stopped by walk_dir; links between
// folders can still multiply the walk, which walk_dir bounds (kMinWalksAgain).
bool FileWalker::follow_symlink(const fs::path& link) {
  std::error_code ec;
  fs::path target = fs::canonical(link, ec);
  if (ec) return true;  // walk_dir reports it
  if (!real_rootdir_) {
    real_rootdir_ = fs::canonical(options_.rootdir, ec);
    if (ec) real_rootdir_ = options_.rootdir;
  }
  auto contains = [](const fs::path& folder, const fs::path& path) {
    return std::mismatch(folder.begin(), folder.end(), path.begin(), path.end()).first == folder.end();
  };
  if (contains(*real_rootdir_, target)) return true;
  if (std::distance(target.begin(), target.end()) <= 2) {  // "/" or "/usr"
    warn(link, "symlink to the system folder " + target.string() + " outside the rootdir, not followed");
    return false;
  }
  if (contains(target, *real_rootdir_)) {
    warn(link, "symlink loop: " + target.string() + " contains the rootdir, not followed");
    return false;
  }
  return true;
}

// pytest_collect_file of the python and doctest plugins for one file.
WalkedFile FileWalker::classify(const fs::path& file, bool named_on_command_line) const {
  WalkedFile walked;
  walked.path = file;
  if (file.extension() == ".py") {
    walked.python_module = named_on_command_line || matches_python_files(file);
    walked.doctest_module = options_.doctest_modules && file.filename() != "__main__.py" && !is_setuptools_setup_py(file);
    return walked;
  }
  if (named_on_command_line && (file.extension() == ".txt" || file.extension() == ".rst")) walked.doctest_text = true;
  for (const std::string& pattern : options_.doctest_globs)
    if (fnmatch_ex(pattern, file)) walked.doctest_text = true;
  return walked;
}

void FileWalker::walk_dir(const fs::path& dir, std::vector<WalkedFile>& out, std::set<fs::path>& stack) {
  if (options_.cancel && options_.cancel->load(std::memory_order_relaxed)) return;
  std::error_code ec;
  fs::path real = fs::canonical(dir, ec);
  if (ec) {
    warn(dir, "cannot resolve folder: " + ec.message());
    return;
  }
  if (!stack.insert(real).second) {
    warn(dir, "symlink loop, not followed");
    return;
  }
  // A folder walked again through a symlink (pytest walks it again too: its tests get the
  // link's path). Links can multiply that (two links to each next folder: 2^depth paths), so the
  // walks again are bounded: about one per folder, and at least kMinWalksAgain.
  const bool again = !walked_.insert(real).second;
  if (again && links_on_path_ > 0 && ++walked_again_ > std::max(kMinWalksAgain, walked_.size())) {
    if (!walk_bound_warned_)
      warn(dir, "symlinks lead to the same folders over and over: walked " + std::to_string(walked_again_ - 1) +
                    " times again, the rest is not walked");
    walk_bound_warned_ = true;
    stack.erase(real);
    return;
  }
  load_conftest(dir);
  struct Entry {
    std::string name;
    fs::path path;
    bool is_dir;
    bool is_link;
  };
  std::vector<Entry> entries;
  fs::directory_iterator it(dir, fs::directory_options::none, ec);
  if (ec) {
    warn(dir, "cannot read folder: " + ec.message());
    stack.erase(real);
    return;
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    std::error_code type_ec;
    bool is_dir = it->is_directory(type_ec);      // follows symlinks, like os.DirEntry.is_dir()
    bool is_file = !is_dir && it->is_regular_file(type_ec);
    if (type_ec) continue;  // deleted during the walk, or a dangling link
    if (!is_dir && !is_file) continue;
    bool is_link = it->is_symlink(type_ec);
    entries.push_back({it->path().filename().string(), it->path(), is_dir, is_link && !type_ec});
  }
  if (ec) warn(dir, "cannot list folder: " + ec.message());
  // A package (pytest >= 8's Package collector) visits its __init__.py first.
  bool package = options_.pytest_version.at_least(8) && fs::is_regular_file(dir / "__init__.py", ec);
  std::sort(entries.begin(), entries.end(), [package](const Entry& a, const Entry& b) {
    if (package && (a.name == "__init__.py") != (b.name == "__init__.py")) return a.name == "__init__.py";
    return a.name < b.name;
  });

  auto visit_file = [&](const Entry& e) {
    if (e.path.extension() != ".py" && options_.doctest_globs.empty()) return;
    if (ignored(e.path, false)) return;
    WalkedFile walked = classify(e.path, false);
    if (walked.python_module || walked.doctest_module || walked.doctest_text) out.push_back(walked);
  };
  auto visit_dir = [&](const Entry& e) {
    if (ignored(e.path, true)) return;
    if (e.is_link && !follow_symlink(e.path)) return;
    links_on_path_ += e.is_link;
    walk_dir(e.path, out, stack);
    links_on_path_ -= e.is_link;
  };
  if (options_.pytest_version.at_least(8)) {
    for (const Entry& e : entries) e.is_dir ? visit_dir(e) : visit_file(e);
  } else {
    // pytest 7 visited a folder's files first, then its subfolders.
    for (const Entry& e : entries) if (!e.is_dir) visit_file(e);
    for (const Entry& e : entries) if (e.is_dir) visit_dir(e);
  }
  stack.erase(real);
}

std::vector<WalkedFile> FileWalker::collect_files(const fs::path& arg) {
  std::vector<WalkedFile> out;
  std::error_code ec;
  if (fs::is_directory(arg, ec)) {
    load_conftests_down_to(arg.parent_path());
    std::set<fs::path> stack;
    walk_dir(arg, out, stack);
  } else if (fs::is_regular_file(arg, ec) || options_.overlays.count(arg.string())) {
    load_conftests_down_to(arg.parent_path());
    // An explicit file is collected even when python_files would not match it.
    WalkedFile walked = classify(arg, true);
    if (walked.python_module || walked.doctest_module || walked.doctest_text) out.push_back(walked);
  }
  return out;
}

std::vector<std::vector<FixtureDecl>> FileWalker::conftest_fixtures_for(const fs::path& dir) const {
  std::vector<std::vector<FixtureDecl>> layers;
  for (fs::path d = dir;; d = d.parent_path()) {
    auto it = conftests_.find(d);
    if (it != conftests_.end()) layers.push_back(it->second.fixtures);
    if (d == options_.rootdir || d == d.parent_path()) break;
  }
  return layers;
}

std::vector<std::shared_ptr<const GenerateTestsHook>> FileWalker::generate_tests_for(const fs::path& dir) const {
  std::vector<std::shared_ptr<const GenerateTestsHook>> hooks;
  for (fs::path d = dir;; d = d.parent_path()) {
    auto it = conftests_.find(d);
    if (it != conftests_.end() && it->second.generate_tests) hooks.push_back(it->second.generate_tests);
    if (d == options_.rootdir || d == d.parent_path()) break;
  }
  return hooks;
}

std::map<fs::path, std::shared_ptr<const GenerateTestsHook>> FileWalker::conftest_generate_tests() const {
  std::map<fs::path, std::shared_ptr<const GenerateTestsHook>> out;
  for (const auto& [dir, info] : conftests_)
    if (info.generate_tests) out.emplace(dir, info.generate_tests);
  return out;
}

std::map<fs::path, std::vector<FixtureDecl>> FileWalker::conftest_fixtures() const {
  std::map<fs::path, std::vector<FixtureDecl>> out;
  for (const auto& [dir, info] : conftests_)
    if (!info.fixtures.empty()) out.emplace(dir, info.fixtures);
  return out;
}

std::string FileWalker::collection_hook(const ConftestInfo& info) const {
  if (!info.collection_hooks.empty()) return info.collection_hooks.front();
  if (importable_)
    for (const std::string& module : info.imports) {
      const std::string name = module.substr(0, module.find('.'));
      if (!importable_->contains(name))
        return "an import of `" + name + "`, not found on the interpreter's import path (pytest may fail to import it)";
      if (local_failures_)
        if (auto why = local_failures_->failure(module))
          return "an import of `" + module + "`, whose import fails (" + *why + "; pytest may fail to import it)";
    }
  if (option_given(info.modifyitems_unless_given, options_.given_options))
    return "pytest_collection_modifyitems (acting under an option that is given)";
  if (info.hooks_add_marks && option_given({"-m", "-k"}, options_.given_options))
    return "a hook adding marks, which -m / -k select by";
  return "";
}

namespace {

// A parametrized fixture of a conftest whose scope spans modules (session, package, or one not
// known): pytest's reorder_items groups the tests requesting it by param across the modules of
// the conftest's folder (only they see it, and they are walked together), so only pytest's
// collection of that folder gives their order. Its name, or "".
std::string reordering_fixture(const ConftestInfo& info) {
  for (const FixtureDecl& f : info.fixtures)
    if (f.has_params && f.scope != "function" && f.scope != "class" && f.scope != "module") return f.name;
  return "";
}

}  // namespace

std::string FileWalker::dynamic_reason_for(const fs::path& dir) const {
  for (fs::path d = dir;; d = d.parent_path()) {
    auto it = conftests_.find(d);
    if (it != conftests_.end()) {
      const ConftestInfo& info = it->second;
      std::string where = (d / "conftest.py").lexically_relative(options_.rootdir).generic_string();
      if (std::string hook = collection_hook(info); !hook.empty())
        return where + " defines " + hook + ": a real collection settles these tests";
      if (info.collect_ignore_dynamic) return where + " builds collect_ignore at run time";
      if (std::string name = reordering_fixture(info); !name.empty())
        return where + " defines `" + name + "`, a parametrized fixture spanning modules: pytest's reorder_items "
               "orders the tests of its folder";
    }
    if (d == options_.rootdir || d == d.parent_path()) break;
  }
  return plugin_reason_;
}

std::vector<std::string> FileWalker::conftest_plugins() const {
  std::vector<std::string> out;
  for (const auto& [dir, info] : conftests_) out.insert(out.end(), info.pytest_plugins.begin(), info.pytest_plugins.end());
  return out;
}

std::optional<fs::path> FileWalker::dynamic_collection_dir(const fs::path& dir) const {
  std::optional<fs::path> outermost;
  for (fs::path d = dir;; d = d.parent_path()) {
    auto it = conftests_.find(d);
    if (it != conftests_.end() && (it->second.collect_ignore_dynamic || !collection_hook(it->second).empty() ||
                                   !reordering_fixture(it->second).empty()))
      outermost = d;
    if (d == options_.rootdir || d == d.parent_path()) break;
  }
  if (!plugin_reason_.empty()) return options_.rootdir;
  return outermost;
}

}  // namespace fastest
