#include "server/discovery/marks.h"

#include <algorithm>
#include <cctype>

#include "server/discovery/source_search.h"
#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

// "pytest.mark.slow" / "mark.slow" -> "slow".
std::optional<std::string> mark_name_of(TSNode attr, std::string_view source) {
  if (!ts::is(attr, "attribute")) return std::nullopt;
  TSNode object = ts::field(attr, "object");
  std::string_view obj = ts::text(object, source);
  if (obj != "pytest.mark" && obj != "mark" && obj != "_pytest.mark") return std::nullopt;
  return std::string(ts::text(ts::field(attr, "attribute"), source));
}

std::string call_args_text(TSNode call, std::string_view source) {
  TSNode args = ts::field(call, "arguments");
  std::string_view text = ts::text(args, source);
  if (text.size() >= 2 && text.front() == '(' && text.back() == ')') text = text.substr(1, text.size() - 2);
  return std::string(text);
}

}  // namespace

std::optional<MarkRef> as_mark(TSNode expr, std::string_view source, const NameResolver& resolve) {
  for (int depth = 0; depth < 4; ++depth) {
    expr = ts::unparen(expr);
    if (ts::is(expr, "identifier") && resolve) {
      auto bound = resolve(ts::text(expr, source));
      if (!bound || ts::is(*bound, "class_definition") || ts::is(*bound, "function_definition"))
        return std::nullopt;
      expr = *bound;
      continue;
    }
    break;
  }
  if (ts::is(expr, "call")) {
    TSNode function = ts::field(expr, "function");
    if (auto name = mark_name_of(function, source)) {
      MarkRef ref;
      ref.mark.name = *name;
      ref.mark.args = call_args_text(expr, source);
      ref.call = expr;
      return ref;
    }
    // `pytest.mark.skip.with_args(...)` and similar chained forms.
    if (ts::is(function, "attribute")) {
      if (auto name = mark_name_of(ts::field(function, "object"), source)) {
        MarkRef ref;
        ref.mark.name = *name;
        ref.mark.args = call_args_text(expr, source);
        return ref;
      }
    }
    return std::nullopt;
  }
  if (auto name = mark_name_of(expr, source)) {
    MarkRef ref;
    ref.mark.name = *name;
    return ref;
  }
  return std::nullopt;
}

std::vector<MarkRef> marks_from_value(TSNode value, std::string_view source, const NameResolver& resolve) {
  std::vector<MarkRef> out;
  value = ts::unparen(value);
  if (ts::is(value, "identifier") && resolve) {
    if (auto bound = resolve(ts::text(value, source))) {
      if (ts::is(*bound, "list") || ts::is(*bound, "tuple")) value = *bound;
    }
  }
  if (ts::is(value, "list") || ts::is(value, "tuple")) {
    for (TSNode element : ts::named_children(value))
      if (auto mark = as_mark(element, source, resolve)) out.push_back(*mark);
    return out;
  }
  if (auto mark = as_mark(value, source, resolve)) out.push_back(*mark);
  return out;
}

std::vector<std::string> mark_names_used(TSNode root, std::string_view source) {
  // A text search for "mark." then a look at the syntax node there: cheaper than walking every
  // node, and hits in strings or comments fall out because no `mark` identifier is there.
  std::vector<std::string> out;
  for (size_t at = find_in_source(source, "mark."); at != std::string_view::npos; at = find_in_source(source, "mark.", at + 5)) {
    if (at > 0) {
      char before = source[at - 1];
      if (before == '_' || std::isalnum(static_cast<unsigned char>(before))) continue;  // e.g. `bookmark.x`
    }
    TSNode ident = ts_node_named_descendant_for_byte_range(root, static_cast<uint32_t>(at), static_cast<uint32_t>(at + 4));
    if (!ts::is(ident, "identifier")) continue;
    // `mark.NAME` is the identifier's parent; `pytest.mark.NAME` its grandparent.
    TSNode parent = ts_node_parent(ident);
    std::optional<std::string> name = mark_name_of(parent, source);
    if (!name && ts::is(parent, "attribute")) name = mark_name_of(ts_node_parent(parent), source);
    if (name && std::find(out.begin(), out.end(), *name) == out.end()) out.push_back(*name);
  }
  return out;
}

bool is_pytest_param_call(TSNode node, std::string_view source) {
  if (!ts::is(node, "call")) return false;
  std::string_view function = ts::text(ts::field(node, "function"), source);
  return function == "pytest.param" || function == "param";
}

}  // namespace fastest
