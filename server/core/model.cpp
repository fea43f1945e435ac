#include "server/core/model.h"

namespace fastest {

const char* to_string(ItemKind kind) {
  switch (kind) {
    case ItemKind::Folder: return "folder";
    case ItemKind::Module: return "module";
    case ItemKind::Class: return "class";
    case ItemKind::Function: return "function";
    case ItemKind::Case: return "case";
  }
  return "function";
}

}  // namespace fastest
