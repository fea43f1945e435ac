#include "server/core/model.h"

#include "server/core/node_id.h"

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

std::string_view TestItem::label() const {
  if (overrides_ && overrides_->label) return *overrides_->label;
  return node_id_label(id);
}

std::string_view TestItem::parent_id() const {
  if (overrides_ && overrides_->parent_id) return *overrides_->parent_id;
  return node_id_parent(id);
}

std::string_view TestItem::path() const {
  if (overrides_ && overrides_->path) return *overrides_->path;
  return node_id_path(id);
}

void TestItem::set_part(std::optional<std::string> Overrides::*part, std::string_view value, std::string_view derived) {
  const bool needed = value != derived;
  if (!needed && !(overrides_ && (*overrides_).*part)) return;
  auto changed = overrides_ ? std::make_shared<Overrides>(*overrides_) : std::make_shared<Overrides>();
  if (needed) (*changed).*part = std::string(value);
  else (*changed).*part = std::nullopt;
  if (!changed->label && !changed->parent_id && !changed->path) overrides_.reset();
  else overrides_ = std::move(changed);
}

void TestItem::set_label(std::string_view label) { set_part(&Overrides::label, label, node_id_label(id)); }
void TestItem::set_parent_id(std::string_view parent_id) { set_part(&Overrides::parent_id, parent_id, node_id_parent(id)); }
void TestItem::set_path(std::string_view path) { set_part(&Overrides::path, path, node_id_path(id)); }

bool operator==(const TestItem& a, const TestItem& b) {
  return a.id == b.id && a.kind == b.kind && a.range == b.range && a.name_range == b.name_range &&
         a.marks == b.marks && a.dynamic == b.dynamic && a.import_may_fail == b.import_may_fail &&
         a.import_may_skip == b.import_may_skip && a.stale == b.stale && a.dynamic_reason == b.dynamic_reason &&
         a.label() == b.label() && a.parent_id() == b.parent_id() && a.path() == b.path();
}

}  // namespace fastest
