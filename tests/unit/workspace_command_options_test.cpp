// pytest's verbosity, -p plugins and flags read from a command line (addopts, PYTEST_ADDOPTS, flags).
#include <catch2/catch.hpp>

#include "server/workspace/command_options.h"

using namespace fastest;

namespace {

int verbosity_of(std::vector<std::vector<std::string>> command_lines) {
  CommandOptions merged;
  for (const auto& args : command_lines) parse_command_options(args, merged);
  return merged.verbosity;
}

}  // namespace

TEST_CASE("verbosity counts -v and -q in order, --verbosity sets it", "[command_options]") {
  CHECK(verbosity_of({{"-v"}}) == 1);
  CHECK(verbosity_of({{"-vv"}}) == 2);
  CHECK(verbosity_of({{"-sv", "--verbose"}}) == 2);
  CHECK(verbosity_of({{"-v"}, {"-q"}}) == 0);
  CHECK(verbosity_of({{"-qq"}}) == -2);
  CHECK(verbosity_of({{"-vv"}, {"--verbosity=0"}, {"-q"}}) == -1);
  CHECK(verbosity_of({{"-ra", "-k", "v", "-m", "q"}}) == 0);  // values, not flags
  CHECK(verbosity_of({{"-vpno:x"}}) == 1);                     // -v, then -p's value
}

TEST_CASE("-p values are kept in order", "[command_options]") {
  CommandOptions merged;
  parse_command_options({"-p", "no:cacheprovider", "-pmyplugin", "-v"}, merged);
  CHECK(merged.plugins == std::vector<std::string>{"no:cacheprovider", "myplugin"});
}

TEST_CASE("--disable-plugin-autoload is read", "[command_options]") {
  CommandOptions merged;
  parse_command_options({"--disable-plugin-autoload"}, merged);
  CHECK(merged.disable_plugin_autoload);
}

TEST_CASE("--continue-on-collection-errors is read from any of pytest's command lines", "[command_options]") {
  CommandOptions merged;
  parse_command_options({"-ra", "--strict-markers"}, merged);
  CHECK_FALSE(merged.continue_on_collection_errors);
  parse_command_options({"--continue-on-collection-errors"}, merged);  // e.g. $PYTEST_ADDOPTS
  CHECK(merged.continue_on_collection_errors);
}
