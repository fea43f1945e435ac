#include "server/discovery/syntax_tree.h"

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
  TSPoint point{0, 0};
  if (byte_offset > source.size()) byte_offset = static_cast<uint32_t>(source.size());
  uint32_t line_start = 0;
  for (uint32_t i = 0; i < byte_offset; ++i) {
    if (source[i] == '\n') {
      ++point.row;
      line_start = i + 1;
    }
  }
  point.column = byte_offset - line_start;
  return point;
}

TSInputEdit make_input_edit(std::string_view old_source, std::string_view new_source,
                            uint32_t start_byte, uint32_t old_end_byte, uint32_t new_end_byte) {
  TSInputEdit edit{};
  edit.start_byte = start_byte;
  edit.old_end_byte = old_end_byte;
  edit.new_end_byte = new_end_byte;
  edit.start_point = point_at(old_source, start_byte);
  edit.old_end_point = point_at(old_source, old_end_byte);
  edit.new_end_point = point_at(new_source, new_end_byte);
  return edit;
}

TreePtr reparse_python(TSParser* parser, const TSTree* old_tree, std::string_view new_source) {
  return TreePtr(ts_parser_parse_string(parser, old_tree, new_source.data(),
                                        static_cast<uint32_t>(new_source.size())));
}

}  // namespace fastest
