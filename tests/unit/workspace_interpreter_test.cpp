// find_interpreter and pyenv: a shim is a script, so the interpreter it would run is read by
// pyenv's own order ($PYENV_VERSION, the nearest .python-version, $PYENV_ROOT/version), and its
// stdlib and site-packages are found from the real executable.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "server/workspace/interpreter.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/support/write_file.h"

namespace fs = std::filesystem;
using namespace fastest;

namespace {

void executable(const fs::path& path) {
  test::write_file(path, "#!/bin/sh\n");
  fs::permissions(path, fs::perms::owner_all);
}

// Sets an environment variable for one scope, then puts the old value back.
struct ScopedEnv {
  std::string name;
  std::optional<std::string> old;
  ScopedEnv(std::string n, const char* value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
    if (value) setenv(name.c_str(), value, 1);
    else unsetenv(name.c_str());
  }
  ~ScopedEnv() {
    if (old) setenv(name.c_str(), old->c_str(), 1);
    else unsetenv(name.c_str());
  }
};

}  // namespace

TEST_CASE("a pyenv shim resolves to the interpreter pyenv would run", "[interpreter]") {
  test::ScopedTempDir temp("fastest_pyenv_");
  const fs::path root = temp.path() / "pyenv";
  const fs::path shim = root / "shims" / "python3";
  executable(shim);
  executable(root / "versions" / "3.99.0" / "bin" / "python3");
  executable(root / "versions" / "3.98.1" / "bin" / "python3");
  fs::create_directories(root / "versions" / "3.99.0" / "lib" / "python3.99" / "site-packages");
  test::write_file(root / "version", "3.99.0\n");
  const fs::path project = temp.path() / "project";
  fs::create_directories(project / "sub");
  ScopedEnv pyenv_root("PYENV_ROOT", root.c_str());
  ScopedEnv pyenv_version("PYENV_VERSION", nullptr);

  SECTION("the global version") {
    auto found = find_interpreter(project, shim.string());
    REQUIRE(found);
    CHECK(found->executable == root / "versions" / "3.99.0" / "bin" / "python3");
    REQUIRE(found->site_packages.size() == 1);
    CHECK(found->site_packages[0] == root / "versions" / "3.99.0" / "lib" / "python3.99" / "site-packages");
  }
  SECTION("the nearest .python-version wins over the global one") {
    test::write_file(project / ".python-version", "3.98.1\n");
    auto found = find_interpreter(project / "sub", shim.string());
    REQUIRE(found);
    CHECK(found->executable == root / "versions" / "3.98.1" / "bin" / "python3");
  }
  SECTION("$PYENV_VERSION wins over both; the first installed of several") {
    test::write_file(project / ".python-version", "3.98.1\n");
    ScopedEnv chosen("PYENV_VERSION", "3.97.0:3.99.0");
    auto found = find_interpreter(project, shim.string());
    REQUIRE(found);
    CHECK(found->executable == root / "versions" / "3.99.0" / "bin" / "python3");
  }
  SECTION("the system version: the shim itself") {
    ScopedEnv chosen("PYENV_VERSION", "system");
    auto found = find_interpreter(project, shim.string());
    REQUIRE(found);
    CHECK(found->executable == shim);
  }
}
