// A text most values leave empty (an item's dynamic reason): one pointer wide, so that 100,000
// items do not each carry a 32-byte empty std::string. Reads like a const std::string.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace fastest {

class RareText {
 public:
  RareText() = default;
  RareText(std::string text) { assign(std::move(text)); }  // NOLINT: reads as a string
  RareText(const char* text) : RareText(std::string(text)) {}  // NOLINT
  RareText(const RareText& other) : text_(other.text_ ? std::make_unique<std::string>(*other.text_) : nullptr) {}
  RareText(RareText&&) noexcept = default;
  RareText& operator=(const RareText& other) {
    if (this != &other) text_ = other.text_ ? std::make_unique<std::string>(*other.text_) : nullptr;
    return *this;
  }
  RareText& operator=(RareText&&) noexcept = default;
  RareText& operator=(std::string text) {
    assign(std::move(text));
    return *this;
  }
  RareText& operator=(const char* text) { return *this = std::string(text); }

  const std::string& str() const { return text_ ? *text_ : empty_string(); }
  operator const std::string&() const { return str(); }  // NOLINT: reads as a string
  bool empty() const { return !text_; }
  size_t size() const { return str().size(); }
  const char* c_str() const { return str().c_str(); }
  size_t find(std::string_view part, size_t from = 0) const { return str().find(part, from); }

  RareText& operator+=(std::string_view more) {
    if (more.empty()) return *this;
    if (!text_) text_ = std::make_unique<std::string>();
    text_->append(more);
    return *this;
  }

  friend bool operator==(const RareText& a, const RareText& b) { return a.str() == b.str(); }
  friend bool operator==(const RareText& a, std::string_view b) { return a.str() == b; }
  friend std::string operator+(const RareText& a, std::string_view b) { return a.str() + std::string(b); }
  friend std::string operator+(std::string_view a, const RareText& b) { return std::string(a) + b.str(); }
  friend std::ostream& operator<<(std::ostream& out, const RareText& t) { return out << t.str(); }

 private:
  void assign(std::string text) { text_ = text.empty() ? nullptr : std::make_unique<std::string>(std::move(text)); }
  static const std::string& empty_string() {
    static const std::string empty;
    return empty;
  }
  std::unique_ptr<std::string> text_;  // null when empty
};

}  // namespace fastest
