// rtwire — STUN message integrity and fingerprint (RFC 8489 §9, §14.4-14.7).
//
//   const rtwire::stun::key k = rtwire::stun::key::short_term("password");  // once per credential
//   switch (rtwire::stun::verify_integrity(m, k)) {
//     case rtwire::stun::check::ok: accept(m); break;   // MESSAGE-INTEGRITY(-SHA256) verifies
//     case rtwire::stun::check::mismatch: answer(401); break;  // RFC 8489 §9.1.3 / §9.2.4
//     case rtwire::stun::check::absent: answer(400); break;    // when credentials are required
//   }
//   if (rtwire::stun::verify_fingerprint(m) == rtwire::stun::check::mismatch) discard(m);
//
// Keys: short-term = the password (§9.1.1); long-term = MD5(username ":" realm ":" password) or
// SHA-256 of the same (§9.2.2, the PASSWORD-ALGORITHM). Passwords, usernames and realms are used
// as given: the caller applies OpaqueString (RFC 8265) when its inputs need it. A key holds the
// HMAC-SHA1 and HMAC-SHA256 states precomputed, so a check costs only the message's blocks.
// MACs are compared in constant time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "rtwire/core/base64.hpp"
#include "rtwire/core/bytes.hpp"
#include "rtwire/core/crc32.hpp"
#include "rtwire/core/ct_equal.hpp"
#include "rtwire/core/hmac.hpp"
#include "rtwire/core/md5.hpp"
#include "rtwire/core/sha256.hpp"
#include "rtwire/stun/message.hpp"

namespace rtwire::stun {

/// The outcome of a check.
enum class check { absent, ok, mismatch };

/// RFC 8489 §14.7: FINGERPRINT is the CRC-32 of the message up to it, xor 0x5354554e.
inline constexpr std::uint32_t fingerprint_xor = 0x5354554eu;

/// An integrity key (short-term password or long-term hash) with its HMAC states.
class key {
 public:
  /// The empty key.
  key() noexcept = default;
  /// A key made of exactly these bytes.
  explicit key(bytes_view raw) noexcept : sha1_(raw), sha256_(raw) {}

  /// RFC 8489 §9.1.1: the short-term key is the password.
  static key short_term(std::string_view password) noexcept { return key(as_bytes(password)); }

  /// RFC 8489 §9.2.2: the long-term key, MD5 (algorithm::md5, the default) or SHA-256 of
  /// username ":" realm ":" password. nullopt for any other algorithm number: RFC 8489 §18.5
  /// registers only these two, and a key that can never match would turn "unsupported" into a
  /// false "mismatch" (a server answers 400 instead, §9.2.4).
  [[nodiscard]] static std::optional<key> long_term(std::string_view username,
                                                    std::string_view realm,
                                                    std::string_view password,
                                                    std::uint16_t algorithm = 0x0001) noexcept {
    if (algorithm != 0x0001 && algorithm != 0x0002) return std::nullopt;
    if (algorithm == 0x0002) {
      sha256::hasher h;
      h.update(username), h.update(":"), h.update(realm), h.update(":"), h.update(password);
      const sha256::digest d = h.finish();
      return key(std::as_bytes(std::span(d)));
    }
    md5::hasher h;
    h.update(username), h.update(":"), h.update(realm), h.update(":"), h.update(password);
    const md5::digest d = h.finish();
    return key(std::as_bytes(std::span(d)));
  }

  const hmac_key<hmac_sha1>& sha1() const noexcept { return sha1_; }
  const hmac_key<hmac_sha256>& sha256() const noexcept { return sha256_; }

 private:
  hmac_key<hmac_sha1> sha1_;
  hmac_key<hmac_sha256> sha256_;
};

/// RFC 8489 §14.4: USERHASH = SHA-256(username ":" realm).
inline sha256::digest userhash_of(std::string_view username, std::string_view realm) noexcept {
  sha256::hasher h;
  h.update(username), h.update(":"), h.update(realm);
  return h.finish();
}

namespace detail {

/// The HMAC over the message up to the integrity attribute at `offset` (value `value_len`
/// bytes), with the header's length set as if that attribute ended the message (§14.5).
template <class Algo>
typename Algo::digest integrity_mac(bytes_view msg, std::size_t offset, std::size_t value_len,
                                    const hmac_key<Algo>& k) noexcept {
  std::array<std::byte, header_size> header;
  std::memcpy(header.data(), msg.data(), header_size);
  const std::size_t length = offset + 4 + value_len - header_size;
  header[2] = static_cast<std::byte>(length >> 8);
  header[3] = static_cast<std::byte>(length);
  auto h = k.begin();
  h.update(bytes_view(header));
  h.update(msg.subspan(header_size, offset - header_size));
  return k.finish(h);
}

}  // namespace detail

/// The FINGERPRINT value of the bytes that precede it (header length already final).
inline std::uint32_t fingerprint_of(bytes_view before) noexcept {
  return crc32::compute(before) ^ fingerprint_xor;
}

/// RFC 8489 §14.7: absent, ok, or mismatch.
[[nodiscard]] inline check verify_fingerprint(const message_view& m) noexcept {
  const auto a = m.find(attr::fingerprint);
  if (!a) return check::absent;
  return fingerprint_of(m.bytes().first(a->offset)) == detail::load32(a->value.data())
             ? check::ok
             : check::mismatch;
}

/// RFC 8489 §14.5: MESSAGE-INTEGRITY (HMAC-SHA1, 20 bytes) under `k`.
[[nodiscard]] inline check verify_integrity_sha1(const message_view& m, const key& k) noexcept {
  const auto a = m.find(attr::message_integrity);
  if (!a) return check::absent;
  const sha1::digest d = detail::integrity_mac(m.bytes(), a->offset, a->value.size(), k.sha1());
  return ct_equal(std::as_bytes(std::span(d)), a->value) ? check::ok : check::mismatch;
}

/// RFC 8489 §14.6: MESSAGE-INTEGRITY-SHA256, compared over its (possibly truncated) length.
[[nodiscard]] inline check verify_integrity_sha256(const message_view& m, const key& k) noexcept {
  const auto a = m.find(attr::message_integrity_sha256);
  if (!a) return check::absent;
  const sha256::digest d = detail::integrity_mac(m.bytes(), a->offset, a->value.size(), k.sha256());
  return ct_equal(std::as_bytes(std::span(d)).first(a->value.size()), a->value) ? check::ok
                                                                                : check::mismatch;
}

/// MESSAGE-INTEGRITY-SHA256 when present (RFC 8489 §9.2.4: it is the stronger one and a
/// sender that includes both means it), else MESSAGE-INTEGRITY; absent when neither is.
[[nodiscard]] inline check verify_integrity(const message_view& m, const key& k) noexcept {
  if (m.has(attr::message_integrity_sha256)) return verify_integrity_sha256(m, k);
  return verify_integrity_sha1(m, k);
}

// ------------------------------------------------------------------------------------------------
// RFC 8489 §9.2: the nonce cookie and the security feature bits.
// ------------------------------------------------------------------------------------------------

/// The prefix of a NONCE that carries the security feature set (§9.2).
inline constexpr std::string_view nonce_cookie_prefix = "obMatJos2";
/// Prefix + 4 base64 characters of the 24-bit feature set.
inline constexpr std::size_t nonce_cookie_size = 13;

/// RFC 8489 §18.1 security feature bits, bit 0 being the least significant (erratum 6290).
namespace security_feature {
inline constexpr std::uint32_t password_algorithms = 1u << 0;
inline constexpr std::uint32_t username_anonymity = 1u << 1;
}  // namespace security_feature

/// The feature set of a nonce that starts with the cookie, or nullopt (no cookie, or its 4
/// characters are not base64).
inline std::optional<std::uint32_t> nonce_security_features(std::string_view nonce) noexcept {
  if (nonce.size() < nonce_cookie_size ||
      nonce.substr(0, nonce_cookie_prefix.size()) != nonce_cookie_prefix)
    return std::nullopt;
  std::array<std::byte, 3> bits{};
  const base64::decode_result r = base64::decode(nonce.substr(nonce_cookie_prefix.size(), 4), bits);
  if (r.ec || r.size != 3) return std::nullopt;
  return (std::to_integer<std::uint32_t>(bits[0]) << 16) |
         (std::to_integer<std::uint32_t>(bits[1]) << 8) | std::to_integer<std::uint32_t>(bits[2]);
}

/// The 13-character nonce cookie for `features` (a server appends its own opaque nonce to it).
inline std::array<char, nonce_cookie_size> nonce_cookie(std::uint32_t features) noexcept {
  std::array<char, nonce_cookie_size> out{};
  for (std::size_t i = 0; i < nonce_cookie_prefix.size(); ++i)
    out[i] = nonce_cookie_prefix[i];
  const std::array<std::byte, 3> bits{static_cast<std::byte>(features >> 16),
                                      static_cast<std::byte>(features >> 8),
                                      static_cast<std::byte>(features)};
  base64::encode(bits, out.data() + nonce_cookie_prefix.size());
  return out;
}

}  // namespace rtwire::stun
