// rtwire — the WebSocket connection state machine (RFC 6455 §5-§8), both roles, sans-IO.
//
//   rtwire::ws::connection conn(rtwire::ws::role::server);
//   // ... after the opening handshake (rtwire/ws/handshake.hpp):
//   conn.feed(bytes_read);                       // writable bytes: payload is unmasked in place
//                                                // (read-only bytes: feed(string_view) copies)
//   for (auto ev = conn.next(); ev.type != event_type::need_more; ev = conn.next()) {
//     switch (ev.type) {
//       case event_type::text:   conn.send_text(ev.text()); break;       // echo
//       case event_type::binary: conn.send_binary(ev.data); break;
//       case event_type::close:  break;          // the reply is already queued
//       case event_type::error:  break;          // a close frame with ev.code is queued
//       default: break;                          // ping (pong queued), pong
//     }
//   }
//   write_to_socket(conn.output()); conn.consume_output(n_written);
//   if (conn.state() == connection_state::closed && conn.output().empty()) close_socket();
//
// The connection owns no socket, clock or random source: bytes in through feed()/next(), bytes out
// through output()/consume_output(), and the client role's masking keys from a key_source the
// caller supplies. Everything is bounded by `limits`.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/core/utf8.hpp"
#include "rtwire/ws/compression.hpp"
#include "rtwire/ws/connection_options.hpp"
#include "rtwire/ws/decoder.hpp"
#include "rtwire/ws/detail/frame_writer.hpp"
#include "rtwire/ws/detail/message_inflater.hpp"
#include "rtwire/ws/frame.hpp"
#include "rtwire/ws/prepared.hpp"

namespace rtwire::ws {

/// One WebSocket connection after the opening handshake: parses the peer's frames into events,
/// enforces RFC 6455 and the limits, and encodes what the caller sends. Not thread-safe; one
/// object per connection; movable (no pointers into itself).
class connection {
 public:
  /// `codec`: the negotiated per-message compression (rtwire/ws/deflate_codec.hpp), or none.
  /// With one, RSV1 on a message's first frame marks it compressed (RFC 7692 §6): such messages
  /// are inflated (UTF-8 checked and limits::max_message_size enforced on the inflated bytes)
  /// and every message sent is compressed when the codec finds it worth it.
  explicit connection(role r, connection_options opts = {},
                      std::unique_ptr<compression> codec = nullptr)
      : opts_(opts),
        role_(r),
        decoder_(
            {.rules = {.allowed_rsv = codec ? rsv1 : std::uint8_t{0},
                       .masking = r == role::server ? mask_rule::required : mask_rule::forbidden,
                       .max_payload = opts.limit.max_frame_payload}}),
        small_bound_(small_bound(opts)),
        codec_(std::move(codec)),
        writer_(r, opts.keys, opts.fragment_size) {}

  // ----------------------------------------------------------------------------------------------
  // Receiving
  // ----------------------------------------------------------------------------------------------

  /// Hands the connection the next bytes from the peer. The buffer must stay alive and untouched
  /// until next() returns need_more (payload is unmasked in place and events point into it).
  /// Returns input_pending (api_misuse, nothing taken) if the previous input is not consumed yet;
  /// the sticky failure's code if the connection failed (the input is ignored).
  std::error_code feed(mutable_bytes_view input) noexcept {
    if (failure_) return failure_.code;
    if (!input_.empty()) return make_error_code(ws::error::input_pending);
    input_ = input;
    return {};
  }
  std::error_code feed(char* data, std::size_t size) noexcept {
    return feed(mutable_bytes_view(reinterpret_cast<std::byte*>(data), size));
  }
  /// Read-only bytes (a std::string_view, a const std::string, or the rest of a handshake's
  /// buffer: `received.substr(r.consumed)`): copied into the connection's own buffer first,
  /// because payload is unmasked in place. `input` need not outlive the call; events point into
  /// the connection's copy, valid until the next feed(). Same outcomes as the zero-copy feed()
  /// above, which avoids the copy when the caller has a writable buffer.
  std::error_code feed(std::string_view input) {
    if (failure_) return failure_.code;
    if (!input_.empty()) return make_error_code(ws::error::input_pending);
    owned_input_.resize(input.size());
    if (!input.empty()) std::memcpy(owned_input_.data(), input.data(), input.size());
    return feed(mutable_bytes_view(owned_input_.data(), owned_input_.size()));
  }

  /// The next event from the fed input (see event_type for each outcome and what to do). Bytes
  /// the peer sends after its close frame are discarded (RFC 6455 §5.5.1: it sends no more).
  event next() noexcept {
    // One named result, returned on every path, so it is built in the caller's object (NRVO):
    // building a temporary and copying it cost a store-forwarding stall per event.
    event ev;
    // Fast path: a whole small text/binary message in one frame (frame_decoder::small_frame
    // checked the header rules; small_bound_ folds in the limits that bound a message), none of
    // data_frame()'s fragmentation bookkeeping needed. A failed connection is closed, so it never
    // gets here. Everything else is in next_slow(), out of line so this stays small: 20-byte
    // frames went from 66 to 147 M/s (bench/ws_frames.cpp, ws/decode_20B/rtwire).
    if (state_ != connection_state::closed && !in_message_ && !release_message_) {
      mutable_bytes_view payload;
      const std::size_t used = decoder_.small_frame(input_, small_bound_, payload);
      if (used != 0) {
        input_ = input_.subspan(used);
        const bool text = decoder_.header().op == opcode::text;
        // RFC 6455 §8.1: a text message must be UTF-8 (1007 otherwise); a short ASCII one is.
        if (text && !short_ascii(payload) && !small_text_is_valid(payload, ev)) return ev;
        set_event(ev, text ? event_type::text : event_type::binary, payload, true, true,
                  close_code::none);
        return ev;
      }
    }
    next_slow(ev);
    return ev;
  }

  /// The transport ended (read returned 0). Without a completed closing handshake this fails the
  /// connection with unexpected_eof (close code 1006, nothing sent): next() returns that error.
  /// After a clean close it changes nothing.
  void receive_eof() noexcept {
    input_ = {};
    if (state_ == connection_state::closed) return;
    fail_quietly(ws::error::unexpected_eof, decoder_.offset());
  }

  // ----------------------------------------------------------------------------------------------
  // Sending: each call appends whole frames to output(), or appends nothing and returns an
  // api_misuse error (send_after_close once a close frame was sent or the connection failed,
  // message_in_progress while a send_fragment() message is unfinished, missing_key_source for a
  // client without keys, invalid_argument as documented per call).
  // ----------------------------------------------------------------------------------------------

  /// Sends a text message. `text` must be UTF-8 (RFC 6455 §5.6; not checked here, the peer will
  /// close with 1007 otherwise). Fragmented when options.fragment_size is set.
  std::error_code send_text(std::string_view text) {
    return send_message(opcode::text, as_bytes(text));
  }

  /// Sends a binary message.
  std::error_code send_binary(bytes_view data) { return send_message(opcode::binary, data); }

  /// Sends one part of a message streamed by the caller: the first call (kind opcode::text or
  /// opcode::binary) opens it, later calls with the same kind continue it (RFC 6455 §5.4), and
  /// `last` finishes it. invalid_argument for another opcode; message_in_progress if `kind`
  /// differs from the open message's. Other frames (ping, pong, close) may be sent in between.
  std::error_code send_fragment(opcode kind, bytes_view data, bool last) {
    if (kind != opcode::text && kind != opcode::binary)
      return make_error_code(ws::error::invalid_argument);
    if (const auto ec = can_send()) return ec;
    if (sending_message_ && kind != sending_kind_)
      return make_error_code(ws::error::message_in_progress);
    const opcode first = sending_message_ ? opcode::continuation : kind;
    if (!sending_message_) sending_compressed_ = codec_ != nullptr;
    if (sending_compressed_) {
      // RFC 7692 §7.2.1: each piece is deflated with a sync flush; the tail goes on the last.
      z_out_.clear();
      if (codec_->compress(data, last, z_out_)) {
        // RFC 7692 §6.1: RSV1 on the first frame of the message only.
        writer_.write_fragmented(first, z_out_, last, sending_message_ ? 0 : rsv1);
        sending_message_ = !last;
        sending_kind_ = kind;
        return {};
      }
      // zlib could not allocate: send the message uncompressed if nothing of it was sent yet.
      if (sending_message_) return make_error_code(ws::error::invalid_argument);
      sending_compressed_ = false;
    }
    sending_message_ = !last;
    sending_kind_ = kind;
    writer_.write_fragmented(first, data, last);
    return {};
  }

  /// Sends a message prepared once for many connections (rtwire/ws/prepared.hpp) by reference:
  /// its frame joins output() as a piece of its own, never copied (fragment_size: this
  /// connection's fragment headers, then references to the payload's slices). The bytes on the
  /// wire are those send_text()/send_binary() would write for the same payload. With a codec:
  /// the shared compressed frame when the codec's shared_context_key() is the prepared one's
  /// (no context takeover), otherwise the payload compressed for this connection alone (context
  /// takeover), copied as send_text() copies. Errors, nothing queued: invalid_argument for an
  /// empty message; prepared_for_client for the client role (RFC 6455 §5.1, §5.3: a client
  /// masks each frame with a key of its own, so a shared frame cannot be used); then those of
  /// send_text() (send_after_close, message_in_progress).
  std::error_code send(const prepared_message& msg) {
    if (msg.empty()) return make_error_code(ws::error::invalid_argument);
    // RFC 6455 §5.1/§5.3: a client masks every frame with a fresh key, so an unmasked frame
    // built once is a server's. (The writer's copy of the role, next to the rest of the send
    // state: one cache line less per connection in a fan-out loop, 32 -> 23 ns per recipient.)
    if (writer_.client()) return make_error_code(ws::error::prepared_for_client);
    if (const auto ec = can_send()) return ec;
    if (sending_message_) return make_error_code(ws::error::message_in_progress);
    const bytes_view data = msg.payload();
    if (codec_ && codec_->worth_compressing(data.size())) {
      const std::uint32_t key = codec_->shared_context_key();
      if (key != 0 && msg.shared_context_key() == key) {
        // RFC 7692 §7.1.1: no context takeover: the message compressed from an empty window
        // is what this codec would have produced for it; share it.
        writer_.write_shared(msg.owner(), msg.compressed_frame(), msg.compressed_header_size(),
                             msg.kind(), rsv1);
        return {};
      }
      // Context takeover (or another window): compressed against this connection's history.
      z_out_.clear();
      if (codec_->compress(data, true, z_out_)) {
        writer_.write_fragmented(msg.kind(), z_out_, true, rsv1);
        return {};
      }
    }
    writer_.write_shared(msg.owner(), msg.frame(), msg.header_size(), msg.kind(), 0);
    return {};
  }

  /// Sends a ping (RFC 6455 §5.5.2); invalid_argument if the payload exceeds 125 bytes.
  std::error_code send_ping(bytes_view payload = {}) { return send_control(opcode::ping, payload); }

  /// Sends an unsolicited pong (RFC 6455 §5.5.3: a heartbeat); same rules as send_ping().
  std::error_code send_pong(bytes_view payload = {}) { return send_control(opcode::pong, payload); }

  /// Starts the closing handshake (RFC 6455 §7.1.2): sends a close frame with `code` and `reason`
  /// and moves to closing; the peer's close then completes it. close_code::none sends a close
  /// frame without a status code. invalid_argument if the code may not be sent
  /// (is_valid_close_code), a reason is given without a code, or the reason is longer than 123
  /// bytes or not UTF-8.
  std::error_code close(close_code code = close_code::normal, std::string_view reason = {}) {
    if (const auto ec = can_send()) return ec;
    const auto c = static_cast<std::uint16_t>(code);
    if (code == close_code::none ? !reason.empty() : !is_valid_close_code(c))
      return make_error_code(ws::error::invalid_argument);
    if (reason.size() > max_control_payload - 2 || !utf8::is_valid(reason))
      return make_error_code(ws::error::invalid_argument);
    write_close(code, reason);
    state_ = connection_state::closing;
    return {};
  }

  // ----------------------------------------------------------------------------------------------
  // Output and state
  // ----------------------------------------------------------------------------------------------

  /// Bytes to send to the peer, in order: all of them, unless prepared messages were queued by
  /// send(const prepared_message&), which makes the output several pieces: then the first one
  /// (send it, consume_output(), and call again; or send every piece at once with
  /// gather_output()). Valid until the next non-const call. Empty only when nothing is pending.
  bytes_view output() const noexcept { return writer_.output(); }

  /// Marks the first `n` bytes of the output as sent (n ≤ pending_output(); output().size()
  /// when only output() is used).
  void consume_output(std::size_t n) noexcept { writer_.consume(n); }

  /// Bytes to send, all pieces together (output().size() when no prepared message is queued).
  std::size_t pending_output() const noexcept { return writer_.pending(); }

  /// How many pieces the output has now (1 when no prepared message is queued and some bytes
  /// are pending), for sizing gather_output()'s array.
  std::size_t output_pieces() const noexcept { return writer_.pieces(); }

  /// Fills `out` with views of the output's first pieces in order, the first one without the
  /// bytes already consumed, for one gathering write (writev, an Asio buffer sequence); returns
  /// how many (min(out.size(), output_pieces())). Valid until the next non-const call.
  std::size_t gather_output(std::span<bytes_view> out) const noexcept {
    return writer_.gather(out);
  }

  connection_state state() const noexcept { return state_; }

  /// True once the closing handshake completed: both close frames were exchanged and the
  /// connection did not fail (RFC 6455 §7.1.4 "The WebSocket Connection is Closed" cleanly).
  bool closed_cleanly() const noexcept {
    return state_ == connection_state::closed && close_sent_ && close_received_ && !failure_;
  }

  /// The sticky failure as every rtwire parser reports it (code and stream offset; empty unless
  /// an error event was returned).
  const error_at& error() const noexcept { return failure_; }
  /// The sticky failure with the close code that was sent for it (empty unless an error event
  /// was returned).
  const connection_error& failure() const noexcept { return failure_; }

  /// The code of the peer's close frame (no_status for an empty one; none if none arrived).
  close_code peer_close_code() const noexcept { return peer_code_; }

  /// Which end this object is.
  ws::role local_role() const noexcept { return role_; }

  /// Stream bytes consumed so far.
  std::size_t offset() const noexcept { return decoder_.offset(); }

  /// True while a frame or a fragmented message from the peer is incomplete (the input so far
  /// ends inside it); false between messages.
  bool receiving() const noexcept { return in_message_ || !decoder_.at_frame_boundary(); }

  /// True when a per-message compression codec was given to the constructor.
  bool compressing() const noexcept { return codec_ != nullptr; }

 private:
  // -- receiving ---------------------------------------------------------------------------------

  /// next() for everything but its fast path: control frames, fragments, frames split across
  /// inputs or too long for the fast path, errors.
  [[gnu::noinline]] void next_slow(event& ev) noexcept {
    if (failure_) {
      set_event(ev, event_type::error, {}, false, false, failure_.close);
      return;
    }
    if (release_message_) {
      message_.clear();
      release_message_ = false;
    }
    // A compressed piece still being inflated (streaming: its output came in several events).
    if (inflater_.busy() && pump_inflate(ev)) return;
    for (;;) {
      if (state_ == connection_state::closed) {
        input_ = {};
        return;
      }
      const frame_decoder::result r = decoder_.decode(input_, first_block);
      input_ = input_.subspan(r.consumed);
      if (r.status == frame_decoder::status::need_more) return;
      if (r.status == frame_decoder::status::failed) {
        fail_into(ev, static_cast<ws::error>(decoder_.error().code.value()),
                  decoder_.error().offset);
        return;
      }
      if (is_control(decoder_.header().op)) {
        // RFC 7692 §6.1: an endpoint "MUST NOT set the Per-Message Compressed bit of control
        // frames" (the decoder lets RSV1 through only when compression was negotiated).
        if (r.frame_started && (decoder_.header().rsv & rsv1) != 0) {
          fail_into(ev, ws::error::compressed_control_frame, decoder_.frame_offset());
          return;
        }
        if (control_frame(r, ev)) return;
        continue;
      }
      if (data_frame(r, ev)) return;
    }
  }

  /// Validates the text of a one-frame message from next()'s fast path (which ends at the
  /// decoder's offset); false, with `ev` set to the error, when it is not UTF-8.
  bool small_text_is_valid(bytes_view text, event& ev) {
    const utf8::result u = utf8::validate(text);
    if (u.status == utf8::status::valid) return true;
    // error_offset: the first bad byte, or the text's size when it ends inside a code point
    // (where the streaming validator's finish() reports it too).
    fail_into(ev, ws::error::invalid_utf8, decoder_.offset() - text.size() + u.error_offset);
    return false;
  }

  /// The bound on payload lengths for next()'s fast path (frame_decoder::small_frame): 126 (every
  /// 7-bit length), lowered so that a one-frame message it takes is within max_message_size and,
  /// in whole_message mode, max_buffered_bytes; 0 (never) when max_fragments forbids any frame.
  static std::size_t small_bound(const connection_options& o) noexcept {
    if (o.limit.max_fragments == 0) return 0;
    std::uint64_t bound = 126;
    if (o.limit.max_message_size < bound) bound = o.limit.max_message_size + 1;
    if (o.mode == delivery::whole_message && o.limit.max_buffered_bytes < bound)
      bound = o.limit.max_buffered_bytes + 1;
    return static_cast<std::size_t>(bound);
  }

  /// Fills `ev` field by field: building a temporary and copying it made the compiler store
  /// the flags narrowly and reload them widely, a store-forwarding stall on every frame.
  static void set_event(event& ev, event_type type, bytes_view data, bool frame_finished,
                        bool message_finished, close_code code) noexcept {
    ev.type = type;
    ev.data = data;
    ev.frame_finished = frame_finished;
    ev.message_finished = message_finished;
    ev.code = code;
  }

  /// Handles a piece of a data frame; true when `ev` is an event to return.
  [[gnu::always_inline]] bool data_frame(const frame_decoder::result& r, event& ev) {
    const frame_header& h = decoder_.header();
    if (r.frame_started) {
      // RFC 6455 §5.4: a continuation frame needs a message to continue, and a new text/binary
      // frame may not start while a fragmented message is unfinished.
      if (h.op == opcode::continuation && !in_message_)
        return fail_into(ev, ws::error::unexpected_continuation, decoder_.frame_offset());
      if (h.op != opcode::continuation && in_message_)
        return fail_into(ev, ws::error::expected_continuation, decoder_.frame_offset());
      // RFC 7692 §6.1: RSV1 marks a compressed message on its first frame only.
      if (h.op == opcode::continuation && (h.rsv & rsv1) != 0)
        return fail_into(ev, ws::error::compressed_continuation, decoder_.frame_offset());
      if (!in_message_) {
        in_message_ = true;
        message_op_ = h.op;
        message_size_ = 0;
        fragments_ = 0;
        compressed_ = (h.rsv & rsv1) != 0;
        if (compressed_) inflater_.start_message();
        zero_copy_ = h.fin && opts_.mode == delivery::whole_message && !compressed_;
        if (h.op == opcode::text) {
          validator_.reset();
          utf8_boundary_ = true;
        }
      }
      if (++fragments_ > opts_.limit.max_fragments)
        return fail_into(ev, ws::error::too_many_fragments, decoder_.frame_offset());
      message_size_ += h.payload_length;
      if (message_size_ > opts_.limit.max_message_size)
        return fail_into(ev, ws::error::message_too_big, decoder_.frame_offset() + 1);
      if (opts_.mode == delivery::whole_message && message_size_ > opts_.limit.max_buffered_bytes)
        return fail_into(ev, ws::error::buffer_limit, decoder_.frame_offset() + 1);
    }
    if (compressed_) return compressed_piece(r, ev);
    // The decoder hands over at most payload_block bytes a call, so text is validated block by
    // block while the block is in L1 (after the first block, unmasking and validation are one
    // pass: utf8::validator::feed_xor), and fails fast without unmasking the rest. The blocks
    // of a frame are contiguous in the input: they are joined back into the one piece the caller
    // sees (everything of the frame this input holds).
    bytes_view piece = r.payload;
    bool frame_finished = r.frame_finished;
    const bool text = message_op_ == opcode::text;
    if (text && !validate_text(piece, ev)) return true;
    while (!frame_finished && !input_.empty()) {
      frame_decoder::result more;
      if (text && h.masked) {
        const std::size_t before = validator_.offset();
        utf8::result u{utf8::status::valid, 0};
        more = decoder_.continue_payload(input_, payload_block,
                                         [this, &u](mutable_bytes_view block, std::uint32_t key) {
                                           u = validator_.feed_xor(block, key);
                                         });
        input_ = input_.subspan(more.consumed);
        if (!text_verdict(u, before, more.payload.size(), ev)) return true;
      } else {
        more = decoder_.decode(input_, payload_block);
        input_ = input_.subspan(more.consumed);
        if (text && !validate_text(more.payload, ev)) return true;
      }
      piece = bytes_view(piece.data(), piece.size() + more.payload.size());
      frame_finished = more.frame_finished;
    }
    const bool message_end = frame_finished && h.fin;
    // RFC 6455 §8.1: a text message that ends inside a code point is not UTF-8.
    if (text && message_end && validator_.finish().status == utf8::status::invalid)
      return fail_into(ev, ws::error::invalid_utf8, decoder_.offset());
    const event_type type = message_op_ == opcode::text ? event_type::text : event_type::binary;
    if (message_end) in_message_ = false;
    if (opts_.mode == delivery::streaming) {
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

  /// Takes the compressed payload of a frame that `r` starts or continues (all of it the input
  /// holds, unmasked in place) and inflates it; true when `ev` is an event to return.
  bool compressed_piece(const frame_decoder::result& r, event& ev) {
    bytes_view piece = r.payload;
    bool frame_finished = r.frame_finished;
    if (!frame_finished && !input_.empty()) {
      // The rest of the frame in this input, contiguous with the first piece.
      const frame_decoder::result more = decoder_.decode(input_);
      input_ = input_.subspan(more.consumed);
      piece = bytes_view(piece.data(), piece.size() + more.payload.size());
      frame_finished = more.frame_finished;
    }
    inflater_.take(piece, frame_finished, frame_finished && decoder_.header().fin);
    return pump_inflate(ev);
  }

  /// Inflates the piece the inflater holds (RFC 7692 §7.2.2): into message_ in whole_message
  /// mode, piece by piece in streaming mode, never past the message limit (1009 when crossed).
  /// True when `ev` is an event to return; false when the piece is used up.
  bool pump_inflate(event& ev) {
    const bool whole = opts_.mode == delivery::whole_message;
    const bool buffered = whole && opts_.limit.max_buffered_bytes < opts_.limit.max_message_size;
    const std::uint64_t limit =
        buffered ? opts_.limit.max_buffered_bytes : opts_.limit.max_message_size;
    const bool text = message_op_ == opcode::text;
    const event_type type = text ? event_type::text : event_type::binary;
    while (inflater_.busy()) {
      const auto s = inflater_.next(*codec_, limit);
      // RFC 6455 §8.1 on the inflated text, still failing fast (Autobahn 6.x under 12.x/13.x).
      if (text && !s.piece.empty() && validator_.feed(s.piece).status == utf8::status::invalid)
        return fail_into(ev, ws::error::invalid_utf8, decoder_.frame_offset());
      if (s.fault == detail::message_inflater::fault::bad_data)
        return fail_into(ev, ws::error::bad_compressed_data, decoder_.frame_offset());
      if (s.fault == detail::message_inflater::fault::over_limit)
        return fail_into(ev, buffered ? ws::error::buffer_limit : ws::error::message_too_big,
                         decoder_.frame_offset());
      if (s.message_end) {
        if (text && validator_.finish().status == utf8::status::invalid)
          return fail_into(ev, ws::error::invalid_utf8, decoder_.frame_offset());
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

  /// Validates the next piece of a text message (just unmasked, so still in L1); false, with
  /// `ev` set to the error, when the message cannot be UTF-8.
  [[gnu::always_inline]] bool validate_text(bytes_view piece, event& ev) {
    // RFC 6455 §8.1: fail as soon as the text is not UTF-8 (Autobahn 6.4.x: mid-frame). A
    // short all-ASCII piece at a code-point boundary is valid whatever came before, so the
    // validator call (and its kernel dispatch) is skipped: half the cost of a 20-byte frame.
    if (utf8_boundary_ && short_ascii(piece)) return true;
    const std::size_t before = validator_.offset();
    return text_verdict(validator_.feed(piece), before, piece.size(), ev);
  }

  /// Acts on the validator's result `u` for the `size` bytes just fed (the validator's offset
  /// was `before`), which end at the decoder's offset: false, with `ev` set to the error, when
  /// the message cannot be UTF-8.
  [[gnu::always_inline]] bool text_verdict(const utf8::result& u, std::size_t before,
                                           std::size_t size, event& ev) {
    if (u.status == utf8::status::invalid) {
      fail_into(ev, ws::error::invalid_utf8, decoder_.offset() - size + (u.error_offset - before));
      return false;
    }
    utf8_boundary_ = u.status == utf8::status::valid;
    return true;
  }

  /// True if `piece` is at most 64 bytes, all ASCII. It reads in the same 8/4/1-byte steps as
  /// the scalar unmasking that just wrote those bytes (detail::mask_scalar), so every load is
  /// forwarded from one store; wider or overlapping loads stalled on store forwarding.
  [[gnu::always_inline]] static bool short_ascii(bytes_view piece) noexcept {
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

  /// Handles a piece of a control frame; true when `ev` is an event to return.
  bool control_frame(const frame_decoder::result& r, event& ev) {
    const frame_header& h = decoder_.header();
    bytes_view payload = r.payload;
    if (!(r.frame_started && r.frame_finished)) {
      // A control payload split across inputs: gather it (≤ 125 bytes, RFC 6455 §5.5).
      if (r.frame_started) control_size_ = 0;
      if (!r.payload.empty())
        std::memcpy(control_.data() + control_size_, r.payload.data(), r.payload.size());
      control_size_ += r.payload.size();
      if (!r.frame_finished) return false;
      payload = bytes_view(control_.data(), control_size_);
    }
    switch (h.op) {
      case opcode::ping:
        // RFC 6455 §5.5.2/§5.5.3: a pong with the ping's "Application data", unless we already
        // sent a close frame (then only the peer's close is expected).
        if (opts_.auto_pong && state_ == connection_state::open)
          write_frame_out(opcode::pong, payload, true);
        set_event(ev, event_type::ping, payload, true, true, close_code::none);
        return true;
      case opcode::pong:
        set_event(ev, event_type::pong, payload, true, true, close_code::none);
        return true;
      default:
        return close_frame(payload, ev);
    }
  }

  bool close_frame(bytes_view payload, event& ev) {
    // The stream offset of the payload's first byte.
    const std::size_t at =
        decoder_.frame_offset() + header_size(payload.size(), decoder_.header().masked);
    close_code code = close_code::no_status;
    bytes_view reason{};
    if (!payload.empty()) {
      // RFC 6455 §5.5.1: a body starts with a 2-byte status code, so length 1 is malformed.
      if (payload.size() == 1) return fail_into(ev, ws::error::bad_close_payload, at);
      const auto* p = reinterpret_cast<const unsigned char*>(payload.data());
      const auto c = static_cast<std::uint16_t>((p[0] << 8) | p[1]);
      // RFC 6455 §7.4: only defined and registered-range codes may appear on the wire.
      if (!is_valid_close_code(c)) return fail_into(ev, ws::error::invalid_close_code, at);
      code = static_cast<close_code>(c);
      reason = payload.subspan(2);
      // RFC 6455 §5.5.1: the reason is UTF-8 (§8.1 failure: 1007).
      const utf8::result u = utf8::validate(reason);
      if (u.status != utf8::status::valid)
        return fail_into(ev, ws::error::invalid_close_reason, at + 2 + u.error_offset);
    }
    close_received_ = true;
    peer_code_ = code;
    // RFC 6455 §5.5.1: reply with a close frame, "typically echoing the status code it
    // received" (an empty close gets an empty one).
    if (!close_sent_) write_close(code == close_code::no_status ? close_code::none : code, {});
    state_ = connection_state::closed;
    in_message_ = false;
    set_event(ev, event_type::close, reason, true, true, code);
    return true;
  }

  /// RFC 6455 §7.1.7 _Fail the WebSocket Connection_: send a close frame with the code for `e`
  /// (unless one was sent already), and stop. Sticky. Sets `ev` to the error event; returns true.
  bool fail_into(event& ev, ws::error e, std::size_t at) {
    fail_quietly(e, at);
    if (!close_sent_ && failure_.close != close_code::abnormal) write_close(failure_.close, {});
    set_event(ev, event_type::error, {}, false, false, failure_.close);
    return true;
  }

  void fail_quietly(ws::error e, std::size_t at) noexcept {
    failure_ = {{.code = make_error_code(e), .offset = at}, close_code_for(e)};
    state_ = connection_state::closed;
    input_ = {};
  }

  // -- sending -----------------------------------------------------------------------------------

  std::error_code can_send() const noexcept {
    if (close_sent_ || failure_) return make_error_code(ws::error::send_after_close);
    if (!writer_.can_write()) return make_error_code(ws::error::missing_key_source);
    return {};
  }

  std::error_code send_message(opcode op, bytes_view data) {
    if (const auto ec = can_send()) return ec;
    if (sending_message_) return make_error_code(ws::error::message_in_progress);
    if (codec_ && codec_->worth_compressing(data.size())) {
      // RFC 7692 §7.2.1: one sync-flushed DEFLATE block run, tail removed, RSV1 on frame one.
      z_out_.clear();
      if (codec_->compress(data, true, z_out_)) {
        writer_.write_fragmented(op, z_out_, true, rsv1);
        return {};
      }
    }
    writer_.write_fragmented(op, data, true);
    return {};
  }

  std::error_code send_control(opcode op, bytes_view payload) {
    if (const auto ec = can_send()) return ec;
    // RFC 6455 §5.5: control frame payloads are at most 125 bytes.
    if (payload.size() > max_control_payload) return make_error_code(ws::error::invalid_argument);
    write_frame_out(op, payload, true);
    return {};
  }

  void write_frame_out(opcode op, bytes_view payload, bool fin) { writer_.write(op, payload, fin); }

  void write_close(close_code code, std::string_view reason) {
    if (writer_.write_close(code, reason)) close_sent_ = true;
  }

  connection_options opts_;
  role role_;
  connection_state state_ = connection_state::open;
  frame_decoder decoder_;
  mutable_bytes_view input_{};
  std::size_t small_bound_;

  /// Payload bytes taken from the decoder per call after a frame's first piece: a text block is
  /// unmasked and validated in one pass (AVX-512; elsewhere two passes over a block still in
  /// L1, 48 KiB here) and the rest of the frame is not touched once the text is invalid.
  static constexpr std::size_t payload_block = 16 * 1024;
  /// The most bytes of a frame's first piece: the decoder unmasks it before the frame's kind is
  /// known, outside the fused pass, so it is kept short (bench/ws_frames.cpp,
  /// ws/decode_64KiB/text: 512 B-2 KiB measured alike, 16 KiB 25% slower). Pieces are joined
  /// again before the caller sees them.
  static constexpr std::size_t first_block = 1024;

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
  std::unique_ptr<compression> codec_;
  bool compressed_ = false;  // the message being received has RSV1
  detail::message_inflater inflater_;
  std::vector<std::byte> z_out_;  // a compressed message being sent
  bool sending_compressed_ = false;

  // A control frame that arrived in pieces.
  std::array<std::byte, max_control_payload> control_{};
  std::size_t control_size_ = 0;

  // Closing handshake.
  bool close_sent_ = false;
  bool close_received_ = false;
  close_code peer_code_ = close_code::none;
  connection_error failure_{};

  // Sending.
  bool sending_message_ = false;
  opcode sending_kind_ = opcode::text;
  detail::frame_writer writer_;

  // The copy of read-only input (feed(std::string_view)), unmasked in place.
  std::vector<std::byte> owned_input_;
};

}  // namespace rtwire::ws
