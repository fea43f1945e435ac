#include "server/cli/session_header.h"

#include <iostream>

#include "server/cli/format.h"

namespace fastest::cli {

void print_session_header(const Collection& c, const CollectedCounts& counts, int verbose,
                          const std::vector<std::string>& extra_lines) {
  const size_t collected = counts.selected + counts.deselected;
  std::cout << banner("test session starts", '=') << "\n";
  std::cout << "rootdir: " << c.config.rootdir.string() << "\n";
  if (c.config.inifile) std::cout << "configfile: " << c.config.inifile->lexically_relative(c.config.rootdir).string() << "\n";
  if (c.from_testpaths) {  // pytest names them when they, not arguments, said what to collect
    std::string joined;
    for (const std::string& p : c.config.testpaths) joined += (joined.empty() ? "" : ", ") + p;
    std::cout << "testpaths: " << joined << "\n";
  }
  std::cout << "python: " << c.config.python->string() << "\n";
  std::cout << (verbose > 0 ? "collecting ... collected " : "collected ") << collected << (collected == 1 ? " item" : " items");
  if (counts.errors) std::cout << " / " << counts.errors << (counts.errors == 1 ? " error" : " errors");
  if (counts.deselected) std::cout << " / " << counts.deselected << " deselected";
  if (counts.skipped_modules) std::cout << " / " << counts.skipped_modules << " skipped";
  if (collected > counts.selected) std::cout << " / " << counts.selected << " selected";
  std::cout << "\n";
  for (const std::string& line : extra_lines) std::cout << line << "\n";
  std::cout << "\n";
  std::cout.flush();
}

}  // namespace fastest::cli
