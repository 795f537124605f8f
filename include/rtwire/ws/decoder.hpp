// rtwire — the incremental, zero-copy WebSocket frame decoder (RFC 6455 §5.2).
//
//   rtwire::ws::frame_decoder dec({.rules = {.masking = rtwire::ws::mask_rule::required}});
//   rtwire::mutable_bytes_view in = what_the_socket_gave_us;
//   for (;;) {
//     const auto r = dec.decode(in);
//     in = in.subspan(r.consumed);
//     if (r.status == frame_decoder::status::need_more) break;       // read more from the socket
//     if (r.status == frame_decoder::status::failed) fail(dec.error());
//     // r.payload: the next piece of dec.header()'s payload, unmasked in place inside `in`
//     if (r.frame_finished) end_of_frame(dec.header());
//   }
//
// The decoder keeps at most one partial header (14 bytes). Payload bytes are never copied: each
// piece is a view of the caller's buffer, unmasked in place with the key phase carried across
// pieces, so a 1 GiB frame arriving in 64 KiB reads is delivered as 64 KiB views. Frame-level
// rules (RFC 6455 §5.2, §5.5, §5.1 masking, the frame size limit) are enforced here; message-level
// rules (continuations, UTF-8, close payloads) belong to rtwire::ws::connection.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/ws/frame.hpp"

namespace rtwire::ws {

/// Splits a byte stream into frame headers and payload pieces. One object per direction of a
/// connection; movable and copyable (it holds no pointer into any input).
class frame_decoder {
 public:
  struct options {
    /// RSV bits allowed, masking rule, maximum frame payload.
    header_rules rules{};
  };

  enum class status : std::uint8_t {
    /// Every byte of the input was consumed (a partial header may be held): feed more.
    need_more,
    /// A piece of the current frame: header() describes the frame, `payload` is the piece.
    piece,
    /// The stream broke a frame rule: error() says which and where. Sticky.
    failed,
  };

  struct result {
    frame_decoder::status status;
    /// Bytes of the input this call used (the piece, if any, is the last `payload.size()` of them).
    std::size_t consumed;
    /// The piece's bytes, unmasked in place inside the input (empty for a frame with no payload,
    /// or when only the header has arrived). Valid as long as the caller's buffer is.
    mutable_bytes_view payload;
    /// This is the first piece of a new frame (header() just changed).
    bool frame_started;
    /// This is the last piece of the frame (every frame yields exactly one such piece, possibly
    /// empty).
    bool frame_finished;
  };

  frame_decoder() = default;
  explicit frame_decoder(const options& opts) noexcept : rules_(opts.rules) {}

  /// Decodes from the start of `input`, which the decoder may modify (payload is unmasked in
  /// place). Returns after at most one piece, of at most `max_piece` payload bytes (a caller that
  /// post-processes payload, like the connection validating UTF-8, asks for cache-sized pieces
  /// and reads each while it is still in L1; the next call continues the frame where it
  /// stopped). `max_piece` must not be 0. Outcomes:
  /// - {piece, n, payload, started, finished}: advance the input by n and call again;
  /// - {need_more, input.size()}: all bytes used (kept internally only if part of a header);
  /// - {failed, 0}: error() is the rule broken and the stream offset of the offending byte;
  ///   close the connection with close_code_for(error). Every later call returns failed again.
  /// Keeps no reference to `input` after returning.
  [[gnu::always_inline]] result decode(mutable_bytes_view input,
                                       std::size_t max_piece = no_piece_limit) noexcept {
    // Fast path, small enough to inline into the caller's loop: a whole header at the start of
    // the caller's buffer, nothing to copy.
    if (state_ == state::frame_header && have_ == 0) {
      const header_result r = decode_header(input, header_, rules_);
      if (r.status == header_status::complete) return payload(input, r.size, true, max_piece);
    }
    return decode_slow(input, max_piece);
  }

  /// The default `max_piece` of decode(): a piece is everything of the frame the input holds.
  static constexpr std::size_t no_piece_limit = static_cast<std::size_t>(-1);

  /// For a caller that reads every payload byte anyway (the connection validates text as UTF-8
  /// in the same pass): continues the current frame's payload like decode(input, max_piece), but
  /// leaves unmasking to `unmask(piece, word)`, called once for a non-empty piece of a masked
  /// frame, which must XOR `piece` (a mutable_bytes_view) in place with `word` repeated: the
  /// 32-bit word whose memory image is the masking key from the piece's first byte on (RFC 6455
  /// §5.3). The key phase carries on across pieces as with decode(). When no frame's payload is
  /// pending (remaining() == 0) this is decode(input, max_piece).
  template <class Unmask>
  result continue_payload(mutable_bytes_view input, std::size_t max_piece,
                          Unmask&& unmask) noexcept {
    if (state_ != state::payload_data) return decode(input, max_piece);
    return payload(input, 0, false, max_piece, unmask);
  }

  /// A fast path for the commonest frame: if `input` starts, at a frame boundary, with a whole
  /// unfragmented text or binary frame (FIN set, RSV bits clear) whose 7-bit payload length is
  /// below `bound` (at most 126) and that obeys the masking rule and max_payload, decodes it as
  /// decode() would (header() describes it, the payload is unmasked in place), stores its payload
  /// in `payload` and returns the frame's size; otherwise changes nothing and returns 0 (call
  /// decode(), which also reports whatever is wrong with the frame).
  [[gnu::always_inline]] std::size_t small_frame(mutable_bytes_view input, std::size_t bound,
                                                 mutable_bytes_view& payload) noexcept {
    if (state_ != state::frame_header || have_ != 0 || input.size() < 2) return 0;
    auto* p = reinterpret_cast<unsigned char*>(input.data());
    const unsigned b0 = p[0];
    const unsigned b1 = p[1];
    // FIN, no RSV bit (RFC 6455 §5.2: always allowed), opcode 0x1 (text) or 0x2 (binary).
    if (b0 - 0x81u > 1u) return 0;
    const bool masked = (b1 & 0x80) != 0;
    // RFC 6455 §5.1: a server requires masked frames, a client unmasked ones.
    if (rules_.masking != mask_rule::any && masked != (rules_.masking == mask_rule::required))
      return 0;
    // 126 and 127 announce an extended length: never taken, as bound <= 126.
    const std::size_t length = b1 & 0x7F;
    if (length >= bound || length >= 126 || length > rules_.max_payload) return 0;
    const std::size_t size = (masked ? 6 : 2) + length;
    if (input.size() < size) return 0;
    header_.fin = true;
    header_.rsv = 0;
    header_.op = static_cast<opcode>(b0 & 0x0F);
    header_.masked = masked;
    header_.payload_length = length;
    if (masked) {
      std::memcpy(header_.key.data(), p + 2, 4);
      std::uint32_t word;  // the key at phase 0: its wire bytes as they lie in memory
      std::memcpy(&word, p + 2, 4);
      // RFC 6455 §5.3: unmask in place.
      rtwire::detail::mask_dispatch(p + 6, p + 6, length, word);
    } else {
      header_.key = {};
    }
    frame_offset_ = offset_;
    offset_ += size;
    payload = input.subspan(size - length, length);
    return size;
  }

  /// The current frame's header (meaningful from the first piece of a frame on).
  const frame_header& header() const noexcept { return header_; }

  /// Payload bytes of the current frame not delivered yet (0 between frames).
  std::uint64_t remaining() const noexcept { return remaining_; }

  /// Bytes of the stream consumed so far (the stream offset of the next byte).
  std::size_t offset() const noexcept { return offset_; }

  /// The stream offset of the current frame's first byte.
  std::size_t frame_offset() const noexcept { return frame_offset_; }

  /// True between frames (no partial header held, no payload pending).
  bool at_frame_boundary() const noexcept { return state_ == state::frame_header && have_ == 0; }

  /// The sticky error (empty unless a decode() returned failed).
  const error_at& error() const noexcept { return error_; }

  /// Changes the rules for the frames that follow (e.g. after negotiating an extension).
  void set_rules(const header_rules& rules) noexcept { rules_ = rules; }

  /// Back to the start of a stream (keeps the options and rules).
  void reset() noexcept { *this = frame_decoder({.rules = rules_}); }

 private:
  // RFC 6455 §5.2 "Base Framing Protocol": a header, then "Payload data".
  enum class state : std::uint8_t { frame_header, payload_data, failed };

  /// Everything but the fast path: payload continuing from an earlier input, a header split
  /// across inputs (completed in `partial_`), errors, the failed state.
  result decode_slow(mutable_bytes_view input, std::size_t max_piece) noexcept {
    switch (state_) {
      case state::payload_data:
        return payload(input, 0, false, max_piece);
      case state::failed:
        return {status::failed, 0, {}, false, false};
      case state::frame_header:
        break;
    }
    if (have_ == 0) {
      const header_result r = decode_header(input, header_, rules_);
      if (r.status == header_status::complete) return payload(input, r.size, true, max_piece);
      if (r.status == header_status::invalid) return fail(r.err, offset_ + r.size);
      // Fewer than 14 bytes: a header prefix, kept until the rest arrives.
      if (!input.empty()) std::memcpy(partial_, input.data(), input.size());
      have_ = input.size();
      offset_ += input.size();
      return {status::need_more, input.size(), {}, false, false};
    }
    // A header split across inputs: complete it in the internal buffer.
    const std::size_t take = std::min(input.size(), max_header_size - have_);
    if (take != 0) std::memcpy(partial_ + have_, input.data(), take);
    const std::size_t frame_start = offset_ - have_;
    const header_result r = decode_header({partial_, have_ + take}, header_, rules_);
    if (r.status == header_status::complete) {
      const std::size_t used = r.size - have_;
      have_ = 0;
      return payload(input, used, true, max_piece);
    }
    if (r.status == header_status::invalid) return fail(r.err, frame_start + r.size);
    // need_more: the header is longer than everything held (so `take` was all of the input).
    have_ += take;
    offset_ += take;
    return {status::need_more, take, {}, false, false};
  }

  /// The unmasking of decode(): the masking kernels, in place.
  struct unmask_in_place {
    [[gnu::always_inline]] void operator()(mutable_bytes_view piece,
                                           std::uint32_t word) const noexcept {
      auto* p = reinterpret_cast<unsigned char*>(piece.data());
      rtwire::detail::mask_dispatch(p, p, piece.size(), word);
    }
  };

  /// Delivers the payload bytes of input[pos..) that belong to the current frame, at most
  /// `max_piece` of them, unmasked by `unmask`. `started`: the header ends at input[pos - 1].
  template <class Unmask = unmask_in_place>
  [[gnu::always_inline]] result payload(mutable_bytes_view input, std::size_t pos, bool started,
                                        std::size_t max_piece, Unmask&& unmask = {}) noexcept {
    if (started) {
      // offset_ is the stream offset of input[0]; the header (minimally encoded, so exactly
      // header_size() bytes) ends at input[pos - 1].
      frame_offset_ = offset_ + pos - header_size(header_.payload_length, header_.masked);
      remaining_ = header_.payload_length;
      phase_ = 0;
    } else if (input.empty()) {
      return {status::need_more, 0, {}, false, false};
    }
    const std::size_t avail = std::min(input.size() - pos, max_piece);
    const std::size_t take = remaining_ < avail ? static_cast<std::size_t>(remaining_) : avail;
    const mutable_bytes_view piece = input.subspan(pos, take);
    // RFC 6455 §5.3: unmask in place, continuing the key where the previous piece stopped.
    if (header_.masked && take != 0) {
      unmask(piece, rtwire::detail::mask_word(header_.key.data(), phase_));
      phase_ = (phase_ + take) & 3;
    }
    remaining_ -= take;
    offset_ += pos + take;
    const bool finished = remaining_ == 0;
    state_ = finished ? state::frame_header : state::payload_data;
    return {status::piece, pos + take, piece, started, finished};
  }

  result fail(ws::error e, std::size_t at) noexcept {
    state_ = state::failed;
    error_ = {make_error_code(e), at};
    return {status::failed, 0, {}, false, false};
  }

  header_rules rules_{};
  frame_header header_{};
  std::uint64_t remaining_ = 0;
  std::size_t offset_ = 0;
  std::size_t frame_offset_ = 0;
  error_at error_{};
  std::size_t phase_ = 0;
  std::size_t have_ = 0;
  std::byte partial_[max_header_size]{};
  state state_ = state::frame_header;
};

}  // namespace rtwire::ws
