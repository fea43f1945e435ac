#include "server/workspace/plugin_hooks.h"

#include "server/core/file_text.h"
#include "server/discovery/conftest_analysis.h"
#include "server/discovery/syntax_tree.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace fastest {
namespace fs = std::filesystem;
namespace {

// pytest's hooks that decide which items exist or what they are called.
// (pytest_itemcollected, last, sees each item but cannot add, remove or rename one: it counts
// only when -m / -k may select by a mark it adds.)
constexpr std::array<std::string_view, 12> kCollectionHooks = {
    "pytest_collect_file",         "pytest_collect_directory",   "pytest_collection_modifyitems",
    "pytest_ignore_collect",       "pytest_generate_tests",      "pytest_pycollect_makeitem",
    "pytest_pycollect_makemodule", "pytest_make_collect_report", "pytest_collection",
    "pytest_deselected",           "pytest_make_parametrize_id", "pytest_itemcollected",
};

// A module-level pytest_collection_modifyitems, defined once, whose body only adds marks
// (conftest_analysis' reading; an option guard does not count here: the plugin's options are
// not matched against the command line).
bool harmless_modifyitems(const std::string& text, bool selecting) {
  size_t defs = 0;
  for (size_t at = text.find("def pytest_collection_modifyitems"); at != std::string::npos;
       at = text.find("def pytest_collection_modifyitems", at + 1)) {
    if (at != 0 && text[at - 1] != '\n') return false;  // a method, or nested: not read
    ++defs;
  }
  if (defs != 1) return false;
  ParserPtr parser = make_python_parser();
  TreePtr tree = parse_python(parser.get(), text);
  if (!tree || ts_node_has_error(ts_tree_root_node(tree.get()))) return false;
  ConftestInfo info = analyze_conftest(tree.get(), text);
  return std::find(info.collection_hooks.begin(), info.collection_hooks.end(), "pytest_collection_modifyitems") ==
             info.collection_hooks.end() &&
         info.modifyitems_unless_given.empty() && !(selecting && info.hooks_add_marks);
}

// Plugins whose collection hooks are known not to change pytest's ids, by distribution name and
// the major version that was read (docs/discovery-parity.md says what each hook does).
struct KnownPlugin {
  std::string_view distribution;  // normalised: lower case, '_' for '-' and '.'
  int major;
  // A mark its hook adds to items: the ids stay, but -m / -k naming it select differently.
  std::string_view adds_mark = {};
};
constexpr std::array<KnownPlugin, 3> kIdPreserving = {{
    {"pytest_xdist", 3},  // pytest_collection: only in -n's controller / workers and --looponfail
    {"hypothesis", 6, "hypothesis"},  // modifyitems marks @given tests; ignore_collect: .hypothesis/
    // generate_tests / make_parametrize_id act only on lf()/lfc() values (calls: dynamic here);
    // modifyitems only under pytest-deadfixtures' --dead-fixtures, and it adds no item.
    {"pytest_lazy_fixtures", 1},
}};

struct EntryPoint {
  std::string name;          // the entry point's name (`-p no:NAME` disables it)
  std::string module;        // the module it loads
  std::string distribution;  // normalised distribution name
  std::string version;
};

std::string normalise(std::string name) {
  for (char& c : name) c = c == '-' || c == '.' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::vector<EntryPoint> pytest11_entry_points(const Interpreter& interpreter) {
  std::vector<EntryPoint> out;
  std::error_code ec;
  for (const fs::path& sp : interpreter.site_packages) {
    for (auto& entry : fs::directory_iterator(sp, ec)) {
      const std::string dir = entry.path().filename().string();
      if (!dir.ends_with(".dist-info") && !dir.ends_with(".egg-info")) continue;
      std::string stem = dir.substr(0, dir.rfind('.'));
      size_t dash = stem.find('-');
      std::string distribution = normalise(stem.substr(0, dash));
      std::string version = dash == std::string::npos ? "" : stem.substr(dash + 1);
      std::ifstream in(entry.path() / "entry_points.txt");
      bool in_section = false;
      for (std::string line; std::getline(in, line);) {
        line = trim(line);
        if (line.starts_with("[")) { in_section = line == "[pytest11]"; continue; }
        size_t eq = line.find('=');
        if (!in_section || eq == std::string::npos) continue;
        std::string module = trim(line.substr(eq + 1));
        module = trim(module.substr(0, module.find(':')));
        out.push_back({trim(line.substr(0, eq)), module, distribution, version});
      }
    }
  }
  return out;
}

std::optional<fs::path> module_file(const std::string& module, const std::vector<fs::path>& dirs) {
  fs::path relative;
  std::stringstream parts(module);
  for (std::string part; std::getline(parts, part, '.');) relative /= part;
  std::error_code ec;
  for (const fs::path& dir : dirs) {
    fs::path as_file = dir / relative;
    as_file += ".py";
    if (fs::is_regular_file(as_file, ec)) return as_file;
    if (fs::is_regular_file(dir / relative / "__init__.py", ec)) return dir / relative / "__init__.py";
  }
  return std::nullopt;
}

// A hook defined anywhere in the text (module functions and methods of classes the plugin
// registers), or a parametrized fixture.
// `selecting`: -m or -k is given (a hook adding marks changes what they select).
std::optional<std::string> defines_collection_hook(const std::string& text, bool selecting, bool params_are_hooks = true) {
  for (std::string_view hook : kCollectionHooks) {
    if (hook == "pytest_itemcollected" && !selecting) continue;
    for (size_t at = text.find(hook); at != std::string::npos; at = text.find(hook, at + 1)) {
      size_t def = text.rfind("def ", at);
      bool is_def = def != std::string::npos && text.find_first_not_of(" \t", def + 4) == at;
      char after = at + hook.size() < text.size() ? text[at + hook.size()] : '\0';
      if (is_def && (after == '(' || after == ' ')) {
        if (hook == "pytest_collection_modifyitems" && harmless_modifyitems(text, selecting)) break;
        return std::string(hook);
      }
    }
  }
  if (!params_are_hooks) return std::nullopt;
  for (size_t params = text.find("params="); params != std::string::npos; params = text.find("params=", params + 1))
    if (text.find("fixture", params > 300 ? params - 300 : 0) < params) return std::string("a parametrized fixture");
  return std::nullopt;
}

// The plugin's module, and the other modules of its package when it is part of one (a package's
// `__init__` may import its hooks from them, or register plugin objects defined there).
// `fixtures` set: the plugin module's own parametrized fixtures are not a reason but read into
// it (pytest registers them for every test: the outermost fixture layer), unless one is
// autouse (the order of plugins' autouse fixtures is pytest's registration order, not read).
std::optional<std::string> hook_in_plugin(const fs::path& file, bool in_package, bool selecting,
                                          std::vector<FixtureDecl>* fixtures = nullptr) {
  std::string text = read_file_text(file);
  if (auto hook = defines_collection_hook(text, selecting, fixtures == nullptr)) return hook;
  if (fixtures && text.find("params=") != std::string::npos) {
    ParserPtr parser = make_python_parser();
    TreePtr tree = parse_python(parser.get(), text);
    if (!tree || ts_node_has_error(ts_tree_root_node(tree.get()))) return std::string("a parametrized fixture");
    for (const FixtureDecl& d : analyze_conftest(tree.get(), text).fixtures) {
      if (d.autouse && d.has_params) return std::string("a parametrized autouse fixture");
      fixtures->push_back(d);  // an imported name may be a fixture defined elsewhere: requesting it is settled
    }
  }
  if (!in_package) return std::nullopt;
  std::error_code ec;
  for (auto& sibling : fs::directory_iterator(file.parent_path(), ec))
    if (sibling.path().extension() == ".py" && sibling.path() != file)
      if (auto hook = defines_collection_hook(read_file_text(sibling.path()), selecting))
        return *hook + " (in " + sibling.path().filename().string() + ")";
  return std::nullopt;
}

bool id_preserving(const EntryPoint& ep, const PluginSources& sources) {
  int major = std::atoi(ep.version.c_str());
  return std::any_of(kIdPreserving.begin(), kIdPreserving.end(), [&](const KnownPlugin& k) {
    bool selects_by_its_mark = !k.adds_mark.empty() && (sources.markexpr.find(k.adds_mark) != std::string::npos ||
                                                        sources.keywordexpr.find(k.adds_mark) != std::string::npos);
    return k.distribution == ep.distribution && k.major == major && !selects_by_its_mark;
  });
}

}  // namespace

std::optional<std::string> plugin_collection_reason(const Interpreter& interpreter, const PluginSources& sources,
                                                    std::vector<std::vector<FixtureDecl>>* global_fixtures) {
  std::set<std::string> disabled;
  std::vector<std::string> requested;
  for (const std::string& p : sources.plugin_options)
    if (p.starts_with("no:")) disabled.insert(p.substr(3));
    else requested.push_back(p);
  std::vector<EntryPoint> entry_points = pytest11_entry_points(interpreter);

  std::vector<fs::path> dirs = interpreter.site_packages;
  dirs.insert(dirs.end(), sources.import_dirs.begin(), sources.import_dirs.end());
  auto reason_for = [&](const EntryPoint& ep, const std::string& how) -> std::optional<std::string> {
    if (id_preserving(ep, sources)) return std::nullopt;
    std::string who = "the pytest plugin `" + ep.module + "` (" + how +
                      (ep.distribution.empty() ? "" : ", " + ep.distribution + " " + ep.version) + ")";
    auto file = module_file(ep.module, dirs);
    if (!file) return who + " cannot be read: a real collection settles these tests";
    const bool in_package = ep.module.find('.') != std::string::npos || file->filename() == "__init__.py";
    std::vector<FixtureDecl> fixtures;
    const bool selecting = !sources.markexpr.empty() || !sources.keywordexpr.empty();
    if (auto hook = hook_in_plugin(*file, in_package, selecting, global_fixtures ? &fixtures : nullptr))
      return who + " defines " + *hook + ": a real collection settles these tests";
    if (global_fixtures && !fixtures.empty()) global_fixtures->push_back(std::move(fixtures));
    return std::nullopt;
  };

  std::set<std::string> seen_modules;
  for (const EntryPoint& ep : entry_points) {
    bool asked = std::find(requested.begin(), requested.end(), ep.name) != requested.end();
    // pytest blocks an entry point by its name only (`-p no:MODULE` leaves it loaded).
    if (disabled.count(ep.name) || (!sources.autoload && !asked)) continue;
    if (!seen_modules.insert(ep.module).second) continue;
    if (auto why = reason_for(ep, "entry point " + ep.name)) return why;
  }
  auto plain = [&](const std::string& module, const std::string& how) -> std::optional<std::string> {
    if (disabled.count(module) || !seen_modules.insert(module).second) return std::nullopt;
    for (const EntryPoint& ep : entry_points) if (ep.name == module) return std::nullopt;  // loaded above
    // pytest's own plugins (`-p pytester`) are part of the rules already.
    for (const fs::path& sp : interpreter.site_packages)
      if (module.find('.') == std::string::npos && fs::exists(sp / "_pytest" / (module + ".py"))) return std::nullopt;
    return reason_for({module, module, "", ""}, how);
  };
  for (const std::string& module : requested)
    if (auto why = plain(module, "-p " + module)) return why;
  for (const std::string& module : sources.pytest_plugins)
    if (auto why = plain(module, "pytest_plugins")) return why;
  return std::nullopt;
}

}  // namespace fastest
