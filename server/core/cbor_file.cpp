#include "server/core/cbor_file.h"

namespace fastest {
namespace {

using json = nlohmann::json;

class ShallowEnough : public nlohmann::json_sax<json> {
 public:
  explicit ShallowEnough(int max_depth) : max_depth_(max_depth) {}
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool key(string_t&) override { return true; }
  bool start_object(std::size_t) override { return ++depth_ <= max_depth_; }
  bool end_object() override { return --depth_ >= 0; }
  bool start_array(std::size_t) override { return ++depth_ <= max_depth_; }
  bool end_array() override { return --depth_ >= 0; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  int max_depth_;
  int depth_ = 0;
};

}  // namespace

std::optional<json> parse_shallow_cbor(std::string_view bytes, int max_depth) {
  ShallowEnough shallow(max_depth);
  if (!json::sax_parse(bytes, &shallow, json::input_format_t::cbor, /*strict=*/true)) return std::nullopt;
  json value = json::from_cbor(bytes, /*strict=*/true, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

}  // namespace fastest
