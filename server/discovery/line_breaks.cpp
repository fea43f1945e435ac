#include "server/discovery/line_breaks.h"

namespace fastest {

namespace {
bool lone_cr_at(std::string_view text, size_t i) {
  return text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n');
}
}  // namespace

bool has_lone_cr(std::string_view text) {
  for (size_t i = text.find('\r'); i != std::string_view::npos; i = text.find('\r', i + 1))
    if (lone_cr_at(text, i)) return true;
  return false;
}

std::string lone_cr_as_lf(std::string_view text) {
  std::string out(text);
  for (size_t i = out.find('\r'); i != std::string::npos; i = out.find('\r', i + 1))
    if (lone_cr_at(out, i)) out[i] = '\n';
  return out;
}

}  // namespace fastest
