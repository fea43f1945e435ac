// Python reads source with universal newlines: a lone CR ends a line as LF and CRLF do (old Mac
// files, some generators). tree-sitter-python takes a lone CR for blank space, so a CR-only file
// parses as one long broken line. Discovery parses a copy in which every lone CR is a LF: the
// same length and the same bytes elsewhere, so every byte offset stays valid for the original
// text, and lines are counted as Python (and pytest's line numbers) count them.
#pragma once

#include <string>
#include <string_view>

namespace fastest {

bool has_lone_cr(std::string_view text);
// `text` with each CR not followed by LF replaced by LF (CRLF is left alone).
std::string lone_cr_as_lf(std::string_view text);

}  // namespace fastest
