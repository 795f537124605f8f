// rtwire — the Sec-WebSocket-Accept value (RFC 6455 §4.2.2 /5.4, §1.3).
//
//   char accept[rtwire::ws::accept_key_size];
//   rtwire::ws::compute_accept_key("dGhlIHNhbXBsZSBub25jZQ==", accept);
//   // accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" (28 characters, no terminator)
//
// The server proves it read the handshake by answering base64(SHA-1(key + GUID)); the client
// computes the same value and compares (RFC 6455 §4.1, the fourth check on the response).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "rtwire/core/base64.hpp"
#include "rtwire/core/sha1.hpp"

namespace rtwire::ws {

/// RFC 6455 §1.3: the globally unique identifier appended to the key before hashing.
inline constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The length of a Sec-WebSocket-Accept value: the base64 encoding of a 20-byte SHA-1 digest.
inline constexpr std::size_t accept_key_size = base64::encoded_size(sha1::digest_size);
static_assert(accept_key_size == 28);

namespace detail {

/// The length of a valid Sec-WebSocket-Key: base64 of 16 bytes (RFC 6455 §4.1).
inline constexpr std::size_t key_size = 24;

/// SHA-1's input for a 24-byte key, padded (FIPS 180-4 §5.1.1): the key's place (left zero),
/// the GUID, 0x80, zeros and the length, 60 bytes = 480 bits, in the last 8 bytes. Only the key
/// changes from one handshake to the next.
inline constexpr std::array<unsigned char, 2 * sha1::block_size> accept_template = [] {
  std::array<unsigned char, 2 * sha1::block_size> m{};
  for (std::size_t i = 0; i < websocket_guid.size(); ++i)
    m[key_size + i] = static_cast<unsigned char>(websocket_guid[i]);
  constexpr std::size_t length = key_size + websocket_guid.size();
  static_assert(length + 1 + 8 > sha1::block_size && length + 1 + 8 <= 2 * sha1::block_size);
  m[length] = 0x80;
  constexpr std::uint64_t bits = std::uint64_t{length} * 8;
  for (std::size_t i = 0; i < 8; ++i)
    m[m.size() - 1 - i] = static_cast<unsigned char>(bits >> (8 * i));
  return m;
}();

}  // namespace detail

/// Writes the Sec-WebSocket-Accept value for the Sec-WebSocket-Key value `key` into
/// out[0..accept_key_size): base64(SHA-1(key + websocket_guid)) (RFC 6455 §4.2.2 /5.4). No
/// terminator is written.
///
/// `key` is hashed exactly as given: any length, not validated, not trimmed (RFC 6455 §4.2.2
/// hashes the header field value with its surrounding whitespace already removed, which is the
/// HTTP parser's job; checking that it is the base64 of 16 bytes is the handshake's). Never
/// allocates; `key` and `out` must not overlap.
inline void compute_accept_key(std::string_view key, char* out) noexcept {
  if (key.size() == detail::key_size) {
    // A valid key (RFC 6455 §4.1: base64 of 16 bytes): write it into the padded template.
    std::array<unsigned char, 2 * sha1::block_size> message = detail::accept_template;
    std::memcpy(message.data(), key.data(), detail::key_size);
    const sha1::digest d = sha1::hash_padded<2>(message);
    base64::encode(std::as_bytes(std::span(d)), out);
    return;
  }
  const sha1::digest d = sha1::hash_short(key, websocket_guid);
  base64::encode(std::as_bytes(std::span(d)), out);
}

/// The Sec-WebSocket-Accept value for `key` as a string of accept_key_size characters (see
/// compute_accept_key). Allocates the result.
inline std::string accept_key(std::string_view key) {
  std::string out(accept_key_size, '\0');
  compute_accept_key(key, out.data());
  return out;
}

}  // namespace rtwire::ws
