#include "server/workspace/python_facts.h"

#include <charconv>
#include <fstream>
#include <string>

namespace fastest {
namespace fs = std::filesystem;
namespace {

std::string trim(std::string s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::optional<int> leading_int(std::string_view& text) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr == text.data()) return std::nullopt;
  text.remove_prefix(static_cast<size_t>(ptr - text.data()));
  return value;
}

// The platform this binary was built for is the one the interpreter beside it runs on.
void fill_platform(PythonFacts& facts) {
#if defined(__linux__)
  facts.platform = "linux";
  facts.os_name = "posix";
#elif defined(__APPLE__)
  facts.platform = "darwin";
  facts.os_name = "posix";
#endif
}

}  // namespace

PythonFacts parse_python_version(std::string_view text) {
  PythonFacts facts;
  auto major = leading_int(text);
  if (!major || text.empty() || text[0] != '.') return facts;
  text.remove_prefix(1);
  auto minor = leading_int(text);
  if (!minor) return facts;
  facts.major = *major;
  facts.minor = *minor;
  if (text.empty() || text[0] != '.') return facts;
  text.remove_prefix(1);
  auto micro = leading_int(text);
  if (!micro) return facts;
  facts.micro = micro;
  if (text.empty()) {  // "3.12.3": a final release
    facts.releaselevel = "final";
    facts.serial = 0;
    return facts;
  }
  if (text[0] == '.') {  // virtualenv's "3.12.3.final.0"
    text.remove_prefix(1);
    size_t dot = text.find('.');
    if (dot == std::string_view::npos) return facts;
    std::string level(text.substr(0, dot));
    text.remove_prefix(dot + 1);
    auto serial = leading_int(text);
    if (!serial || !text.empty()) return facts;
    facts.releaselevel = level;
    facts.serial = serial;
    return facts;
  }
  // "3.13.0rc1", "3.14.0a2", "3.14.0b1"
  std::string level;
  if (text.starts_with("rc")) { level = "candidate"; text.remove_prefix(2); }
  else if (text.starts_with("a")) { level = "alpha"; text.remove_prefix(1); }
  else if (text.starts_with("b")) { level = "beta"; text.remove_prefix(1); }
  else return facts;
  auto serial = leading_int(text);
  if (!serial || !text.empty()) return facts;
  facts.releaselevel = level;
  facts.serial = serial;
  return facts;
}

std::optional<PythonFacts> read_python_facts(const Interpreter& interpreter) {
  std::error_code ec;
  if (interpreter.executable.filename().string().find("pypy") != std::string::npos) return std::nullopt;
  PythonFacts facts;
  fs::path prefix = fs::absolute(interpreter.executable, ec).parent_path().parent_path();
  std::ifstream cfg(prefix / "pyvenv.cfg");
  std::string implementation;
  for (std::string line; std::getline(cfg, line);) {
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (key == "version_info" || (key == "version" && facts.major == 0)) {
      PythonFacts parsed = parse_python_version(value);
      if (parsed.major > 0) facts = parsed;
    }
    if (key == "implementation") implementation = value;
  }
  if (facts.major == 0) {
    // lib/pythonX.Y/site-packages: the version without its micro part.
    for (const fs::path& sp : interpreter.site_packages) {
      std::string folder = sp.parent_path().filename().string();
      if (!folder.starts_with("python")) continue;
      PythonFacts parsed = parse_python_version(std::string_view(folder).substr(6));
      if (parsed.major > 0) {
        facts.major = parsed.major;
        facts.minor = parsed.minor;
        break;
      }
    }
  }
  if (facts.major == 0) return std::nullopt;
  if (implementation.empty() || implementation == "CPython") {
    // A site-packages under lib/pythonX.Y is CPython's layout (PyPy's is lib/pypyX.Y).
    for (const fs::path& sp : interpreter.site_packages)
      if (sp.parent_path().filename().string().starts_with("python")) facts.implementation = "cpython";
  }
  fill_platform(facts);
  return facts;
}

}  // namespace fastest
