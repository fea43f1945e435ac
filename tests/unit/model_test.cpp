#include <catch2/catch.hpp>

#include "server/core/model.h"

TEST_CASE("item kinds have the protocol's names") {
  using fastest::ItemKind;
  CHECK(std::string(fastest::to_string(ItemKind::Folder)) == "folder");
  CHECK(std::string(fastest::to_string(ItemKind::Module)) == "module");
  CHECK(std::string(fastest::to_string(ItemKind::Class)) == "class");
  CHECK(std::string(fastest::to_string(ItemKind::Function)) == "function");
  CHECK(std::string(fastest::to_string(ItemKind::Case)) == "case");
}
