// ProgressLines: pytest's line per file, from results that arrive interleaved.
#include <catch2/catch.hpp>

#include <algorithm>

#include <sstream>
#include <string>
#include <vector>

#include "server/cli/progress_lines.h"

using fastest::cli::ProgressLines;

namespace {
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}
}  // namespace

TEST_CASE("one file's results make one line with pytest's percentage", "[progress]") {
  std::ostringstream out;
  ProgressLines progress(out, 4);
  for (const char* id : {"a.py::t1", "a.py::t2", "a.py::t3"}) progress.expect("a.py", id);
  progress.add("a.py", "a.py::t1", '.');
  progress.add("a.py", "a.py::t2", 'F');
  progress.add("a.py", "a.py::t3", 's');
  progress.expect("b.py", "b.py::t");
  progress.add("b.py", "b.py::t", '.');
  progress.finish();
  auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "a.py .Fs" + std::string(64, ' ') + " [ 75%]");
  CHECK(lines[0].size() == 79);
  CHECK(lines[1] == "b.py ." + std::string(66, ' ') + " [100%]");
}

TEST_CASE("interleaved results of two files still print each file on its own line", "[progress]") {
  std::ostringstream out;
  ProgressLines progress(out, 4);
  for (const char* id : {"a.py::1", "a.py::2"}) progress.expect("a.py", id);
  for (const char* id : {"b.py::1", "b.py::2"}) progress.expect("b.py", id);
  progress.add("a.py", "a.py::1", '.');
  progress.add("b.py", "b.py::1", 'F');
  progress.add("a.py", "a.py::2", '.');
  progress.add("b.py", "b.py::2", '.');
  progress.finish();
  auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].rfind("a.py .. ", 0) == 0);
  CHECK(lines[0].ends_with("[ 50%]"));
  CHECK(lines[1].rfind("b.py F. ", 0) == 0);
  CHECK(lines[1].ends_with("[100%]"));
}

TEST_CASE("a long file wraps at pytest's edge and streams before it is done", "[progress]") {
  std::ostringstream out;
  ProgressLines progress(out, 200);
  for (int i = 0; i < 200; ++i) progress.expect("big.py", "big.py::t" + std::to_string(i));
  for (int i = 0; i < 100; ++i) progress.add("big.py", "big.py::t" + std::to_string(i), '.');
  // Half done: the file's first lines are already out.
  auto partial = lines_of(out.str());
  REQUIRE(partial.size() >= 1);
  CHECK(partial[0].rfind("big.py ", 0) == 0);
  CHECK(partial[0].size() == 7 + 65 + 7);  // marks up to column 72, then " [ NN%]"
  for (int i = 100; i < 200; ++i) progress.add("big.py", "big.py::t" + std::to_string(i), '.');
  progress.finish();
  auto lines = lines_of(out.str());
  CHECK(lines.back().ends_with("[100%]"));
  CHECK(lines[1].find_first_not_of('.') == 72);  // a continuation line has no path
}

TEST_CASE("a file still running gives way to one that finished", "[progress]") {
  std::ostringstream out;
  ProgressLines progress(out, 91);
  for (int i = 0; i < 90; ++i) progress.expect("long.py", "long.py::t" + std::to_string(i));
  progress.expect("short.py", "short.py::t");
  for (int i = 0; i < 80; ++i) progress.add("long.py", "long.py::t" + std::to_string(i), '.');
  progress.add("short.py", "short.py::t", 'F');
  for (int i = 80; i < 90; ++i) progress.add("long.py", "long.py::t" + std::to_string(i), '.');
  progress.finish();
  std::string text = out.str();
  auto lines = lines_of(text);
  // long.py's first lines, then short.py whole, then long.py again with its path.
  CHECK(std::count_if(lines.begin(), lines.end(), [](const std::string& l) { return l.rfind("short.py F", 0) == 0; }) == 1);
  CHECK(std::count_if(lines.begin(), lines.end(), [](const std::string& l) { return l.rfind("long.py ", 0) == 0; }) == 2);
  CHECK(lines.back().ends_with("[100%]"));
}

TEST_CASE("a session interrupted mid-file leaves that line without its percentage", "[progress]") {
  std::ostringstream out;
  ProgressLines progress(out, 5);
  progress.expect("a.py", "a.py::t");
  for (const char* id : {"b.py::t1", "b.py::t2", "b.py::t3", "b.py::t4"}) progress.expect("b.py", id);
  progress.add("a.py", "a.py::t", '.');
  progress.add("b.py", "b.py::t1", '.');
  progress.add("b.py", "b.py::t2", '.');
  progress.finish(/*interrupted=*/true);
  auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].rfind("a.py .", 0) == 0);
  CHECK(lines[0].find("[ 20%]") != std::string::npos);
  CHECK(lines[1] == "b.py ..");  // as pytest: `test_ki.py ..`, then the KeyboardInterrupt banner
}

TEST_CASE("tests of a module that failed to collect leave the denominator", "[progress]") {
  // pytest never counted them: `collected 2 items / 1 error`, then `a.py ..  [100%]`.
  std::ostringstream out;
  ProgressLines progress(out, 2);
  for (const char* id : {"a.py::t1", "a.py::t2"}) progress.expect("a.py", id);
  progress.expect("b.py", "b.py::t");
  progress.forget("b.py", "b.py::t");
  progress.forget("b.py", "b.py::t");  // its result's report, after the module's: once
  progress.add("a.py", "a.py::t1", '.');
  progress.add("a.py", "a.py::t2", '.');
  progress.finish();
  auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "a.py .." + std::string(65, ' ') + " [100%]");
}
