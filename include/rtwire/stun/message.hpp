// rtwire — a STUN message (RFC 8489 §5, §14) as a view into the caller's bytes, and parse().
//
//   rtwire::stun::result<rtwire::stun::message_view> r = rtwire::stun::parse(datagram);
//   if (!r) return r.error.code;  // r.error.offset: where the fault is
//   const rtwire::stun::message_view& m = r.value;
//   namespace stun = rtwire::stun;
//   if (m.cls() == stun::message_class::request && m.method() == stun::method::binding)
//     for (rtwire::stun::attribute a : m.attributes()) use(a.type, a.value);
//
// parse() checks the header (RFC 8489 §5: first two bits 00, length a multiple of 4 and equal to
// the rest of the datagram), walks the attributes (bounded count), checks the length and shape
// of every attribute it knows (so typed access in stun/attributes.hpp cannot fail), rejects a
// duplicate known attribute and a FINGERPRINT that is not last (§14.7), ignores attributes after
// MESSAGE-INTEGRITY / MESSAGE-INTEGRITY-SHA256 as §14.5 / §14.6 require, and records the unknown
// comprehension-required attributes for a 420 answer. A message without the magic cookie is an
// RFC 3489 message: its transaction ID is 16 bytes (cookie position included).
//
// Lifetimes: a message_view points into the bytes given to parse(); it stays valid while they do.
// parse() never writes to them, never allocates, never throws.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/stun/error.hpp"
#include "rtwire/stun/registry.hpp"

namespace rtwire::stun {

/// Limits applied by parse().
struct limits {
  /// Attributes counted up to (and including) the last one processed. RFC 8489 sets no limit;
  /// real messages carry fewer than 16.
  std::size_t max_attributes = 32;
};

/// One attribute: its type, its value (without padding) and where its 4-byte header starts.
struct attribute {
  std::uint16_t type = 0;
  bytes_view value{};
  std::size_t offset = 0;
};

namespace detail {

inline std::uint16_t load16(const std::byte* p) noexcept {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[0]) << 8) |
                                    std::to_integer<unsigned>(p[1]));
}

inline std::uint32_t load32(const std::byte* p) noexcept {
  return (std::uint32_t{load16(p)} << 16) | load16(p + 2);
}

/// Limits fixed by the attribute definitions.
// RFC 8489 §14.8-14.10, §14.14: REALM, NONCE, SOFTWARE and the ERROR-CODE reason phrase are
// fewer than 128 characters, "as long as 509 bytes when encoding them and as long as 763 bytes
// when decoding them".
inline constexpr std::size_t max_text_bytes = 763;
inline constexpr std::size_t max_text_bytes_sent = 509;
// RFC 8489 §14.3: a USERNAME sent MUST be fewer than 509 bytes, and a receiver MUST parse up to
// 763 bytes (the RFC 5389 limit), so parse() and the writer use different bounds.
inline constexpr std::size_t max_username_bytes_sent = 508;
inline constexpr std::size_t max_username_bytes_parsed = 763;

}  // namespace detail

class message_view;
namespace detail {
error_at parse_into(bytes_view datagram, message_view& m, const limits& lim) noexcept;
}

/// The attributes of a message_view, in order; yields stun::attribute values.
class attribute_range {
 public:
  struct slot {
    std::uint16_t type;
    std::uint16_t length;
    std::uint32_t offset;
  };

  class iterator {
   public:
    using value_type = attribute;
    using difference_type = std::ptrdiff_t;
    iterator() noexcept = default;
    iterator(const std::byte* base, const slot* s) noexcept : base_(base), slot_(s) {}
    attribute operator*() const noexcept {
      return {slot_->type, bytes_view(base_ + slot_->offset + 4, slot_->length), slot_->offset};
    }
    iterator& operator++() noexcept {
      ++slot_;
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator old = *this;
      ++slot_;
      return old;
    }
    bool operator==(const iterator& o) const noexcept { return slot_ == o.slot_; }

   private:
    const std::byte* base_ = nullptr;
    const slot* slot_ = nullptr;
  };

  attribute_range(const std::byte* base, const slot* first, std::size_t n) noexcept
      : base_(base), first_(first), n_(n) {}
  iterator begin() const noexcept { return {base_, first_}; }
  iterator end() const noexcept { return {base_, first_ + n_}; }
  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  attribute operator[](std::size_t i) const noexcept { return *iterator(base_, first_ + i); }

 private:
  const std::byte* base_;
  const slot* first_;
  std::size_t n_;
};

/// A parsed STUN message. Copyable (a few hundred bytes); valid while the parsed bytes are.
class message_view {
 public:
  /// Most attributes a view can hold (limits::max_attributes is capped to this).
  static constexpr std::size_t capacity = 32;
  /// Most unknown comprehension-required attribute types recorded for UNKNOWN-ATTRIBUTES.
  static constexpr std::size_t max_unknown = 16;

  message_view() noexcept {}
  /// Copies only the attributes in use (the rest of the table is never read).
  message_view(const message_view& o) noexcept { *this = o; }
  message_view& operator=(const message_view& o) noexcept {
    if (this == &o) return *this;
    bytes_ = o.bytes_;
    count_ = o.count_;
    unknown_count_ = o.unknown_count_;
    ignored_ = o.ignored_;
    std::copy_n(o.slots_, count_, slots_);
    std::copy_n(o.unknown_, unknown_count_, unknown_);
    return *this;
  }

  /// The whole message (header + attributes).
  bytes_view bytes() const noexcept { return bytes_; }
  /// The 14-bit message type.
  std::uint16_t type() const noexcept { return detail::load16(bytes_.data()); }
  message_class cls() const noexcept {
    const unsigned t = type();
    return static_cast<message_class>(((t >> 4) & 1u) | ((t >> 7) & 2u));
  }
  std::uint16_t method() const noexcept {
    const unsigned t = type();
    return static_cast<std::uint16_t>((t & 0x000fu) | ((t >> 1) & 0x0070u) | ((t >> 2) & 0x0f80u));
  }
  /// RFC 8489 §5: the header's message length (bytes after the header).
  std::uint16_t length() const noexcept { return detail::load16(bytes_.data() + 2); }
  /// False for an RFC 3489 message (no magic cookie).
  bool has_magic_cookie() const noexcept {
    return detail::load32(bytes_.data() + 4) == magic_cookie;
  }
  /// The 12-byte transaction ID; for an RFC 3489 message, the 16 bytes after the type and length.
  bytes_view transaction_id() const noexcept {
    return has_magic_cookie() ? bytes_.subspan(8, transaction_id_size) : bytes_.subspan(4, 16);
  }

  /// The attributes that count (in order): every one up to MESSAGE-INTEGRITY(-SHA256), then
  /// MESSAGE-INTEGRITY-SHA256 after MESSAGE-INTEGRITY, and FINGERPRINT.
  attribute_range attributes() const noexcept { return {bytes_.data(), slots_, count_}; }
  /// The first attribute of `type`, if any.
  std::optional<attribute> find(std::uint16_t type) const noexcept {
    for (std::size_t i = 0; i < count_; ++i)
      if (slots_[i].type == type) return attributes()[i];
    return std::nullopt;
  }
  bool has(std::uint16_t type) const noexcept {
    for (std::size_t i = 0; i < count_; ++i)
      if (slots_[i].type == type) return true;
    return false;
  }

  /// Unknown comprehension-required attribute types, the first max_unknown of them (RFC 8489
  /// §6.3.1.1: a request with any gets a 420 listing them in UNKNOWN-ATTRIBUTES).
  std::span<const std::uint16_t> unknown_required() const noexcept {
    return {unknown_, unknown_count_};
  }
  /// Attributes ignored because they follow MESSAGE-INTEGRITY(-SHA256) (RFC 8489 §14.5-14.6).
  std::size_t ignored_after_integrity() const noexcept { return ignored_; }

 private:
  friend error_at detail::parse_into(bytes_view, message_view&, const limits&) noexcept;

  bytes_view bytes_{};
  std::size_t count_ = 0;
  std::size_t unknown_count_ = 0;
  std::size_t ignored_ = 0;
  // Not value-initialised: only the first count_ / unknown_count_ entries are ever read.
  attribute_range::slot slots_[capacity];
  std::uint16_t unknown_[max_unknown];
};

namespace detail {

/// The outcome of checking a known attribute's value: `ok` or the error to report. A plain enum
/// (not std::error_code) keeps the per-attribute check free of category lookups.
enum class value_check : std::uint8_t { ok, bad_length, bad_value, bad_mi_sha256_length };

/// RFC 8489 §14.1-14.2: family 0x01 with a 4-byte address or 0x02 with a 16-byte one.
inline value_check check_address(bytes_view v) noexcept {
  if (v.size() != 8 && v.size() != 20) return value_check::bad_length;
  const unsigned family = std::to_integer<unsigned>(v[1]);
  if ((family == 0x01 && v.size() == 8) || (family == 0x02 && v.size() == 20))
    return value_check::ok;
  return value_check::bad_value;
}

/// RFC 8489 §14.11-14.12: algorithm (2), parameters length (2), parameters padded to 4.
/// `single` for PASSWORD-ALGORITHM (exactly one entry).
inline value_check check_algorithms(bytes_view v, bool single) noexcept {
  if (v.empty()) return value_check::bad_length;
  std::size_t at = 0;
  std::size_t entries = 0;
  while (at < v.size()) {
    if (v.size() - at < 4) return value_check::bad_length;
    const std::size_t params = load16(v.data() + at + 2);
    const std::size_t padded = (params + 3) & ~std::size_t{3};
    if (v.size() - at - 4 < padded) return value_check::bad_length;
    at += 4 + padded;
    ++entries;
  }
  if (single && entries != 1) return value_check::bad_length;
  return value_check::ok;
}

inline value_check length_is(bool ok) noexcept {
  return ok ? value_check::ok : value_check::bad_length;
}

/// Checks the value of a known attribute (by its definition's length and shape) and gives its
/// bit for duplicate detection. `bit` is 0 for an attribute rtwire does not know.
inline value_check check_known(std::uint16_t type, bytes_view v, std::uint32_t& bit) noexcept {
  const std::size_t n = v.size();
  switch (type) {
    case attr::mapped_address:
      bit = 1u << 0;
      return check_address(v);
    case attr::xor_mapped_address:
      bit = 1u << 1;
      return check_address(v);
    case attr::alternate_server:
      bit = 1u << 2;
      return check_address(v);
    case attr::change_request:
      bit = 1u << 3;
      return length_is(n == 4);
    case attr::priority:
      bit = 1u << 4;
      return length_is(n == 4);
    case attr::fingerprint:
      bit = 1u << 5;
      return length_is(n == 4);
    case attr::use_candidate:
      bit = 1u << 6;
      return length_is(n == 0);
    case attr::ice_controlled:
      bit = 1u << 7;
      return length_is(n == 8);
    case attr::ice_controlling:
      bit = 1u << 8;
      return length_is(n == 8);
    case attr::message_integrity:
      bit = 1u << 9;
      return length_is(n == 20);
    case attr::message_integrity_sha256:
      bit = 1u << 10;
      // RFC 8489 §14.6: at least 16 bytes, at most 32, a multiple of 4.
      return (n >= 16 && n <= 32 && n % 4 == 0) ? value_check::ok
                                                : value_check::bad_mi_sha256_length;
    case attr::userhash:
      bit = 1u << 11;
      return length_is(n == 32);
    case attr::username:
      bit = 1u << 12;
      return length_is(n <= max_username_bytes_parsed);
    case attr::realm:
      bit = 1u << 13;
      return length_is(n <= max_text_bytes);
    case attr::nonce:
      bit = 1u << 14;
      return length_is(n <= max_text_bytes);
    case attr::software:
      bit = 1u << 15;
      return length_is(n <= max_text_bytes);
    case attr::alternate_domain:
      bit = 1u << 16;
      return length_is(n <= 255);
    case attr::error_code: {
      bit = 1u << 17;
      // RFC 8489 §14.8: 21 reserved bits, class (3 bits, 3-6), number (0-99), reason.
      if (n < 4 || n > 4 + max_text_bytes) return value_check::bad_length;
      const unsigned cls = std::to_integer<unsigned>(v[2]) & 0x07u;
      const unsigned number = std::to_integer<unsigned>(v[3]);
      if (cls < 3 || cls > 6 || number > 99) return value_check::bad_value;
      return value_check::ok;
    }
    case attr::unknown_attributes:
      bit = 1u << 18;
      return length_is(n % 2 == 0);
    case attr::password_algorithms:
      bit = 1u << 19;
      return check_algorithms(v, false);
    case attr::password_algorithm:
      bit = 1u << 20;
      return check_algorithms(v, true);
    default:
      bit = 0;
      return value_check::ok;
  }
}

}  // namespace detail

namespace detail {

inline error_at parse_into(bytes_view datagram, message_view& m, const limits& lim) noexcept {
  auto fail = [](error e, std::size_t offset) { return error_at{make_error_code(e), offset}; };
  const std::size_t size = datagram.size();
  if (size < header_size) return fail(error::too_short, size);
  const std::byte* p = datagram.data();
  // RFC 8489 §5: "The most significant 2 bits of every STUN message MUST be zeroes."
  if ((std::to_integer<unsigned>(p[0]) & 0xc0u) != 0) return fail(error::not_stun, 0);
  const std::size_t length = load16(p + 2);
  // RFC 8489 §5: the length is a multiple of 4 (attributes are padded).
  if (length % 4 != 0) return fail(error::length_not_multiple_of_4, 2);
  if (header_size + length != size) {
    return fail(error::length_mismatch, header_size + length < size ? header_size + length : 2);
  }
  m.bytes_ = datagram;
  m.count_ = 0;
  m.unknown_count_ = 0;
  m.ignored_ = 0;
  const std::size_t max_attrs =
      lim.max_attributes < message_view::capacity ? lim.max_attributes : message_view::capacity;
  std::uint32_t seen = 0;
  bool after_mi = false;     // past MESSAGE-INTEGRITY
  bool after_mi256 = false;  // past MESSAGE-INTEGRITY-SHA256
  bool fingerprint = false;
  std::size_t at = header_size;
  while (at < size) {
    // RFC 8489 §14.7: FINGERPRINT MUST be the last attribute.
    if (fingerprint) return fail(error::fingerprint_not_last, at);
    if (size - at < 4) return fail(error::attribute_overrun, at);
    const std::uint16_t type = load16(p + at);
    const std::uint16_t len = load16(p + at + 2);
    const std::size_t padded = (std::size_t{len} + 3) & ~std::size_t{3};
    if (size - at - 4 < padded) return fail(error::attribute_overrun, at + 2);
    const std::size_t start = at;
    at += 4 + padded;
    if (type == attr::fingerprint) {
      fingerprint = true;
    } else if (after_mi256 || (after_mi && type != attr::message_integrity_sha256)) {
      // RFC 8489 §14.5 / §14.6: attributes after the integrity attribute are ignored, except
      // MESSAGE-INTEGRITY-SHA256 after MESSAGE-INTEGRITY, and FINGERPRINT.
      ++m.ignored_;
      continue;
    }
    std::uint32_t bit = 0;
    const value_check vc = check_known(type, bytes_view(p + start + 4, len), bit);
    if (bit != 0) {
      if ((seen & bit) != 0) return fail(error::duplicate_attribute, start);
      seen |= bit;
      switch (vc) {
        case value_check::ok:
          break;
        case value_check::bad_length:
          return fail(error::bad_attribute_length, start + 2);
        case value_check::bad_value:
          return fail(error::bad_attribute_value, start + 4);
        case value_check::bad_mi_sha256_length:
          return fail(error::bad_integrity_sha256_length, start + 2);
      }
      if (type == attr::message_integrity) after_mi = true;
      if (type == attr::message_integrity_sha256) after_mi256 = true;
    } else if (comprehension_required(type) && m.unknown_count_ < message_view::max_unknown) {
      m.unknown_[m.unknown_count_++] = type;
    }
    if (m.count_ == max_attrs) return fail(error::too_many_attributes, start);
    m.slots_[m.count_++] = {type, len, static_cast<std::uint32_t>(start)};
  }
  return {};
}

}  // namespace detail

/// Parses one STUN message: a whole UDP datagram, or one frame from stun::stream_framer.
///
/// Returns the view, or an error whose offset is the byte at fault: the header field for a
/// header error (0 for the first bits, 2 for the length), the end of the message for trailing
/// bytes, the attribute's header for a duplicate, FINGERPRINT-not-last or a count limit, its
/// length field for a length error or an overrun, its value for a value error.
inline result<message_view> parse(bytes_view datagram, const limits& lim = {}) noexcept {
  result<message_view> r;
  r.error = detail::parse_into(datagram, r.value, lim);
  return r;
}

}  // namespace rtwire::stun
