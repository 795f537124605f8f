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

/// Keys this long or shorter are hashed from one stack buffer of at most two blocks: the key,
/// the GUID, the 0x80 byte and the 8-byte length (FIPS 180-4 §5.1.1) fit in 128 bytes. Every
/// valid key (24 characters, RFC 6455 §4.1 /7) takes this path.
inline constexpr std::size_t max_short_key = 2 * sha1::block_size - 1 - 8 - websocket_guid.size();

/// SHA-1(key + GUID) for key.size() <= max_short_key: the message is padded by hand and
/// compressed in one call, without a hasher.
inline sha1::digest hash_short_key(std::string_view key) noexcept {
  // Every byte up to `end` is written below before it is read; zeroing it first would cost time
  // on the handshake path for nothing.
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-member-init)
  std::array<unsigned char, 2 * sha1::block_size> message;
  const std::size_t length = key.size() + websocket_guid.size();
  const std::size_t blocks = length + 1 + 8 <= sha1::block_size ? 1 : 2;
  unsigned char* const end = message.data() + blocks * sha1::block_size;
  if (key.size() == 24) {
    // The only length a conforming client sends: constant-size copies.
    std::memcpy(message.data(), key.data(), 24);
    std::memcpy(message.data() + 24, websocket_guid.data(), websocket_guid.size());
  } else {
    if (!key.empty()) std::memcpy(message.data(), key.data(), key.size());
    std::memcpy(message.data() + key.size(), websocket_guid.data(), websocket_guid.size());
  }
  // FIPS 180-4 §5.1.1: 0x80, zeros, then the message length in bits, big-endian.
  message[length] = 0x80;
  std::memset(message.data() + length + 1, 0, blocks * sha1::block_size - 8 - length - 1);
  sha1::detail::store_be64(end - 8, std::uint64_t{length} * 8);
  std::array<std::uint32_t, 5> state = sha1::detail::initial_state;
  sha1::detail::compress(state, message.data(), blocks);
  return sha1::detail::to_digest(state);
}

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
  sha1::digest d;
  if (key.size() <= detail::max_short_key) {
    d = detail::hash_short_key(key);
  } else {
    sha1::hasher h;
    h.update(key);
    h.update(websocket_guid);
    d = h.finish();
  }
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
