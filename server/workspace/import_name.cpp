#include "server/workspace/import_name.h"

#include <vector>

namespace fs = std::filesystem;

namespace fastest {
namespace {

// str.isidentifier() for ASCII; non-ASCII bytes are taken as letters (as they mostly are).
bool is_identifier(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (unsigned char c : name)
    if (!(c >= 0x80 || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
      return false;
  return true;
}

// pytest's resolve_package_path: the last folder upwards that still has an __init__.py.
std::optional<fs::path> package_path(const fs::path& file) {
  std::optional<fs::path> result;
  std::error_code ec;
  for (fs::path dir = file.parent_path();; dir = dir.parent_path()) {
    if (!fs::is_regular_file(dir / "__init__.py", ec) || !is_identifier(dir.filename().string())) break;
    result = dir;
    if (dir == dir.parent_path()) break;
  }
  return result;
}

std::string dotted(const fs::path& relative_without_suffix) {
  std::vector<std::string> parts;
  for (const fs::path& part : relative_without_suffix) parts.push_back(part.string());
  if (parts.size() >= 2 && parts.back() == "__init__") parts.pop_back();
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ".") + p;
  return out;
}

}  // namespace

ImportMode parse_import_mode(const std::string& value) {
  if (value == "importlib") return ImportMode::Importlib;
  if (value == "append") return ImportMode::Append;
  return ImportMode::Prepend;
}

std::string module_import_name(const fs::path& file, const fs::path& rootdir, ImportMode mode) {
  fs::path without_suffix = fs::path(file).replace_extension();
  if (auto package = package_path(file)) return dotted(without_suffix.lexically_relative(package->parent_path()));
  if (mode != ImportMode::Importlib) return file.stem().string();
  // module_name_from_path: relative to rootdir, dots in folder names become underscores.
  fs::path relative = without_suffix.lexically_relative(rootdir);
  if (relative.empty() || *relative.begin() == "..") relative = without_suffix.relative_path();
  std::string name;
  std::vector<std::string> parts;
  for (const fs::path& part : relative) {
    std::string s = part.string();
    for (char& c : s) if (c == '.') c = '_';
    parts.push_back(s);
  }
  if (parts.size() >= 2 && parts.back() == "__init__") parts.pop_back();
  for (const std::string& p : parts) name += (name.empty() ? "" : ".") + p;
  return name;
}

}  // namespace fastest
