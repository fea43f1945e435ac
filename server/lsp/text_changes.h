// textDocument/didChange decoded with typed checks: a missing field, a field of the wrong type
// or a negative position is an error for that notification, never a lookup of a missing key
// (const json::operator[] on a missing key is undefined behaviour).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fastest::lsp {

struct TextPosition {
  uint32_t line = 0;
  uint32_t character = 0;
};

struct TextRange {
  TextPosition start, end;
};

// One TextDocumentContentChangeEvent: a range and its new text, or (no range) the whole text.
struct ContentChange {
  std::optional<TextRange> range;
  std::string text;
};

struct DidChange {
  std::string uri;
  std::vector<ContentChange> changes;
};

// nullopt, with what is wrong in `why`, when `params` is not a valid DidChangeTextDocumentParams.
std::optional<DidChange> decode_did_change(const nlohmann::json& params, std::string* why);

}  // namespace fastest::lsp
