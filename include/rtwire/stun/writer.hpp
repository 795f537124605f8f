// rtwire — writing a STUN message into the caller's buffer (RFC 8489 §5, §14).
//
//   std::array<std::byte, 548> buf;
//   namespace stun = rtwire::stun;
//   stun::writer w(buf, stun::message_type(stun::message_class::success_response,
//                                          stun::method::binding),
//                  request.transaction_id());
//   w.add_xor_address(stun::attr::xor_mapped_address, source);
//   stun::result<std::size_t> n = w.seal(&password_key, /*fingerprint=*/true);  // a stun::key
//   if (n) send(std::span(buf).first(n.value));
//
// Attributes are written in call order with zero padding (§14). seal() appends
// MESSAGE-INTEGRITY (and/or MESSAGE-INTEGRITY-SHA256) under `key` when given, then FINGERPRINT
// when asked, fixing the header's length before each as §14.5-14.7 require, and returns the
// message size. Nothing allocates. Errors are sticky: the first one (buffer too small, a value
// too long, use after seal) is what seal() returns, with the offset the writer had reached.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "rtwire/core/bytes.hpp"
#include "rtwire/stun/attributes.hpp"
#include "rtwire/stun/error.hpp"
#include "rtwire/stun/integrity.hpp"
#include "rtwire/stun/message.hpp"

namespace rtwire::stun {

/// Which integrity attributes seal() adds when given a key.
enum class mac_kind {
  sha1,    ///< MESSAGE-INTEGRITY (RFC 8489 §14.5)
  sha256,  ///< MESSAGE-INTEGRITY-SHA256, full 32 bytes (§14.6)
  both,    ///< MESSAGE-INTEGRITY then MESSAGE-INTEGRITY-SHA256
};

class writer {
 public:
  /// Starts a message of 14-bit `type` in `buffer` (not retained beyond the writer's life).
  /// A 12-byte `transaction_id` gets the magic cookie before it; a 16-byte one makes an RFC 3489
  /// message (no cookie). Any other size is a bad_value error. `buffer` must not overlap
  /// `transaction_id` except at the very place the ID goes (memmove makes that case safe).
  writer(mutable_bytes_view buffer, std::uint16_t type, bytes_view transaction_id) noexcept
      : buf_(buffer) {
    if (transaction_id.size() != transaction_id_size && transaction_id.size() != 16) {
      fail(stun::error::bad_value);
      return;
    }
    if (buf_.size() < header_size) {
      fail(stun::error::buffer_too_small);
      return;
    }
    put16(0, static_cast<std::uint16_t>(type & 0x3fffu));  // §5: the first two bits are 00
    put16(2, 0);
    std::size_t at = 4;
    if (transaction_id.size() == transaction_id_size) {
      put32(4, magic_cookie);
      at = 8;
    }
    // memmove: the ID may already sit at this place (an answer written over its request).
    std::memmove(buf_.data() + at, transaction_id.data(), transaction_id.size());
    size_ = header_size;
  }

  /// Appends an attribute with this raw value (padded with zeros to 4 bytes).
  writer& add(std::uint16_t type, bytes_view value) noexcept {
    if (std::byte* v = begin_attribute(type, value.size()))
      if (!value.empty()) std::memcpy(v, value.data(), value.size());
    return *this;
  }
  /// Text attributes (USERNAME, REALM, NONCE, SOFTWARE, ALTERNATE-DOMAIN) within their limits.
  writer& add_text(std::uint16_t type, std::string_view text) noexcept {
    const std::size_t limit = type == attr::username           ? detail::max_username_bytes_sent
                              : type == attr::alternate_domain ? std::size_t{255}
                                                               : detail::max_text_bytes_sent;
    if (text.size() > limit) return fail(stun::error::value_too_long);
    return add(type, as_bytes(text));
  }
  /// An attribute with an empty value (USE-CANDIDATE).
  writer& add_flag(std::uint16_t type) noexcept { return add(type, {}); }
  /// A 32-bit value (PRIORITY, CHANGE-REQUEST).
  writer& add_u32(std::uint16_t type, std::uint32_t v) noexcept {
    if (std::byte* p = begin_attribute(type, 4)) store32(p, v);
    return *this;
  }
  /// A 64-bit value (ICE-CONTROLLED, ICE-CONTROLLING).
  writer& add_u64(std::uint16_t type, std::uint64_t v) noexcept {
    if (std::byte* p = begin_attribute(type, 8)) {
      store32(p, static_cast<std::uint32_t>(v >> 32));
      store32(p + 4, static_cast<std::uint32_t>(v));
    }
    return *this;
  }
  /// MAPPED-ADDRESS / ALTERNATE-SERVER (RFC 8489 §14.1).
  writer& add_address(std::uint16_t type, const address& a) noexcept {
    return put_address(type, a, false);
  }
  /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2).
  writer& add_xor_address(std::uint16_t type, const address& a) noexcept {
    return put_address(type, a, true);
  }
  /// ERROR-CODE (RFC 8489 §14.8): `code` 300-699, a reason phrase of at most 763 bytes.
  writer& add_error_code(int code, std::string_view reason) noexcept {
    if (code < 300 || code > 699) return fail(stun::error::bad_value);
    if (reason.size() > detail::max_text_bytes_sent) return fail(stun::error::value_too_long);
    if (std::byte* p = begin_attribute(attr::error_code, 4 + reason.size())) {
      p[0] = p[1] = std::byte{0};
      p[2] = static_cast<std::byte>(code / 100);
      p[3] = static_cast<std::byte>(code % 100);
      if (!reason.empty()) std::memcpy(p + 4, reason.data(), reason.size());
    }
    return *this;
  }
  /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).
  writer& add_unknown_attributes(std::span<const std::uint16_t> types) noexcept {
    if (std::byte* p = begin_attribute(attr::unknown_attributes, 2 * types.size())) {
      for (std::size_t i = 0; i < types.size(); ++i) {
        p[2 * i] = static_cast<std::byte>(types[i] >> 8);
        p[2 * i + 1] = static_cast<std::byte>(types[i]);
      }
    }
    return *this;
  }

  /// Finishes the message: MESSAGE-INTEGRITY(-SHA256) under `k` when it is not null, then
  /// FINGERPRINT when `fingerprint`. Returns the message size, or the first error. The writer
  /// cannot be used afterwards (already_sealed).
  result<std::size_t> seal(const key* k = nullptr, bool fingerprint = false,
                           mac_kind kind = mac_kind::sha1) noexcept {
    result<std::size_t> r;
    if (!error_ && sealed_) fail(stun::error::already_sealed);
    if (!error_ && k != nullptr) {
      if (kind != mac_kind::sha256) {
        if (std::byte* p = begin_attribute(attr::message_integrity, sha1::digest_size)) {
          const sha1::digest d = detail::integrity_mac(
              bytes_view(buf_.data(), size_), static_cast<std::size_t>(p - buf_.data()) - 4,
              sha1::digest_size, k->sha1());
          std::memcpy(p, d.data(), d.size());
        }
      }
      if (kind != mac_kind::sha1) {
        if (std::byte* p = begin_attribute(attr::message_integrity_sha256, sha256::digest_size)) {
          const sha256::digest d = detail::integrity_mac(
              bytes_view(buf_.data(), size_), static_cast<std::size_t>(p - buf_.data()) - 4,
              sha256::digest_size, k->sha256());
          std::memcpy(p, d.data(), d.size());
        }
      }
    }
    if (!error_ && fingerprint) {
      if (std::byte* p = begin_attribute(attr::fingerprint, 4)) {
        // §14.7: the CRC covers the header (its length including FINGERPRINT) and all before.
        store32(p, fingerprint_of(bytes_view(buf_.data(), size_ - 8)));
      }
    }
    sealed_ = true;
    r.error = error_;
    if (!error_) r.value = size_;
    return r;
  }

  /// Bytes written so far.
  std::size_t size() const noexcept { return size_; }
  /// The first error, if any.
  const error_at& error() const noexcept { return error_; }

 private:
  writer& fail(stun::error e) noexcept {
    if (!error_) error_ = {make_error_code(e), size_};
    return *this;
  }

  void put16(std::size_t at, std::uint16_t v) noexcept {
    buf_[at] = static_cast<std::byte>(v >> 8);
    buf_[at + 1] = static_cast<std::byte>(v);
  }
  void put32(std::size_t at, std::uint32_t v) noexcept { store32(buf_.data() + at, v); }
  static void store32(std::byte* p, std::uint32_t v) noexcept {
    p[0] = static_cast<std::byte>(v >> 24);
    p[1] = static_cast<std::byte>(v >> 16);
    p[2] = static_cast<std::byte>(v >> 8);
    p[3] = static_cast<std::byte>(v);
  }

  /// Reserves an attribute of `len` value bytes (zero padding written), updates the header's
  /// length and returns where the value goes; nullptr after an error.
  std::byte* begin_attribute(std::uint16_t type, std::size_t len) noexcept {
    if (error_) return nullptr;
    if (sealed_) {
      fail(stun::error::already_sealed);
      return nullptr;
    }
    const std::size_t padded = (len + 3) & ~std::size_t{3};
    if (len > 0xffff || size_ - header_size + 4 + padded > 0xffff) {
      fail(stun::error::value_too_long);
      return nullptr;
    }
    if (buf_.size() - size_ < 4 + padded) {
      fail(stun::error::buffer_too_small);
      return nullptr;
    }
    put16(size_, type);
    put16(size_ + 2, static_cast<std::uint16_t>(len));
    std::byte* value = buf_.data() + size_ + 4;
    for (std::size_t i = len; i < padded; ++i)
      value[i] = std::byte{0};  // §14: padding bytes are zero when sent
    size_ += 4 + padded;
    put16(2, static_cast<std::uint16_t>(size_ - header_size));
    return value;
  }

  writer& put_address(std::uint16_t type, const address& a, bool xored) noexcept {
    const std::size_t n = a.family == family::ipv6 ? 16 : 4;
    std::byte* p = begin_attribute(type, 4 + n);
    if (p == nullptr) return *this;
    p[0] = std::byte{0};
    p[1] = static_cast<std::byte>(a.family);
    std::uint16_t port = a.port;
    if (xored) port = static_cast<std::uint16_t>(port ^ (magic_cookie >> 16));
    p[2] = static_cast<std::byte>(port >> 8);
    p[3] = static_cast<std::byte>(port);
    for (std::size_t i = 0; i < n; ++i) {
      // §14.2: xor with the cookie (bytes 4-7 of the header) then the transaction ID.
      const std::byte mask = xored ? buf_[4 + i] : std::byte{0};
      p[4 + i] = static_cast<std::byte>(a.bytes[i]) ^ mask;
    }
    return *this;
  }

  mutable_bytes_view buf_;
  std::size_t size_ = 0;
  bool sealed_ = false;
  error_at error_{};
};

}  // namespace rtwire::stun
