// rtwire — HMAC (RFC 2104) over rtwire's hash functions, with the key's inner and outer states
// computed once (for STUN MESSAGE-INTEGRITY / MESSAGE-INTEGRITY-SHA256, RFC 8489 §14.5-14.6).
//
//   const rtwire::hmac_key<rtwire::hmac_sha1> key(password_bytes);  // once per credential
//   rtwire::sha1::digest mac = key.mac(message_bytes);              // per message
//   auto h = key.begin();       // a MAC over several pieces, without copying them together
//   h.update(header);
//   h.update(body);
//   rtwire::sha1::digest mac2 = key.finish(h);
//
// RFC 2104 §2: H(K xor opad, H(K xor ipad, text)), K hashed first when longer than a block and
// zero-padded to a block. The two padded-key blocks are hashed in the constructor, so a MAC costs
// the message's blocks plus one outer block, not two extra key blocks. A key object holds hash
// states derived from the secret; it never allocates and can be copied freely.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/md5.hpp"
#include "rtwire/core/sha1.hpp"
#include "rtwire/core/sha256.hpp"

namespace rtwire {

/// HMAC-SHA1 (RFC 2104 with FIPS 180-4 SHA-1; test vectors in RFC 2202).
struct hmac_sha1 {
  using hasher = sha1::hasher;
  using digest = sha1::digest;
  static constexpr std::size_t block_size = sha1::block_size;
};

/// HMAC-SHA256 (RFC 2104 with FIPS 180-4 SHA-256; test vectors in RFC 4231).
struct hmac_sha256 {
  using hasher = sha256::hasher;
  using digest = sha256::digest;
  static constexpr std::size_t block_size = sha256::block_size;
};

/// HMAC-MD5 (RFC 2104 with RFC 1321 MD5; test vectors in RFC 2202).
struct hmac_md5 {
  using hasher = md5::hasher;
  using digest = md5::digest;
  static constexpr std::size_t block_size = md5::block_size;
};

/// A key ready for HMAC with algorithm `Algo` (hmac_sha1, hmac_sha256 or hmac_md5).
template <class Algo>
class hmac_key {
 public:
  using hasher = typename Algo::hasher;
  using digest = typename Algo::digest;

  /// The HMAC of the empty key (RFC 2104 allows any key length, including zero).
  hmac_key() noexcept : hmac_key(bytes_view{}) {}

  /// Prepares `key` (any length; not retained).
  explicit hmac_key(bytes_view key) noexcept {
    std::array<unsigned char, Algo::block_size> k0{};
    if (key.size() > Algo::block_size) {
      // RFC 2104 §2: keys longer than B bytes are first hashed.
      hasher h;
      h.update(key);
      const digest d = h.finish();
      for (std::size_t i = 0; i < d.size(); ++i)
        k0[i] = d[i];
    } else {
      for (std::size_t i = 0; i < key.size(); ++i)
        k0[i] = static_cast<unsigned char>(key[i]);
    }
    std::array<unsigned char, Algo::block_size> pad{};
    for (std::size_t i = 0; i < pad.size(); ++i)
      pad[i] = static_cast<unsigned char>(k0[i] ^ 0x36u);  // ipad
    inner_.update(std::as_bytes(std::span(pad)));
    for (std::size_t i = 0; i < pad.size(); ++i)
      pad[i] = static_cast<unsigned char>(k0[i] ^ 0x5cu);  // opad
    outer_.update(std::as_bytes(std::span(pad)));
  }

  explicit hmac_key(std::string_view key) noexcept : hmac_key(as_bytes(key)) {}

  /// A hasher that has absorbed K xor ipad: update() it with the message, then call finish().
  hasher begin() const noexcept { return inner_; }

  /// Completes the MAC of the message given to `inner` (which is reset by this call).
  digest finish(hasher& inner) const noexcept {
    const digest d = inner.finish();
    hasher outer = outer_;
    outer.update(std::as_bytes(std::span(d)));
    return outer.finish();
  }

  /// The MAC of `message`.
  digest mac(bytes_view message) const noexcept {
    hasher h = inner_;
    h.update(message);
    return finish(h);
  }

  digest mac(std::string_view message) const noexcept { return mac(as_bytes(message)); }

 private:
  hasher inner_;
  hasher outer_;
};

/// One-shot HMAC of `message` under `key`.
template <class Algo>
typename Algo::digest hmac(bytes_view key, bytes_view message) noexcept {
  return hmac_key<Algo>(key).mac(message);
}

}  // namespace rtwire
