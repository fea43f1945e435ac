#include "server/lsp/text_changes.h"

#include <limits>

namespace fastest::lsp {
namespace {

using nlohmann::json;

// A uinteger field of an object (LSP's uinteger: 0 .. 2^31-1; we take anything a uint32_t holds).
std::optional<uint32_t> uinteger_field(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const auto v = it->get<uint64_t>();
    if (v > std::numeric_limits<uint32_t>::max()) return std::nullopt;
    return static_cast<uint32_t>(v);
  }
  const auto v = it->get<int64_t>();
  if (v < 0 || v > std::numeric_limits<uint32_t>::max()) return std::nullopt;
  return static_cast<uint32_t>(v);
}

std::optional<TextPosition> position_field(const json& range, const char* key) {
  auto it = range.find(key);
  if (it == range.end() || !it->is_object()) return std::nullopt;
  auto line = uinteger_field(*it, "line");
  auto character = uinteger_field(*it, "character");
  if (!line || !character) return std::nullopt;
  return TextPosition{*line, *character};
}

std::optional<ContentChange> decode_change(const json& change, std::string* why) {
  if (!change.is_object()) {
    *why = "a content change is not an object";
    return std::nullopt;
  }
  ContentChange out;
  auto text = change.find("text");
  if (text == change.end() || !text->is_string()) {
    *why = "a content change has no string `text`";
    return std::nullopt;
  }
  out.text = text->get<std::string>();
  auto range = change.find("range");
  if (range == change.end()) return out;
  if (!range->is_object()) {
    *why = "a content change's `range` is not an object";
    return std::nullopt;
  }
  auto start = position_field(*range, "start");
  auto end = position_field(*range, "end");
  if (!start || !end) {
    *why = "a content change's `range` needs start and end, each {line, character} of non-negative integers";
    return std::nullopt;
  }
  out.range = TextRange{*start, *end};
  return out;
}

}  // namespace

std::optional<DidChange> decode_did_change(const json& params, std::string* why) {
  if (!params.is_object()) {
    *why = "params is not an object";
    return std::nullopt;
  }
  DidChange out;
  auto document = params.find("textDocument");
  if (document == params.end() || !document->is_object()) {
    *why = "no `textDocument` object";
    return std::nullopt;
  }
  auto uri = document->find("uri");
  if (uri == document->end() || !uri->is_string()) {
    *why = "no string `textDocument.uri`";
    return std::nullopt;
  }
  out.uri = uri->get<std::string>();
  auto changes = params.find("contentChanges");
  if (changes == params.end() || !changes->is_array()) {
    *why = "no `contentChanges` array";
    return std::nullopt;
  }
  for (const json& change : *changes) {
    auto decoded = decode_change(change, why);
    if (!decoded) return std::nullopt;
    out.changes.push_back(std::move(*decoded));
  }
  return out;
}

}  // namespace fastest::lsp
