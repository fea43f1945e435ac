// The part of Python's doctest.DocTestParser that decides collection: does a docstring (or a
// text file) hold examples, and would parsing it raise (pytest then reports a collection error).
#pragma once

#include <string>
#include <string_view>

namespace fastest {

struct DoctestScan {
  bool has_examples = false;  // at least one `>>>` example that is not blank or a comment
  std::string error;          // non-empty: DocTestParser raises ValueError on this text
};

// `text` is the docstring's value (UTF-8), before expandtabs, as DocTestParser receives it.
DoctestScan scan_doctest(std::string_view text);

}  // namespace fastest
