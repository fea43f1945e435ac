// pytest's collection rules for one module, applied to a syntax tree.
//
// pytest collects by walking `module.__dict__` (insertion order) and, for classes, the
// `__dict__` of every class in the MRO (PyCollector.collect). We rebuild those dicts from
// the source: a name keeps the position of its first binding and the value of its last.
#include "server/discovery/module_discovery.h"
#include "server/discovery/test_signature.h"

#include <algorithm>
#include <fnmatch.h>
#include <map>
#include <optional>
#include <deque>
#include <set>
#include <unordered_map>

#include "server/discovery/computed_bindings.h"
#include "server/discovery/fixture_graph.h"
#include "server/discovery/generate_tests_hook.h"
#include "server/discovery/marks.h"
#include "server/discovery/module_scope.h"
#include "server/discovery/module_imports.h"
#include "server/discovery/module_lookup.h"
#include "server/discovery/module_skip.h"
#include "server/discovery/parametrize.h"
#include "server/discovery/python_literal.h"
#include "server/discovery/source_search.h"
#include "server/discovery/static_value.h"
#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

// Ends the reason of a module whose import may fail (TestItem::import_may_fail).
constexpr std::string_view kMayFailImport = "pytest may fail to import the module";

constexpr size_t kMaxSyntaxDiagnostics = 20;
// More parametrized cases than this (fixtures times marks) are left to pytest.
constexpr size_t kMaxStaticCases = 100000;

bool matches_name_option(const std::vector<std::string>& patterns, std::string_view name) {
  std::string n(name);
  for (const std::string& p : patterns) {
    if (n.rfind(p, 0) == 0) return true;
    if (p.find_first_of("*?[") != std::string::npos && fnmatch(p.c_str(), n.c_str(), 0) == 0) return true;
  }
  return false;
}

}  // namespace

std::vector<Diagnostic> syntax_errors(TSNode root, std::string_view module_path) {
  std::vector<Diagnostic> out;
  if (!ts_node_has_error(root)) return out;
  std::string path(module_path);
  std::vector<TSNode> stack{root};
  while (!stack.empty() && out.size() < kMaxSyntaxDiagnostics) {
    TSNode node = stack.back();
    stack.pop_back();
    if (ts_node_is_missing(node)) {
      out.push_back({path, ts::range_of(node), std::string("syntax error: missing ") + ts_node_type(node)});
      continue;
    }
    if (ts::is(node, "ERROR")) {
      out.push_back({path, ts::range_of(node), "syntax error"});
      continue;
    }
    if (!ts_node_has_error(node)) continue;
    uint32_t n = ts_node_child_count(node);
    for (uint32_t i = n; i-- > 0;) stack.push_back(ts_node_child(node, i));
  }
  if (out.empty()) out.push_back({path, ts::range_of(root), "syntax error"});
  return out;
}

namespace {

// A module whose code the rules read: the collected one, or one a base class is imported from.
struct Source {
  std::string_view text;
  std::string file;  // the collected module: rootdir-relative; a base's module: absolute
  TSNode root{};
  Scope owned_scope;  // the collected module's (a base's module keeps its own in `foreign`)
  const Scope* scope = nullptr;
  std::shared_ptr<const ForeignModule> foreign;  // null for the collected module
  std::string unusable;  // a base's module: why its classes are not read statically
  std::optional<StaticEvaluator> evaluator;
  StaticEvaluator* evaluator_of(const PythonFacts* python) {
    if (!evaluator) evaluator.emplace(text, root, *scope, python);
    return &*evaluator;
  }
};

// Bases followed through at most this many imports and aliases.
constexpr int kMaxImportDepth = 12;

// A module's items are collected into a list reused file after file on this thread (no
// doubling's copies and fresh pages per module), then moved into one of exactly their size.
// A stack of them: reading a module may read another (imported bases) on the same thread.
thread_local std::vector<std::vector<TestItem>> spare_item_lists;

struct ScratchItems {
  std::vector<TestItem> items;
  ScratchItems() {
    if (!spare_item_lists.empty()) {
      items = std::move(spare_item_lists.back());
      spare_item_lists.pop_back();
    }
  }
  ~ScratchItems() {
    items.clear();
    if (items.capacity() <= 4096) spare_item_lists.push_back(std::move(items));  // a huge one is let go
  }
  ScratchItems(const ScratchItems&) = delete;
  ScratchItems& operator=(const ScratchItems&) = delete;
};

class ModuleCollector {
 public:
  ModuleCollector(std::string_view source, std::string_view module_path, const CollectRules& rules,
                  const SourceKeywords* keywords)
      : source_(source), module_path_(module_path), rules_(rules), keywords_(keywords) {}

  // Reads the module's own scope and makes it the code being read.
  Source& open(TSNode root) {
    Source& own = sources_.emplace_back();
    own.text = source_;
    own.file = module_path_;
    own.root = root;
    own.owned_scope = read_scope(root, source_, rules_.python.get());
    own.scope = &own.owned_scope;
    enter(&own);
    return own;
  }

  // The opened module's evaluator, following imports as a test module's does.
  StaticEvaluator& opened_evaluator() { return *evaluator_for(&sources_.front()); }

  ModuleResult run(const TSTree* tree, std::string_view only_entry) {
    ModuleResult result;
    TSNode root = ts_tree_root_node(tree);
    result.diagnostics = syntax_errors(root, module_path_);
    Source& own = open(root);

    TestItem module_item;
    module_item.id = module_path_;
    module_item.kind = ItemKind::Module;
    module_item.set_path(module_path_);
    size_t slash = module_path_.rfind('/');
    module_item.set_label(slash == std::string::npos ? module_path_ : module_path_.substr(slash + 1));
    module_item.range = ts::range_of(root);
    module_item.name_range = Range{};

    if (const Binding* t = module_->find("__test__"); t && t->kind == Binding::Kind::Assignment && is_false_literal(t->value)) {
      result.items.push_back(module_item);
      return result;  // `__test__ = False`: pytest collects nothing from this module
    }
    if (const Binding* pm = module_->find("pytestmark"); pm && pm->kind == Binding::Kind::Assignment)
      module_marks_ = tagged(marks_from_value(pm->value, source_, resolver_));
    for (const MarkRef& m : module_marks_) module_item.marks.push_back(m.mark);

    module_fixtures_ = fixture_decls(*module_, source_, /*in_class=*/false, rules_, resolver_, unbound_, evaluator());
    if (const Binding* hook = module_->find("pytest_generate_tests"); hook && !read_module_generate_tests(*hook)) {
      generate_tests_hook_ = true;
      result.dynamic = true;
      result.dynamic_reason = "the module defines pytest_generate_tests";
    }

    ScratchItems scratch;  // grown here, then moved into a list of exactly its size
    items_ = &scratch.items;
    items_->push_back(module_item);
    std::vector<std::string> imported_tests;
    for (const std::string& name : module_->order) {
      const Binding& b = module_->bindings.at(name);
      if (b.kind == Binding::Kind::Import) {
        if (is_test_like_import(name, b) && !imports_a_plain_value(name, b) && !collect_imported_class(name, b, only_entry))
          imported_tests.push_back(name);
        continue;
      }
      if (!only_entry.empty() && name != only_entry) continue;
      collect_entry(name, b, module_path_, {}, /*in_class=*/false);
    }
    result.items.assign(std::make_move_iterator(items_->begin()), std::make_move_iterator(items_->end()));
    items_ = nullptr;
    if (auto why = computed_test_binding(*module_, source_, [this](std::string_view n) { return is_collectable_name(n); })) {
      result.dynamic = true;
      result.dynamic_reason = (result.dynamic_reason.empty() ? "" : result.dynamic_reason + "; ") + *why;
    } else if (auto looped = loop_bound_test_name(root, source_, [this](std::string_view n) { return is_collectable_name(n); })) {
      result.dynamic = true;
      result.dynamic_reason = (result.dynamic_reason.empty() ? "" : result.dynamic_reason + "; ") + *looped;
    } else if (auto written = namespace_written_by_code(source_, root, [this](std::string_view n) { return is_collectable_name(n); }, keywords_)) {
      result.dynamic = true;
      result.dynamic_reason = (result.dynamic_reason.empty() ? "" : result.dynamic_reason + "; ") + *written;
    }
    bool import_may_fail = false, import_may_skip = false;
    if (auto outcome = module_level_outcome(root, source_, *module_, evaluator(), keywords_)) {
      result.dynamic = true;
      result.dynamic_reason = (result.dynamic_reason.empty() ? "" : result.dynamic_reason + "; ") + outcome->reason;
      (outcome->may_skip ? import_may_skip : import_may_fail) = true;
    }
    if (auto why = unregistered_mark(root)) {
      result.dynamic = true;
      result.dynamic_reason = (result.dynamic_reason.empty() ? "" : result.dynamic_reason + "; ") + *why;
      import_may_fail = true;
    }
    if (auto why = unresolved_import(root)) {
      result.dynamic = true;
      result.dynamic_reason = (result.dynamic_reason.empty() ? "" : result.dynamic_reason + "; ") + *why;
      import_may_fail = true;
    }
    if (!imported_tests.empty()) {
      result.dynamic = true;
      std::string names;
      for (auto& n : imported_tests)
        names += (names.empty() ? "" : ", ") + (n == "*" ? "from " + module_->find("*")->import_from.substr(0, module_->find("*")->import_from.size() - 2) + " import *" : n);
      result.dynamic_reason = (result.dynamic_reason.empty() ? "" : result.dynamic_reason + "; ") +
                              "imports test classes or functions (" + names + ") that pytest collects here";
    }
    if (result.dynamic) {
      result.items.front().dynamic = true;
      result.items.front().dynamic_reason = result.dynamic_reason;
      result.items.front().import_may_fail = import_may_fail;
      result.items.front().import_may_skip = import_may_skip;
    }
    result.has_syntax_error = ts_node_has_error(root);
    // Bodies decide items too when a read generate_tests hook parametrizes them, or when code
    // that may write the namespace was found not to run at import (an edit to any body may
    // make it reached); an edit inside one is then not harmless.
    result.reads_function_bodies = (own.evaluator && own.evaluator->scanned_bodies()) || module_generate_tests_ ||
                                   mentions_namespace_writer(source_, keywords_);
    for (const Source& s : sources_)
      if (s.foreign) result.base_files.push_back(s.foreign->path);
    return result;
  }

 private:
  struct ClassContext {
    std::vector<MarkRef> marks;              // innermost class first, each in its application order
    std::vector<std::vector<FixtureDecl>> fixtures;  // fixtures of the enclosing classes, innermost first
    // The nearest class (or one of its bases) defines pytest_generate_tests: pytest calls
    // `cls().pytest_generate_tests` for its tests (not read statically).
    bool generate_tests_method = false;
  };

  // --- helpers ---------------------------------------------------------------------------
  // `from ..m import x` in package `a.b.c` (level 2): "a.b.m"; "" when the dots go beyond `a`.
  static std::string relative_module(const std::string& package, int level, const std::string& module) {
    std::vector<std::string> parts;
    for (size_t start = 0; !package.empty() && start <= package.size();) {
      size_t dot = package.find('.', start);
      parts.push_back(package.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (level < 1 || static_cast<size_t>(level) > parts.size()) return "";
    parts.resize(parts.size() - static_cast<size_t>(level) + 1);
    std::string out;
    for (const std::string& p : parts) out += (out.empty() ? "" : ".") + p;
    return module.empty() ? out : out + "." + module;
  }

  // The first unconditional import of a name the interpreter's path does not hold: whether
  // pytest can import the module is for pytest to say (it reports a collection error if not).
  std::optional<std::string> unresolved_import(TSNode root) const {
    if (!rules_.importable) return std::nullopt;
    for (const TopLevelImport& imp : unconditional_imports(root, source_))
      if (!imp.name.empty() && !rules_.importable->contains(imp.name))
        return "imports `" + imp.name + "` at line " + std::to_string(imp.line) +
               ", which is not found on the interpreter's import path: " + std::string(kMayFailImport);
    if (!rules_.local_import_failures) return std::nullopt;
    // The project's own modules it imports, and what their import runs in turn.
    std::optional<std::string> package;  // read once, for the first relative import
    for (const UnconditionalImport& u : unconditional_import_statements(root, source_)) {
      std::string base = u.statement.module;
      if (u.statement.level > 0) {
        if (!package) package = rules_.local_import_failures->package_of(std::string(module_path_));
        base = relative_module(*package, u.statement.level, u.statement.module);
        if (base.empty()) continue;  // beyond the top package: Python's own error
      }
      std::vector<std::string> modules{base};
      for (const std::string& name : u.statement.names)
        if (name != "*") modules.push_back(base + "." + name);  // maybe a submodule
      for (const std::string& module : modules)
        if (auto why = rules_.local_import_failures->failure(module))
          return "imports `" + std::string(u.statement.level, '.') + u.statement.module + "` at line " +
                 std::to_string(u.line) + ", whose import fails (" + *why + "): " + std::string(kMayFailImport);
      // Its own package's modules (relative, or absolute under the same top-level package).
      bool own_package = u.statement.level > 0;
      if (!own_package) {
        if (!package) package = rules_.local_import_failures->package_of(std::string(module_path_));
        const std::string top = package->substr(0, package->find('.'));
        own_package = !top.empty() && base.substr(0, base.find('.')) == top;
      }
      if (own_package)
        for (const std::string& module : modules)
          if (auto why = rules_.local_import_failures->skips_importers(module))
            return "imports `" + std::string(u.statement.level, '.') + u.statement.module + "` at line " +
                   std::to_string(u.line) + ", which " + *why + ": " + std::string(kMayFailImport);
    }
    return std::nullopt;
  }

  // Why pytest may fail this module's import on a mark name: a misspelt `parametrize` always
  // fails; any other unregistered name only under strict markers. Only the text search runs
  // when neither can apply.
  std::optional<std::string> unregistered_mark(TSNode root) const {
    bool misspelling_possible =
        source_contains(source_, "parameteri", keywords_) || source_contains(source_, "parametris", keywords_);
    if (!rules_.registered_marks && !misspelling_possible) return std::nullopt;
    for (const std::string& name : mark_names_used(root, source_)) {
      if (name == "parameterize" || name == "parametrise" || name == "parameterise")
        return "uses the misspelt mark '" + name + "', which pytest rejects: " + std::string(kMayFailImport);
      if (rules_.registered_marks && std::find(rules_.registered_marks->begin(), rules_.registered_marks->end(),
                                               name) == rules_.registered_marks->end())
        return "uses the mark '" + name + "', not registered in `markers` (strict markers: a plugin may register it): " +
               std::string(kMayFailImport);
    }
    return std::nullopt;
  }

  bool is_collectable_name(std::string_view name) const {
    return matches_name_option(rules_.python_functions, name) || matches_name_option(rules_.python_classes, name);
  }

  bool is_test_like_import(const std::string& name, const Binding& b) const {
    std::string_view from = b.import_from;
    // unittest's other classes named like tests (TestSuite, TestLoader, TestResult) have an
    // __init__: pytest warns it cannot collect them, an error under `filterwarnings = error`.
    if (from.starts_with("unittest.") && from != "unittest.TestCase" && from != "unittest.IsolatedAsyncioTestCase" &&
        from != "unittest.case.TestCase" && matches_name_option(rules_.python_classes, name))
      return true;
    // Library base classes that hold no tests of their own.
    for (std::string_view lib : {"unittest", "pytest", "_pytest", "typing", "abc", "django.test"})
      if (from.substr(0, lib.size()) == lib && (from.size() == lib.size() || from[lib.size()] == '.'))
        return false;
    if (b.import_from.find('.') == std::string::npos) return false;  // `import test_x`: a module, not collected
    if (name == "*") return true;  // any of the module's names, tests included
    return matches_name_option(rules_.python_functions, name) || matches_name_option(rules_.python_classes, name);
  }

  // The module's own pytest_generate_tests, when of the shape generate_tests_hook reads.
  bool read_module_generate_tests(const Binding& hook) {
    if (hook.kind != Binding::Kind::Function || hook.count != 1 || hook.conditional) return false;
    std::string why;
    auto read = read_generate_tests(hook.definition, hook.outer, source_, rules_, resolver_, unbound_, evaluator(), why);
    if (!read) return false;
    read->where = "the module";
    module_generate_tests_ = std::move(*read);
    return true;
  }

  // What the pytest_generate_tests hooks read statically (the module's, then the conftests',
  // nearest first: pytest's call order) add to a test whose closure `by_fixtures` found, as
  // cases outermost first; a non-empty reason leaves it to pytest.
  std::string generated_cases(const FixtureParametrization& by_fixtures, const Parametrization& param,
                              const ClassContext& context, std::vector<FixtureParam>& cases) const {
    std::vector<const GenerateTestsHook*> hooks;
    if (module_generate_tests_) hooks.push_back(&*module_generate_tests_);
    for (const auto& hook : rules_.conftest_generate_tests) hooks.push_back(hook.get());
    std::set<std::string> parametrized(param.argnames.begin(), param.argnames.end());
    FixtureLayers layers = fixture_layers(context);
    bool from_conftest = false;
    for (const GenerateTestsHook* hook : hooks) {
      GeneratedParametrization generated = apply_generate_tests(*hook, by_fixtures.closure);
      if (!generated.dynamic_reason.empty()) return generated.dynamic_reason;
      for (const Parametrization& call : generated.calls) {
        for (const std::string& name : call.argnames) {
          if (!parametrized.insert(name).second)
            return "the pytest_generate_tests of " + hook->where + " parametrizes `" + name + "` again (pytest's error)";
          if (!layers.definitions(name).empty())
            return "the pytest_generate_tests of " + hook->where + " parametrizes `" + name +
                   "`, also a fixture: pytest settles which values it gets";
        }
        from_conftest |= !(module_generate_tests_ && hook == &*module_generate_tests_);
        std::vector<FixtureParam> next;
        for (const FixtureParam& outer : cases.empty() ? std::vector<FixtureParam>{FixtureParam{}} : cases)
          for (const ParamCase& inner : call.cases) {
            FixtureParam c{outer.id.empty() && cases.empty() ? inner.id : outer.id + "-" + inner.id, outer.marks};
            c.marks.insert(c.marks.end(), inner.marks.begin(), inner.marks.end());
            next.push_back(std::move(c));
          }
        cases = std::move(next);
        if (cases.size() > kMaxStaticCases) return "more parametrized cases than are listed statically";
      }
    }
    // FixtureManager's own hook runs after the conftests loaded while collecting, before the
    // ones loaded at start-up: where its cases go among a conftest's depends on which it is.
    if (from_conftest && !by_fixtures.cases.empty())
      return "parametrized both by a conftest's pytest_generate_tests and by fixtures: pytest's order depends on "
             "when the conftest is loaded";
    return "";
  }

  FixtureLayers fixture_layers(const ClassContext& context) const {
    FixtureLayers layers;
    for (const auto& layer : context.fixtures) layers.push_outer(&layer);
    layers.push_outer(&module_fixtures_);
    for (const auto& layer : rules_.conftest_fixtures) layers.push_outer(&layer);
    return layers;
  }

  // pytest's parametrization of this test by the fixtures of its closure (arguments,
  // usefixtures, autouse, transitively), given its parametrize marks.
  FixtureParametrization fixture_parametrization(const Binding& b, const std::vector<MarkRef>& marks,
                                                 const ClassContext& context, bool skip_first,
                                                 const std::vector<TSNode>& parametrize_calls,
                                                 const Parametrization& param) const {
    FixtureParametrization out;
    FixtureLayers layers = fixture_layers(context);
    std::vector<std::string> usefixtures;
    for (const MarkRef& m : marks) {
      if (m.mark.name != "usefixtures" || ts_node_is_null(m.call)) continue;
      for (TSNode arg : ts::named_children(ts::field(m.call, "arguments"))) {
        PyValue v = evaluate(arg, source_, resolver_);
        if (v.kind != PyValue::Kind::Str) {
          out.dynamic_reason = "usefixtures names a fixture that is computed at run time";
          return out;
        }
        usefixtures.push_back(to_utf8(v.chars));
      }
    }
    std::set<std::string> direct_args, mark_args;
    for (size_t i = 0; i < parametrize_calls.size() && i < param.call_argnames.size(); ++i) {
      const std::vector<std::string>& names = param.call_argnames[i];
      mark_args.insert(names.begin(), names.end());
      auto indirect = indirect_argnames(parametrize_calls[i], names);
      if (!indirect) {
        out.dynamic_reason = "parametrize's indirect= or scope= is not a literal pytest can be followed on statically";
        return out;
      }
      for (const std::string& n : names)
        if (!indirect->count(n)) direct_args.insert(n);
      if (indirect->size() == names.size()) {
        // All values go to fixtures: the parametrization takes their scope (pytest's
        // _find_parametrized_scope); a higher one makes reorder_items regroup tests.
        for (const std::string& n : names) {
          std::vector<const FixtureDecl*> defs = layers.definitions(n);
          if (defs.empty() || !defs[0]->imported_from.empty() || defs[0]->scope != "function") {
            out.dynamic_reason = "indirect parametrize of `" + n + "`, a fixture not known to be function-scoped";
            return out;
          }
        }
      }
    }
    TestArgnames argnames = test_argnames(b.definition, b.decorators, source_, *module_, skip_first);
    if (!argnames.unknown.empty()) {
      FixtureParametrization widest = layers.parametrize(argnames.at_most, usefixtures, direct_args, mark_args);
      // No parametrized fixture in reach, and no hook reading metafunc.fixturenames.
      const bool hooks = module_generate_tests_ || !rules_.conftest_generate_tests.empty();
      if (widest.cases.empty() && widest.dynamic_reason.empty() && !hooks) return widest;
      out.dynamic_reason = argnames.unknown;
      return out;
    }
    return layers.parametrize(argnames.names, usefixtures, direct_args, mark_args);
  }

  // The argnames of one parametrize call whose values go to fixtures (`indirect=True` or a
  // list of names); nothing when indirect= or scope= cannot be read (scope= other than
  // "function" also regroups tests).
  std::optional<std::set<std::string>> indirect_argnames(TSNode call, const std::vector<std::string>& names) const {
    std::set<std::string> out;
    size_t position = 0;
    for (TSNode arg : ts::named_children(ts::field(call, "arguments"))) {
      std::string keyword;
      TSNode value = arg;
      if (ts::is(arg, "keyword_argument")) {
        keyword = std::string(ts::text(ts::field(arg, "name"), source_));
        value = ts::field(arg, "value");
      } else if (ts::is(arg, "list_splat") || ts::is(arg, "dictionary_splat")) {
        return std::nullopt;
      } else {
        keyword = position == 2 ? "indirect" : position == 4 ? "scope" : "";
        ++position;
      }
      value = ts::unparen(value);
      if (keyword == "scope") {
        PyValue v = evaluate(value, source_, resolver_);
        if (!ts::is(value, "none") && !(v.kind == PyValue::Kind::Str && to_utf8(v.chars) == "function"))
          return std::nullopt;
      } else if (keyword == "indirect") {
        if (ts::is(value, "true")) out.insert(names.begin(), names.end());
        else if (ts::is(value, "false")) continue;
        else if (ts::is(value, "list") || ts::is(value, "tuple")) {
          for (TSNode e : ts::named_children(value)) {
            PyValue v = evaluate(e, source_, resolver_);
            if (v.kind != PyValue::Kind::Str) return std::nullopt;
            std::string n = to_utf8(v.chars);
            if (std::find(names.begin(), names.end(), n) == names.end()) return std::nullopt;  // pytest's error
            out.insert(n);
          }
        } else {
          return std::nullopt;
        }
      }
    }
    return out;
  }

  // pytest accepts a parametrize argname only if the test's fixture closure holds it (an
  // argument without default, or a fixture some requested fixture needs); otherwise it reports
  // a collection error. An argname outside the signature is left to pytest's collection.
  std::string argname_outside_signature(const Binding& b, const std::vector<std::string>& argnames,
                                        bool skip_first) const {
    TestArgnames signature = test_argnames(b.definition, b.decorators, source_, *module_, skip_first);
    if (!signature.unknown.empty()) return signature.unknown;
    const std::vector<std::string>& arguments = signature.names;
    for (const std::string& name : argnames)
      if (std::find(arguments.begin(), arguments.end(), name) == arguments.end())
        return "parametrize names `" + name + "`, which is not an argument of the function: pytest's fixture "
               "closure decides (or it reports a collection error)";
    return "";
  }

  // A method's decorator naming a bare name the module does not bind (nor the builtins): in a
  // class body that is a class attribute, e.g. `possible_keys = pytest.mark.parametrize(...)`.
  std::optional<std::string> decorator_from_class_body(const Binding& b, bool in_class) const {
    if (!in_class) return std::nullopt;
    for (TSNode d : b.decorators) {
      TSNode head = ts::is(d, "call") ? ts::field(d, "function") : d;
      if (!ts::is(head, "identifier")) continue;
      std::string_view name = ts::text(head, source_);
      if (module_->find(name) || module_->find("*") || name == "staticmethod" || name == "classmethod" ||
          name == "property")
        continue;
      return std::string(name);
    }
    return std::nullopt;
  }

  std::vector<MarkRef> own_marks(const Binding& b) const {
    // Decorators apply bottom-up; pytest stores marks in that order.
    std::vector<MarkRef> out;
    for (auto it = b.decorators.rbegin(); it != b.decorators.rend(); ++it)
      if (auto m = as_mark(*it, source_, resolver_)) out.push_back(*m);
    return tagged(std::move(out));
  }

  bool is_function_test(const std::string& name, const Binding& b, bool in_class) const {
    if (b.kind != Binding::Kind::Function) return false;
    if (!matches_name_option(rules_.python_functions, name)) return false;
    for (TSNode d : b.decorators) {
      if (is_fixture_decorator(d, source_)) return false;
      if (in_class && decorator_is(d, source_, {"property", "functools.cached_property", "cached_property"}))
        return false;
    }
    return true;
  }

  // --- the module being read ---------------------------------------------------------------
  void enter(Source* s) {
    current_ = s;
    source_ = s->text;
    module_ = s->scope;
    root_ = s->root;
    resolver_ = [s](std::string_view name) -> std::optional<TSNode> {
      const Binding* b = s->scope->find(name);
      if (!b || b->count != 1 || b->conditional) return std::nullopt;
      if (b->kind == Binding::Kind::Assignment && mutated_at_module_level(s->root, s->text, name)) return std::nullopt;
      if (b->kind == Binding::Kind::Assignment && !ts_node_is_null(b->value)) return b->value;
      if (b->kind == Binding::Kind::Function || b->kind == Binding::Kind::Class) return b->definition;
      return std::nullopt;
    };
    unbound_ = [s](std::string_view name) { return s->scope->find(name) == nullptr; };
  }

  // Reads `s`'s code (a base class's module) until the end of the scope, then returns.
  struct Within {
    ModuleCollector& collector;
    Source* saved;
    Within(ModuleCollector& c, Source* s) : collector(c), saved(c.current_) {
      if (s && s != saved) c.enter(s);
    }
    ~Within() {
      if (collector.current_ != saved) collector.enter(saved);
    }
  };

  // The marks a reader returns, tagged with the module their calls are in.
  std::vector<MarkRef> tagged(std::vector<MarkRef> marks) const {
    for (MarkRef& m : marks) m.origin = current_;
    return marks;
  }

  // --- bases imported from other modules -----------------------------------------------------
  // What an expression naming a base class denotes, followed through imports and aliases.
  struct Named {
    enum class Kind { None, Module, Class, UnitTest, Object, Protocol, UnittestModule } kind = Kind::None;
    Source* source = nullptr;          // Module: the module; Class: the module defining it
    const Binding* binding = nullptr;  // Class
    std::string name;
    const Scope* enclosing = nullptr;  // Class nested in a class: that class's body
    std::string submodules;            // Module bound by `import a.b.c`: "b.c", reachable as attributes
    std::string why;                   // None: why not known
  };

  static Named of(Named::Kind kind) {
    Named n;
    n.kind = kind;
    return n;
  }

  static Named none(std::string why) {
    Named n;
    n.why = std::move(why);
    return n;
  }

  Source* source_of(std::shared_ptr<const ForeignModule> module) {
    for (Source& s : sources_)
      if (s.foreign && s.foreign->path == module->path) return &s;
    Source& s = sources_.emplace_back();
    s.text = module->text;
    s.file = module->path;
    s.root = ts_tree_root_node(module->tree.get());
    s.scope = &module->scope;
    s.foreign = std::move(module);
    s.unusable = unusable_reason(s);
    return &s;
  }

  // Why a base's module is not read statically: what may fail its import or change its classes.
  std::string unusable_reason(const Source& s) const {
    if (ts_node_has_error(s.root)) return "it has a syntax error";
    if (auto why = namespace_written_by_code(s.text, s.root)) return *why;
    if (rules_.registered_marks)
      for (const std::string& mark : mark_names_used(s.root, s.text))
        if (std::find(rules_.registered_marks->begin(), rules_.registered_marks->end(), mark) ==
            rules_.registered_marks->end())
          return "it uses the mark '" + mark + "', not registered in `markers` (strict markers)";
    if (rules_.importable)
      for (const TopLevelImport& imp : unconditional_imports(s.root, s.text))
        if (!imp.name.empty() && !rules_.importable->contains(imp.name))
          return "it imports `" + imp.name + "`, which is not on the interpreter's import path";
    return "";
  }

  Named import_module(Source* from, int level, std::string_view dotted) {
    if (level == 0 && (dotted == "unittest" || dotted == "unittest.case")) {
      Named n;
      n.kind = Named::Kind::UnittestModule;
      return n;
    }
    std::string why;
    auto module = rules_.modules->import_module(from->file, level, dotted, why);
    if (!module) return none(why);
    Named n;
    n.kind = Named::Kind::Module;
    n.source = source_of(std::move(module));
    n.name = std::string(dotted);
    if (!n.source->unusable.empty()) return none(n.source->file + ": " + n.source->unusable);
    return n;
  }

  static bool is_library_base(std::string_view module, std::string_view name) {
    if (module == "unittest" || module == "unittest.case")
      return name == "TestCase" || name == "IsolatedAsyncioTestCase";
    return false;
  }

  static bool is_plain_base(std::string_view module, std::string_view name) {
    return (module == "abc" && name == "ABC") || (module == "builtins" && name == "object");
  }

  // `from <module> import <name>`: the name bound in the module, else its submodule.
  Named from_import(Source* from, int level, std::string_view module, std::string_view name, int depth) {
    if (is_library_base(module, name)) return of(Named::Kind::UnitTest);
    if (level == 0 && is_plain_base(module, name)) return of(Named::Kind::Object);
    if (level == 0 && (module == "typing" || module == "typing_extensions") && name == "Protocol")
      return of(Named::Kind::Protocol);
    Named m = import_module(from, level, module);
    if (m.kind == Named::Kind::UnittestModule) return none("`" + std::string(name) + "` of unittest is not a TestCase");
    if (m.kind != Named::Kind::Module) return m;
    // `from . import sub` in a package's own __init__.py: the submodule (its binding is this import).
    if (m.source == from && m.source->foreign && m.source->foreign->is_package) return import_module(m.source, 1, name);
    if (m.source->scope->find(name) || m.source->scope->find("*")) return name_in(m.source, name, depth + 1);
    if (!m.source->foreign->is_package) return none("`" + std::string(name) + "` is not bound in " + m.source->file);
    return import_module(m.source, 1, name);
  }

  // `if "name" not in globals(): name = value` (pyparsing's compatibility synonyms), the only
  // binding of `name` in `src`: it is bound to `value` when no module `src` star-imports before
  // it exports `name`.
  bool bound_unless_star_imported(Source* src, std::string_view name, const Binding& b, int depth) {
    if (b.kind != Binding::Kind::Assignment || ts_node_is_null(b.value)) return false;
    TSNode assignment = ts_node_parent(b.value);
    TSNode statement = ts_node_parent(assignment);
    TSNode block = ts_node_parent(statement);
    TSNode guard = ts_node_parent(block);
    if (!ts::is(assignment, "assignment") || !ts::is(statement, "expression_statement") ||
        !ts::is(guard, "if_statement") || ts_node_named_child_count(block) != 1 ||
        !ts_node_eq(ts_node_parent(guard), src->root) ||
        !ts_node_is_null(ts::field(guard, "alternative")))
      return false;
    const std::string expected = "\"" + std::string(name) + "\" not in globals()";
    std::string condition(ts::text(ts::unparen(ts::field(guard, "condition")), src->text));
    std::replace(condition.begin(), condition.end(), '\'', '"');
    if (condition != expected) return false;
    return !star_exports(src, name, ts_node_start_byte(guard), depth);
  }

  // Whether a star import of `src` before byte `before` may bring `name` (true when unsure).
  bool star_exports(Source* src, std::string_view name, uint32_t before, int depth) {
    if (depth > kMaxImportDepth || name.starts_with("_")) return depth > kMaxImportDepth;
    for (TSNode statement : ts::named_children(src->root)) {
      if (ts_node_start_byte(statement) >= before) break;
      if (!ts::is(statement, "import_from_statement")) continue;
      bool wildcard = false;
      for (TSNode child : ts::named_children(statement)) wildcard |= ts::is(child, "wildcard_import");
      if (!wildcard) continue;
      auto [level, module] = split_relative(ts::text(ts::field(statement, "module_name"), src->text));
      // Whatever makes the module unusable as a base's home (code writing a class's attributes)
      // is not what is asked here: only its syntax and its own top-level names.
      std::string why;
      auto found = rules_.modules->import_module(src->file, level, module, why);
      if (!found) return true;
      Source* star = source_of(std::move(found));
      if (ts_node_has_error(star->root)) return true;
      const Scope& scope = *star->scope;
      // A name bound by an import of the module may be the module itself; a parameter or local is not.
      auto may_name_module = [&scope](std::string_view id) {
        const Binding* b = scope.find(id);
        return b && b->kind == Binding::Kind::Import;
      };
      if (module_names_written_by_code(star->text, star->root, may_name_module)) return true;
      if (scope.find("__all__") || scope.find(name)) return true;
      if (scope.find("*") && star_exports(star, name, UINT32_MAX, depth + 1)) return true;
    }
    return false;
  }

  // A module-level name of `src`.
  Named name_in(Source* src, std::string_view name, int depth) {
    if (depth > kMaxImportDepth) return none("followed through more than " + std::to_string(kMaxImportDepth) + " imports");
    const Binding* b = src->scope->find(name);
    if (!b) {
      if (name == "object") return of(Named::Kind::Object);
      const Binding* star = src->scope->find("*");
      if (!star) return none("`" + std::string(name) + "` is not bound in " + src->file);
      if (star->count != 1 || star->conditional) return none("star imports in " + src->file + " cannot be followed");
      if (name.starts_with("_")) return none("`" + std::string(name) + "` is not bound in " + src->file);
      std::string_view from = star->import_from;
      from.remove_suffix(2);  // ".*"
      auto [level, module] = split_relative(from);
      Named m = import_module(src, level, module);
      if (m.kind != Named::Kind::Module) return none("star import of " + std::string(from) + ": " + m.why);
      if (m.source->scope->find("__all__")) return none("star import of " + std::string(from) + ", which defines __all__");
      return name_in(m.source, name, depth + 1);
    }
    if (b->count != 1 || (b->conditional && !bound_unless_star_imported(src, name, *b, depth)))
      return none("`" + std::string(name) + "` is bound conditionally or more than once in " + src->file);
    switch (b->kind) {
      case Binding::Kind::Class: {
        Named n;
        n.kind = Named::Kind::Class;
        n.source = src;
        n.binding = b;
        n.name = std::string(name);
        return n;
      }
      case Binding::Kind::Assignment: {
        TSNode value = ts::unparen(b->value);
        if (ts::is(value, "identifier") || ts::is(value, "attribute")) return expression(src, value, depth + 1);
        return none("`" + std::string(name) + "` is computed at run time in " + src->file);
      }
      case Binding::Kind::Import: return imported(src, name, b->import_from, depth);
      default: return none("`" + std::string(name) + "` is not a class in " + src->file);
    }
  }

  // Leading dots of a relative module name and the rest: "..a.b" -> (2, "a.b").
  static std::pair<int, std::string_view> split_relative(std::string_view dotted) {
    int level = 0;
    while (!dotted.empty() && dotted.front() == '.') {
      ++level;
      dotted.remove_prefix(1);
    }
    return {level, dotted};
  }

  // A name bound by an import statement (module_scope's `import_from`).
  Named imported(Source* src, std::string_view name, std::string_view from, int depth) {
    auto [dots, rest] = split_relative(from);
    if (dots > 0) {
      // `from .m import x` -> ".m.x"; `from . import x` -> "..x" (the dots, then "." + name).
      size_t last = rest.rfind('.');
      if (last == std::string_view::npos) return from_import(src, dots - 1, "", rest, depth);
      return from_import(src, dots, rest.substr(0, last), rest.substr(last + 1), depth);
    }
    size_t first_dot = from.find('.');
    std::string_view first = from.substr(0, first_dot);
    if (first_dot == std::string_view::npos) return import_module(src, 0, from);  // `import m` / `import m as n`
    std::string_view last = from.substr(from.rfind('.') + 1);
    if (name == first && name != last) {
      // `import a.b.c`: binds `a`; `a.b`, `a.b.c` are reachable as attributes.
      Named m = import_module(src, 0, first);
      if (m.kind == Named::Kind::Module) m.submodules = std::string(from.substr(first_dot + 1));
      return m;
    }
    // `from a.b import c` or `import a.b.c as c`: c bound in a.b, or the submodule a.b.c.
    std::string_view module = from.substr(0, from.rfind('.'));
    Named n = from_import(src, 0, module, last, depth);
    if (n.kind == Named::Kind::Class) {
      Named sub = import_module(src, 0, from);
      Named package = sub.kind == Named::Kind::Module ? import_module(src, 0, module) : Named{};
      if (sub.kind == Named::Kind::Module &&
          !(package.kind == Named::Kind::Module && binds_over_submodule(package.source->scope->find(last), last)))
        return none("`" + std::string(from) + "` is both a module and a name bound in its package");
    }
    return n;
  }

  // A package's `from .sub import x as sub`: the statement imports the submodule (setting the
  // package's attribute `sub` to it) and then binds `sub` again, so the attribute is `x` from
  // then on (a later import of a loaded submodule does not set it again).
  static bool binds_over_submodule(const Binding* b, std::string_view submodule) {
    if (!b || b->kind != Binding::Kind::Import || b->count != 1 || b->conditional) return false;
    const std::string prefix = "." + std::string(submodule) + ".";
    return b->import_from.size() > prefix.size() && b->import_from.compare(0, prefix.size(), prefix) == 0 &&
           b->import_from.find('.', prefix.size()) == std::string::npos;
  }

  Named member(const Named& owner, std::string_view attr, int depth) {
    switch (owner.kind) {
      case Named::Kind::UnittestModule:
        if (attr == "TestCase" || attr == "IsolatedAsyncioTestCase") return of(Named::Kind::UnitTest);
        return none("unittest." + std::string(attr) + " is not a TestCase");
      case Named::Kind::Module: {
        std::string_view subs = owner.submodules;
        std::string_view next = subs.substr(0, subs.find('.'));
        if (next == attr && !owner.source->scope->find(attr)) {
          Named sub = import_module(owner.source, 1, attr);
          if (sub.kind == Named::Kind::Module)
            sub.submodules = subs.find('.') == std::string_view::npos ? "" : std::string(subs.substr(subs.find('.') + 1));
          return sub;
        }
        return name_in(owner.source, attr, depth + 1);
      }
      case Named::Kind::Class: {
        Within in(*this, owner.source);
        const Scope& body = enclosing_scopes_.emplace_back(
            read_scope(ts::field(owner.binding->definition, "body"), source_, rules_.python.get(), module_));
        const Binding* b = body.find(attr);
        if (!b || b->kind != Binding::Kind::Class || b->count != 1 || b->conditional)
          return none("`" + owner.name + "." + std::string(attr) + "` is not a class bound once in its body");
        Named n;
        n.kind = Named::Kind::Class;
        n.source = owner.source;
        n.binding = b;
        n.name = std::string(attr);
        n.enclosing = &body;
        return n;
      }
      default: return none("`" + std::string(attr) + "` of a value not known statically");
    }
  }

  Named expression(Source* src, TSNode expr, int depth) {
    if (depth > kMaxImportDepth) return none("followed through more than " + std::to_string(kMaxImportDepth) + " imports");
    expr = ts::unparen(expr);
    if (ts::is(expr, "identifier")) return name_in(src, ts::text(expr, src->text), depth);
    if (ts::is(expr, "attribute")) {
      Named owner = expression(src, ts::field(expr, "object"), depth + 1);
      if (owner.kind == Named::Kind::None) return owner;
      return member(owner, ts::text(ts::field(expr, "attribute"), src->text), depth);
    }
    return none("it is computed at run time");
  }

  // The value of a name `src` binds by an import (`import_from` as module_scope records it),
  // read in the project module it comes from. Unknown when the module is not one fastest can
  // read for sure (import_module's rules), or the name is a module, a submodule too, or not
  // bound there by a statement.
  StaticValue imported_value(Source* src, std::string_view name, std::string_view import_from) {
    if (value_imports_followed_ >= kMaxImportDepth)
      return unknown_value("`" + std::string(name) + "` is followed through more than " +
                           std::to_string(kMaxImportDepth) + " imports");
    struct Nesting {
      int& n;
      explicit Nesting(int& c) : n(++c) {}
      ~Nesting() { --n; }
    } nesting(value_imports_followed_);
    auto [dots, rest] = split_relative(import_from);
    int level = dots;
    std::string_view module, attr;
    if (dots > 0) {
      // `from .m import x` -> ".m.x"; `from . import x` -> "..x".
      size_t last = rest.rfind('.');
      if (last == std::string_view::npos) {
        level = dots - 1;
        attr = rest;
      } else {
        module = rest.substr(0, last);
        attr = rest.substr(last + 1);
      }
    } else {
      size_t last = import_from.rfind('.');
      std::string_view first = import_from.substr(0, import_from.find('.'));
      if (last == std::string_view::npos || name == first)
        return unknown_value("`" + std::string(name) + "` is an imported module");
      module = import_from.substr(0, last);
      attr = import_from.substr(last + 1);
    }
    Named m = import_module(src, level, module);
    if (m.kind != Named::Kind::Module)
      return unknown_value("`" + std::string(name) + "` is imported from a module not read statically" +
                           (m.why.empty() ? "" : " (" + m.why + ")"));
    const Binding* b = m.source->scope->find(attr);
    if (!b || b->kind == Binding::Kind::Other)
      return unknown_value("`" + std::string(name) + "` is not bound by a statement of " + m.source->file);
    if (m.source->foreign && m.source->foreign->is_package && !binds_over_submodule(b, attr)) {
      Named sub = import_module(m.source, 1, attr);
      if (sub.kind == Named::Kind::Module)
        return unknown_value("`" + std::string(attr) + "` is both a module and a name bound in its package");
    }
    return evaluator_for(m.source)->module_value(attr);
  }

  // A test-like name imported from a project module that binds it to a plain value (a str, a
  // number, a container): not callable, so pytest does not collect it (pyparsing's `test1 = """..."""`).
  bool imports_a_plain_value(const std::string& name, const Binding& b) {
    if (!rules_.modules || name == "*" || b.count != 1 || b.conditional) return false;
    StaticValue v = imported_value(current_, name, b.import_from);
    switch (v.kind) {
      case StaticValue::Kind::None: case StaticValue::Kind::Bool: case StaticValue::Kind::Int:
      case StaticValue::Kind::Float: case StaticValue::Kind::Complex: case StaticValue::Kind::Str:
      case StaticValue::Kind::Bytes: case StaticValue::Kind::Tuple: case StaticValue::Kind::List:
      case StaticValue::Kind::Set: case StaticValue::Kind::Dict:
        return true;
      default: return false;
    }
  }

  // A class imported under a test-like name: pytest collects it here, as if defined here. True
  // when it is read statically (its items placed at the module's start).
  bool collect_imported_class(const std::string& name, const Binding& b, std::string_view only_entry) {
    if (!rules_.modules || name == "*" || b.count != 1 || b.conditional) return false;
    Named n = imported(current_, name, b.import_from, 0);
    if (n.kind != Named::Kind::Class || !n.source->unusable.empty() || n.enclosing) return false;
    if (!only_entry.empty() && name != only_entry) return true;
    size_t first = items_->size();
    collect_class(name, *n.binding, module_path_, {}, n.source);
    // Not collected: pytest may have warned it cannot (an __init__), an error under
    // `filterwarnings = error`; left to pytest.
    if (items_->size() == first) return false;
    for (size_t i = first; i < items_->size(); ++i) {
      (*items_)[i].range = items_->front().range;
      (*items_)[i].range.end = (*items_)[i].range.start;
      (*items_)[i].name_range = (*items_)[i].range;
    }
    return true;
  }

  // --- classes -----------------------------------------------------------------------------
  struct ResolvedClass {
    const Binding* binding = nullptr;
    std::string name;
    Source* source = nullptr;          // the module defining it
    const Scope* enclosing = nullptr;  // a class nested in a class (imported): that class's body
  };

  enum class BaseKind { InModule, UnitTest, Object, Protocol, Unknown };

  BaseKind classify_base(TSNode base, ResolvedClass& out) const {
    base = ts::unparen(base);
    std::string_view text = ts::text(base, source_);
    if (text == "object") return BaseKind::Object;
    if (text == "unittest.TestCase" || text == "unittest.IsolatedAsyncioTestCase" ||
        text == "TestCase" || text == "IsolatedAsyncioTestCase" || text == "ABC" || text == "abc.ABC") {
      if (text == "ABC" || text == "abc.ABC") return BaseKind::Object;
      if (text.find('.') == std::string_view::npos) {
        const Binding* b = module_->find(text);
        if (b && b->kind == Binding::Kind::Import && b->import_from.rfind("unittest", 0) == 0) return BaseKind::UnitTest;
        if (b && b->kind == Binding::Kind::Class) {
          out.binding = b;
          out.name = std::string(text);
          out.source = current_;
          return BaseKind::InModule;
        }
        return BaseKind::Unknown;
      }
      return BaseKind::UnitTest;
    }
    if (ts::is(base, "identifier")) {
      const Binding* b = module_->find(text);
      if (b && b->kind == Binding::Kind::Class && b->count == 1) {
        out.binding = b;
        out.name = std::string(text);
        out.source = current_;
        return BaseKind::InModule;
      }
    }
    return BaseKind::Unknown;
  }

  // A base the module does not define: followed through its imports (CollectRules::modules).
  BaseKind imported_base(TSNode base, ResolvedClass& out, std::string& why) {
    if (!rules_.modules) {
      why = current_->foreign ? "not defined in " + current_->file : "not defined in this module";
      return BaseKind::Unknown;
    }
    Named n = expression(current_, base, 0);
    switch (n.kind) {
      case Named::Kind::Class:
        if (!n.source->unusable.empty()) {
          why = n.source->file + ": " + n.source->unusable;
          return BaseKind::Unknown;
        }
        out.binding = n.binding;
        out.name = n.name;
        out.source = n.source;
        out.enclosing = n.enclosing;
        return BaseKind::InModule;
      case Named::Kind::UnitTest: return BaseKind::UnitTest;
      case Named::Kind::Object: return BaseKind::Object;
      case Named::Kind::Protocol: return BaseKind::Protocol;
      case Named::Kind::None: why = n.why; return BaseKind::Unknown;
      default: why = "it is not a class"; return BaseKind::Unknown;
    }
  }

  struct Lineage {
    std::vector<ResolvedClass> mro;   // classes read from source, C3 order (the class itself first)
    bool unittest = false;
    bool unknown_base = false;
    std::string unknown_base_name;
    std::string unknown_base_why;
    bool protocol = false;  // a base is typing.Protocol
    bool abc = false;
  };

  std::vector<TSNode> bases_of(const Binding& b) const {
    std::vector<TSNode> out;
    TSNode supers = ts::field(b.definition, "superclasses");
    for (TSNode s : ts::named_children(supers))
      if (!ts::is(s, "keyword_argument")) out.push_back(s);
      else if (ts::text(ts::field(s, "name"), source_) == "metaclass") abc_metaclass_seen_ = true;
    return out;
  }

  // What in a base read from another module may add or change its subclasses' tests at run
  // time: a metaclass (other than ABCMeta), __init_subclass__, a decorator that is not a mark.
  std::string changes_subclasses(const ResolvedClass& cls) {
    for (TSNode s : ts::named_children(ts::field(cls.binding->definition, "superclasses")))
      if (ts::is(s, "keyword_argument") && ts::text(ts::field(s, "name"), source_) == "metaclass") {
        std::string_view meta = ts::text(ts::field(s, "value"), source_);
        if (meta != "ABCMeta" && meta != "abc.ABCMeta") return "its metaclass " + std::string(meta) + " runs at import";
      }
    for (TSNode d : cls.binding->decorators)
      if (!as_mark(d, source_, resolver_)) return "a decorator that is not a mark runs at import";
    Scope body = read_scope(ts::field(cls.binding->definition, "body"), source_, rules_.python.get(), module_);
    if (body.find("__init_subclass__")) return "it defines __init_subclass__";
    return "";
  }

  // C3 linearisation over the classes read from source (this module's, and those its bases
  // are imported from).
  bool linearize(const ResolvedClass& cls, Lineage& lineage, std::vector<ResolvedClass>& out, int depth) {
    if (depth > 32) return false;
    Within in(*this, cls.source);
    std::vector<std::vector<ResolvedClass>> seqs;
    std::vector<ResolvedClass> direct;
    if (current_->foreign)
      if (std::string why = changes_subclasses(cls); !why.empty()) {
        lineage.unknown_base = true;
        if (lineage.unknown_base_name.empty()) {
          lineage.unknown_base_name = cls.name;
          lineage.unknown_base_why = why;
        }
      }
    for (TSNode base : bases_of(*cls.binding)) {
      ResolvedClass r;
      std::string_view text = ts::text(ts::unparen(base), source_);
      if (text == "ABC" || text == "abc.ABC") lineage.abc = true;
      BaseKind kind = BaseKind::Unknown;
      std::string why;
      TSNode head = ts::unparen(base);
      while (ts::is(head, "attribute")) head = ts::field(head, "object");
      if (cls.enclosing && ts::is(head, "identifier") && cls.enclosing->find(ts::text(head, source_)))
        why = "it names a class attribute of the class enclosing " + cls.name;  // evaluated in that body
      else if ((kind = classify_base(base, r)) == BaseKind::Unknown)
        kind = imported_base(base, r, why);
      switch (kind) {
        case BaseKind::InModule: {
          std::vector<ResolvedClass> sub;
          if (!linearize(r, lineage, sub, depth + 1)) return false;
          seqs.push_back(sub);
          direct.push_back(r);
          break;
        }
        case BaseKind::UnitTest: lineage.unittest = true; break;
        case BaseKind::Object: break;
        case BaseKind::Protocol: lineage.protocol = true; break;
        case BaseKind::Unknown:
          lineage.unknown_base = true;
          if (lineage.unknown_base_name.empty()) {
            lineage.unknown_base_name = std::string(text);
            lineage.unknown_base_why = why;
          }
          break;
      }
    }
    seqs.push_back(direct);
    out.push_back(cls);
    while (true) {
      bool all_empty = true;
      for (auto& s : seqs) all_empty &= s.empty();
      if (all_empty) return true;
      const ResolvedClass* candidate = nullptr;
      for (auto& s : seqs) {
        if (s.empty()) continue;
        const ResolvedClass& head = s.front();
        bool in_tail = false;
        for (auto& other : seqs)
          for (size_t i = 1; i < other.size(); ++i) in_tail |= other[i].binding == head.binding;
        if (!in_tail) { candidate = &head; break; }
      }
      if (!candidate) return false;  // inconsistent MRO: Python raises TypeError at import
      ResolvedClass chosen = *candidate;
      out.push_back(chosen);
      for (auto& s : seqs)
        if (!s.empty() && s.front().binding == chosen.binding) s.erase(s.begin());
    }
  }

  // `where`: the module defining the class (the collected one unless it is nested in a base
  // class imported from elsewhere).
  void collect_class(const std::string& name, const Binding& b, const std::string& parent_id,
                     const ClassContext& outer, Source* where = nullptr) {
    Lineage lineage;
    ResolvedClass self{&b, name, where ? where : current_};
    std::vector<ResolvedClass> mro;
    if (!linearize(self, lineage, mro, 0)) {
      mro = {self};
      lineage.unknown_base = true;
      lineage.unknown_base_name = "(inconsistent bases)";
    }
    lineage.mro = mro;
    // A class whose MRO reaches a class whose body is still being collected (it inherits from
    // an enclosing class): Python binds that name only after the body ran, so the base is an
    // earlier binding or a NameError. Never recurse into it (a cycle); pytest settles it.
    const bool reaches_enclosing =
        open_classes_.size() >= kMaxClassNesting ||
        std::any_of(mro.begin(), mro.end(), [&](const ResolvedClass& c) {
          return std::find(open_classes_.begin(), open_classes_.end(), c.binding) != open_classes_.end();
        });
    std::vector<Scope> scopes;
    scopes.reserve(mro.size());
    for (const ResolvedClass& c : mro) {
      Within in(*this, c.source);
      scopes.push_back(read_scope(ts::field(c.binding->definition, "body"), source_, rules_.python.get(), module_));
    }
    // The module defining the first MRO class that binds `attr`.
    const bool one_module = std::all_of(mro.begin(), mro.end(), [&](const ResolvedClass& c) { return c.source == current_; });
    auto owner = [&](const Binding* found) -> Source* {
      if (one_module) return current_;
      for (size_t i = 0; i < scopes.size(); ++i)
        for (auto& [n, bound] : scopes[i].bindings)
          if (&bound == found) return mro[i].source;
      return current_;
    };

    auto lookup = [&](std::string_view attr) -> const Binding* {
      for (const Scope& s : scopes) if (const Binding* found = s.find(attr)) return found;
      return nullptr;
    };

    bool looks_unittest = lineage.unittest;
    if (!looks_unittest && lineage.unknown_base) {
      // An imported base named like a TestCase: most likely a unittest.TestCase subclass.
      std::string_view base = lineage.unknown_base_name;
      looks_unittest = base.size() >= 8 && base.substr(base.size() - 8) == "TestCase";
    }
    if (!looks_unittest && !matches_name_option(rules_.python_classes, name)) return;
    if (const Binding* t = lookup("__test__"); t && t->kind == Binding::Kind::Assignment && is_false_literal(t->value))
      return;
    if (!looks_unittest) {
      if (lookup("__init__") || lookup("__new__")) return;  // pytest warns and skips such classes
      if (lineage.protocol) {
        // typing.Protocol gives a protocol class an __init__ (pytest then skips the class) on
        // some Python versions only.
        lineage.unknown_base = true;
        lineage.unknown_base_name = "a typing.Protocol";
        lineage.unknown_base_why = "it may give the class an __init__";
      }
      if (lineage.abc && is_abstract(scopes, mro)) return;
    }

    TestItem item;
    item.id = parent_id + "::" + name;
    item.set_label(name);
    item.kind = ItemKind::Class;
    item.set_parent_id(parent_id);
    item.set_path(module_path_);
    item.range = ts::range_of(b.outer);
    item.name_range = ts::range_of(ts::field(b.definition, "name"));
    if (lineage.unknown_base) {
      item.dynamic = true;
      item.dynamic_reason = "inherits from " + lineage.unknown_base_name + ", which is not read statically (" +
                            lineage.unknown_base_why + "): its inherited tests are settled by a real collection";
    }
    if (b.conditional) {
      item.dynamic = true;
      item.dynamic_reason = "defined conditionally";
    }

    // Class marks: the MRO's pytestmark lists and decorators, base classes first.
    ClassContext context;
    std::vector<MarkRef> class_marks;
    for (size_t i = mro.size(); i-- > 0;) {
      const Scope& s = scopes[i];
      Within in(*this, mro[i].source);  // a base's marks are evaluated in its own module
      if (const Binding* pm = s.find("pytestmark"); pm && pm->kind == Binding::Kind::Assignment) {
        auto marks = tagged(marks_from_value(pm->value, source_, resolver_));
        class_marks.insert(class_marks.end(), marks.begin(), marks.end());
      }
      auto decorator_marks = own_marks(*mro[i].binding);
      class_marks.insert(class_marks.end(), decorator_marks.begin(), decorator_marks.end());
    }
    context.marks = class_marks;
    context.marks.insert(context.marks.end(), outer.marks.begin(), outer.marks.end());
    std::vector<std::vector<FixtureDecl>> mro_fixtures;
    for (size_t i = 0; i < scopes.size(); ++i) {
      Within in(*this, mro[i].source);
      mro_fixtures.push_back(fixture_decls(scopes[i], source_, /*in_class=*/true, rules_, resolver_, unbound_, evaluator()));
    }
    context.fixtures.push_back(merge_class_fixtures(mro_fixtures));
    for (const Scope& s : scopes) context.generate_tests_method |= s.find("pytest_generate_tests") != nullptr;
    context.fixtures.insert(context.fixtures.end(), outer.fixtures.begin(), outer.fixtures.end());
    for (const MarkRef& m : context.marks) item.marks.push_back(m.mark);
    for (const MarkRef& m : module_marks_) item.marks.push_back(m.mark);

    if (!item.dynamic) {
      // A class body binding a test-like name to a computed value (`test_b = test_a`,
      // `test_x = make()`): unittest's loader takes callable `test*` attributes, pytest
      // python_functions / python_classes names.
      TestNamePredicate collectable = [&](std::string_view n) {
        return looks_unittest ? n.starts_with("test") : is_collectable_name(n);
      };
      for (size_t i = 0; i < scopes.size(); ++i) {
        Within in(*this, mro[i].source);
        if (auto why = computed_test_binding(scopes[i], source_, collectable)) {
          item.dynamic = true;
          item.dynamic_reason = "its body " + *why;
          break;
        }
      }
    }
    if (reaches_enclosing) {
      item.dynamic = true;
      item.dynamic_reason = "inherits from a class whose body encloses it: settled by a real collection";
      items_->push_back(std::move(item));
      return;
    }
    size_t class_index = items_->size();
    items_->push_back(item);
    std::string class_id = item.id;
    open_classes_.push_back(&b);
    struct Closer {
      std::vector<const Binding*>& open;
      ~Closer() { open.pop_back(); }
    } closer{open_classes_};

    if (looks_unittest) {
      // unittest's loader: every callable `test*` attribute, sorted by name.
      std::set<std::string> names;
      for (const Scope& s : scopes)
        for (const std::string& n : s.order)
          if (n.rfind("test", 0) == 0 && s.bindings.at(n).kind == Binding::Kind::Function) names.insert(n);
      bool found = false;
      for (const std::string& n : names) {
        const Binding* mb = lookup(n);
        if (!mb || mb->kind != Binding::Kind::Function) continue;  // shadowed by a non-function
        Inherited from(*this, owner(mb), class_index);
        emit_function(n, *mb, class_id, context, /*in_class=*/true, /*unittest=*/true);
        found = true;
      }
      // pytest's UnitTestCase.collect: a class without test methods runs its `runTest`.
      if (const Binding* run = found ? nullptr : lookup("runTest")) {
        if (run->kind == Binding::Kind::Function) {
          Inherited from(*this, owner(run), class_index);
          emit_function("runTest", *run, class_id, context, /*in_class=*/true, /*unittest=*/true);
        } else {
          (*items_)[class_index].dynamic = true;
          (*items_)[class_index].dynamic_reason = "binds `runTest` to a value pytest may run";
        }
      }
      if (!lineage.unittest) {
        (*items_)[class_index].dynamic = true;
        if ((*items_)[class_index].dynamic_reason.empty())
          (*items_)[class_index].dynamic_reason = "base class is not defined in this module";
      }
      return;
    }

    // PyCollector.collect: each MRO dict in turn, names seen once; base-class entries first.
    std::set<std::string> seen;
    std::vector<std::vector<std::pair<std::string, const Binding*>>> per_dict;  // parallel to mro
    for (const Scope& s : scopes) {
      std::vector<std::pair<std::string, const Binding*>> entries;
      for (const std::string& n : s.order) {
        if (!seen.insert(n).second) continue;
        entries.emplace_back(n, &s.bindings.at(n));
      }
      per_dict.push_back(std::move(entries));
    }
    for (size_t i = per_dict.size(); i-- > 0;) {
      Source* where = mro[i].source;
      for (auto& [n, entry] : per_dict[i]) {
        Inherited from(*this, where, class_index);
        if (entry->kind == Binding::Kind::Class) {
          if (matches_name_option(rules_.python_classes, n)) collect_class(n, *entry, class_id, context, where);
        } else if (is_function_test(n, *entry, true)) {
          emit_function(n, *entry, class_id, context, true, false);
        }
      }
    }
  }

  // Items of a class that come from a base defined in another module: read in that module's
  // source, placed at the class's own definition (their ranges would point into another file).
  struct Inherited {
    ModuleCollector& collector;
    Within within;
    size_t class_index;
    size_t first;
    Inherited(ModuleCollector& c, Source* where, size_t class_index)
        : collector(c), within(c, where), class_index(class_index), first(c.items_->size()) {}
    ~Inherited() {
      if (!collector.current_->foreign) return;
      std::vector<TestItem>& items = *collector.items_;
      for (size_t i = first; i < items.size(); ++i) {
        items[i].range = items[class_index].range;
        items[i].name_range = items[class_index].name_range;
      }
    }
  };

  bool is_abstract(const std::vector<Scope>& scopes, const std::vector<ResolvedClass>& mro) {
    std::set<std::string> concrete, abstract;
    for (size_t i = 0; i < scopes.size(); ++i) {
      Within in(*this, mro[i].source);
      for (const std::string& n : scopes[i].order) {
        if (concrete.count(n) || abstract.count(n)) continue;
        const Binding& b = scopes[i].bindings.at(n);
        bool is_abs = false;
        for (TSNode d : b.decorators)
          if (decorator_is(d, source_, {"abstractmethod", "abc.abstractmethod"})) is_abs = true;
        (is_abs ? abstract : concrete).insert(n);
      }
    }
    return !abstract.empty();
  }

  // --- functions ---------------------------------------------------------------------------
  void emit_function(const std::string& name, const Binding& b, const std::string& parent_id,
                     const ClassContext& context, bool in_class, bool unittest) {
    TestItem item;
    item.id = parent_id + "::" + name;
    item.set_label(name);
    item.kind = ItemKind::Function;
    item.set_parent_id(parent_id);
    item.set_path(module_path_);
    item.range = ts::range_of(b.outer);
    item.name_range = ts::range_of(ts::field(b.definition, "name"));

    std::vector<MarkRef> own = own_marks(b);
    std::vector<TSNode> parametrize_calls;
    bool reads_other_module = false;  // a mark's arguments are in another module's source
    auto take = [&](const std::vector<MarkRef>& marks) {
      for (const MarkRef& m : marks) {
        item.marks.push_back(m.mark);
        if (m.mark.name == "parametrize" && !ts_node_is_null(m.call)) parametrize_calls.push_back(m.call);
        if ((m.mark.name == "parametrize" || m.mark.name == "usefixtures") && !ts_node_is_null(m.call) &&
            m.origin != current_)
          reads_other_module = true;
      }
    };
    take(own);
    take(context.marks);
    take(module_marks_);
    if (unittest) parametrize_calls.clear();  // unittest methods are not parametrized by pytest

    if (b.conditional) {
      item.dynamic = true;
      item.dynamic_reason = "defined conditionally";
    }
    if (reads_other_module && !unittest) {
      item.dynamic = true;
      item.dynamic_reason = "a parametrize or usefixtures mark of it is written in another module than the function";
      parametrize_calls.clear();
    }
    if (auto name = decorator_from_class_body(b, in_class)) {
      item.dynamic = true;
      item.dynamic_reason = "decorated by `" + *name + "`, a class attribute (it may be a mark): settled by pytest";
    }
    bool is_static = false;
    for (TSNode d : b.decorators)
      if (decorator_is(d, source_, {"staticmethod"})) is_static = true;
    if (!unittest) {
      if (generate_tests_hook_) {
        item.dynamic = true;
        item.dynamic_reason = "the module's pytest_generate_tests may parametrize it";
      } else if (context.generate_tests_method) {
        item.dynamic = true;
        item.dynamic_reason = "its class's pytest_generate_tests may parametrize it";
      }
    }

    Parametrization param;
    if (!parametrize_calls.empty()) {
      param = expand_parametrize(parametrize_calls, source_, rules_, resolver_,
                                 [this](std::string_view name) { return module_->find(name) == nullptr; },
                                 evaluator());
      if (param.dynamic) {
        item.dynamic = true;
        item.dynamic_reason = param.dynamic_reason;
      } else if (std::string why = argname_outside_signature(b, param.argnames, in_class && !is_static); !why.empty()) {
        item.dynamic = true;
        item.dynamic_reason = why;
      }
    }
    FixtureParametrization by_fixtures;
    if (!unittest && !param.dynamic && !reads_other_module) {
      std::vector<MarkRef> all_marks = own;
      all_marks.insert(all_marks.end(), context.marks.begin(), context.marks.end());
      all_marks.insert(all_marks.end(), module_marks_.begin(), module_marks_.end());
      by_fixtures = fixture_parametrization(b, all_marks, context, in_class && !is_static, parametrize_calls, param);
      if (!by_fixtures.dynamic_reason.empty()) {
        item.dynamic = true;
        item.dynamic_reason = by_fixtures.dynamic_reason;
      }
    }
    // The hooks' calls come first, then FixtureManager's (fixture params), then the marks':
    // the outer loops and the first parts of each id.
    std::vector<FixtureParam> outer_cases;
    if (!item.dynamic && !unittest && !reads_other_module && !param.dynamic) {
      if (std::string why = generated_cases(by_fixtures, param, context, outer_cases); !why.empty()) {
        item.dynamic = true;
        item.dynamic_reason = why;
        outer_cases.clear();
      } else if (!by_fixtures.cases.empty()) {
        if (outer_cases.empty()) {
          outer_cases = std::move(by_fixtures.cases);
        } else {
          std::vector<FixtureParam> next;
          for (const FixtureParam& outer : outer_cases)
            for (const FixtureParam& inner : by_fixtures.cases) {
              FixtureParam c{outer.id + "-" + inner.id, outer.marks};
              c.marks.insert(c.marks.end(), inner.marks.begin(), inner.marks.end());
              next.push_back(std::move(c));
            }
          outer_cases = std::move(next);
        }
      }
    }
    if (!item.dynamic && !outer_cases.empty()) {
      if (parametrize_calls.empty()) param.cases = {ParamCase{"", item.range, {}}};
      if (outer_cases.size() * param.cases.size() > kMaxStaticCases) {
        item.dynamic = true;
        item.dynamic_reason = "more parametrized cases than are listed statically";
      } else {
        std::vector<ParamCase> combined;
        combined.reserve(outer_cases.size() * param.cases.size());
        for (const FixtureParam& outer : outer_cases)
          for (const ParamCase& inner : param.cases) {
            ParamCase c{inner.id.empty() ? outer.id : outer.id + "-" + inner.id, inner.range, outer.marks};
            c.marks.insert(c.marks.end(), inner.marks.begin(), inner.marks.end());
            combined.push_back(std::move(c));
          }
        param.cases = std::move(combined);
      }
    }
    std::string function_id = item.id;
    bool dynamic = item.dynamic;
    std::vector<Mark> function_marks = item.marks;
    items_->push_back(std::move(item));
    if (param.dynamic || dynamic || (parametrize_calls.empty() && outer_cases.empty())) return;
    for (ParamCase& c : param.cases) {
      TestItem case_item;
      case_item.id = function_id + "[" + c.id + "]";
      case_item.set_label(name + "[" + c.id + "]");
      case_item.kind = ItemKind::Case;
      case_item.set_parent_id(function_id);
      case_item.set_path(module_path_);
      case_item.range = c.range;
      case_item.name_range = c.range;
      case_item.marks = function_marks;
      case_item.marks.insert(case_item.marks.end(), c.marks.begin(), c.marks.end());
      items_->push_back(std::move(case_item));
    }
  }

  void collect_entry(const std::string& name, const Binding& b, const std::string& parent_id,
                     const ClassContext& context, bool in_class) {
    if (b.kind == Binding::Kind::Class) {
      collect_class(name, b, parent_id, context);
    } else if (is_function_test(name, b, in_class)) {
      emit_function(name, b, parent_id, context, in_class, false);
    }
  }

  std::string_view source_;
  std::string module_path_;
  const CollectRules& rules_;
  // The module whose code is being read: the collected one, or one a base class comes from
  // (source_, module_, root_, resolver_ and unbound_ are its, set by enter()).
  std::deque<Source> sources_;
  Source* current_ = nullptr;
  const Scope* module_ = nullptr;
  TSNode root_{};
  StaticEvaluator* evaluator() { return evaluator_for(current_); }
  // The evaluator of a module's code; names it imports from the project's modules are read
  // there (CollectRules::modules), the same way a base class is found.
  StaticEvaluator* evaluator_for(Source* s) {
    const bool fresh = !s->evaluator;
    StaticEvaluator* e = s->evaluator_of(rules_.python.get());
    if (fresh && rules_.modules)
      e->follow_imports([this, s](std::string_view name, const Binding& b) { return imported_value(s, name, b.import_from); });
    if (fresh && rules_.library)
      e->use_library_facts(rules_.library.get(), [modules = rules_.modules](std::string_view top) -> std::optional<std::string> {
        if (!modules) return std::nullopt;
        return modules->top_module_file(top);
      });
    return e;
  }
  int value_imports_followed_ = 0;  // nesting of imported_value (cycles, long chains)
  NameResolver resolver_;
  UnboundCheck unbound_;
  // Scopes of classes enclosing a nested base class (kept for ResolvedClass::enclosing).
  std::deque<Scope> enclosing_scopes_;
  std::vector<MarkRef> module_marks_;
  std::vector<FixtureDecl> module_fixtures_;
  bool generate_tests_hook_ = false;  // one not read statically: every test is pytest's
  std::optional<GenerateTestsHook> module_generate_tests_;
  mutable bool abc_metaclass_seen_ = false;
  std::vector<TestItem>* items_ = nullptr;
  const SourceKeywords* keywords_ = nullptr;  // source_'s gate words, when counted beforehand
  // Classes whose bodies are being collected, outermost first (nested classes recurse).
  std::vector<const Binding*> open_classes_;
  static constexpr size_t kMaxClassNesting = 100;
};

}  // namespace

struct ModuleValues::State {
  ModuleCollector collector;
  Source* own;
  State(TSNode root, std::string_view source, std::string_view module_path, const CollectRules& rules)
      : collector(source, module_path, rules, nullptr), own(&collector.open(root)) {}
};

ModuleValues::ModuleValues(TSNode root, std::string_view source, std::string_view module_path, const CollectRules& rules)
    : state_(std::make_unique<State>(root, source, module_path, rules)) {}
ModuleValues::~ModuleValues() = default;
const Scope& ModuleValues::scope() const { return *state_->own->scope; }
StaticEvaluator& ModuleValues::evaluator() { return state_->collector.opened_evaluator(); }

ModuleResult discover_module(const TSTree* tree, std::string_view source,
                             std::string_view module_path, const CollectRules& rules,
                             std::string_view only_entry, const SourceKeywords* keywords) {
  if (!tree) {
    ModuleResult result;
    result.diagnostics.push_back({std::string(module_path), Range{}, "could not parse the file"});
    result.has_syntax_error = true;
    return result;
  }
  ModuleCollector collector(source, module_path, rules, keywords);
  return collector.run(tree, only_entry);
}

}  // namespace fastest
