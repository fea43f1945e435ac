// find_in_source: std::string_view::find's answers, by memmem.
#include <catch2/catch.hpp>

#include <string>

#include "server/discovery/source_search.h"

using fastest::find_in_source;

TEST_CASE("find_in_source answers as string_view::find", "[source_search]") {
  const std::string text = "import sys\nsetattr(mod, name, f)\nexec(code)\nsetattr(x)\n";
  for (std::string needle : {"setattr(", "exec(", "import", "\n", "absent(", "setattr(x)\n", ""})
    for (size_t from : {size_t{0}, size_t{1}, size_t{12}, text.size() - 1, text.size(), text.size() + 1})
      CHECK(find_in_source(text, needle, from) == std::string_view(text).find(needle, from));
}
