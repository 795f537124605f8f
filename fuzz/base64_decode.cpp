// Fuzz target: the strict base64 decoder (RFC 4648 §4).
//
// Invariants:
//  - accepted text is canonical: encode(decode(x)) == x, and its size is decoded_size(x);
//  - rejected text reports a bad_input error at an offset inside the input, and writes no size;
//  - one byte too little room gives output_too_small for valid text and the very same error
//    (code and offset) for invalid text;
//  - any bytes, encoded, decode back to themselves.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rtwire/core/base64.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace base64 = rtwire::base64;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  std::vector<std::byte> out(base64::max_decoded_size(size));
  const base64::decode_result r = base64::decode(text, out);
  if (!r.ec) {
    check(size % 4 == 0);
    check(r.size == base64::decoded_size(text));
    check(r.error_offset == 0);
    std::string again;
    base64::encode_append(std::span<const std::byte>(out).first(r.size), again);
    check(again == text);
  } else {
    check(&r.ec.category() == &base64::error_category());
    check(r.ec == rtwire::condition::bad_input);
    check(r.error_offset < size);
    check(r.size == 0);
  }

  if (const std::size_t needed = base64::decoded_size(text); needed > 0) {
    std::vector<std::byte> small(needed - 1);
    const base64::decode_result s = base64::decode(text, small);
    if (!r.ec) {
      check(s.ec == base64::error::output_too_small);
      check(s.error_offset < size);
    } else {
      check(s.ec == r.ec);
      check(s.error_offset == r.error_offset);
    }
    check(s.size == 0);
  }

  std::string encoded;
  base64::encode_append(rtwire::as_bytes(text), encoded);
  check(encoded.size() == base64::encoded_size(size));
  std::vector<std::byte> back(base64::decoded_size(encoded));
  const base64::decode_result b = base64::decode(encoded, back);
  check(!b.ec);
  check(rtwire::as_chars(std::span<const std::byte>(back).first(b.size)) == text);
  return 0;
}
