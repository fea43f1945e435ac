// Owning wrappers around tree-sitter's parser and tree, and the incremental edit step.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include <tree_sitter/api.h>

namespace fastest {

struct TreeDeleter {
  void operator()(TSTree* tree) const { ts_tree_delete(tree); }
};
struct ParserDeleter {
  void operator()(TSParser* parser) const { ts_parser_delete(parser); }
};
using TreePtr = std::unique_ptr<TSTree, TreeDeleter>;
using ParserPtr = std::unique_ptr<TSParser, ParserDeleter>;

// A parser for Python. One per thread: tree-sitter parsers are not thread-safe.
ParserPtr make_python_parser();

// Full parse. Never fails for any bytes (tree-sitter recovers with ERROR nodes); returns null
// only if tree-sitter itself refuses (e.g. cancelled), which callers treat as "no items".
TreePtr parse_python(TSParser* parser, std::string_view source);

// The row/column (byte) point of `byte_offset` in `source`.
TSPoint point_at(std::string_view source, uint32_t byte_offset);

// Applies a text edit to an old tree (so it can be reused) and returns the input edit.
// `old_source` is the text before the edit; `new_end_byte` is start + new text length.
TSInputEdit make_input_edit(std::string_view old_source, std::string_view new_source,
                            uint32_t start_byte, uint32_t old_end_byte, uint32_t new_end_byte);

// Incremental reparse: `old_tree` must already have had ts_tree_edit applied.
TreePtr reparse_python(TSParser* parser, const TSTree* old_tree, std::string_view new_source);

}  // namespace fastest
