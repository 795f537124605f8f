// rtwire — UTF-8 validation: one-shot and incremental, fail-fast, SIMD with a scalar reference.
//
// Validation follows RFC 3629 §4 and Unicode Table 3-7 ("Well-Formed UTF-8 Byte Sequences"): no
// overlong forms (C0, C1, E0 80..9F, F0 80..8F), no surrogates (ED A0..BF), nothing above
// U+10FFFF (F4 90..BF, F5..FF), and every lead byte followed by exactly its continuation bytes.
// Noncharacters such as U+FFFE are well-formed and accepted.
//
//   if (!rtwire::utf8::is_valid(text)) reject(text);              // one-shot
//
//   rtwire::utf8::validator v;                                    // a WebSocket text message
//   for (auto payload : pieces)                                   // RFC 6455 §8.1: fail the
//     if (v.feed(payload).status == rtwire::utf8::status::invalid) //   connection (close 1007)
//       return fail(v.error());                                   //   as soon as it is invalid
//   if (v.finish().status == rtwire::utf8::status::invalid) return fail(v.error());
//
// "Fail-fast" means an error is reported by the very call whose bytes make the input impossible
// to complete: `F4 90` at the end of a chunk is invalid at once (no continuation can bring it
// back under U+10FFFF), while `F4 8F` is merely incomplete.
//
// Speed: an AVX-512 BW, AVX2 or SSSE3 kernel (Keiser–Lemire lookup algorithm) is chosen at run
// time, with an ASCII fast path; a pure-SSE2 CPU skips ASCII 32 bytes at a time; everything else
// runs a table-driven DFA. All paths return identical results (rtwire/detail/utf8_kernels.hpp).
// validator::feed_xor() validates a masked WebSocket payload while unmasking it, in one pass.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <system_error>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/detail/utf8_kernels.hpp"

namespace rtwire::utf8 {

// ------------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------------

/// Why a byte stream is not UTF-8. Both are the data's fault (condition::protocol_violation);
/// a WebSocket endpoint answers either with close code 1007 (RFC 6455 §7.4.1).
enum class error {
  /// A byte that no well-formed sequence can contain at that position (RFC 3629 §4).
  invalid_sequence = 1,
  /// The input ended inside a code point that was valid so far.
  truncated_sequence,
};

namespace detail {

struct error_desc {
  static constexpr const char* name = "rtwire.utf8";
  using e = error;
  using c = condition;
  static constexpr std::array<error_entry<error>, 2> entries{{
      {e::invalid_sequence, "invalid UTF-8 byte sequence (RFC 3629 §4)", c::protocol_violation},
      {e::truncated_sequence, "the input ends inside a UTF-8 code point", c::protocol_violation},
  }};
  static_assert(rtwire::detail::table_is_dense(entries));
};

}  // namespace detail

/// The category of utf8::error; its name() is "rtwire.utf8".
inline const std::error_category& error_category() noexcept {
  return category_for<detail::error_desc>();
}

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace rtwire::utf8

RTWIRE_REGISTER_ERROR_ENUM(rtwire::utf8::error);

namespace rtwire::utf8 {

// ------------------------------------------------------------------------------------------------
// Results
// ------------------------------------------------------------------------------------------------

/// Where validation stands after the bytes seen so far.
enum class status : std::uint8_t {
  /// Everything so far is complete, valid UTF-8 (it ends on a code-point boundary).
  valid,
  /// Valid so far, but it ends inside a code point that more bytes may still complete.
  incomplete,
  /// Not UTF-8: see result::error_offset. Final (sticky) for a validator.
  invalid,
};

/// What validate(), feed() and finish() answer: the `status` every rtwire parser's result
/// starts with (a validator always consumes its whole chunk, so there is no `consumed`).
struct result {
  utf8::status status;
  /// When `status == status::invalid`: the offset, counted from the start of the stream (since
  /// construction or the last reset()), of the first byte at which the input stopped being a
  /// valid prefix: for `C3 41` the 41, for `C0 ...` the C0, for `F4 90` the 90, for `ED A0` the
  /// A0. For an input truncated inside a code point it is the stream size (one past the end).
  /// Otherwise 0.
  std::size_t error_offset;

  friend bool operator==(const result&, const result&) = default;
};

// ------------------------------------------------------------------------------------------------
// One-shot
// ------------------------------------------------------------------------------------------------

/// Validates a complete text. Returns {valid, 0}, or {invalid, offset}: the offset of the first
/// invalid byte (error invalid_sequence), or `bytes.size()` when the text ends inside a code point
/// (error truncated_sequence). Never returns `incomplete`. Reads only `bytes`; keeps no reference.
inline result validate(bytes_view bytes) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const detail::scan_result r = detail::scan(detail::accept, p, bytes.size());
  if (r.state == detail::reject) return {status::invalid, r.pos};
  if (r.state != detail::accept) return {status::invalid, bytes.size()};  // truncated
  return {status::valid, 0};
}

/// True when `text` is complete, well-formed UTF-8 (the empty text is).
inline bool is_valid(std::string_view text) noexcept {
  return validate(as_bytes(text)).status == status::valid;
}

// ------------------------------------------------------------------------------------------------
// Incremental
// ------------------------------------------------------------------------------------------------

/// Validates a stream delivered in chunks of any size: a chunk may end (and the next begin)
/// inside a code point. State is a DFA state, an error kind and two offsets; no allocation, no
/// reference to any chunk is kept after a call returns.
///
/// Errors are sticky: once a call has returned `invalid`, feed() and finish() return that same
/// result (and error() the same code) until reset().
class validator {
 public:
  /// Validates the next chunk of the stream. Returns
  /// - {valid, 0}: all bytes so far form complete, valid UTF-8;
  /// - {incomplete, 0}: valid so far, the chunk ends inside a code point that may still be
  ///   completed: feed the rest (or finish() if there is no more);
  /// - {invalid, offset}: the stream cannot be valid UTF-8; `offset` is the stream offset of the
  ///   first offending byte, which lies in this chunk unless the error was reported earlier.
  ///   Reported as soon as it is certain, e.g. a chunk ending in `F4 90` or `E0 80` or `C0`.
  ///   error() is utf8::error::invalid_sequence.
  /// Every byte is counted in offset(), including bytes fed after an error.
  result feed(bytes_view chunk) noexcept {
    const std::size_t start = offset_;
    offset_ += chunk.size();
    if (error_ != 0) return {status::invalid, error_offset_};
    const auto* p = reinterpret_cast<const unsigned char*>(chunk.data());
    return settle(start, detail::scan(state_, p, chunk.size()));
  }

  /// As feed(bytes_view), for text.
  result feed(std::string_view chunk) noexcept { return feed(as_bytes(chunk)); }

  /// As feed(), for a chunk that arrives XORed with a repeating 4-byte pattern (a masked
  /// WebSocket payload, RFC 6455 §5.3): XORs `chunk` in place with `pattern` repeated, the 32-bit
  /// word whose memory image is the pattern's four bytes starting at chunk[0], and validates the
  /// result, fused into one pass over the bytes where the CPU allows it (AVX-512). The whole
  /// chunk is XORed whatever the outcome, also after an earlier error.
  result feed_xor(mutable_bytes_view chunk, std::uint32_t pattern) noexcept {
    const std::size_t start = offset_;
    offset_ += chunk.size();
    auto* p = reinterpret_cast<unsigned char*>(chunk.data());
    if (error_ != 0) {
      rtwire::detail::mask_dispatch(p, p, chunk.size(), pattern);
      return {status::invalid, error_offset_};
    }
    return settle(start, detail::scan_xor(state_, p, chunk.size(), pattern));
  }

  /// Ends the stream (e.g. the last fragment of a WebSocket text message). Returns {valid, 0} when
  /// everything fed is complete, valid UTF-8; {invalid, offset()} with error()
  /// truncated_sequence when it ends inside a code point; or the sticky earlier error. Does not
  /// reset: call reset() before validating another stream.
  result finish() noexcept {
    if (error_ == 0 && state_ != detail::accept) {
      error_ = static_cast<std::uint8_t>(error::truncated_sequence);
      error_offset_ = offset_;
    }
    if (error_ != 0) return {status::invalid, error_offset_};
    return {status::valid, 0};
  }

  /// Forgets the stream (state, error and offsets): the next feed() starts a new one.
  void reset() noexcept { *this = validator{}; }

  /// The number of bytes fed since construction or the last reset().
  std::size_t offset() const noexcept { return offset_; }

  /// Which error made the stream invalid (invalid_sequence or truncated_sequence) and its stream
  /// offset (result::error_offset), or an empty error_at while it is not invalid.
  error_at error() const noexcept {
    if (error_ == 0) return {};
    return {.code = make_error_code(static_cast<utf8::error>(error_)), .offset = error_offset_};
  }

 private:
  // Takes the DFA state after a chunk that began at stream offset `start`.
  result settle(std::size_t start, detail::scan_result r) noexcept {
    state_ = r.state;
    if (r.state == detail::reject) {
      error_ = static_cast<std::uint8_t>(error::invalid_sequence);
      error_offset_ = start + r.pos;
      return {status::invalid, error_offset_};
    }
    return {r.state == detail::accept ? status::valid : status::incomplete, 0};
  }

  std::size_t offset_ = 0;
  std::size_t error_offset_ = 0;
  std::uint8_t state_ = detail::accept;  // a detail::dfa_state
  std::uint8_t error_ = 0;               // 0 or a utf8::error value
};

}  // namespace rtwire::utf8
