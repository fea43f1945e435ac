#include "server/discovery/ts_util.h"

#include <array>
#include <string_view>

#include "server/discovery/module_discovery.h"

namespace fastest::ts {

TSFieldId field_id(const char* name) {
  // Every field the rules read, resolved once (thread-safe static initialisation).
  static constexpr std::array<std::string_view, 20> kNames{
      "name", "definition", "body", "superclasses", "left", "right", "value", "arguments", "function",
      "object", "attribute", "operator", "argument", "module_name", "parameters", "alias", "type",
      "condition", "consequence", "alternative"};
  static const std::array<TSFieldId, 20> kIds = [] {
    std::array<TSFieldId, 20> ids{};
    for (size_t i = 0; i < kNames.size(); ++i)
      ids[i] = ts_language_field_id_for_name(tree_sitter_python(), kNames[i].data(),
                                             static_cast<uint32_t>(kNames[i].size()));
    return ids;
  }();
  std::string_view n(name);
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == n) return kIds[i];
  return ts_language_field_id_for_name(tree_sitter_python(), name, static_cast<uint32_t>(n.size()));
}

}  // namespace fastest::ts
