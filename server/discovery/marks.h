// Recognising pytest marks in source: `@pytest.mark.NAME`, `@pytest.mark.NAME(...)`,
// `@mark.NAME` (from pytest import mark), names bound to those, and `pytestmark` lists.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "server/core/model.h"
#include "server/discovery/python_literal.h"

namespace fastest {

struct MarkRef {
  Mark mark;
  TSNode call{};  // the call node when the mark is called (`parametrize(...)`), else null
  // Which module's source `call` is in (module discovery's bookkeeping, for inherited tests).
  const void* origin = nullptr;
};

// The mark an expression denotes, if it is one.
std::optional<MarkRef> as_mark(TSNode expr, std::string_view source, const NameResolver& resolve);

// The marks of a `pytestmark = ...` or `marks=...` value: one mark, or a list/tuple of them.
std::vector<MarkRef> marks_from_value(TSNode value, std::string_view source, const NameResolver& resolve);

// Names of the marks the module's code reaches as `pytest.mark.NAME` / `mark.NAME`, anywhere
// (decorators, pytestmark, param marks, function bodies), each once, in source order. pytest
// validates a name when the attribute is read, so an unregistered one fails the module's
// import under strict markers.
std::vector<std::string> mark_names_used(TSNode root, std::string_view source);

// True for `pytest.param` / `param` calls.
bool is_pytest_param_call(TSNode node, std::string_view source);

}  // namespace fastest
