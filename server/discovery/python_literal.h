// Static evaluation of the Python values pytest turns into parametrize ids, and pytest's
// id rules for them (`_idval_from_value`, `ascii_escaped`). Pure functions over syntax nodes.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <tree_sitter/api.h>

namespace fastest {

// Resolves a module-level name to the node it is bound to: the right-hand side of a single
// assignment, or a class/function definition. nullopt when unbound or bound more than once.
using NameResolver = std::function<std::optional<TSNode>(std::string_view name)>;

struct PyValue {
  enum class Kind {
    Str,      // text: the string as UTF-32 code points in `chars`
    Bytes,    // text: raw bytes
    Number,   // int/float/complex/bool/None: text is Python's str() of it
    Named,    // a class, function, lambda: text is its __name__
    Opaque,   // an object pytest has no id for (list, dict, tuple, ...): id is argname+index
    Unknown,  // not statically knowable
  };
  Kind kind = Kind::Unknown;
  std::string text;
  std::u32string chars;
  std::string why;  // for Unknown: what could not be known
};

PyValue evaluate(TSNode node, std::string_view source, const NameResolver& resolve, int depth = 0);

// One string literal's text (prefix, quotes, escapes; an f-string without fields).
PyValue decode_string_literal(std::string_view literal);

// pytest's `ascii_escaped` for str (unicode_escape + non-printable translation).
std::string ascii_escaped(const std::u32string& chars);
// pytest's `ascii_escaped` for bytes (ascii/backslashreplace + non-printable translation).
std::string ascii_escaped_bytes(std::string_view bytes);
// The string as UTF-8 (for disable_test_id_escaping_and_forfeit_all_rights_to_community_support).
std::string to_utf8(const std::u32string& chars);

// pytest's id for one value; nullopt for Opaque (caller uses argname+index) and Unknown.
std::optional<std::string> id_from_value(const PyValue& value, bool disable_escaping);

// Python's repr() of a float.
std::string python_float_repr(double value);

}  // namespace fastest
