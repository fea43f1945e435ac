#include "server/discovery/syntax_tree.h"

#include <algorithm>
#include <cstring>

#include "server/discovery/module_discovery.h"

namespace fastest {

ParserPtr make_python_parser() {
  ParserPtr parser(ts_parser_new());
  ts_parser_set_language(parser.get(), tree_sitter_python());
  return parser;
}

TreePtr parse_python(TSParser* parser, std::string_view source) {
  return TreePtr(ts_parser_parse_string(parser, nullptr, source.data(),
                                        static_cast<uint32_t>(source.size())));
}

TSPoint point_at(std::string_view source, uint32_t byte_offset) {
  if (byte_offset > source.size()) byte_offset = static_cast<uint32_t>(source.size());
  // memchr-speed line counting: this runs on every keystroke over the text before the edit.
  TSPoint point{0, 0};
  const char* begin = source.data();
  const char* cursor = begin;
  const char* end = begin + byte_offset;
  const char* line_start = begin;
  while (cursor < end) {
    const void* nl = std::memchr(cursor, '\n', static_cast<size_t>(end - cursor));
    if (!nl) break;
    ++point.row;
    cursor = static_cast<const char*>(nl) + 1;
    line_start = cursor;
  }
  point.column = static_cast<uint32_t>(end - line_start);
  return point;
}

namespace {
// The point reached from `from` (at byte `from_byte`) by walking source[from_byte, to_byte).
TSPoint advance(TSPoint from, std::string_view source, uint32_t from_byte, uint32_t to_byte) {
  TSPoint p = from;
  to_byte = std::min<uint32_t>(to_byte, static_cast<uint32_t>(source.size()));
  for (uint32_t i = from_byte; i < to_byte; ++i) {
    if (source[i] == '\n') {
      ++p.row;
      p.column = 0;
    } else {
      ++p.column;
    }
  }
  return p;
}
}  // namespace

TSInputEdit make_input_edit(std::string_view old_source, std::string_view new_source,
                            uint32_t start_byte, uint32_t old_end_byte, uint32_t new_end_byte) {
  TSInputEdit edit{};
  edit.start_byte = start_byte;
  edit.old_end_byte = old_end_byte;
  edit.new_end_byte = new_end_byte;
  edit.start_point = point_at(old_source, start_byte);
  // Only the edited span is walked again, not the file from its start.
  edit.old_end_point = advance(edit.start_point, old_source, start_byte, old_end_byte);
  edit.new_end_point = advance(edit.start_point, new_source, start_byte, new_end_byte);
  return edit;
}

TreePtr reparse_python(TSParser* parser, const TSTree* old_tree, std::string_view new_source) {
  return TreePtr(ts_parser_parse_string(parser, old_tree, new_source.data(),
                                        static_cast<uint32_t>(new_source.size())));
}

}  // namespace fastest
