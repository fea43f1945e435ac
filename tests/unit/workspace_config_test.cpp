#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <list>

#include "server/workspace/command_options.h"
#include "server/workspace/config.h"
#include "server/workspace/selection.h"
#include "server/workspace/toml_guard.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/support/write_file.h"

namespace fs = std::filesystem;
using fastest::test::write_file;
using namespace fastest;

namespace {
// Lives until the test binary exits, then is removed.
fs::path temp_dir(const std::string& name) {
  static std::list<fastest::test::ScopedTempDir> dirs;
  return dirs.emplace_back("fastest_unit_" + name).path();
}
}  // namespace

TEST_CASE("pytest.ini wins even when empty; multi-line values join with newlines") {
  auto dir = temp_dir("ini");
  write_file(dir / "pytest.ini", "[pytest]\ntestpaths =\n    tests\n    more\npython_functions = check_ test_\n");
  write_file(dir / "pyproject.toml", "[tool.pytest.ini_options]\ntestpaths = ['nope']\n");
  auto r = determine_rootdir({dir / "sub"}, std::nullopt, std::nullopt, dir, {9, 2, 0});
  REQUIRE(r.config);
  CHECK(r.config->path.filename() == "pytest.ini");
  CHECK(r.rootdir == dir);
  CHECK(ini_args(*r.config, "testpaths") == std::vector<std::string>{"tests", "more"});
  CHECK(ini_args(*r.config, "python_functions") == std::vector<std::string>{"check_", "test_"});
}

TEST_CASE("pyproject.toml needs a pytest table; setup.cfg needs [tool:pytest]; tox.ini [pytest]") {
  auto dir = temp_dir("toml");
  write_file(dir / "pyproject.toml", "[project]\nname = 'x'\n");
  write_file(dir / "setup.cfg", "[metadata]\nname = x\n");
  write_file(dir / "tox.ini", "[pytest]\nmarkers =\n    slow: slow\n    db\n");
  auto r = determine_rootdir({dir}, std::nullopt, std::nullopt, dir, {9, 2, 0});
  REQUIRE(r.config);
  CHECK(r.config->path.filename() == "tox.ini");
  CHECK(ini_linelist(*r.config, "markers") == std::vector<std::string>{"slow: slow", "db"});
  auto toml = read_config_file(dir / "pyproject.toml", {9, 2, 0}, nullptr);
  CHECK_FALSE(toml.has_value());
}

TEST_CASE("a [tool:pytest] section in pytest.ini is not read") {
  auto dir = temp_dir("wrongsection");
  write_file(dir / "pytest.ini", "[tool:pytest]\npython_files = x_*.py\n");
  auto file = read_config_file(dir / "pytest.ini", {9, 2, 0}, nullptr);
  REQUIRE(file);  // pytest.ini always counts (it sets the rootdir)
  CHECK(ini_args(*file, "python_files").empty());
}

TEST_CASE("pyproject.toml lists and strings; [tool.pytest] native table from pytest 9") {
  auto dir = temp_dir("native");
  write_file(dir / "pyproject.toml", "[tool.pytest]\naddopts = ['-m', 'not slow']\n");
  auto file9 = read_config_file(dir / "pyproject.toml", {9, 0, 0}, nullptr);
  REQUIRE(file9);
  CHECK(ini_args(*file9, "addopts") == std::vector<std::string>{"-m", "not slow"});
  CHECK_FALSE(read_config_file(dir / "pyproject.toml", {8, 4, 0}, nullptr).has_value());
}

TEST_CASE("shlex split and addopts parsing") {
  CHECK(shlex_split("-m 'not slow' --ignore=x \"a b\"") == std::vector<std::string>{"-m", "not slow", "--ignore=x", "a b"});
  CommandOptions o;
  parse_command_options({"-ra", "-q", "-m", "db", "--ignore", "a", "--ignore-glob=*_b.py", "tests", "-n", "4", "-kfoo"}, o);
  CHECK(o.markexpr == "db");
  CHECK(o.keywordexpr == "foo");
  CHECK(o.ignore == std::vector<std::string>{"a"});
  CHECK(o.ignore_glob == std::vector<std::string>{"*_b.py"});
  CHECK(o.positional == std::vector<std::string>{"tests"});
  CHECK(o.reportchars == "a");
  parse_command_options({"-r", "fE"}, o);  // the last -r wins, as pytest's store action
  CHECK(o.reportchars == "fE");
  parse_command_options({"--strict-markers", "--strict-config", "--strict"}, o);  // pytest's ini overrides
  CHECK(o.ini_overrides == std::vector<std::pair<std::string, std::string>>{
                               {"strict_markers", "true"}, {"strict_config", "true"}, {"strict", "true"}});
}

TEST_CASE("fnmatch_ex matches basenames unless the pattern has a slash") {
  CHECK(fnmatch_ex("test_*.py", "/a/b/test_x.py"));
  CHECK_FALSE(fnmatch_ex("test_*.py", "/a/test_b/x.py"));
  CHECK(fnmatch_ex("b/*.py", "/a/b/x.py"));
  CHECK(fnmatch_ex(".*", "/a/.git"));
}

TEST_CASE("-k and -m expressions") {
  auto k = SelectionExpression::parse("quick or (Group and not member)", nullptr);
  REQUIRE(k);
  CHECK(keyword_matches(*k, {"test_quick", "test_m.py"}));
  CHECK(keyword_matches(*k, {"test_x", "TestGroup"}));
  CHECK_FALSE(keyword_matches(*k, {"test_member", "TestGroup"}));
  CHECK(keyword_matches(*SelectionExpression::parse("QUICK", nullptr), {"test_quick"}));  // case-insensitive
  auto m = SelectionExpression::parse("slow and not db", nullptr);
  REQUIRE(m);
  CHECK(marks_match(*m, {"slow"}));
  CHECK_FALSE(marks_match(*m, {"slow", "db"}));
  CHECK_FALSE(marks_match(*m, {"slowish"}));  // -m is exact, not substring
  std::string error;
  CHECK_FALSE(SelectionExpression::parse("a and", &error));
  CHECK_FALSE(error.empty());
  CHECK(SelectionExpression::parse("", nullptr));
}

TEST_CASE("versions parse from dist-info names") {
  auto v = parse_version("8.3.5");
  CHECK((v.major == 8 && v.minor == 3 && v.patch == 5));
  CHECK(parse_version("9.0.0rc1").minor == 0);
  // fuzz_config: `minversion = 10000000000` overflowed an int; it saturates.
  auto huge = parse_version("10000000000.99999999999999.1");
  CHECK((huge.major == 1'000'000'000 && huge.minor == 1'000'000'000 && huge.patch == 1));
}

TEST_CASE("pytest's own ini options are known; a plugin's are not") {
  CHECK(is_pytest_ini_option("markers"));
  CHECK(is_pytest_ini_option("xfail_strict"));  // an alias
  CHECK(is_pytest_ini_option("cache_dir"));     // a default plugin's
  CHECK_FALSE(is_pytest_ini_option("asyncio_mode"));
}

TEST_CASE("TOML with non-ASCII text outside strings is refused before toml++ (whose classifier reaches unreachable)") {
  // Found by fuzz_config: `[met<U+FEEF>[ystrictt`, and any Latin-1 letter in a bare key, made
  // Debian's toml++ 3.3.0 execute __builtin_unreachable().
  auto dir = temp_dir("toml_guard");
  write_file(dir / "pyproject.toml", "[tool.caf\xC3\xA9]\nx = 1\n[tool.pytest.ini_options]\ntestpaths = ['t']\n");
  std::string error;
  auto file = read_config_file(dir / "pyproject.toml", {9, 2, 0}, &error);
  CHECK_FALSE(file.has_value());
  CHECK(error.find("non-ASCII character outside a string or comment") != std::string::npos);

  // Non-ASCII text in strings (every kind) and comments is TOML, and read as usual.
  write_file(dir / "ok" / "pyproject.toml",
        "# caf\xC3\xA9 \xE3\x81\x82\n[tool.pytest.ini_options]\n"
        "addopts = \"-k caf\xC3\xA9\"\nmarkers = ['\xD0\xB6: a', \"\"\"\xC3\xA9\n\"\"\", '''\xC3\xA9\n''']\n"
        "testpaths = [\"t\\\"\xC3\xA9\"]  # \xC3\xA9\n");
  error.clear();
  auto ok = read_config_file(dir / "ok" / "pyproject.toml", {9, 2, 0}, &error);
  INFO(error);
  REQUIRE(ok.has_value());
  CHECK(ini_args(*ok, "testpaths") == std::vector<std::string>{"t\"\xC3\xA9"});

  CHECK(non_ascii_outside_strings("a = \"\"\"x\"\"\"\"\n\xC3\xA9 = 1\n") == std::optional<size_t>(2));
  CHECK(non_ascii_outside_strings("a = '''x''''' # \xC3\xA9\nb = 'y'\n") == std::nullopt);
  CHECK(non_ascii_outside_strings("a = \"\\\"\xC3\xA9\"\n") == std::nullopt);
  // A quote inside a bare value opens no string (fuzz_config: `name = 000"inve...<U+FBEF>`).
  CHECK(non_ascii_outside_strings("[project]\nname = 000\"inve[met\xEF\xAF\xBBy\"\n") == std::optional<size_t>(2));
  CHECK(non_ascii_outside_strings("a = [\"x\", \"\xC3\xA9\"]\nb = {c = '\xC3\xA9'}\n\"k\xC3\xA9\".d = 1\n") == std::nullopt);
  // After a line-ending backslash toml++ skips blanks with the faulty classifier.
  CHECK(non_ascii_outside_strings("a = \"\"\"x \\\n   \xC3\xA9\"\"\"\n") == std::optional<size_t>(2));
  CHECK(non_ascii_outside_strings("a = \"\"\"x \\\n   y\xC3\xA9\"\"\"\n") == std::nullopt);
}
