// doctest.DocTestFinder._find over a syntax tree instead of live objects.
//
// The finder walks module.__dict__ (functions and classes defined in the module), then the
// module's __test__ dict, and each class's __dict__ (methods, static/class methods,
// properties, nested classes), skipping objects it has seen under another name. Names are
// `<module name>.<attribute path>`; the result is sorted by name. Whatever the source cannot
// show (objects bound conditionally or by calls, aliases, unknown decorators, computed
// docstrings) makes the result dynamic instead of a guess.
#include "server/discovery/doctest_discovery.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "server/discovery/doctest_parser.h"
#include "server/discovery/module_scope.h"
#include "server/discovery/python_literal.h"
#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

bool has_prompt(TSNode node, std::string_view source) {
  return ts::text(node, source).find(">>>") != std::string_view::npos;
}

// Decorators that leave the function's docstring, module and name where DocTestFinder finds
// them (the object it meets unwraps, or is a staticmethod/classmethod/property it looks through).
bool is_transparent_decorator(TSNode expr, std::string_view source) {
  return decorator_is(expr, source,
                      {"staticmethod", "classmethod", "property", "cached_property", "functools.cached_property",
                       "functools.lru_cache", "lru_cache", "functools.cache", "cache", "abc.abstractmethod",
                       "abstractmethod", "typing.final", "final", "typing.override", "override",
                       "typing.overload", "overload", "typing.no_type_check", "contextlib.contextmanager",
                       "contextmanager", "contextlib.asynccontextmanager", "asynccontextmanager",
                       "pytest.fixture", "fixture", "dataclass", "dataclasses.dataclass",
                       "functools.total_ordering", "total_ordering"}) ||
         ts::text(ts::is(expr, "call") ? ts::field(expr, "function") : expr, source).rfind("pytest.mark.", 0) == 0;
}

// `@name.setter` / `.getter` / `.deleter`: a copy of the property `name`, same docstring.
bool is_property_accessor(TSNode expr, std::string_view name, std::string_view source) {
  if (!ts::is(expr, "attribute")) return false;
  std::string_view attr = ts::text(ts::field(expr, "attribute"), source);
  return ts::text(ts::field(expr, "object"), source) == name &&
         (attr == "setter" || attr == "getter" || attr == "deleter");
}

// A statement that is a string literal and so becomes __doc__ (not an f-string, not bytes).
std::optional<TSNode> docstring_node(TSNode block) {
  for (TSNode stmt : ts::named_children(block)) {
    if (!ts::is(stmt, "expression_statement") || ts_node_named_child_count(stmt) != 1) return std::nullopt;
    TSNode expr = ts_node_named_child(stmt, 0);
    if (ts::is(expr, "string") || ts::is(expr, "concatenated_string")) return expr;
    return std::nullopt;
  }
  return std::nullopt;
}

bool is_plain_str_literal(TSNode node, std::string_view source) {
  std::vector<TSNode> parts = ts::is(node, "concatenated_string") ? ts::named_children(node) : std::vector<TSNode>{node};
  for (TSNode part : parts) {
    std::string_view raw = ts::text(part, source);
    for (char c : raw) {
      if (c == '\'' || c == '"') break;
      char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == 'f' || lower == 'b' || lower == 't') return false;
    }
  }
  return true;
}

// `X.__doc__ = ...` or `__doc__ = ...`: a docstring set at run time.
bool assigns_doc(std::string_view source) {
  for (size_t p = source.find("__doc__"); p != std::string_view::npos; p = source.find("__doc__", p + 1)) {
    size_t q = p + 7;
    while (q < source.size() && (source[q] == ' ' || source[q] == '\t')) ++q;
    if (q < source.size() && source[q] == '=' && (q + 1 >= source.size() || source[q + 1] != '=')) return true;
  }
  return false;
}

class DoctestFinder {
 public:
  DoctestFinder(std::string_view source, std::string_view file_path, std::string_view import_name)
      : source_(source), file_path_(file_path), import_name_(import_name) {}

  DoctestResult run(TSNode root) {
    if (ts_node_has_error(root)) return std::move(result_);  // the import fails: pytest reports an error
    if (assigns_doc(source_)) make_dynamic("a docstring is assigned at run time (__doc__ = ...)");
    module_ = read_scope(root, source_);
    if (auto doc = docstring_node(root)) add_docstring(import_name_, *doc, *doc, *doc);
    check_conditional_blocks(root);
    find_in_scope(module_, import_name_, /*in_class=*/false);
    find_in_test_dict();
    std::sort(result_.items.begin(), result_.items.end(),
              [](const TestItem& a, const TestItem& b) { return a.label() < b.label(); });
    if (result_.dynamic)
      for (TestItem& item : result_.items)
        if (!item.dynamic) {
          item.dynamic = true;
          item.dynamic_reason = result_.dynamic_reason;
        }
    return std::move(result_);
  }

 private:
  void make_dynamic(const std::string& reason) {
    if (result_.dynamic) return;
    result_.dynamic = true;
    result_.dynamic_reason = "doctests: " + reason;
  }

  // Emits an item for `name` when `doc_node` (a string literal) holds examples.
  void add_docstring(const std::string& name, TSNode doc_node, TSNode range_node, TSNode name_node,
                     const std::string& dynamic_reason = "") {
    if (!is_plain_str_literal(doc_node, source_)) return;
    PyValue value = evaluate(doc_node, source_, nullptr);
    if (value.kind != PyValue::Kind::Str) {
      if (has_prompt(doc_node, source_)) make_dynamic("the docstring of " + name + " cannot be read statically");
      return;
    }
    add_text(name, to_utf8(value.chars), range_node, name_node, dynamic_reason);
  }

  void add_text(const std::string& name, const std::string& text, TSNode range_node, TSNode name_node,
                const std::string& dynamic_reason) {
    DoctestScan scan = scan_doctest(text);
    if (!scan.error.empty()) {
      make_dynamic("the docstring of " + name + " is malformed (" + scan.error + "): pytest reports an error");
      return;
    }
    if (!scan.has_examples) return;
    TestItem item;
    item.id = file_path_ + "::" + name;
    item.set_label(name);
    item.kind = ItemKind::Function;
    item.set_parent_id(file_path_);
    item.set_path(file_path_);
    item.range = ts::range_of(range_node);
    item.name_range = ts::range_of(name_node);
    if (!dynamic_reason.empty()) {
      item.dynamic = true;
      item.dynamic_reason = "doctests: " + dynamic_reason;
      make_dynamic(dynamic_reason);
    }
    result_.items.push_back(std::move(item));
  }

  // Definitions under if/for/while/match or an except/else/finally branch: which one exists
  // (if any) is decided at import time.
  void check_conditional_blocks(TSNode block) {
    for (TSNode stmt : ts::named_children(block)) {
      bool conditional = ts::is(stmt, "if_statement") || ts::is(stmt, "for_statement") ||
                         ts::is(stmt, "while_statement") || ts::is(stmt, "match_statement");
      if (conditional && has_prompt(stmt, source_)) {
        make_dynamic("objects with examples are defined conditionally");
        return;
      }
      if (ts::is(stmt, "try_statement"))
        for (TSNode child : ts::named_children(stmt))
          if (!ts::is(child, "block") && has_prompt(child, source_)) {
            make_dynamic("objects with examples are defined in an except/else/finally branch");
            return;
          }
    }
  }

  // __dict__ of a module or class, in order. `scope` is the namespace being walked.
  void find_in_scope(const Scope& scope, const std::string& prefix, bool in_class) {
    for (size_t position = 0; position < scope.order.size(); ++position) {
      const std::string& name = scope.order[position];
      const Binding& b = scope.bindings.at(name);
      std::string qualified = prefix + "." + name;
      switch (b.kind) {
        case Binding::Kind::Function:
        case Binding::Kind::Class:
          if (!b.conditional) find_definition(qualified, name, b, scope, in_class);
          break;
        case Binding::Kind::Assignment:
          check_alias(name, b, scope, position);
          break;
        default: break;  // imports: objects of other modules are not this module's doctests
      }
    }
  }

  void find_definition(const std::string& qualified, const std::string& name, const Binding& b, const Scope& scope,
                       bool in_class) {
    std::string reason;
    TSNode doc_source = b.definition;
    for (TSNode d : b.decorators) {
      if (is_transparent_decorator(d, source_)) continue;
      if (in_class && is_property_accessor(d, name, source_)) {
        TSNode getter = property_getter(scope, name);
        if (ts_node_is_null(getter)) reason = "the property " + qualified + " takes its docstring from elsewhere";
        else doc_source = getter;
        continue;
      }
      if (decorator_is(d, source_, {"functools.wraps", "wraps"})) {
        make_dynamic(qualified + " takes its docstring from the function it wraps");
        return;
      }
      if (reason.empty())
        reason = qualified + " is decorated with " + std::string(ts::text(d, source_)) +
                 ", which may replace it (unwrap decides)";
    }
    if (!reason.empty() && !has_prompt(b.outer, source_)) reason.clear();  // nothing to find either way
    if (auto doc = docstring_node(ts::field(doc_source, "body")))
      add_docstring(qualified, *doc, b.outer, ts::field(b.definition, "name"), reason);
    else if (!reason.empty() && b.kind == Binding::Kind::Function)
      make_dynamic(reason);
    if (b.kind == Binding::Kind::Class) {
      TSNode body = ts::field(b.definition, "body");
      if (!reason.empty() && has_prompt(body, source_)) make_dynamic(reason);
      check_conditional_blocks(body);
      Scope class_scope = read_scope(body, source_);
      find_in_scope(class_scope, qualified, /*in_class=*/true);
    }
  }

  // The `@property` def named `name` in a class body: the docstring its accessors keep.
  TSNode property_getter(const Scope& scope, const std::string& name) const {
    const Binding* b = scope.find(name);
    if (!b) return TSNode{};
    TSNode block = ts_node_parent(b->outer);
    for (TSNode stmt : ts::named_children(block)) {
      if (!ts::is(stmt, "decorated_definition")) continue;
      TSNode def = ts::field(stmt, "definition");
      if (ts::text(ts::field(def, "name"), source_) != name) continue;
      for (TSNode child : ts::named_children(stmt))
        if (ts::is(child, "decorator") && ts_node_named_child_count(child) > 0 &&
            decorator_is(ts_node_named_child(child, 0), source_, {"property"}))
          return def;
    }
    return TSNode{};
  }

  // `alias = f`: the same object under a second name. DocTestFinder reports it once, under
  // whichever name it meets first; only an alias bound after its target in the same
  // namespace is certain to be met second.
  void check_alias(const std::string& name, const Binding& b, const Scope& scope, size_t position) {
    TSNode value = ts::unparen(b.value);
    if (ts_node_is_null(value)) return;
    if (ts::is(value, "call")) {
      check_factory_call(name, value);
      return;
    }
    if (!ts::is(value, "identifier") && !ts::is(value, "attribute")) return;
    TSNode root = value;
    while (ts::is(root, "attribute")) root = ts::field(root, "object");
    std::string_view target = ts::text(root, source_);
    const Binding* in_scope = scope.find(target);
    const Binding* defined = in_scope ? in_scope : module_.find(target);
    if (!defined || (defined->kind != Binding::Kind::Function && defined->kind != Binding::Kind::Class)) return;
    if (!has_prompt(defined->outer, source_)) return;
    if (ts::is(value, "identifier") && in_scope && !defined->conditional && !b.conditional) {
      auto first = std::find(scope.order.begin(), scope.order.end(), std::string(target));
      if (static_cast<size_t>(first - scope.order.begin()) < position) return;  // already met
    }
    make_dynamic(name + " is another name for " + std::string(ts::text(value, source_)));
  }

  // `x = make()` where `make` defines a function or class with examples: the made object
  // belongs to this module and DocTestFinder finds it.
  void check_factory_call(const std::string& name, TSNode call) {
    TSNode function = ts::field(call, "function");
    if (!ts::is(function, "identifier")) return;
    const Binding* b = module_.find(ts::text(function, source_));
    if (!b || b->kind != Binding::Kind::Function) return;
    TSNode body = ts::field(b->definition, "body");
    size_t prompts = 0, in_doc = 0;
    for (std::string_view t = ts::text(body, source_); t.find(">>>") != std::string_view::npos;
         t = t.substr(t.find(">>>") + 3))
      ++prompts;
    if (auto doc = docstring_node(body))
      for (std::string_view t = ts::text(*doc, source_); t.find(">>>") != std::string_view::npos;
           t = t.substr(t.find(">>>") + 3))
        ++in_doc;
    if (prompts > in_doc) make_dynamic(name + " is built by " + std::string(ts::text(function, source_)) + "()");
  }

  // The module's __test__ dict: name -> string, function or class.
  void find_in_test_dict() {
    const Binding* test = module_.find("__test__");
    if (!test) return;
    if (test->kind != Binding::Kind::Assignment || test->conditional || test->count != 1 ||
        !ts::is(ts::unparen(test->value), "dictionary")) {
      make_dynamic("__test__ is not a dict literal");
      return;
    }
    if (source_.find("__test__[") != std::string_view::npos || source_.find("__test__.") != std::string_view::npos) {
      make_dynamic("__test__ is changed after its definition");
      return;
    }
    std::set<std::string> seen_strings;  // equal string constants are one object: found once
    for (TSNode pair : ts::named_children(ts::unparen(test->value))) {
      if (!ts::is(pair, "pair")) {
        make_dynamic("__test__ is built with ** or a comprehension");
        return;
      }
      PyValue key = evaluate(ts::field(pair, "key"), source_, nullptr);
      if (key.kind != PyValue::Kind::Str) {
        make_dynamic("a __test__ key is not a string literal");
        return;
      }
      std::string name = import_name_ + ".__test__." + to_utf8(key.chars);
      TSNode value = ts::unparen(ts::field(pair, "value"));
      if (ts::is(value, "identifier")) {
        const Binding* b = module_.find(ts::text(value, source_));
        bool defined_here = b && !b->conditional &&
                            (b->kind == Binding::Kind::Function || b->kind == Binding::Kind::Class);
        if (defined_here) continue;  // already met in the module's __dict__
        if (b && b->kind == Binding::Kind::Assignment && b->count == 1 && !b->conditional) value = ts::unparen(b->value);
      }
      if (ts::is(value, "string") || ts::is(value, "concatenated_string")) {
        PyValue text = evaluate(value, source_, nullptr);
        if (text.kind != PyValue::Kind::Str) {
          make_dynamic("the __test__ entry " + name + " cannot be read statically");
          continue;
        }
        if (!seen_strings.insert(to_utf8(text.chars)).second) continue;
        add_text(name, to_utf8(text.chars), pair, ts::field(pair, "key"), "");
        continue;
      }
      make_dynamic("the __test__ entry " + name + " is not a literal or a function or class of this module");
    }
  }

  std::string_view source_;
  std::string file_path_;
  std::string import_name_;
  Scope module_;
  DoctestResult result_;
};

}  // namespace

DoctestResult discover_doctests(const TSTree* tree, std::string_view source, std::string_view file_path,
                                std::string_view import_name) {
  if (!tree) return {};
  DoctestFinder finder(source, file_path, import_name);
  return finder.run(ts_tree_root_node(tree));
}

DoctestResult discover_doctest_text(std::string_view text, std::string_view file_path) {
  DoctestResult result;
  DoctestScan scan = scan_doctest(text);
  std::string path(file_path);
  std::string name = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  if (!scan.error.empty()) {
    result.dynamic = true;
    result.dynamic_reason = "doctests: " + name + " is malformed (" + scan.error + "): pytest reports an error";
    return result;
  }
  if (!scan.has_examples) return result;
  TestItem item;
  item.id = path + "::" + name;
  item.set_label(name);
  item.kind = ItemKind::Function;
  item.set_parent_id(path);
  item.set_path(path);
  result.items.push_back(std::move(item));
  return result;
}

bool is_setuptools_script(std::string_view source) {
  return source.find("setuptools") != std::string_view::npos || source.find("distutils") != std::string_view::npos;
}

}  // namespace fastest
