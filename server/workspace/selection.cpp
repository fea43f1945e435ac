#include "server/workspace/selection.h"

#include <algorithm>
#include <cctype>

namespace fastest {
namespace {

struct Token {
  enum class Kind { LParen, RParen, Or, And, Not, Ident, End } kind;
  std::string text;
  size_t pos;
};

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':' || c == '+' || c == '-' ||
         c == '.' || c == '[' || c == ']' || c == '\\' || c == '/' || static_cast<unsigned char>(c) >= 0x80;
}

class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  std::shared_ptr<SelectionExpression::Node> parse(std::string* error) {
    if (!tokenize(error)) return nullptr;
    if (peek().kind == Token::Kind::End) return nullptr;
    auto node = expr(error);
    if (!node) return nullptr;
    if (peek().kind != Token::Kind::End) {
      fail(error, "expected end of input; got " + describe(peek()));
      return nullptr;
    }
    return node;
  }
  bool failed() const { return failed_; }

 private:
  using NodePtr = std::shared_ptr<SelectionExpression::Node>;

  bool tokenize(std::string* error) {
    size_t i = 0;
    while (i < text_.size()) {
      char c = text_[i];
      if (c == ' ' || c == '\t') { ++i; continue; }
      if (c == '(') { tokens_.push_back({Token::Kind::LParen, "(", i}); ++i; continue; }
      if (c == ')') { tokens_.push_back({Token::Kind::RParen, ")", i}); ++i; continue; }
      if (ident_char(c)) {
        size_t start = i;
        while (i < text_.size() && ident_char(text_[i])) ++i;
        std::string word = text_.substr(start, i - start);
        Token::Kind kind = word == "or" ? Token::Kind::Or : word == "and" ? Token::Kind::And
                         : word == "not" ? Token::Kind::Not : Token::Kind::Ident;
        tokens_.push_back({kind, word, start});
        continue;
      }
      fail(error, std::string("unexpected character \"") + c + "\"");
      return false;
    }
    tokens_.push_back({Token::Kind::End, "", text_.size()});
    return true;
  }

  const Token& peek() const { return tokens_[index_]; }
  const Token& next() { return tokens_[index_++]; }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Token::Kind::End: return "end of input";
      case Token::Kind::Ident: return "identifier";
      default: return t.text;
    }
  }

  void fail(std::string* error, const std::string& message) {
    failed_ = true;
    if (error && error->empty()) *error = "at column " + std::to_string((index_ < tokens_.size() ? tokens_[index_].pos : text_.size()) + 1) + ": " + message;
  }

  NodePtr expr(std::string* error) {
    NodePtr left = and_expr(error);
    while (left && peek().kind == Token::Kind::Or) {
      next();
      NodePtr right = and_expr(error);
      if (!right) return nullptr;
      left = std::make_shared<SelectionExpression::Node>(SelectionExpression::Node{SelectionExpression::Node::Op::Or, "", left, right});
    }
    return left;
  }

  NodePtr and_expr(std::string* error) {
    NodePtr left = not_expr(error);
    while (left && peek().kind == Token::Kind::And) {
      next();
      NodePtr right = not_expr(error);
      if (!right) return nullptr;
      left = std::make_shared<SelectionExpression::Node>(SelectionExpression::Node{SelectionExpression::Node::Op::And, "", left, right});
    }
    return left;
  }

  NodePtr not_expr(std::string* error) {
    const Token& t = peek();
    if (t.kind == Token::Kind::Not) {
      next();
      NodePtr inner = not_expr(error);
      if (!inner) return nullptr;
      return std::make_shared<SelectionExpression::Node>(SelectionExpression::Node{SelectionExpression::Node::Op::Not, "", inner, nullptr});
    }
    if (t.kind == Token::Kind::LParen) {
      next();
      NodePtr inner = expr(error);
      if (!inner) return nullptr;
      if (peek().kind != Token::Kind::RParen) { fail(error, "expected right parenthesis; got " + describe(peek())); return nullptr; }
      next();
      return inner;
    }
    if (t.kind == Token::Kind::Ident) {
      next();
      return std::make_shared<SelectionExpression::Node>(SelectionExpression::Node{SelectionExpression::Node::Op::Ident, t.text, nullptr, nullptr});
    }
    fail(error, "expected not OR left parenthesis OR identifier; got " + describe(t));
    return nullptr;
  }

  const std::string& text_;
  std::vector<Token> tokens_;
  size_t index_ = 0;
  bool failed_ = false;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::optional<SelectionExpression> SelectionExpression::parse(const std::string& text, std::string* error) {
  Parser parser(text);
  SelectionExpression expr;
  expr.root_ = parser.parse(error);
  if (parser.failed()) return std::nullopt;
  return expr;
}

bool keyword_matches(const SelectionExpression& expr, const std::vector<std::string>& keywords) {
  std::vector<std::string> lowered;
  lowered.reserve(keywords.size());
  for (const auto& k : keywords) lowered.push_back(lower(k));
  return expr.evaluate([&](const std::string& ident) {
    std::string needle = lower(ident);
    for (const auto& k : lowered)
      if (k.find(needle) != std::string::npos) return true;
    return false;
  });
}

bool marks_match(const SelectionExpression& expr, const std::vector<std::string>& marks) {
  return expr.evaluate([&](const std::string& ident) {
    return std::find(marks.begin(), marks.end(), ident) != marks.end();
  });
}

}  // namespace fastest
