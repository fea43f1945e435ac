#include "server/workspace/module_finder.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "server/core/file_text.h"
#include "server/discovery/line_breaks.h"
#include "server/discovery/source_search.h"
#include "server/workspace/import_resolver.h"

namespace fs = std::filesystem;

namespace fastest {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// What one sys.path folder offers for a name, in FileFinder's order: a package (a folder with
// `__init__.py`), an extension module, a source module; a folder without `__init__` is a
// namespace portion, which only counts when no entry offers anything else.
struct Hit {
  enum class Kind { None, Package, Module, Compiled, Namespace } kind = Kind::None;
  fs::path file;  // Package: its __init__.py; Module: the .py
};

// `extensions`: the names of the folder's extension-module files (.so, .pyd), in listing order.
Hit find_in_folder(const fs::path& dir, const std::string& name, const std::vector<std::string>& extensions) {
  std::error_code ec;
  fs::path folder = dir / name;
  if (fs::is_directory(folder, ec)) {
    if (fs::is_regular_file(folder / "__init__.py", ec)) return {Hit::Kind::Package, folder / "__init__.py"};
    for (const char* other : {"__init__.pyc", "__init__.so"})
      if (fs::exists(folder / other, ec)) return {Hit::Kind::Compiled, folder / other};
  }
  for (const std::string& file : extensions)
    if (file.size() > name.size() && file.compare(0, name.size(), name) == 0 && file[name.size()] == '.')
      return {Hit::Kind::Compiled, dir / file};
  if (fs::is_regular_file(dir / (name + ".py"), ec)) return {Hit::Kind::Module, dir / (name + ".py")};
  if (fs::exists(dir / (name + ".pyc"), ec)) return {Hit::Kind::Compiled, dir / (name + ".pyc")};
  if (fs::is_directory(folder, ec)) return {Hit::Kind::Namespace, folder};
  return {};
}

// The quoted `key: value` string pairs of the dict literal assigned to `variable` in a
// setuptools editable finder (`MAPPING: dict[str, str] = {'pkg': '/src/pkg'}`), read as text.
std::map<std::string, fs::path> dict_pairs(const std::string& text, const std::string& variable) {
  std::map<std::string, fs::path> out;
  size_t at = text.find("\n" + variable);
  if (at == std::string::npos) return out;
  size_t open = text.find('{', at), close = text.find('}', at);
  if (open == std::string::npos || close == std::string::npos || close < open) return out;
  std::vector<std::string> strings;
  for (size_t i = open + 1; i < close; ++i) {
    char q = text[i];
    if (q != '\'' && q != '"') continue;
    size_t end = text.find(q, i + 1);
    if (end == std::string::npos || end > close) break;
    strings.push_back(text.substr(i + 1, end - i - 1));
    i = end;
  }
  for (size_t i = 0; i + 1 < strings.size(); i += 2) out.emplace(strings[i], strings[i + 1]);
  return out;
}

bool is_under(const fs::path& file, const fs::path& dir) {
  fs::path rel = file.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

ModuleSearchPath module_search_path(const Interpreter& interpreter, std::vector<fs::path> front,
                                    std::vector<fs::path> maybe) {
  ModuleSearchPath path;
  path.front = std::move(front);
  path.maybe = std::move(maybe);
  if (const char* env = std::getenv("PYTHONPATH")) {
    std::stringstream ss(env);
    for (std::string dir; std::getline(ss, dir, ':');)
      if (!dir.empty()) path.tail.push_back(dir);
  }
  if (std::optional<fs::path> stdlib = stdlib_folder(interpreter)) {
    path.tail.push_back(*stdlib);
    path.tail.push_back(*stdlib / "lib-dynload");
    path.stdlib = {*stdlib, *stdlib / "lib-dynload"};
  }
  std::vector<fs::path> pth_lines;
  for (const fs::path& site : interpreter.site_packages) {
    path.tail.push_back(site);
    std::error_code ec;
    for (fs::directory_iterator it(site, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.rfind("__editable___", 0) == 0 && ends_with(name, "_finder.py")) {
        for (auto& [key, value] : dict_pairs(read_file_text(it->path()), "MAPPING"))
          if (key.find('.') == std::string::npos) path.editable.emplace(key, value);
        continue;
      }
      if (!ends_with(name, ".pth")) continue;
      std::ifstream in(it->path());
      for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#' || line.rfind("import", 0) == 0) continue;
        fs::path entry(line);
        pth_lines.push_back(entry.is_absolute() ? entry : site / entry);
      }
    }
  }
  path.tail.insert(path.tail.end(), pth_lines.begin(), pth_lines.end());
  return path;
}

ModuleFinder::ModuleFinder(fs::path rootdir, ModuleSearchPath path, std::shared_ptr<const PythonFacts> python,
                           BufferText buffers)
    : rootdir_(std::move(rootdir)), path_(std::move(path)), python_(std::move(python)), buffers_(std::move(buffers)) {}

void ModuleFinder::remember_answers(bool on) {
  std::lock_guard<std::mutex> lock(memo_mutex_);
  remembering_ = on;
  if (!on) {
    texts_.clear();
    found_.clear();
  }
}

std::optional<std::string> ModuleFinder::text_of(const fs::path& file) {
  if (buffers_)
    if (auto text = buffers_(file)) return text;
  {
    std::lock_guard<std::mutex> lock(memo_mutex_);
    if (!remembering_) return read_file_if_readable(file);
    if (auto it = texts_.find(file); it != texts_.end()) return it->second;
  }
  std::optional<std::string> text = read_file_if_readable(file);
  std::lock_guard<std::mutex> lock(memo_mutex_);
  if (remembering_) texts_.emplace(file, text);
  return text;
}

std::optional<fs::path> ModuleFinder::find_in_package(fs::path package_dir, std::string_view dotted,
                                                      std::string& why) {
  fs::path file = package_dir / "__init__.py";
  std::stringstream parts{std::string(dotted)};
  for (std::string part; std::getline(parts, part, '.');) {
    // A package that rewrites its __path__ (pkgutil.extend_path) finds submodules elsewhere.
    std::optional<std::string> init = text_of(package_dir / "__init__.py");
    if (!init) {
      why = package_dir.string() + " is not a regular package";
      return std::nullopt;
    }
    if (find_in_source(*init, "__path__") != std::string_view::npos) {
      why = (package_dir / "__init__.py").string() + " changes its __path__";
      return std::nullopt;
    }
    Hit hit = find_in_folder(package_dir, part, extensions_in(package_dir));
    switch (hit.kind) {
      case Hit::Kind::Package: package_dir = hit.file.parent_path(); file = hit.file; break;
      case Hit::Kind::Module: package_dir = fs::path(); file = hit.file; break;
      case Hit::Kind::Compiled: why = hit.file.string() + " is compiled"; return std::nullopt;
      case Hit::Kind::Namespace: why = hit.file.string() + " is a namespace package"; return std::nullopt;
      case Hit::Kind::None: why = "no module " + part + " in " + package_dir.string(); return std::nullopt;
    }
    if (package_dir.empty() && parts.peek() != EOF) {
      why = file.string() + " is not a package";
      return std::nullopt;
    }
  }
  return file;
}

const std::vector<std::string>& ModuleFinder::extensions_in(const fs::path& dir) {
  std::lock_guard<std::mutex> lock(listing_mutex_);
  auto [it, added] = extensions_.try_emplace(dir);
  if (added) {
    std::error_code ec;
    for (fs::directory_iterator entry(dir, ec), end; !ec && entry != end; entry.increment(ec)) {
      std::string file = entry->path().filename().string();
      if (ends_with(file, ".so") || ends_with(file, ".pyd")) it->second.push_back(std::move(file));
    }
  }
  return it->second;  // a map's values stay where they are
}

std::optional<fs::path> ModuleFinder::find_absolute(std::string_view dotted, std::string& why) {
  std::string top(dotted.substr(0, dotted.find('.')));
  std::string_view rest = dotted.find('.') == std::string_view::npos ? "" : dotted.substr(dotted.find('.') + 1);
  // The candidates whose order pytest's run decides: the front entries' hits (and, with no
  // front hit, the maybe entries' and the first of the rest). They must all load the same text.
  std::vector<Hit> candidates;
  bool namespace_portion = false;
  for (const fs::path& dir : path_.front) {
    Hit hit = find_in_folder(dir, top, extensions_in(dir));
    if (hit.kind == Hit::Kind::Namespace) namespace_portion = true;
    else if (hit.kind != Hit::Kind::None) candidates.push_back(hit);
  }
  bool certain = !candidates.empty();
  for (const fs::path& dir : path_.maybe) {
    Hit hit = find_in_folder(dir, top, extensions_in(dir));
    if (hit.kind == Hit::Kind::Namespace) namespace_portion = true;
    else if (hit.kind != Hit::Kind::None) candidates.push_back(hit);
  }
  if (!certain) {
    for (const fs::path& dir : path_.tail) {
      Hit hit = find_in_folder(dir, top, extensions_in(dir));
      if (hit.kind == Hit::Kind::Namespace) namespace_portion = true;
      if (hit.kind == Hit::Kind::None || hit.kind == Hit::Kind::Namespace) continue;
      for (const fs::path& stdlib : path_.stdlib)
        if (is_under(hit.file, stdlib)) {
          if (candidates.empty()) {
            why = "`" + top + "` is in the standard library";
            return std::nullopt;
          }
          why = "`" + top + "` is both in the standard library and in " + candidates.front().file.string();
          return std::nullopt;
        }
      candidates.push_back(hit);
      break;
    }
  }
  if (candidates.empty()) {
    if (namespace_portion) {
      why = "`" + top + "` is a namespace package";
      return std::nullopt;
    }
    auto editable = path_.editable.find(top);
    if (editable == path_.editable.end()) {
      why = "`" + top + "` is not found on the interpreter's import path";
      return std::nullopt;
    }
    Hit hit = find_in_folder(editable->second.parent_path(), editable->second.filename().string(),
                             extensions_in(editable->second.parent_path()));
    if (hit.kind == Hit::Kind::None)
      hit = find_in_folder(editable->second.parent_path(), top, extensions_in(editable->second.parent_path()));
    if (hit.kind == Hit::Kind::None || hit.kind == Hit::Kind::Namespace) {
      why = "`" + top + "`'s editable install is not a regular package";
      return std::nullopt;
    }
    candidates.push_back(hit);
  }
  std::optional<fs::path> chosen;
  std::optional<std::string> chosen_text;
  for (const Hit& hit : candidates) {
    if (hit.kind == Hit::Kind::Compiled) {
      why = hit.file.string() + " is compiled";
      return std::nullopt;
    }
    std::optional<fs::path> file = hit.file;
    if (!rest.empty()) {
      if (hit.kind != Hit::Kind::Package) {
        why = hit.file.string() + " is not a package";
        return std::nullopt;
      }
      file = find_in_package(hit.file.parent_path(), rest, why);
      if (!file) return std::nullopt;
    }
    if (!chosen) {
      chosen = file;
      chosen_text = text_of(*file);
      continue;
    }
    std::error_code ec;
    if (fs::equivalent(*chosen, *file, ec)) continue;
    if (text_of(*file) != chosen_text) {
      why = "`" + std::string(dotted) + "` may load " + chosen->string() + " or " + file->string() +
            ", which differ (sys.path order depends on the run)";
      return std::nullopt;
    }
  }
  return chosen;
}

std::optional<std::string> ModuleFinder::top_module_file(std::string_view top_name) {
  // Asked for every installed module's value read: remembered like imports while a collection runs.
  const std::string key = "top-file|" + std::string(top_name);
  {
    std::lock_guard<std::mutex> lock(memo_mutex_);
    if (remembering_)
      if (auto it = found_.find(key); it != found_.end())
        return it->second.file ? std::optional<std::string>(it->second.file->string()) : std::nullopt;
  }
  std::optional<std::string> file = top_module_file_uncached(top_name);
  std::lock_guard<std::mutex> lock(memo_mutex_);
  if (remembering_) found_.emplace(key, Found{file ? std::optional<fs::path>(*file) : std::nullopt, ""});
  return file;
}

std::optional<std::string> ModuleFinder::top_module_file_uncached(std::string_view top_name) {
  const std::string top(top_name);
  // The hits pytest's run may load, as find_absolute weighs them: every front and maybe
  // entry's, and with no front hit, the first of the rest. They must all be one file.
  std::vector<fs::path> files;
  bool certain = false;
  // A namespace portion counts only when no entry offers a regular module (Python's rule).
  auto consider = [&](const std::vector<fs::path>& dirs, bool first_only) {
    for (const fs::path& dir : dirs) {
      Hit hit = find_in_folder(dir, top, extensions_in(dir));
      if (hit.kind == Hit::Kind::None || hit.kind == Hit::Kind::Namespace) continue;
      files.push_back(hit.file);
      if (first_only) break;
    }
  };
  consider(path_.front, false);
  certain = !files.empty();
  consider(path_.maybe, false);
  if (!certain) consider(path_.tail, true);
  if (files.empty()) return std::nullopt;
  std::error_code ec;
  fs::path chosen = fs::weakly_canonical(files.front(), ec);
  if (ec) return std::nullopt;
  for (const fs::path& file : files)
    if (!fs::equivalent(file, chosen, ec)) return std::nullopt;
  return chosen.string();
}

std::optional<fs::path> ModuleFinder::find_file(std::string_view from_file, int level, std::string_view dotted,
                                                std::string& why) {
  std::string key;
  {
    std::lock_guard<std::mutex> lock(memo_mutex_);
    if (remembering_) {
      // An absolute import leads to the same file from anywhere; a relative one, from one folder.
      key = (level == 0 ? std::string() : fs::path(from_file).parent_path().string()) + "|" + std::to_string(level) +
            "|" + std::string(dotted);
      if (auto it = found_.find(key); it != found_.end()) {
        why = it->second.why;
        return it->second.file;
      }
    }
  }
  std::optional<fs::path> file = find_file_uncached(from_file, level, dotted, why);
  if (!key.empty()) {
    std::lock_guard<std::mutex> lock(memo_mutex_);
    if (remembering_) found_.emplace(key, Found{file, why});
  }
  return file;
}

std::optional<fs::path> ModuleFinder::find_file_uncached(std::string_view from_file, int level,
                                                         std::string_view dotted, std::string& why) {
  if (level == 0) return find_absolute(dotted, why);
  fs::path from = fs::path(from_file).is_absolute() ? fs::path(from_file) : rootdir_ / fs::path(from_file);
  fs::path package = from.parent_path();
  std::error_code ec;
  for (int i = 1; i <= level; ++i) {
    if (!fs::is_regular_file(package / "__init__.py", ec)) {
      why = "a relative import outside a package (" + package.string() + " has no __init__.py)";
      return std::nullopt;
    }
    if (i < level) package = package.parent_path();
  }
  return find_in_package(package, dotted, why);
}

std::shared_ptr<const ForeignModule> ModuleFinder::import_module(std::string_view from_file, int level,
                                                                 std::string_view dotted, std::string& why) {
  std::optional<fs::path> file = find_file(from_file, level, dotted, why);
  if (!file) return nullptr;
  std::error_code ec;
  return load(fs::absolute(*file, ec).lexically_normal(), why);
}

std::shared_ptr<const ForeignModule> ModuleFinder::load(const fs::path& file, std::string& why) {
  std::optional<std::string> text = text_of(file);
  if (!text) {
    why = file.string() + " cannot be read";
    return nullptr;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(file);
    if (it != cache_.end() && it->second.text == *text) return it->second.module;
  }
  auto module = std::make_shared<ForeignModule>();
  module->path = file.string();
  module->text = has_lone_cr(*text) ? lone_cr_as_lf(*text) : *text;
  module->is_package = file.filename() == "__init__.py";
  thread_local ParserPtr parser = make_python_parser();
  module->tree = parse_python(parser.get(), module->text);
  if (!module->tree) {
    why = file.string() + " could not be parsed";
    return nullptr;
  }
  module->scope = read_scope(ts_tree_root_node(module->tree.get()), module->text, python_.get());
  std::lock_guard<std::mutex> lock(mutex_);
  cache_[file] = Cached{*text, module};
  return module;
}

std::shared_ptr<ModuleFinder> make_module_finder(const Interpreter& interpreter, const fs::path& rootdir,
                                                 const fs::path& invocation_dir, const std::vector<fs::path>& basedirs,
                                                 const std::vector<fs::path>& pythonpath, bool importlib_mode,
                                                 std::shared_ptr<const PythonFacts> python, BufferText buffers) {
  std::vector<fs::path> front = pythonpath, maybe;
  (importlib_mode ? maybe : front).insert((importlib_mode ? maybe : front).end(), basedirs.begin(), basedirs.end());
  for (const fs::path& dir : {rootdir, invocation_dir})
    if (std::find(front.begin(), front.end(), dir) == front.end() && std::find(maybe.begin(), maybe.end(), dir) == maybe.end())
      maybe.push_back(dir);
  return std::make_shared<ModuleFinder>(rootdir, module_search_path(interpreter, std::move(front), std::move(maybe)),
                                        std::move(python), std::move(buffers));
}

}  // namespace fastest
