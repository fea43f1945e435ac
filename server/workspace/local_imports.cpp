#include "server/workspace/local_imports.h"

#include <algorithm>
#include <sstream>

#include "server/core/file_text.h"
#include "server/discovery/computed_bindings.h"
#include "server/discovery/module_imports.h"
#include "server/discovery/syntax_tree.h"

namespace fs = std::filesystem;

namespace fastest {
namespace {

constexpr int kMaxDepth = 64;  // a chain of imports this long is not followed further

std::vector<std::string> split_dotted(const std::string& dotted) {
  std::vector<std::string> parts;
  std::stringstream in(dotted);
  for (std::string part; std::getline(in, part, '.');)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

std::string join(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count && i < parts.size(); ++i) out += (i ? "." : "") + parts[i];
  return out;
}

bool installed(const fs::path& path) {
  for (const fs::path& part : path)
    if (part == "site-packages" || part == "dist-packages") return true;
  return false;
}

}  // namespace

LocalImportCheck::LocalImportCheck(std::vector<fs::path> search_dirs, fs::path project_root,
                                   std::shared_ptr<const ImportableNames> importable)
    : dirs_(std::move(search_dirs)), root_(std::move(project_root)), importable_(std::move(importable)) {}

std::string LocalImportCheck::shown(const fs::path& file) const {
  fs::path rel = file.lexically_relative(root_);
  return (rel.empty() ? file : rel).generic_string();
}

std::vector<LocalImportCheck::ModuleFile> LocalImportCheck::files_of(const std::string& dotted, bool sibling) const {
  std::vector<std::string> parts = split_dotted(dotted);
  std::vector<ModuleFile> files;
  if (parts.empty()) return files;
  std::error_code ec;
  fs::path folder;  // the package folder the next part is looked up in
  for (const fs::path& dir : dirs_) {
    if (fs::is_regular_file(dir / parts[0] / "__init__.py", ec)) {
      folder = dir / parts[0];
      files.push_back({folder / "__init__.py", parts[0]});
      break;
    }
    fs::path as_module = dir / (parts[0] + ".py");
    if (fs::is_regular_file(as_module, ec)) {
      if (parts.size() == 1) files.push_back({as_module, ""});
      break;  // a plain module has no submodules: Python's own error, pytest's to report
    }
    if (folder.empty() && fs::is_directory(dir / parts[0], ec)) folder = dir / parts[0];  // namespace portion
  }
  if (folder.empty() && files.empty()) return {};
  const fs::path top = files.empty() ? folder : files.front().file;
  fs::path rel = top.lexically_relative(root_);
  if (rel.empty() || *rel.begin() == ".." || (installed(top) && !sibling)) return {};
  for (size_t i = 1; i < parts.size() && !folder.empty(); ++i) {
    if (fs::is_regular_file(folder / parts[i] / "__init__.py", ec)) {
      folder /= parts[i];
      files.push_back({folder / "__init__.py", join(parts, i + 1)});
    } else if (i + 1 == parts.size() && fs::is_regular_file(folder / (parts[i] + ".py"), ec)) {
      files.push_back({folder / (parts[i] + ".py"), join(parts, i)});
    } else if (fs::is_directory(folder / parts[i], ec)) {
      folder /= parts[i];
    } else {
      break;  // not a module (an attribute `from pkg import name` takes): nothing more runs
    }
  }
  return files;
}

std::string LocalImportCheck::package_of(const std::string& path) const {
  // Once per folder: every module of a folder asks it (a stat per package level each time).
  const fs::path folder = (root_ / path).parent_path();
  {
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    if (auto it = packages_.find(folder.string()); it != packages_.end()) return it->second;
  }
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::path dir = folder; fs::is_regular_file(dir / "__init__.py", ec); dir = dir.parent_path()) {
    names.insert(names.begin(), dir.filename().string());
    if (dir == dir.parent_path()) break;
  }
  std::string package = join(names, names.size());
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  packages_.emplace(folder.string(), package);
  return package;
}

bool LocalImportCheck::has_read(const std::string& path) const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  const fs::path key = fs::path(path).lexically_normal();
  return files_.count(key) != 0 || texts_read_.count(key) != 0;
}

std::optional<std::string> LocalImportCheck::skips_importers(const std::string& dotted) const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (auto it = skippers_.find(dotted); it != skippers_.end()) return it->second;
  std::optional<std::string> why;
  std::vector<ModuleFile> files = files_of(dotted, /*sibling=*/true);
  if (!files.empty()) {
    // Read from the text: wherever it stands in the module, it may run at import.
    const fs::path& file = files.back().file;
    const std::string text = read_file_text(file);
    ParserPtr parser = make_python_parser();
    TreePtr tree = parse_python(parser.get(), text);
    const TSNode root = tree ? ts_tree_root_node(tree.get()) : TSNode{};
    for (std::string_view marker : {std::string_view("allow_module_level"), std::string_view("importorskip(")})
      for (size_t at = text.find(marker); at != std::string::npos && !why; at = text.find(marker, at + 1)) {
        if (tree && !ts_node_has_error(root) && !code_may_run_at_import(root, text, at)) continue;
        const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
        why = shown(file) + " may skip or fail whoever imports it (`" + std::string(marker) + "` at line " +
              std::to_string(line) + ")";
      }
    texts_read_.insert(file.lexically_normal());  // a change to it may change the answer (has_read)
  }
  skippers_[dotted] = why;
  return why;
}

std::optional<std::string> LocalImportCheck::failure(const std::string& dotted) const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  return module_failure(dotted, 0);
}

std::optional<std::string> LocalImportCheck::module_failure(const std::string& dotted, int depth) const {
  if (auto it = modules_.find(dotted); it != modules_.end()) return it->second;
  std::optional<std::string> why;
  for (const ModuleFile& m : files_of(dotted))
    if ((why = file_failure(m.file, m.package, depth + 1))) break;
  modules_[dotted] = why;
  return why;
}

std::optional<std::string> LocalImportCheck::file_failure(const fs::path& file, const std::string& package,
                                                          int depth) const {
  const fs::path key = file.lexically_normal();
  if (auto it = files_.find(key); it != files_.end()) return it->second;
  if (depth > kMaxDepth || in_progress_.count(file)) return std::nullopt;  // a cycle: Python's to sort out
  in_progress_.insert(file);
  std::optional<std::string> why;
  const std::string text = read_file_text(file);
  ParserPtr parser = make_python_parser();
  TreePtr tree = parse_python(parser.get(), text);
  if (tree) {
    const std::vector<std::string> package_parts = split_dotted(package);
    for (const UnconditionalImport& u : unconditional_import_statements(ts_tree_root_node(tree.get()), text)) {
      const ImportStatement& s = u.statement;
      std::string module;
      if (s.level == 0) {
        const std::string top = split_dotted(s.module).empty() ? "" : split_dotted(s.module).front();
        if (!top.empty() && importable_ && !importable_->contains(top)) {
          why = shown(file) + " imports `" + top + "` at line " + std::to_string(u.line) +
                ", which is not found on the interpreter's import path";
          break;
        }
        module = s.module;
      } else {
        if (static_cast<size_t>(s.level) > package_parts.size()) continue;  // beyond the top: Python's error
        module = join(package_parts, package_parts.size() - static_cast<size_t>(s.level) + 1);
        if (!s.module.empty()) module += (module.empty() ? "" : ".") + s.module;
      }
      if (module.empty()) continue;
      if ((why = module_failure(module, depth))) break;
      for (const std::string& name : s.names) {
        const std::string submodule = module + "." + name;
        if (name != "*" && !files_of(submodule).empty() && (why = module_failure(submodule, depth))) break;
      }
      if (why) break;
    }
  }
  in_progress_.erase(file);
  files_[key] = why;
  return why;
}

}  // namespace fastest
