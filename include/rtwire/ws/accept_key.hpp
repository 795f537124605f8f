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

/// Writes the Sec-WebSocket-Accept value for the Sec-WebSocket-Key value `key` into
/// out[0..accept_key_size): base64(SHA-1(key + websocket_guid)) (RFC 6455 §4.2.2 /5.4). No
/// terminator is written.
///
/// `key` is hashed exactly as given: any length, not validated, not trimmed (RFC 6455 §4.2.2
/// hashes the header field value with its surrounding whitespace already removed, which is the
/// HTTP parser's job; checking that it is the base64 of 16 bytes is the handshake's). Never
/// allocates; `key` and `out` must not overlap.
inline void compute_accept_key(std::string_view key, char* out) noexcept {
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
