#include "server/discovery/test_signature.h"

#include <algorithm>
#include <optional>

#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

struct Parameter {
  enum class Kind { PositionalOnly, PositionalOrKeyword, KeywordOnly, VarPositional, VarKeyword };
  std::string name;
  Kind kind = Kind::PositionalOrKeyword;
  bool has_default = false;
};

std::vector<Parameter> parameters_of(TSNode function, std::string_view source) {
  std::vector<Parameter> out;
  bool keyword_only = false;
  for (TSNode p : ts::named_children(ts::field(function, "parameters"))) {
    if (ts::is(p, "positional_separator")) {
      for (Parameter& before : out) before.kind = Parameter::Kind::PositionalOnly;
      continue;
    }
    if (ts::is(p, "keyword_separator")) {
      keyword_only = true;
      continue;
    }
    Parameter param;
    TSNode inner = p;
    if (ts::is(p, "typed_parameter")) inner = ts_node_named_child(p, 0);
    if (ts::is(p, "default_parameter") || ts::is(p, "typed_default_parameter")) {
      param.has_default = true;
      inner = ts::field(p, "name");
    }
    if (ts::is(inner, "list_splat_pattern")) {
      param.kind = Parameter::Kind::VarPositional;
      keyword_only = true;
    } else if (ts::is(inner, "dictionary_splat_pattern")) {
      param.kind = Parameter::Kind::VarKeyword;
    } else if (ts::is(inner, "identifier")) {
      param.name = std::string(ts::text(inner, source));
      param.kind = keyword_only ? Parameter::Kind::KeywordOnly : Parameter::Kind::PositionalOrKeyword;
    } else {
      continue;  // a tuple parameter (Python 2) or a broken one: pytest would not get here
    }
    out.push_back(std::move(param));
  }
  return out;
}

bool is_one_of(const std::optional<std::string>& name, std::initializer_list<std::string_view> names) {
  return name && std::find(names.begin(), names.end(), *name) != names.end();
}

struct CallArguments {
  std::vector<TSNode> positional;
  std::vector<std::pair<std::string, TSNode>> keyword;
  bool unpacked = false;  // *args / **kwargs
};

CallArguments arguments_of(TSNode call, std::string_view source) {
  CallArguments out;
  for (TSNode a : ts::named_children(ts::field(call, "arguments"))) {
    if (ts::is(a, "comment")) continue;
    if (ts::is(a, "list_splat") || ts::is(a, "dictionary_splat")) out.unpacked = true;
    else if (ts::is(a, "keyword_argument"))
      out.keyword.emplace_back(std::string(ts::text(ts::field(a, "name"), source)), ts::field(a, "value"));
    else out.positional.push_back(a);
  }
  return out;
}

}  // namespace

TestArgnames test_argnames(TSNode function, const std::vector<TSNode>& decorators, std::string_view source,
                           const Scope& scope, bool skip_first) {
  TestArgnames out;
  std::vector<Parameter> params = parameters_of(function, source);
  for (const Parameter& p : params)
    if (!p.name.empty()) out.at_most.push_back(p.name);
  int mock_patches = 0;
  bool given_seen = false;
  // Decorators apply bottom-up: each sees the signature the ones below it left.
  for (auto d = decorators.rbegin(); d != decorators.rend(); ++d) {
    TSNode expr = ts::unparen(*d);
    if (!ts::is(expr, "call")) continue;
    auto head = imported_as(ts::field(expr, "function"), source, scope);
    if (is_one_of(head, {"hypothesis.given"})) {
      if (given_seen || mock_patches > 0) {
        out.unknown = "@given stacked with another @given or mock.patch";
        return out;
      }
      given_seen = true;
      CallArguments args = arguments_of(expr, source);
      if (args.unpacked || (args.positional.empty() == args.keyword.empty())) {
        out.unknown = "@given's arguments are not read statically";
        return out;
      }
      std::vector<std::string> provided;
      if (!args.positional.empty()) {
        std::vector<const Parameter*> positional;
        for (const Parameter& p : params) {
          if (p.kind != Parameter::Kind::PositionalOrKeyword) {
            out.unknown = "@given's positional strategies with a parameter that is not positional-or-keyword";
            return out;
          }
          positional.push_back(&p);
        }
        for (TSNode a : args.positional)
          if (ts::is(a, "ellipsis")) {
            out.unknown = "@given(...) infers its arguments";
            return out;
          }
        if (args.positional.size() > positional.size()) {
          out.unknown = "@given has more strategies than the test has parameters";
          return out;
        }
        for (size_t i = positional.size() - args.positional.size(); i < positional.size(); ++i)
          provided.push_back(positional[i]->name);
      } else {
        for (const auto& [name, value] : args.keyword) provided.push_back(name);
      }
      std::erase_if(params, [&](const Parameter& p) {
        return (p.kind == Parameter::Kind::PositionalOrKeyword || p.kind == Parameter::Kind::KeywordOnly) &&
               std::find(provided.begin(), provided.end(), p.name) != provided.end();
      });
      continue;
    }
    const bool patch = is_one_of(head, {"unittest.mock.patch", "mock.patch"});
    const bool patch_object = is_one_of(head, {"unittest.mock.patch.object", "mock.patch.object"});
    if (patch || patch_object) {
      if (given_seen) {
        out.unknown = "mock.patch under @given";
        return out;
      }
      CallArguments args = arguments_of(expr, source);
      if (args.unpacked) {
        out.unknown = "mock.patch's arguments are not read statically";
        return out;
      }
      const size_t new_position = patch ? 1 : 2;
      TSNode new_value = args.positional.size() > new_position ? args.positional[new_position] : TSNode{};
      for (const auto& [name, value] : args.keyword)
        if (name == "new") new_value = value;
      // `new=mock.DEFAULT` is no `new` for pytest (it compares with DEFAULT): a name ending so is
      // not read here.
      if (!ts_node_is_null(new_value) && ts::text(new_value, source).ends_with("DEFAULT")) {
        out.unknown = "mock.patch given `new` as DEFAULT";
        return out;
      }
      const bool gives_new = !ts_node_is_null(new_value);
      if (!gives_new) ++mock_patches;  // the patched function receives the mock as an argument
    }
  }
  for (const Parameter& p : params)
    if ((p.kind == Parameter::Kind::PositionalOrKeyword || p.kind == Parameter::Kind::KeywordOnly) && !p.has_default)
      out.names.push_back(p.name);
  if (skip_first && !out.names.empty()) out.names.erase(out.names.begin());  // pytest drops the first name it kept
  if (mock_patches > 0) out.names.erase(out.names.begin(), out.names.begin() + std::min<size_t>(mock_patches, out.names.size()));
  return out;
}

}  // namespace fastest
