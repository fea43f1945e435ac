// The config readers: the input is the contents of a pytest config file. It is written as each
// of pytest.ini, tox.ini, setup.cfg (inih), pyproject.toml and pytest.toml (toml++) in its own
// folder of a scratch directory and read with read_config_file; every option goes through the
// getini accessors, shlex_split, parse_version and fnmatch. Then one of those folders, chosen
// by the input's hash, is collected whole with collect() (no interpreter: nothing is run), so
// the options are applied as `fastest discover` applies them (addopts, testpaths, markers...).
// Contents naming a '/' are not collected: an absolute testpath or a `--rootdir=/` would walk
// the machine's whole filesystem, which is not what this harness is for.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "server/workspace/config.h"
#include "server/workspace/project.h"

namespace fs = std::filesystem;

namespace {

const char* const kConfigNames[] = {"pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml", "pytest.toml"};

void read_every_option(const fastest::ConfigFile& file) {
  for (const auto& [name, value] : file.options) {
    (void)fastest::is_pytest_ini_option(name);
    for (const std::string& arg : fastest::ini_args(file, name)) (void)fastest::py_fnmatch("test_fuzz.py", arg);
    for (const std::string& line : fastest::ini_linelist(file, name)) (void)fastest::fnmatch_ex(line, "/fuzz/tests/test_a.py");
    if (auto text = fastest::ini_string(file, name)) {
      (void)fastest::parse_version(*text);
      (void)fastest::shlex_split(*text);
    }
    (void)fastest::ini_bool(file, name, false);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::unsetenv("PYTEST_ADDOPTS");
  ::unsetenv("VIRTUAL_ENV");
  for (const char* name : kConfigNames) {
    const fs::path dir = fastest::fuzz::scratch_dir() / name;
    fastest::fuzz::write_file(dir / "tests" / "test_a.py", "import pytest\n\ndef test_a():\n    pass\n\nclass TestB:\n    def test_b(self):\n        pass\n");
    fastest::fuzz::write_file(dir / "tests" / "check_c.py", "def check_c():\n    pass\n");
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view contents(reinterpret_cast<const char*>(data), size);
  const uint64_t hash = fastest::fuzz::input_hash(data, size);
  const fastest::PytestVersion versions[] = {{9, 2, 0}, {8, 4, 0}, {7, 4, 4}};
  const fastest::PytestVersion& version = versions[(hash >> 4) % 3];
  for (const char* name : kConfigNames) {
    const fs::path path = fastest::fuzz::scratch_dir() / name / name;
    fastest::fuzz::write_file(path, contents);
    std::string error;
    if (auto file = fastest::read_config_file(path, version, &error)) read_every_option(*file);
  }
  if (contents.find('/') != std::string_view::npos) return 0;
  fastest::Invocation invocation;
  invocation.invocation_dir = fastest::fuzz::scratch_dir() / kConfigNames[hash % 5];
  invocation.python = "/nonexistent/python";
  fastest::Collection collection = fastest::collect(invocation);
  (void)collection;
  return 0;
}
