// rtwire — STUN numbers (RFC 8489 §5, §18): the header constants, the message classes, the
// methods and attribute types this library names, and how a class and a method make a message
// type. stun/message.hpp (the message view and parse()) includes this header.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rtwire::stun {

/// RFC 8489 §5: the fixed magic cookie, 0x2112A442.
inline constexpr std::uint32_t magic_cookie = 0x2112a442u;
/// RFC 8489 §5: the header size.
inline constexpr std::size_t header_size = 20;
/// RFC 8489 §5: the transaction ID size (96 bits).
inline constexpr std::size_t transaction_id_size = 12;

/// RFC 8489 §5: the message class, from bits C1 and C0 of the message type.
enum class message_class : std::uint8_t {
  request = 0,
  indication = 1,
  success_response = 2,
  error_response = 3,
};

/// RFC 8489 §18.2 and RFC 8656: methods this library names (any 12-bit method parses).
namespace method {
inline constexpr std::uint16_t binding = 0x001;
inline constexpr std::uint16_t allocate = 0x003;
inline constexpr std::uint16_t refresh = 0x004;
inline constexpr std::uint16_t send = 0x006;
inline constexpr std::uint16_t data = 0x007;
inline constexpr std::uint16_t create_permission = 0x008;
inline constexpr std::uint16_t channel_bind = 0x009;
}  // namespace method

/// Attribute types (RFC 8489 §18.3, RFC 8445 §16.1, RFC 5780 §7). 0x0000-0x7FFF are
/// comprehension-required, 0x8000-0xFFFF comprehension-optional (RFC 8489 §14).
namespace attr {
inline constexpr std::uint16_t mapped_address = 0x0001;
inline constexpr std::uint16_t change_request = 0x0003;  // RFC 5780 §7.2
inline constexpr std::uint16_t username = 0x0006;
inline constexpr std::uint16_t message_integrity = 0x0008;
inline constexpr std::uint16_t error_code = 0x0009;
inline constexpr std::uint16_t unknown_attributes = 0x000a;
inline constexpr std::uint16_t realm = 0x0014;
inline constexpr std::uint16_t nonce = 0x0015;
inline constexpr std::uint16_t message_integrity_sha256 = 0x001c;
inline constexpr std::uint16_t password_algorithm = 0x001d;
inline constexpr std::uint16_t userhash = 0x001e;
inline constexpr std::uint16_t xor_mapped_address = 0x0020;
inline constexpr std::uint16_t priority = 0x0024;       // RFC 8445
inline constexpr std::uint16_t use_candidate = 0x0025;  // RFC 8445
inline constexpr std::uint16_t password_algorithms = 0x8002;
inline constexpr std::uint16_t alternate_domain = 0x8003;
inline constexpr std::uint16_t software = 0x8022;
inline constexpr std::uint16_t alternate_server = 0x8023;
inline constexpr std::uint16_t fingerprint = 0x8028;
inline constexpr std::uint16_t ice_controlled = 0x8029;   // RFC 8445
inline constexpr std::uint16_t ice_controlling = 0x802a;  // RFC 8445
}  // namespace attr

/// True for the comprehension-required range (RFC 8489 §14).
constexpr bool comprehension_required(std::uint16_t type) noexcept {
  return type < 0x8000;
}

/// The registered name of an attribute type ("XOR-MAPPED-ADDRESS"), or nullptr when unknown.
constexpr const char* attribute_name(std::uint16_t type) noexcept {
  switch (type) {
    case attr::mapped_address:
      return "MAPPED-ADDRESS";
    case attr::change_request:
      return "CHANGE-REQUEST";
    case attr::username:
      return "USERNAME";
    case attr::message_integrity:
      return "MESSAGE-INTEGRITY";
    case attr::error_code:
      return "ERROR-CODE";
    case attr::unknown_attributes:
      return "UNKNOWN-ATTRIBUTES";
    case attr::realm:
      return "REALM";
    case attr::nonce:
      return "NONCE";
    case attr::message_integrity_sha256:
      return "MESSAGE-INTEGRITY-SHA256";
    case attr::password_algorithm:
      return "PASSWORD-ALGORITHM";
    case attr::userhash:
      return "USERHASH";
    case attr::xor_mapped_address:
      return "XOR-MAPPED-ADDRESS";
    case attr::priority:
      return "PRIORITY";
    case attr::use_candidate:
      return "USE-CANDIDATE";
    case attr::password_algorithms:
      return "PASSWORD-ALGORITHMS";
    case attr::alternate_domain:
      return "ALTERNATE-DOMAIN";
    case attr::software:
      return "SOFTWARE";
    case attr::alternate_server:
      return "ALTERNATE-SERVER";
    case attr::fingerprint:
      return "FINGERPRINT";
    case attr::ice_controlled:
      return "ICE-CONTROLLED";
    case attr::ice_controlling:
      return "ICE-CONTROLLING";
    default:
      return nullptr;
  }
}

/// RFC 8489 §5: the 14-bit message type from a class and a 12-bit method
/// (M11..M7 C1 M6..M4 C0 M3..M0).
constexpr std::uint16_t message_type(message_class c, std::uint16_t m) noexcept {
  const auto cls = static_cast<unsigned>(c);
  return static_cast<std::uint16_t>((m & 0x000fu) | ((m & 0x0070u) << 1) | ((m & 0x0f80u) << 2) |
                                    ((cls & 1u) << 4) | ((cls & 2u) << 7));
}

}  // namespace rtwire::stun
