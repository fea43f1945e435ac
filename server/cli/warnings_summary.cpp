#include "server/cli/warnings_summary.h"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <iterator>
#include <sstream>

#include "server/cli/format.h"

namespace fastest::cli {

void print_warnings_summary(const std::vector<std::pair<std::string, std::string>>& warnings) {
  if (warnings.empty()) return;
  std::vector<std::pair<std::string, std::vector<std::string>>> by_message;
  for (const auto& [location, message] : warnings) {
    // By name, not [&]: clang before 16 cannot capture a structured binding.
    auto it = std::find_if(by_message.begin(), by_message.end(), [&m = message](const auto& g) { return g.first == m; });
    if (it == by_message.end()) by_message.push_back({message, {}}), it = std::prev(by_message.end());
    if (!location.empty()) it->second.push_back(location);
  }
  std::cout << banner("warnings summary", '=') << "\n";
  for (auto& [message, locations] : by_message) {
    std::string where;
    if (locations.size() < 10) {
      for (const std::string& l : locations) where += (where.empty() ? "" : "\n") + l;
    } else {
      std::vector<std::pair<std::string, size_t>> per_file;
      for (const std::string& l : locations) {
        std::string file = l.substr(0, l.find("::"));
        auto f = std::find_if(per_file.begin(), per_file.end(), [&](const auto& p) { return p.first == file; });
        if (f == per_file.end()) per_file.push_back({file, 1});
        else ++f->second;
      }
      for (auto& [file, n] : per_file)
        where += (where.empty() ? "" : "\n") + file + ": " + std::to_string(n) + (n > 1 ? " warnings" : " warning");
    }
    std::string text = message;
    if (!where.empty()) {
      std::cout << where << "\n";
      std::string indented, line;
      std::istringstream lines(message);
      while (std::getline(lines, line)) indented += (indented.empty() ? "  " : "\n  ") + line;
      text = indented;
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    std::cout << text << "\n\n";
  }
  std::cout << "-- Docs: https://docs.pytest.org/en/stable/how-to/capture-warnings.html\n";
}

}  // namespace fastest::cli
