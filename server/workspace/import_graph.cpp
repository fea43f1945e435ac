#include "server/workspace/import_graph.h"

#include <algorithm>
#include <deque>
#include <fstream>
#include <sstream>
#include <system_error>

#include "server/core/file_text.h"
#include "server/discovery/import_statements.h"
#include "server/discovery/syntax_tree.h"

namespace fs = std::filesystem;

namespace fastest {
namespace {

// `a/b/c.py` under root → "a.b.c"; `a/b/__init__.py` → "a.b"; "" when not a module name.
std::string dotted_name(const fs::path& file, const fs::path& root) {
  std::error_code ec;
  fs::path rel = file.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return {};
  std::string out;
  for (auto it = rel.begin(); it != rel.end(); ++it) {
    std::string part = it->string();
    if (std::next(it) == rel.end()) {
      if (part == "__init__.py") break;
      if (part.size() < 4 || part.compare(part.size() - 3, 3, ".py") != 0) return {};
      part.resize(part.size() - 3);
    }
    if (part.empty() || part.find('.') != std::string::npos || part.find('-') != std::string::npos) return {};
    if (!out.empty()) out += '.';
    out += part;
  }
  return out;
}

}  // namespace

bool skipped_folder(const fs::path& dir) {
  std::string name = dir.filename().string();
  if (name.empty() || name[0] == '.' || name == "__pycache__" || name == "node_modules" || name == "site-packages")
    return true;
  std::error_code ec;
  return fs::exists(dir / "pyvenv.cfg", ec);
}


bool is_pytest_config_file(const fs::path& file) {
  const std::string name = file.filename().string();
  return name == "pytest.ini" || name == ".pytest.ini" || name == "pyproject.toml" || name == "tox.ini" ||
         name == "setup.cfg";
}

bool is_editor_noise(const fs::path& file) {
  const std::string name = file.filename().string();
  if (name.empty() || name.rfind(".#", 0) == 0 || name.back() == '~' || name.front() == '#' || name == "4913")
    return true;
  const std::string ext = file.extension().string();
  return ext == ".swp" || ext == ".swx" || ext == ".swo" || ext == ".pyc" || ext == ".tmp" ||
         file.string().find("/__pycache__/") != std::string::npos;
}

std::vector<fs::path> project_python_files(const fs::path& root, const std::atomic<bool>* cancel) {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (cancel && cancel->load(std::memory_order_relaxed)) break;
    const fs::directory_entry& entry = *it;
    if (entry.is_directory(ec)) {
      if (skipped_folder(entry.path())) it.disable_recursion_pending();
      continue;
    }
    if (entry.path().extension() == ".py" && entry.is_regular_file(ec)) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void ImportGraph::reset(std::vector<fs::path> source_roots, const std::vector<fs::path>& files,
                        const std::atomic<bool>* cancel) {
  roots_ = std::move(source_roots);
  modules_.clear();
  files_.clear();
  for (const fs::path& file : files) {
    for (const fs::path& root : roots_) {
      std::string name = dotted_name(file, root);
      if (!name.empty()) modules_.emplace(name, file);
    }
    files_[file];
  }
  refresh(cancel);
}

void ImportGraph::refresh(const std::atomic<bool>* cancel) {
  for (auto& [file, entry] : files_) {
    if (cancel && cancel->load(std::memory_order_relaxed)) return;
    std::error_code ec;
    auto mtime = fs::last_write_time(file, ec);
    uintmax_t size = ec ? 0 : fs::file_size(file, ec);
    if (ec || (mtime == entry.mtime && size == entry.size && entry.mtime != fs::file_time_type{})) continue;
    entry.mtime = mtime;
    entry.size = size;
    entry.imports = resolve(file, read_file_text(file));
  }
}

void ImportGraph::update(const fs::path& file, const std::string* text) {
  std::error_code ec;
  if (!text && !fs::exists(file, ec)) {
    files_.erase(file);
    return;
  }
  if (!files_.count(file))
    for (const fs::path& root : roots_) {
      std::string name = dotted_name(file, root);
      if (!name.empty()) modules_.emplace(name, file);
    }
  FileImports& entry = files_[file];
  if (text) {
    entry.imports = resolve(file, *text);
    entry.mtime = {};  // the next refresh() re-reads the disk
    return;
  }
  entry.mtime = fs::last_write_time(file, ec);
  entry.size = ec ? 0 : fs::file_size(file, ec);
  entry.imports = resolve(file, read_file_text(file));
}

// `a.b.c` imports a/__init__.py, a/b/__init__.py and a/b/c(.py|/__init__.py) when they exist.
void ImportGraph::add_module(const std::string& dotted, std::vector<fs::path>& out) const {
  size_t end = 0;
  while (end != std::string::npos) {
    end = dotted.find('.', end + 1);
    auto it = modules_.find(dotted.substr(0, end));
    if (it != modules_.end()) out.push_back(it->second);
  }
}

void ImportGraph::add_relative(const fs::path& base, const std::string& dotted, std::vector<fs::path>& out) const {
  fs::path dir = base;
  auto add_if_file = [&](const fs::path& p) {
    if (files_.count(p)) out.push_back(p);
  };
  add_if_file(dir / "__init__.py");
  std::stringstream parts(dotted);
  std::string part;
  while (std::getline(parts, part, '.')) {
    if (part.empty()) continue;
    add_if_file(dir / (part + ".py"));
    dir /= part;
    add_if_file(dir / "__init__.py");
  }
}

std::vector<fs::path> ImportGraph::resolve(const fs::path& file, const std::string& source) const {
  std::vector<fs::path> out;
  ParserPtr parser = make_python_parser();
  TreePtr tree = parse_python(parser.get(), source);
  if (!tree) return out;
  for (const ImportStatement& s : import_statements(ts_tree_root_node(tree.get()), source)) {
    if (s.level == 0) {
      add_module(s.module, out);
      for (const std::string& name : s.names) add_module(s.module + "." + name, out);  // maybe submodules
      continue;
    }
    fs::path base = file.parent_path();
    for (int up = 1; up < s.level; ++up) base = base.parent_path();
    add_relative(base, s.module, out);
    for (const std::string& name : s.names)
      add_relative(base, s.module.empty() ? name : s.module + "." + name, out);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  out.erase(std::remove(out.begin(), out.end(), file), out.end());
  return out;
}

std::vector<fs::path> ImportGraph::imports_of(const fs::path& file) const {
  auto it = files_.find(file);
  return it == files_.end() ? std::vector<fs::path>{} : it->second.imports;
}

std::vector<fs::path> ImportGraph::affected(const std::vector<fs::path>& test_files,
                                            const std::vector<fs::path>& changed) const {
  // Reverse edges once, then everything that reaches a changed file.
  std::map<fs::path, std::vector<fs::path>> importers;
  for (const auto& [file, entry] : files_)
    for (const fs::path& imported : entry.imports) importers[imported].push_back(file);
  std::set<fs::path> reached(changed.begin(), changed.end());
  std::deque<fs::path> queue(changed.begin(), changed.end());
  while (!queue.empty()) {
    fs::path file = std::move(queue.front());
    queue.pop_front();
    auto it = importers.find(file);
    if (it == importers.end()) continue;
    for (const fs::path& importer : it->second)
      if (reached.insert(importer).second) queue.push_back(importer);
  }
  std::vector<fs::path> out;
  for (const fs::path& test : test_files) {
    bool hit = reached.count(test) > 0;
    // A conftest in the test's folder or above (or what it imports) reaches every test under it.
    for (fs::path dir = test.parent_path(); !hit; dir = dir.parent_path()) {
      hit = reached.count(dir / "conftest.py") > 0;
      if (dir.empty() || dir == dir.parent_path() || (!roots_.empty() && dir == roots_.front())) break;
    }
    if (hit) out.push_back(test);
  }
  return out;
}

}  // namespace fastest
