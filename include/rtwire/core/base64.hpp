// rtwire — base64 (RFC 4648 §4, the standard alphabet with '=' padding), strict.
//
//   char text[rtwire::base64::encoded_size(16)];
//   rtwire::base64::encode(nonce, text);                       // 24 characters, no terminator
//
//   std::array<std::byte, 18> raw;
//   auto r = rtwire::base64::decode(key, raw);                 // r.size bytes, or r.ec at
//   if (r.ec) report(r.ec, r.error_offset);                    //   key[r.error_offset]
//
// The decoder accepts exactly the strings the encoder produces: every other input is rejected
// with the reason and the index of the offending character. In particular it takes no
// whitespace or line breaks (RFC 4648 §3.1, §3.3), no URL-safe alphabet (§5), no missing or
// misplaced padding (§3.2) and no non-zero pad bits (§3.5). That makes base64 text canonical:
// one byte string has one encoding, as RFC 6455 §4.2.1 /5 needs for Sec-WebSocket-Key.
//
// Nothing here allocates except encode_append (which grows the caller's buffer), nothing throws.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"

namespace rtwire::base64 {

/// Why decode() rejected its input. All but output_too_small are `condition::bad_input`;
/// output_too_small is `condition::api_misuse`.
enum class error {
  /// A character outside the RFC 4648 §4 alphabet and not '=' (this includes whitespace, line
  /// breaks and the URL-safe '-' and '_').
  invalid_character = 1,
  /// '=' anywhere but as the last one or two characters of the input (RFC 4648 §3.2, §4).
  invalid_padding,
  /// The length is not a multiple of 4: the final quantum is incomplete or unpadded (§4).
  invalid_length,
  /// The pad bits of the final quantum are not zero, so the text is not the encoding of any byte
  /// string (RFC 4648 §3.5).
  non_canonical,
  /// The input is valid but the output span is smaller than decoded_size(input).
  output_too_small,
};

namespace detail {

struct error_desc {
  static constexpr const char* name = "rtwire.base64";
  using e = error;
  using c = condition;
  static constexpr std::array<error_entry<error>, 5> entries{{
      {e::invalid_character, "a character is not in the base64 alphabet", c::bad_input},
      {e::invalid_padding, "'=' appears before the last one or two characters", c::bad_input},
      {e::invalid_length, "the length of base64 text must be a multiple of 4", c::bad_input},
      {e::non_canonical, "the pad bits of the final quantum are not zero", c::bad_input},
      {e::output_too_small, "the output buffer is smaller than the decoded size", c::api_misuse},
  }};
  static_assert(rtwire::detail::table_is_dense(entries));
};

}  // namespace detail

/// The category of rtwire::base64::error; its name() is "rtwire.base64".
inline const std::error_category& error_category() noexcept {
  return category_for<detail::error_desc>();
}

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace rtwire::base64

RTWIRE_REGISTER_ERROR_ENUM(rtwire::base64::error);

namespace rtwire::base64 {

/// The length of the encoding of `n` bytes: 4 characters per started group of 3 bytes.
/// `n` must not exceed SIZE_MAX / 4 * 3 (the result would not fit in a size_t).
constexpr std::size_t encoded_size(std::size_t n) noexcept {
  return (n / 3 + (n % 3 != 0 ? 1 : 0)) * 4;
}

/// An upper bound of the decoded size of any `encoded_len` characters decode() accepts:
/// 3 bytes per 4 characters. Exact unless the text ends with padding (see decoded_size()).
constexpr std::size_t max_decoded_size(std::size_t encoded_len) noexcept {
  return encoded_len / 4 * 3;
}

/// The number of bytes decode(in, ...) produces when it accepts `in`: 3 per 4 characters, less
/// one per trailing '=' (at most two). Looks only at the length and the last two characters, so
/// it is also defined for text decode() rejects; when in.size() is not a multiple of 4 it
/// returns max_decoded_size(in.size()).
constexpr std::size_t decoded_size(std::string_view in) noexcept {
  const std::size_t n = in.size();
  std::size_t size = max_decoded_size(n);
  if (n == 0 || n % 4 != 0) return size;
  if (in[n - 1] == '=') {
    --size;
    if (in[n - 2] == '=') --size;
  }
  return size;
}

namespace detail {

/// RFC 4648 §4, Table 1.
inline constexpr char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static_assert(sizeof(alphabet) == 64 + 1);

/// decode_table values besides 0..63: '=' and every character outside the alphabet. Both have a
/// bit in 0xC0, so one test on four OR-ed values tells whether a quantum is plain data.
inline constexpr unsigned char pad = 0x40;
inline constexpr unsigned char bad = 0x80;

constexpr std::array<unsigned char, 256> make_decode_table() noexcept {
  std::array<unsigned char, 256> table{};
  for (auto& v : table)
    v = bad;
  for (unsigned i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<unsigned char>(i);
  }
  table[static_cast<unsigned char>('=')] = pad;
  return table;
}

/// Character -> 6-bit value, pad or bad.
inline constexpr std::array<unsigned char, 256> decode_table = make_decode_table();

}  // namespace detail

/// Encodes `in` (RFC 4648 §4, with '=' padding) into `out`, which must have room for
/// encoded_size(in.size()) characters; no terminator is written. Returns one past the last
/// character written. `in` and `out` must not overlap.
inline char* encode(bytes_view in, char* out) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  const unsigned char* const whole_end = p + (n - n % 3);
  // RFC 4648 §4: each 24-bit group becomes four 6-bit indexes into the alphabet.
  for (; p != whole_end; p += 3, out += 4) {
    const std::uint32_t v = (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
    out[0] = detail::alphabet[v >> 18];
    out[1] = detail::alphabet[(v >> 12) & 63];
    out[2] = detail::alphabet[(v >> 6) & 63];
    out[3] = detail::alphabet[v & 63];
  }
  // RFC 4648 §4 (1), (2): a final 8- or 16-bit group is zero-filled to whole 6-bit groups and
  // padded with "==" or "=".
  switch (n % 3) {
    case 1: {
      const unsigned v = p[0];
      out[0] = detail::alphabet[v >> 2];
      out[1] = detail::alphabet[(v << 4) & 63];
      out[2] = '=';
      out[3] = '=';
      return out + 4;
    }
    case 2: {
      const unsigned v = (unsigned{p[0]} << 8) | p[1];
      out[0] = detail::alphabet[v >> 10];
      out[1] = detail::alphabet[(v >> 4) & 63];
      out[2] = detail::alphabet[(v << 2) & 63];
      out[3] = '=';
      return out + 4;
    }
    default:
      return out;
  }
}

/// Appends the encoding of `in` to `out` (encoded_size(in.size()) characters). `in` must not
/// view `out`'s storage (growing `out` may move it).
template <output_buffer B>
void encode_append(bytes_view in, B& out) {
  unsigned char* dst = rtwire::detail::grow(out, encoded_size(in.size()));
  encode(in, reinterpret_cast<char*>(dst));
}

/// The outcome of decode(). On success `ec` is empty, `size` is the number of bytes written and
/// `error_offset` is 0. On failure `size` is 0 and `error_offset` is the index in the input of
/// the offending character (see decode()).
struct decode_result {
  std::size_t size = 0;
  std::error_code ec{};
  std::size_t error_offset = 0;
};

namespace detail {

inline decode_result fail(error e, std::size_t offset) noexcept {
  return {0, e, offset};
}

/// The first character of the quantum at `s[i..i+4)` that is not plain data.
inline decode_result quantum_error(const unsigned char* s, std::size_t i) noexcept {
  std::size_t j = i;
  while (decode_table[s[j]] < pad)
    ++j;
  // RFC 4648 §3.2: '=' only ever ends the data.
  return fail(decode_table[s[j]] == pad ? error::invalid_padding : error::invalid_character, j);
}

/// The strict decoder. With Write = false it only validates (and writes nothing, so `out` may be
/// null); with Write = true `out` must have room for decoded_size(in) bytes.
template <bool Write>
decode_result decode_checked(std::string_view in, unsigned char* out) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  const std::size_t rest = n % 4;
  // Every complete quantum but the last is plain data; the last may end with padding.
  const std::size_t body = rest != 0 ? n - rest : (n == 0 ? 0 : n - 4);
  unsigned char* o = out;
  std::size_t i = 0;
  for (; i < body; i += 4) {
    const unsigned a = decode_table[s[i]];
    const unsigned b = decode_table[s[i + 1]];
    const unsigned c = decode_table[s[i + 2]];
    const unsigned d = decode_table[s[i + 3]];
    if (((a | b | c | d) & (pad | bad)) != 0) return quantum_error(s, i);
    if constexpr (Write) {
      o[0] = static_cast<unsigned char>((a << 2) | (b >> 4));
      o[1] = static_cast<unsigned char>((b << 4) | (c >> 2));
      o[2] = static_cast<unsigned char>((c << 6) | d);
      o += 3;
    }
  }
  // RFC 4648 §4: the encoded output is always a whole number of 4-character quanta ("=" fills
  // the last one); the error points at the start of the incomplete one.
  if (rest != 0) return fail(error::invalid_length, i);
  if (n == 0) return {};

  // The final quantum: four alphabet characters, three and one '=', or two and "==".
  const unsigned a = decode_table[s[i]];
  const unsigned b = decode_table[s[i + 1]];
  const unsigned c = decode_table[s[i + 2]];
  const unsigned d = decode_table[s[i + 3]];
  if (a >= pad) return quantum_error(s, i);
  if (b >= pad) return quantum_error(s, i + 1);
  std::size_t tail = 3;
  if (c == pad) {
    // RFC 4648 §4 (2): two characters and '=' must be followed by a second '='.
    if (d != pad) return fail(error::invalid_padding, i + 2);
    // RFC 4648 §3.5: of the 12 bits in two characters, the low 4 are pad bits and must be zero.
    if ((b & 0x0f) != 0) return fail(error::non_canonical, i + 1);
    tail = 1;
  } else if (c == bad) {
    return fail(error::invalid_character, i + 2);
  } else if (d == pad) {
    // RFC 4648 §3.5: of the 18 bits in three characters, the low 2 are pad bits and must be zero.
    if ((c & 0x03) != 0) return fail(error::non_canonical, i + 2);
    tail = 2;
  } else if (d == bad) {
    return fail(error::invalid_character, i + 3);
  }
  if constexpr (Write) {
    o[0] = static_cast<unsigned char>((a << 2) | (b >> 4));
    if (tail > 1) o[1] = static_cast<unsigned char>((b << 4) | (c >> 2));
    if (tail > 2) o[2] = static_cast<unsigned char>((c << 6) | d);
  }
  return {body / 4 * 3 + tail, {}, 0};
}

}  // namespace detail

/// Decodes the base64 text `in` (RFC 4648 §4) into `out`.
///
/// Outcomes:
///  - success: `size` bytes written to out[0..size), size == decoded_size(in);
///  - error::invalid_character, invalid_padding, invalid_length, non_canonical: `in` is not the
///    canonical encoding of any byte string (see base64::error). `error_offset` is the index of
///    the first offending character, scanning left to right: an incomplete final quantum is
///    reported at its first character, a non-zero pad bit at the character that carries it;
///  - error::output_too_small: `in` is valid but out.size() < decoded_size(in); `error_offset`
///    is the index of the first quantum whose bytes do not fit. Only reported for otherwise
///    valid input, so decoding again into decoded_size(in) bytes succeeds.
/// Nothing is written on invalid_length or output_too_small; on the other errors the bytes of
/// the quanta before the error may have been written. Empty input decodes to zero bytes.
/// `in` and `out` must not overlap; neither is retained.
inline decode_result decode(std::string_view in, std::span<std::byte> out) noexcept {
  if (in.size() % 4 != 0 || out.size() < decoded_size(in)) {
    // Validate without writing, so that content errors take precedence over the capacity check.
    const decode_result r = detail::decode_checked<false>(in, nullptr);
    if (r.ec) return r;
    return detail::fail(error::output_too_small, out.size() / 3 * 4);
  }
  return detail::decode_checked<true>(in, reinterpret_cast<unsigned char*>(out.data()));
}

}  // namespace rtwire::base64
