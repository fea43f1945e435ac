// The part of pytest's configuration that decides, inside one module, what is a test.
// Filled by server/workspace from ini/toml config; consumed by discover_module().
#pragma once

#include <string>
#include <vector>

namespace fastest {

struct PytestVersion {
  // Defaults to the newest pytest we know; the workspace reads the installed one.
  int major = 9;
  int minor = 2;
  int patch = 0;
  bool at_least(int maj, int min = 0) const { return major > maj || (major == maj && minor >= min); }
};

struct CollectRules {
  // Each entry is a pytest name pattern: a glob if it contains * ? [ , otherwise a prefix.
  std::vector<std::string> python_classes{"Test"};
  std::vector<std::string> python_functions{"test"};
  PytestVersion pytest_version;
  // `disable_test_id_escaping_and_forfeit_all_rights_to_community_support` ini option.
  bool disable_id_escaping = false;
  // Fixtures declared in conftest.py files above the module with `params=`: a test that
  // requests one is multiplied by them at run time, so it is flagged dynamic.
  std::vector<std::string> parametrized_fixtures;
};

}  // namespace fastest
