#include "server/discovery/python_literal.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

constexpr int kMaxDepth = 8;  // name -> name -> ... chains; also guards against cycles

PyValue unknown(std::string why) {
  PyValue v;
  v.kind = PyValue::Kind::Unknown;
  v.why = std::move(why);
  return v;
}

PyValue number(std::string text) {
  PyValue v;
  v.kind = PyValue::Kind::Number;
  v.text = std::move(text);
  return v;
}

PyValue named(std::string name) {
  PyValue v;
  v.kind = PyValue::Kind::Named;
  v.text = std::move(name);
  return v;
}

PyValue opaque() {
  PyValue v;
  v.kind = PyValue::Kind::Opaque;
  return v;
}

bool is_python_builtin_name(std::string_view name) {
  static const std::unordered_set<std::string_view> names{
      "int", "str", "float", "bool", "bytes", "bytearray", "complex", "list", "dict", "tuple",
      "set", "frozenset", "object", "type", "len", "print", "repr", "abs", "min", "max", "sum",
      "sorted", "reversed", "range", "enumerate", "zip", "map", "filter", "iter", "next", "hash",
      "id", "isinstance", "issubclass", "callable", "getattr", "setattr", "hasattr", "vars",
      "memoryview", "slice", "property", "staticmethod", "classmethod", "super", "open", "ord",
      "chr", "hex", "oct", "bin", "round", "divmod", "pow", "format", "any", "all",
      "Exception", "BaseException", "ValueError", "TypeError", "KeyError", "IndexError",
      "AttributeError", "RuntimeError", "NotImplementedError", "ZeroDivisionError", "OSError",
      "IOError", "FileNotFoundError", "PermissionError", "StopIteration", "AssertionError",
      "ImportError", "ModuleNotFoundError", "LookupError", "ArithmeticError", "OverflowError",
      "UnicodeError", "UnicodeDecodeError", "UnicodeEncodeError", "NameError", "RecursionError",
      "TimeoutError", "ConnectionError", "EOFError", "KeyboardInterrupt", "SystemExit",
      "Warning", "UserWarning", "DeprecationWarning", "RuntimeWarning", "FutureWarning"};
  return names.count(name) > 0;
}

// Appends a code point as UTF-8.
void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes UTF-8; false on invalid input (Python would have refused the source).
bool decode_utf8(std::string_view in, std::u32string& out) {
  size_t i = 0;
  while (i < in.size()) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    char32_t cp;
    int extra;
    if (c < 0x80) { cp = c; extra = 0; }
    else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; extra = 1; }
    else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; extra = 2; }
    else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; extra = 3; }
    else return false;
    if (extra > 0 && i + extra >= in.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      unsigned char cc = static_cast<unsigned char>(in[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    out.push_back(cp);
    i += extra + 1;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One string literal node (`string`): prefix, quotes, escapes. Bytes go to `bytes_out` (as
// code points < 256), str to `chars`.
PyValue evaluate_string_text(std::string_view raw) {
  size_t p = 0;
  bool is_raw = false, is_bytes = false, is_f = false;
  while (p < raw.size() && raw[p] != '\'' && raw[p] != '"') {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(raw[p])));
    if (c == 'r') is_raw = true;
    else if (c == 'b') is_bytes = true;
    else if (c == 'f' || c == 't') is_f = true;
    ++p;
  }
  if (p >= raw.size()) return unknown("unreadable string literal");
  char q = raw[p];
  size_t qlen = (raw.substr(p, 3) == std::string(3, q)) ? 3 : 1;
  if (raw.size() < p + 2 * qlen) return unknown("unterminated string literal");
  std::string_view body = raw.substr(p + qlen, raw.size() - p - 2 * qlen);
  if (is_f) {
    // An f-string without replacement fields is a plain string ({{ and }} are braces).
    for (size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '{' || body[i] == '}') {
        if (i + 1 < body.size() && body[i + 1] == body[i]) { ++i; continue; }
        return unknown("f-string with replacement fields");
      }
    }
  }
  std::u32string decoded;
  if (!decode_utf8(body, decoded)) return unknown("string literal is not valid UTF-8");
  std::u32string out;
  for (size_t i = 0; i < decoded.size(); ++i) {
    char32_t c = decoded[i];
    if (is_f && (c == '{' || c == '}')) { out.push_back(c); ++i; continue; }
    if (c != '\\' || is_raw) { out.push_back(c); continue; }
    if (i + 1 >= decoded.size()) { out.push_back(c); continue; }
    char32_t e = decoded[++i];
    switch (e) {
      case '\n': break;  // line continuation
      case '\\': out.push_back('\\'); break;
      case '\'': out.push_back('\''); break;
      case '"': out.push_back('"'); break;
      case 'a': out.push_back(7); break;
      case 'b': out.push_back(8); break;
      case 'f': out.push_back(12); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back(11); break;
      case 'x': {
        if (i + 2 >= decoded.size()) return unknown("bad \\x escape");
        int h1 = hex_value(static_cast<char>(decoded[i + 1])), h2 = hex_value(static_cast<char>(decoded[i + 2]));
        if (h1 < 0 || h2 < 0) return unknown("bad \\x escape");
        out.push_back(static_cast<char32_t>(h1 * 16 + h2));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        if (is_bytes) { out.push_back('\\'); out.push_back(e); break; }
        size_t n = e == 'u' ? 4 : 8;
        if (i + n >= decoded.size()) return unknown("bad unicode escape");
        char32_t cp = 0;
        for (size_t k = 1; k <= n; ++k) {
          int h = hex_value(static_cast<char>(decoded[i + k]));
          if (h < 0) return unknown("bad unicode escape");
          cp = cp * 16 + static_cast<char32_t>(h);
        }
        if (cp > 0x10FFFF) return unknown("bad unicode escape");
        out.push_back(cp);
        i += n;
        break;
      }
      case 'N':
        if (is_bytes) { out.push_back('\\'); out.push_back(e); break; }
        return unknown("\\N{...} escape");
      default:
        if (e >= '0' && e <= '7') {
          char32_t v = e - '0';
          for (int k = 0; k < 2 && i + 1 < decoded.size() && decoded[i + 1] >= '0' && decoded[i + 1] <= '7'; ++k)
            v = v * 8 + (decoded[++i] - '0');
          out.push_back(v);
        } else {
          out.push_back('\\');
          out.push_back(e);
        }
    }
  }
  PyValue v;
  if (is_bytes) {
    v.kind = PyValue::Kind::Bytes;
    for (char32_t c : out) {
      if (c > 0xFF) return unknown("non-ASCII character in bytes literal");
      v.text += static_cast<char>(c);
    }
  } else {
    v.kind = PyValue::Kind::Str;
    v.chars = std::move(out);
  }
  return v;
}

PyValue evaluate_string(TSNode node, std::string_view source) {
  return evaluate_string_text(ts::text(node, source));
}

PyValue evaluate_integer(std::string_view text) {
  std::string digits;
  for (char c : text) if (c != '_') digits += c;
  if (!digits.empty() && (digits.back() == 'j' || digits.back() == 'J')) {
    digits.pop_back();
    double imag = std::strtod(digits.c_str(), nullptr);
    std::string r = python_float_repr(imag);
    if (r.size() > 2 && r.compare(r.size() - 2, 2, ".0") == 0) r.resize(r.size() - 2);
    return number(r + "j");
  }
  int base = 10;
  size_t start = 0;
  if (digits.size() > 1 && digits[0] == '0' && std::isalpha(static_cast<unsigned char>(digits[1]))) {
    char b = static_cast<char>(std::tolower(static_cast<unsigned char>(digits[1])));
    base = b == 'x' ? 16 : b == 'o' ? 8 : b == 'b' ? 2 : 0;
    if (base == 0) return unknown("unreadable integer literal");
    start = 2;
  }
  if (base == 10) {
    size_t nz = digits.find_first_not_of('0');
    if (nz == std::string::npos) return number("0");
    return number(digits.substr(nz));
  }
  unsigned __int128 value = 0;
  for (size_t i = start; i < digits.size(); ++i) {
    int d = hex_value(digits[i]);
    if (d < 0 || d >= base) return unknown("unreadable integer literal");
    unsigned __int128 next = value * static_cast<unsigned>(base) + static_cast<unsigned>(d);
    if (next / static_cast<unsigned>(base) != value && value != 0) return unknown("integer literal too large");
    value = next;
  }
  if (value == 0) return number("0");
  std::string out;
  while (value > 0) {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  }
  return number(out);
}

PyValue evaluate_float(std::string_view text) {
  std::string digits;
  for (char c : text) if (c != '_') digits += c;
  bool complex = !digits.empty() && (digits.back() == 'j' || digits.back() == 'J');
  if (complex) digits.pop_back();
  double value = std::strtod(digits.c_str(), nullptr);
  std::string r = python_float_repr(value);
  if (complex) {
    if (r.size() > 2 && r.compare(r.size() - 2, 2, ".0") == 0) r.resize(r.size() - 2);
    return number(r + "j");
  }
  return number(r);
}

}  // namespace

PyValue decode_string_literal(std::string_view literal) { return evaluate_string_text(literal); }

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // e.g. "-1.2345e+17" (shortest round-trip digits)
  bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  size_t epos = sci.find('e');
  std::string mantissa = sci.substr(0, epos);
  int exponent = std::stoi(sci.substr(epos + 1));
  std::string digits;
  for (char c : mantissa) if (c != '.') digits += c;
  std::string out;
  if (exponent < -4 || exponent >= 16) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char e[16];
    std::snprintf(e, sizeof e, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += e;
  } else if (exponent < 0) {
    out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else {
    size_t int_len = static_cast<size_t>(exponent) + 1;
    if (digits.size() <= int_len) {
      out = digits + std::string(int_len - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
  }
  return negative ? "-" + out : out;
}

PyValue evaluate(TSNode node, std::string_view source, const NameResolver& resolve, int depth) {
  if (depth > kMaxDepth) return unknown("name chain too deep");
  node = ts::unparen(node);
  const char* type = ts_node_type(node);
  if (ts::is(node, "string")) return evaluate_string(node, source);
  if (ts::is(node, "concatenated_string")) {
    PyValue acc;
    bool first = true;
    for (TSNode part : ts::named_children(node)) {
      PyValue v = evaluate_string(part, source);
      if (v.kind == PyValue::Kind::Unknown) return v;
      if (first) { acc = v; first = false; continue; }
      if (v.kind != acc.kind) return unknown("mixed bytes and str literals");
      acc.text += v.text;
      acc.chars += v.chars;
    }
    return acc;
  }
  if (ts::is(node, "integer")) return evaluate_integer(ts::text(node, source));
  if (ts::is(node, "float")) return evaluate_float(ts::text(node, source));
  if (ts::is(node, "true")) return number("True");
  if (ts::is(node, "false")) return number("False");
  if (ts::is(node, "none")) return number("None");
  if (ts::is(node, "unary_operator")) {
    TSNode op = ts::field(node, "operator");
    std::string_view op_text = ts::text(op, source);
    PyValue inner = evaluate(ts::field(node, "argument"), source, resolve, depth + 1);
    if (inner.kind != PyValue::Kind::Number || inner.text == "True" || inner.text == "False" ||
        inner.text == "None" || (!inner.text.empty() && inner.text.back() == 'j'))
      return unknown("unary operator on a non-number");
    if (op_text == "+") return inner;
    if (op_text != "-") return unknown("unary operator");
    bool is_float = inner.text.find_first_of(".en") != std::string::npos;
    if (!is_float) return inner.text == "0" ? inner : number("-" + inner.text);
    if (inner.text[0] == '-') return number(inner.text.substr(1));
    return number("-" + inner.text);
  }
  if (ts::is(node, "list") || ts::is(node, "tuple") || ts::is(node, "dictionary") ||
      ts::is(node, "set") || ts::is(node, "list_comprehension") ||
      ts::is(node, "dictionary_comprehension") || ts::is(node, "set_comprehension") ||
      ts::is(node, "generator_expression"))
    return opaque();
  if (ts::is(node, "lambda")) return named("<lambda>");
  if (ts::is(node, "identifier")) {
    std::string_view name = ts::text(node, source);
    if (resolve) {
      if (auto bound = resolve(name)) {
        if (ts::is(*bound, "class_definition") || ts::is(*bound, "function_definition"))
          return named(std::string(name));
        return evaluate(*bound, source, resolve, depth + 1);
      }
    }
    // IOError is an alias of OSError: its __name__ (pytest's id) is "OSError".
    if (is_python_builtin_name(name)) return named(name == "IOError" ? "OSError" : std::string(name));
    return unknown("the value of `" + std::string(name) + "` is not a literal");
  }
  return unknown(std::string("a ") + type + " is not a literal");
}

std::string ascii_escaped(const std::u32string& chars) {
  std::string out;
  char buf[16];
  for (char32_t c : chars) {
    if (c == '\\') out += "\\\\";
    else if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c < 0x20 || (c >= 0x7F && c < 0x100)) { std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c)); out += buf; }
    else if (c < 0x7F) out += static_cast<char>(c);
    else if (c < 0x10000) { std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c)); out += buf; }
    else { std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(c)); out += buf; }
  }
  return out;
}

std::string ascii_escaped_bytes(std::string_view bytes) {
  std::string out;
  char buf[8];
  for (unsigned char c : bytes) {
    if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c < 0x20 || c >= 0x7F) { std::snprintf(buf, sizeof buf, "\\x%02x", c); out += buf; }
    else out += static_cast<char>(c);
  }
  return out;
}

std::string to_utf8(const std::u32string& chars) {
  std::string out;
  for (char32_t c : chars) append_utf8(out, c);
  return out;
}

std::optional<std::string> id_from_value(const PyValue& value, bool disable_escaping) {
  switch (value.kind) {
    case PyValue::Kind::Str: return disable_escaping ? to_utf8(value.chars) : ascii_escaped(value.chars);
    case PyValue::Kind::Bytes: return ascii_escaped_bytes(value.text);
    case PyValue::Kind::Number:
    case PyValue::Kind::Named: return value.text;
    case PyValue::Kind::Opaque:
    case PyValue::Kind::Unknown: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace fastest
