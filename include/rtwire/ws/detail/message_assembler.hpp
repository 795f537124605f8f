// rtwire — internal: the receiving half of rtwire::ws::connection for data frames. Assembles the
// peer's text and binary frames into messages: the fragmentation rules (RFC 6455 §5.4), the
// message limits, the UTF-8 of text checked as it arrives (RFC 6455 §8.1), compressed messages
// inflated (RFC 7692 §7.2.2, through message_inflater), and delivery whole or piece by piece
// (connection_options::mode). The connection owns the frame decoder, the input and the failure:
// each call gets them, and a peer violation is reported through the connection's `fail(ev,
// error, offset)` (which fails it, RFC 6455 §7.1.7, and returns true). Not public API.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/utf8.hpp"
#include "rtwire/ws/compression.hpp"
#include "rtwire/ws/connection_options.hpp"
#include "rtwire/ws/decoder.hpp"
#include "rtwire/ws/detail/message_inflater.hpp"
#include "rtwire/ws/error.hpp"
#include "rtwire/ws/frame.hpp"

namespace rtwire::ws::detail {

/// Fills `ev` field by field: building a temporary and copying it made the compiler store
/// the flags narrowly and reload them widely, a store-forwarding stall on every frame.
inline void set_event(event& ev, event_type type, bytes_view data, bool frame_finished,
                      bool message_finished, close_code code) noexcept {
  ev.type = type;
  ev.data = data;
  ev.frame_finished = frame_finished;
  ev.message_finished = message_finished;
  ev.code = code;
}

/// True if `piece` is at most 64 bytes, all ASCII. It reads in the same 8/4/1-byte steps as
/// the scalar unmasking that just wrote those bytes (detail::mask_scalar), so every load is
/// forwarded from one store; wider or overlapping loads stalled on store forwarding.
[[gnu::always_inline]] inline bool short_ascii(bytes_view piece) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(piece.data());
  const std::size_t n = piece.size();
  if (n > 64) return false;
  std::uint64_t acc = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    acc |= w;
  }
  if (i + 4 <= n) {
    std::uint32_t w;
    std::memcpy(&w, p + i, 4);
    acc |= w;
    i += 4;
  }
  for (; i < n; ++i)
    acc |= p[i];
  return (acc & 0x8080808080808080u) == 0;
}

/// The message being received, and the rules that assemble it. Movable (no pointers into
/// itself).
class message_assembler {
 public:
  /// Payload bytes taken from the decoder per call after a frame's first piece: a text block is
  /// unmasked and validated in one pass (AVX-512; elsewhere two passes over a block still in
  /// L1, 48 KiB here) and the rest of the frame is not touched once the text is invalid.
  static constexpr std::size_t payload_block = 16 * 1024;

  /// True while a message from the peer is incomplete.
  bool in_message() const noexcept { return in_message_; }
  /// True while the last event's data is the message gathered here (release() frees it).
  bool holds_message() const noexcept { return release_message_; }
  /// Frees the message delivered by the last event, once the caller is done with it.
  void release() noexcept {
    if (release_message_) {
      message_.clear();
      release_message_ = false;
    }
  }
  /// True while a compressed piece is still being inflated (pump_inflate() delivers the rest).
  bool inflating() const noexcept { return inflater_.busy(); }
  /// The peer's close frame ends a message it interrupted.
  void abandon() noexcept { in_message_ = false; }

  /// The bound on payload lengths for connection::next()'s fast path (frame_decoder::small_frame):
  /// 126 (every 7-bit length), lowered so that a one-frame message it takes is within
  /// max_message_size and, in whole_message mode, max_buffered_bytes; 0 (never) when max_fragments
  /// forbids any frame.
  static std::size_t small_bound(const connection_options& o) noexcept {
    if (o.limit.max_fragments == 0) return 0;
    std::uint64_t bound = 126;
    if (o.limit.max_message_size < bound) bound = o.limit.max_message_size + 1;
    if (o.mode == delivery::whole_message && o.limit.max_buffered_bytes < bound)
      bound = o.limit.max_buffered_bytes + 1;
    return static_cast<std::size_t>(bound);
  }

  /// Validates the text of a one-frame message from connection::next()'s fast path (which ends at
  /// the decoder's offset); false, with `ev` set to the error, when it is not UTF-8.
  template <class Fail>
  static bool small_text_is_valid(bytes_view text, const frame_decoder& dec, event& ev, Fail fail) {
    const utf8::result u = utf8::validate(text);
    if (u.status == utf8::status::valid) return true;
    // error_offset: the first bad byte, or the text's size when it ends inside a code point
    // (where the streaming validator's finish() reports it too).
    fail(ev, ws::error::invalid_utf8, dec.offset() - text.size() + u.error_offset);
    return false;
  }

  /// Handles a piece of a data frame; true when `ev` is an event to return. `dec` decoded `r`
  /// from the connection's `input`, which the rest of the frame is taken from; `codec` is the
  /// negotiated compression (null without); `fail` fails the connection (see the top comment).
  template <class Fail>
  [[gnu::always_inline]] bool data_frame(const frame_decoder::result& r, frame_decoder& dec,
                                         mutable_bytes_view& input, const connection_options& opts,
                                         const std::unique_ptr<compression>& codec, event& ev,
                                         Fail fail) {
    const frame_header& h = dec.header();
    if (r.frame_started) {
      // RFC 6455 §5.4: a continuation frame needs a message to continue, and a new text/binary
      // frame may not start while a fragmented message is unfinished.
      if (h.op == opcode::continuation && !in_message_)
        return fail(ev, ws::error::unexpected_continuation, dec.frame_offset());
      if (h.op != opcode::continuation && in_message_)
        return fail(ev, ws::error::expected_continuation, dec.frame_offset());
      // RFC 7692 §6.1: RSV1 marks a compressed message on its first frame only.
      if (h.op == opcode::continuation && (h.rsv & rsv1) != 0)
        return fail(ev, ws::error::compressed_continuation, dec.frame_offset());
      if (!in_message_) {
        in_message_ = true;
        message_op_ = h.op;
        message_size_ = 0;
        fragments_ = 0;
        compressed_ = (h.rsv & rsv1) != 0;
        if (compressed_) inflater_.start_message();
        zero_copy_ = h.fin && opts.mode == delivery::whole_message && !compressed_;
        if (h.op == opcode::text) {
          validator_.reset();
          utf8_boundary_ = true;
        }
      }
      if (++fragments_ > opts.limit.max_fragments)
        return fail(ev, ws::error::too_many_fragments, dec.frame_offset());
      message_size_ += h.payload_length;
      if (message_size_ > opts.limit.max_message_size)
        return fail(ev, ws::error::message_too_big, dec.frame_offset() + 1);
      if (opts.mode == delivery::whole_message && message_size_ > opts.limit.max_buffered_bytes)
        return fail(ev, ws::error::buffer_limit, dec.frame_offset() + 1);
    }
    if (compressed_) return compressed_piece(r, dec, input, opts, *codec, ev, fail);
    // The decoder hands over at most payload_block bytes a call, so text is validated block by
    // block while the block is in L1 (after the first block, unmasking and validation are one
    // pass: utf8::validator::feed_xor), and fails fast without unmasking the rest. The blocks
    // of a frame are contiguous in the input: they are joined back into the one piece the caller
    // sees (everything of the frame this input holds).
    bytes_view piece = r.payload;
    bool frame_finished = r.frame_finished;
    const bool text = message_op_ == opcode::text;
    if (text && !validate_text(piece, dec, ev, fail)) return true;
    while (!frame_finished && !input.empty()) {
      frame_decoder::result more;
      if (text && h.masked) {
        const std::size_t before = validator_.offset();
        utf8::result u{utf8::status::valid, 0};
        more = dec.continue_payload(input, payload_block,
                                    [this, &u](mutable_bytes_view block, std::uint32_t key) {
                                      u = validator_.feed_xor(block, key);
                                    });
        input = input.subspan(more.consumed);
        if (!text_verdict(u, before, more.payload.size(), dec, ev, fail)) return true;
      } else {
        more = dec.decode(input, payload_block);
        input = input.subspan(more.consumed);
        if (text && !validate_text(more.payload, dec, ev, fail)) return true;
      }
      piece = bytes_view(piece.data(), piece.size() + more.payload.size());
      frame_finished = more.frame_finished;
    }
    const bool message_end = frame_finished && h.fin;
    // RFC 6455 §8.1: a text message that ends inside a code point is not UTF-8.
    if (text && message_end && validator_.finish().status == utf8::status::invalid)
      return fail(ev, ws::error::invalid_utf8, dec.offset());
    const event_type type = message_op_ == opcode::text ? event_type::text : event_type::binary;
    if (message_end) in_message_ = false;
    if (opts.mode == delivery::streaming) {
      if (piece.empty() && !frame_finished) return false;
      set_event(ev, type, piece, frame_finished, message_end, close_code::none);
      return true;
    }
    // whole_message: a single-frame message wholly inside the fed buffer is delivered in place.
    if (zero_copy_ && r.frame_started && frame_finished) {
      set_event(ev, type, piece, true, true, close_code::none);
      return true;
    }
    zero_copy_ = false;
    message_.insert(message_.end(), piece.begin(), piece.end());
    if (!message_end) return false;
    release_message_ = true;
    set_event(ev, type, bytes_view(message_), true, true, close_code::none);
    return true;
  }

  /// Inflates the piece the inflater holds (RFC 7692 §7.2.2): into message_ in whole_message
  /// mode, piece by piece in streaming mode, never past the message limit (1009 when crossed).
  /// True when `ev` is an event to return; false when the piece is used up.
  template <class Fail>
  bool pump_inflate(const frame_decoder& dec, const connection_options& opts, compression& codec,
                    event& ev, Fail fail) {
    const bool whole = opts.mode == delivery::whole_message;
    const bool buffered = whole && opts.limit.max_buffered_bytes < opts.limit.max_message_size;
    const std::uint64_t limit =
        buffered ? opts.limit.max_buffered_bytes : opts.limit.max_message_size;
    const bool text = message_op_ == opcode::text;
    const event_type type = text ? event_type::text : event_type::binary;
    while (inflater_.busy()) {
      const auto s = inflater_.next(codec, limit);
      // RFC 6455 §8.1 on the inflated text, still failing fast (Autobahn 6.x under 12.x/13.x).
      if (text && !s.piece.empty() && validator_.feed(s.piece).status == utf8::status::invalid)
        return fail(ev, ws::error::invalid_utf8, dec.frame_offset());
      if (s.fault == detail::message_inflater::fault::bad_data)
        return fail(ev, ws::error::bad_compressed_data, dec.frame_offset());
      if (s.fault == detail::message_inflater::fault::over_limit)
        return fail(ev, buffered ? ws::error::buffer_limit : ws::error::message_too_big,
                    dec.frame_offset());
      if (s.message_end) {
        if (text && validator_.finish().status == utf8::status::invalid)
          return fail(ev, ws::error::invalid_utf8, dec.frame_offset());
        in_message_ = false;
      }
      if (!whole) {
        const bool frame_end = s.drained && inflater_.frame_done();
        if (s.piece.empty() && !frame_end) continue;
        set_event(ev, type, s.piece, frame_end, s.message_end, close_code::none);
        return true;
      }
      // whole_message: a message inflated in one step is delivered from the inflater's chunk;
      // a longer one is gathered in message_, which grows geometrically but never past the
      // limit (it holds at most `limit` bytes: the step that crossed it failed above).
      if (s.message_end && s.whole) {
        set_event(ev, type, s.piece, true, true, close_code::none);
        return true;
      }
      if (message_.size() + s.piece.size() > message_.capacity()) {
        std::uint64_t want =
            std::max<std::uint64_t>(2 * message_.capacity(), message_.size() + s.piece.size());
        if (want >= limit) want = limit;
        message_.reserve(static_cast<std::size_t>(want));
      }
      message_.insert(message_.end(), s.piece.begin(), s.piece.end());
      if (s.message_end) {
        release_message_ = true;
        set_event(ev, type, bytes_view(message_), true, true, close_code::none);
        return true;
      }
    }
    return false;
  }

 private:
  /// Takes the compressed payload of a frame that `r` starts or continues (all of it the input
  /// holds, unmasked in place) and inflates it; true when `ev` is an event to return.
  template <class Fail>
  bool compressed_piece(const frame_decoder::result& r, frame_decoder& dec,
                        mutable_bytes_view& input, const connection_options& opts,
                        compression& codec, event& ev, Fail fail) {
    bytes_view piece = r.payload;
    bool frame_finished = r.frame_finished;
    if (!frame_finished && !input.empty()) {
      // The rest of the frame in this input, contiguous with the first piece.
      const frame_decoder::result more = dec.decode(input);
      input = input.subspan(more.consumed);
      piece = bytes_view(piece.data(), piece.size() + more.payload.size());
      frame_finished = more.frame_finished;
    }
    inflater_.take(piece, frame_finished, frame_finished && dec.header().fin);
    return pump_inflate(dec, opts, codec, ev, fail);
  }

  /// Validates the next piece of a text message (just unmasked, so still in L1); false, with
  /// `ev` set to the error, when the message cannot be UTF-8.
  template <class Fail>
  [[gnu::always_inline]] bool validate_text(bytes_view piece, const frame_decoder& dec, event& ev,
                                            Fail fail) {
    // RFC 6455 §8.1: fail as soon as the text is not UTF-8 (Autobahn 6.4.x: mid-frame). A
    // short all-ASCII piece at a code-point boundary is valid whatever came before, so the
    // validator call (and its kernel dispatch) is skipped: half the cost of a 20-byte frame.
    if (utf8_boundary_ && short_ascii(piece)) return true;
    const std::size_t before = validator_.offset();
    return text_verdict(validator_.feed(piece), before, piece.size(), dec, ev, fail);
  }

  /// Acts on the validator's result `u` for the `size` bytes just fed (the validator's offset
  /// was `before`), which end at the decoder's offset: false, with `ev` set to the error, when
  /// the message cannot be UTF-8.
  template <class Fail>
  [[gnu::always_inline]] bool text_verdict(const utf8::result& u, std::size_t before,
                                           std::size_t size, const frame_decoder& dec, event& ev,
                                           Fail fail) {
    if (u.status == utf8::status::invalid) {
      fail(ev, ws::error::invalid_utf8, dec.offset() - size + (u.error_offset - before));
      return false;
    }
    utf8_boundary_ = u.status == utf8::status::valid;
    return true;
  }

  // The message being received.
  bool in_message_ = false;
  bool zero_copy_ = false;
  bool release_message_ = false;
  opcode message_op_ = opcode::text;
  std::uint64_t message_size_ = 0;
  std::size_t fragments_ = 0;
  utf8::validator validator_{};
  bool utf8_boundary_ = true;  // the text so far ends on a code-point boundary
  std::vector<std::byte> message_;

  // Per-message compression (RFC 7692), when negotiated.
  bool compressed_ = false;  // the message being received has RSV1
  message_inflater inflater_;
};

}  // namespace rtwire::ws::detail
