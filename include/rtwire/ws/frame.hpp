// rtwire — WebSocket frames (RFC 6455 §5.2): the header codec and masking. Close codes and the
// `rtwire.ws` error enum live in rtwire/ws/error.hpp (included).
//
//   rtwire::ws::frame_header h;                      // decode one header from contiguous bytes
//   auto r = rtwire::ws::decode_header(bytes, h, {.masking = rtwire::ws::mask_rule::required});
//   if (r.status == rtwire::ws::header_status::complete) use_payload(bytes.subspan(r.size));
//
//   rtwire::ws::write_frame(out, {.op = rtwire::ws::opcode::text}, rtwire::as_bytes("hi"));
//   rtwire::ws::mask(payload, key, phase);          // in place, any alignment, any key phase
//
// Most users want rtwire/ws/connection.hpp, which drives all of this; frame.hpp is for code that
// needs the raw frame layer (proxies, capture tools, tests). Nothing here allocates except the
// write_* functions, which grow the caller's buffer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <system_error>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/detail/mask_kernels.hpp"
#include "rtwire/ws/error.hpp"

namespace rtwire::ws {

// ------------------------------------------------------------------------------------------------
// Masking (RFC 6455 §5.3)
// ------------------------------------------------------------------------------------------------

/// The four masking-key octets, in wire order.
using masking_key = std::array<std::uint8_t, 4>;

/// XORs `data` in place with `key` (RFC 6455 §5.3), starting at key octet `phase` (0..3; larger
/// values are taken mod 4). Masking and unmasking are the same operation. Returns the phase of
/// the byte after `data`, so a payload processed in pieces continues the key where it stopped:
///   phase = mask(piece1, key, 0); phase = mask(piece2, key, phase); ...
/// Any size and alignment; the SIMD path (AVX-512, AVX2, SSE2, or scalar) is chosen at run time
/// and all paths give the same bytes.
[[gnu::always_inline]] inline std::size_t mask(mutable_bytes_view data, const masking_key& key,
                                               std::size_t phase = 0) noexcept {
  auto* p = reinterpret_cast<unsigned char*>(data.data());
  rtwire::detail::mask_dispatch(p, p, data.size(), rtwire::detail::mask_word(key.data(), phase));
  return (phase + data.size()) & 3;
}

/// As mask(), but reads `src` and writes the result to `dst` (which must hold src.size() bytes
/// and not overlap src). Returns the phase after the last byte.
inline std::size_t mask_copy(bytes_view src, std::byte* dst, const masking_key& key,
                             std::size_t phase = 0) noexcept {
  rtwire::detail::mask_dispatch(reinterpret_cast<unsigned char*>(dst),
                                reinterpret_cast<const unsigned char*>(src.data()), src.size(),
                                rtwire::detail::mask_word(key.data(), phase));
  return (phase + src.size()) & 3;
}

// ------------------------------------------------------------------------------------------------
// Frame header (RFC 6455 §5.2)
// ------------------------------------------------------------------------------------------------

/// Frame opcodes (RFC 6455 §5.2, §11.8). 0x3-0x7 and 0xB-0xF are reserved.
enum class opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

/// RFC 6455 §5.5: control frames have an opcode with the most significant bit set.
constexpr bool is_control(opcode op) noexcept {
  return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

/// RFC 6455 §5.2: opcodes 0x3-0x7 and 0xB-0xF are reserved for further frames.
constexpr bool is_reserved(opcode op) noexcept {
  const auto v = static_cast<std::uint8_t>(op);
  return (v >= 0x3 && v <= 0x7) || v >= 0xB;
}

/// Bits of frame_header::rsv (and header_rules::allowed_rsv).
inline constexpr std::uint8_t rsv1 = 0x4;
inline constexpr std::uint8_t rsv2 = 0x2;
inline constexpr std::uint8_t rsv3 = 0x1;

/// RFC 6455 §5.5: all control frames MUST have a payload length of 125 bytes or less.
inline constexpr std::size_t max_control_payload = 125;

/// The largest frame header: 2 bytes + 8 (64-bit length) + 4 (masking key).
inline constexpr std::size_t max_header_size = 14;

/// One frame header, decoded or to encode.
struct frame_header {
  bool fin = true;
  /// RSV1..RSV3 as the bits rsv1 | rsv2 | rsv3 (0 unless an extension uses them).
  std::uint8_t rsv = 0;
  opcode op = opcode::text;
  bool masked = false;
  /// Meaningful when `masked`.
  masking_key key{};
  std::uint64_t payload_length = 0;

  friend bool operator==(const frame_header&, const frame_header&) = default;
};

/// Which frames a receiver accepts with respect to masking (RFC 6455 §5.1).
enum class mask_rule : std::uint8_t {
  any,        ///< no rule (a capture tool, a proxy)
  required,   ///< a server: every client frame MUST be masked
  forbidden,  ///< a client: a server MUST NOT mask its frames
};

/// What decode_header() enforces besides the fixed rules of RFC 6455 §5.2.
struct header_rules {
  /// The RSV bits a negotiated extension claims (e.g. rsv1 for permessage-deflate); any other
  /// set bit is reserved_bits_set.
  std::uint8_t allowed_rsv = 0;
  mask_rule masking = mask_rule::any;
  /// Frames declaring a longer payload are frame_too_big (before any payload is read).
  std::uint64_t max_payload = std::numeric_limits<std::uint64_t>::max();
};

/// The size of a header for a payload of `length` bytes, with or without a masking key.
constexpr std::size_t header_size(std::uint64_t length, bool masked) noexcept {
  const std::size_t base = length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10;
  return base + (masked ? 4 : 0);
}

enum class header_status : std::uint8_t {
  complete,   ///< the header was decoded: it is `size` bytes long
  need_more,  ///< valid so far, but `size` bytes are needed (a lower bound until byte 1 is seen)
  invalid,    ///< a rule is broken: `err` says which, `size` is the index of the offending byte
};

struct header_result {
  header_status status;
  std::size_t size;
  error err{};
};

/// Decodes a frame header from the start of `in` into `out`, enforcing RFC 6455 §5.2 and
/// `rules`. Checks happen in wire order, each as soon as its byte is present, so any prefix of a
/// header gives need_more or the same error as the whole header:
///   byte 0: RSV bits (reserved_bits_set), opcode (reserved_opcode), a control frame without FIN
///           (fragmented_control_frame);
///   byte 1: MASK against rules.masking (unmasked_frame / masked_frame), a control frame with a
///           7-bit length over 125 (control_frame_too_long);
///   extended length: minimal encoding (non_minimal_length), the 64-bit MSB (length_msb_set),
///           rules.max_payload (frame_too_big).
/// `out` is complete only when the status is complete. Reads at most 14 bytes; keeps nothing.
[[gnu::always_inline]] inline header_result decode_header(bytes_view in, frame_header& out,
                                                          const header_rules& rules = {}) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  if (n == 0) return {header_status::need_more, 2};
  const unsigned b0 = p[0];
  const auto op = static_cast<opcode>(b0 & 0x0F);
  // RFC 6455 §5.2: RSV1-3 MUST be 0 unless an extension defining them was negotiated.
  if (((b0 >> 4) & 0x7 & ~rules.allowed_rsv) != 0)
    return {header_status::invalid, 0, error::reserved_bits_set};
  // RFC 6455 §5.2: a receiver MUST fail the connection on an unknown (reserved) opcode.
  if (is_reserved(op)) return {header_status::invalid, 0, error::reserved_opcode};
  // RFC 6455 §5.5: control frames MUST NOT be fragmented.
  if (is_control(op) && !(b0 & 0x80))
    return {header_status::invalid, 0, error::fragmented_control_frame};
  if (n < 2) return {header_status::need_more, 2};
  const unsigned b1 = p[1];
  const bool masked = (b1 & 0x80) != 0;
  // RFC 6455 §5.1: a server MUST close on an unmasked frame, a client on a masked one.
  if (!masked && rules.masking == mask_rule::required)
    return {header_status::invalid, 1, error::unmasked_frame};
  if (masked && rules.masking == mask_rule::forbidden)
    return {header_status::invalid, 1, error::masked_frame};
  const unsigned len7 = b1 & 0x7F;
  // RFC 6455 §5.5: control frame payloads are 125 bytes or less (so never 16/64-bit lengths).
  if (is_control(op) && len7 > 125)
    return {header_status::invalid, 1, error::control_frame_too_long};
  const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  const std::size_t size = 2 + ext + (masked ? 4 : 0);
  std::uint64_t length = len7;
  if (ext != 0) {
    if (n < 2 + ext) return {header_status::need_more, size};
    if (ext == 2) {
      length = (std::uint64_t{p[2]} << 8) | p[3];
      // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
      if (length < 126) return {header_status::invalid, 2, error::non_minimal_length};
    } else {
      // RFC 6455 §5.2: the most significant bit of a 64-bit length MUST be 0.
      if (p[2] & 0x80) return {header_status::invalid, 2, error::length_msb_set};
      length = 0;
      for (std::size_t i = 0; i < 8; ++i)
        length = (length << 8) | p[2 + i];
      if (length <= 0xFFFF) return {header_status::invalid, 2, error::non_minimal_length};
    }
  }
  if (length > rules.max_payload)
    return {header_status::invalid, ext ? 2u : 1u, error::frame_too_big};
  if (n < size) return {header_status::need_more, size};
  out.fin = (b0 & 0x80) != 0;
  out.rsv = static_cast<std::uint8_t>((b0 >> 4) & 0x7);
  out.op = op;
  out.masked = masked;
  out.payload_length = length;
  if (masked)
    std::memcpy(out.key.data(), p + 2 + ext, 4);
  else
    out.key = {};
  return {header_status::complete, size};
}

/// Encodes `h` into `out` (room for max_header_size bytes) and returns its size. Uses the minimal
/// length encoding. Does not check `h` against any rule (the connection does that before
/// sending); h.payload_length must be below 2^63.
inline std::size_t encode_header(const frame_header& h, std::byte* out) noexcept {
  auto* p = reinterpret_cast<unsigned char*>(out);
  p[0] = static_cast<unsigned char>((h.fin ? 0x80u : 0u) | ((h.rsv & 0x7u) << 4) |
                                    static_cast<unsigned>(h.op));
  const unsigned mask_bit = h.masked ? 0x80 : 0;
  std::size_t i = 2;
  const std::uint64_t len = h.payload_length;
  if (len <= 125) {
    p[1] = static_cast<unsigned char>(mask_bit | len);
  } else if (len <= 0xFFFF) {
    p[1] = static_cast<unsigned char>(mask_bit | 126);
    p[2] = static_cast<unsigned char>(len >> 8);
    p[3] = static_cast<unsigned char>(len);
    i = 4;
  } else {
    p[1] = static_cast<unsigned char>(mask_bit | 127);
    for (int b = 0; b < 8; ++b)
      p[2 + b] = static_cast<unsigned char>(len >> (56 - 8 * b));
    i = 10;
  }
  if (h.masked) {
    std::memcpy(p + i, h.key.data(), 4);
    i += 4;
  }
  return i;
}

/// Appends one frame to `out`: the header `h` (its payload_length is replaced by
/// payload.size()) and the payload, masked with h.key when h.masked. `payload` is only read.
template <output_buffer B>
inline void write_frame(B& out, frame_header h, bytes_view payload) {
  h.payload_length = payload.size();
  const std::size_t hs = header_size(h.payload_length, h.masked);
  unsigned char* p = rtwire::detail::grow(out, hs + payload.size());
  encode_header(h, reinterpret_cast<std::byte*>(p));
  if (payload.empty()) return;
  if (h.masked)
    mask_copy(payload, reinterpret_cast<std::byte*>(p + hs), h.key);
  else
    std::memcpy(p + hs, payload.data(), payload.size());
}

}  // namespace rtwire::ws
