// pytest's -k / -m expression language: `not slow and (api or db)`.
// -k matches (case-insensitive substring) the names of an item and its parents and its mark
// names; -m matches mark names exactly.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fastest {

class SelectionExpression {
 public:
  // nullopt + error on a syntax error (pytest: "Wrong expression passed to '-k': ...").
  static std::optional<SelectionExpression> parse(const std::string& text, std::string* error);
  // `matcher(ident)` says whether one identifier matches.
  template <typename Matcher>
  bool evaluate(const Matcher& matcher) const { return eval(root_.get(), matcher); }

  struct Node;

 private:
  std::shared_ptr<Node> root_;  // null: empty expression, matches everything
  template <typename Matcher>
  static bool eval(const Node* node, const Matcher& matcher);
};

struct SelectionExpression::Node {
  enum class Op { Ident, Not, And, Or } op = Op::Ident;
  std::string ident;
  std::shared_ptr<Node> left, right;
};

template <typename Matcher>
bool SelectionExpression::eval(const Node* node, const Matcher& matcher) {
  if (!node) return true;
  switch (node->op) {
    case Node::Op::Ident: return matcher(node->ident);
    case Node::Op::Not: return !eval(node->left.get(), matcher);
    case Node::Op::And: return eval(node->left.get(), matcher) && eval(node->right.get(), matcher);
    case Node::Op::Or: return eval(node->left.get(), matcher) || eval(node->right.get(), matcher);
  }
  return false;
}

// -k: `keywords` are the item's names (its own, its parents' except the root folder) and marks.
bool keyword_matches(const SelectionExpression& expr, const std::vector<std::string>& keywords);
// -m: `marks` are the names of the item's marks (own, class, module, parametrize case).
bool marks_match(const SelectionExpression& expr, const std::vector<std::string>& marks);

}  // namespace fastest
