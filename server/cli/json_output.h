// JSON text for what the CLI prints or hands on. Source text, paths and pytest's arguments
// are bytes, not always UTF-8 (a raw 0xff in a parametrize literal, a file name in Latin-1):
// nlohmann's strict dump throws on them, and an uncaught throw aborts the command. Invalid
// bytes become U+FFFD instead, as the language server's output does.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace fastest::cli {

inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace fastest::cli
