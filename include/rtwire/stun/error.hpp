// rtwire — STUN errors (category "rtwire.stun").
//
// A STUN parse fails on a peer's malformed message (protocol_violation) or on a configured
// limit (limit_exceeded); every such error comes with the byte offset of the fault in an
// rtwire::error_at. The writer fails when the caller's buffer is too small or a value cannot be
// encoded (bad_input), or when it is used after seal() (api_misuse).
#pragma once

#include <array>
#include <cstddef>
#include <system_error>
#include <type_traits>

#include "rtwire/core/error.hpp"

namespace rtwire::stun {

/// Every way the STUN codec can fail.
enum class error {
  /// Fewer than the 20 bytes of a STUN header. Condition: protocol_violation.
  too_short = 1,
  /// RFC 8489 §5: the two most significant bits of a STUN message are not 00.
  /// Condition: protocol_violation.
  not_stun,
  /// RFC 8489 §5: the message length is not a multiple of 4. Condition: protocol_violation.
  length_not_multiple_of_4,
  /// The datagram is not exactly 20 bytes plus the header's message length.
  /// Condition: protocol_violation.
  length_mismatch,
  /// An attribute's header or value (with its padding) runs past the end of the message.
  /// Condition: protocol_violation.
  attribute_overrun,
  /// More attributes than limits::max_attributes. Condition: limit_exceeded.
  too_many_attributes,
  /// RFC 8489 §14.7: FINGERPRINT is not the last attribute. Condition: protocol_violation.
  fingerprint_not_last,
  /// An attribute that may appear once appears again. Condition: protocol_violation.
  duplicate_attribute,
  /// A known attribute has a length its definition does not allow (e.g. an empty
  /// XOR-MAPPED-ADDRESS or ERROR-CODE). Condition: protocol_violation.
  bad_attribute_length,
  /// A known attribute has a value its definition does not allow (an unknown address family,
  /// an ERROR-CODE class outside 3-6). Condition: protocol_violation.
  bad_attribute_value,
  /// RFC 8489 §14.6: MESSAGE-INTEGRITY-SHA256 shorter than 16 bytes, longer than 32 or not a
  /// multiple of 4. Condition: protocol_violation.
  bad_integrity_sha256_length,
  /// Writer: the caller's buffer cannot hold the message. Condition: limit_exceeded.
  buffer_too_small,
  /// Writer: a value is longer than its attribute allows, or than a STUN message can hold.
  /// Condition: bad_input.
  value_too_long,
  /// Writer: add_*() or seal() called after seal(). Condition: api_misuse.
  already_sealed,
  /// Stream framer: a frame starts with bits that are neither STUN (00) nor ChannelData (01).
  /// Condition: protocol_violation.
  not_stun_or_channel_data,
  /// Stream framer: a frame is larger than its configured maximum. Condition: limit_exceeded.
  frame_too_large,
  /// Writer: a value its attribute cannot carry (a transaction ID that is not 12 or 16 bytes,
  /// an ERROR-CODE outside 300-699). Condition: bad_input.
  bad_value,
};

namespace detail {

struct error_desc {
  static constexpr const char* name = "rtwire.stun";
  static constexpr std::array<error_entry<error>, 17> entries{{
      {error::too_short, "STUN message shorter than its 20-byte header",
       condition::protocol_violation},
      {error::not_stun, "first two bits of a STUN message are not 00",
       condition::protocol_violation},
      {error::length_not_multiple_of_4, "STUN message length is not a multiple of 4",
       condition::protocol_violation},
      {error::length_mismatch, "datagram size is not 20 plus the STUN message length",
       condition::protocol_violation},
      {error::attribute_overrun, "STUN attribute runs past the end of the message",
       condition::protocol_violation},
      {error::too_many_attributes, "more STUN attributes than the configured maximum",
       condition::limit_exceeded},
      {error::fingerprint_not_last, "FINGERPRINT is not the last attribute",
       condition::protocol_violation},
      {error::duplicate_attribute, "STUN attribute appears more than once",
       condition::protocol_violation},
      {error::bad_attribute_length, "STUN attribute has a length its definition does not allow",
       condition::protocol_violation},
      {error::bad_attribute_value, "STUN attribute has a value its definition does not allow",
       condition::protocol_violation},
      {error::bad_integrity_sha256_length,
       "MESSAGE-INTEGRITY-SHA256 is not 16 to 32 bytes in steps of 4",
       condition::protocol_violation},
      {error::buffer_too_small, "buffer too small for the STUN message", condition::limit_exceeded},
      {error::value_too_long, "value too long for its STUN attribute", condition::bad_input},
      {error::already_sealed, "STUN writer used after seal()", condition::api_misuse},
      {error::not_stun_or_channel_data, "stream frame is neither STUN nor ChannelData",
       condition::protocol_violation},
      {error::frame_too_large, "stream frame larger than the configured maximum",
       condition::limit_exceeded},
      {error::bad_value, "value not allowed in its STUN attribute", condition::bad_input},
  }};
};
static_assert(rtwire::detail::table_is_dense(error_desc::entries));

}  // namespace detail

/// The category of stun::error; its name() is "rtwire.stun".
inline const std::error_category& error_category() noexcept {
  return category_for<detail::error_desc>();
}

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// A value or the error (code + byte offset) that prevented it. `value` is meaningful only when
/// the result is ok(): after a failure it is a default-constructed T (a message_view of nothing,
/// whose accessors must not be called). [[nodiscard]]: a result left unchecked is a bug (an
/// unverified message, an unsent answer).
template <class T>
struct [[nodiscard]] result {
  T value{};
  error_at error{};

  bool ok() const noexcept { return !error; }
  explicit operator bool() const noexcept { return ok(); }
};

}  // namespace rtwire::stun

RTWIRE_REGISTER_ERROR_ENUM(rtwire::stun::error);
