// file:// URIs <-> absolute paths (percent-encoding per RFC 3986).
#pragma once

#include <optional>
#include <string>

namespace fastest::lsp {

std::string path_to_uri(const std::string& path);
// nullopt for non-file URIs.
std::optional<std::string> uri_to_path(const std::string& uri);

}  // namespace fastest::lsp
