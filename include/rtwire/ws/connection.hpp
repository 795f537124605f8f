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
// caller supplies. Everything is bounded by `limits`. This class is the state machine (control
// frames, the closing handshake, failure); it owns its halves: ws/detail/message_assembler.hpp
// (data frames into messages) and ws/detail/frame_writer.hpp (everything sent).
#pragma once

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
#include "rtwire/ws/detail/message_assembler.hpp"
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
        small_bound_(detail::message_assembler::small_bound(opts)),
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
    if (state_ != connection_state::closed && !assembler_.in_message() &&
        !assembler_.holds_message()) {
      mutable_bytes_view payload;
      const std::size_t used = decoder_.small_frame(input_, small_bound_, payload);
      if (used != 0) {
        input_ = input_.subspan(used);
        const bool text = decoder_.header().op == opcode::text;
        // RFC 6455 §8.1: a text message must be UTF-8 (1007 otherwise); a short ASCII one is.
        if (text && !detail::short_ascii(payload) &&
            !detail::message_assembler::small_text_is_valid(payload, decoder_, ev, failer{this}))
          return ev;
        detail::set_event(ev, text ? event_type::text : event_type::binary, payload, true, true,
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
    return writer_.write_fragment(codec_.get(), kind, data, last);
  }

  /// Sends a message prepared once for many connections (rtwire/ws/prepared.hpp) by reference:
  /// its frame joins output() as a piece of its own, never copied (fragment_size: this
  /// connection's fragment headers, then references to the payload's slices). A frame of at most
  /// 256 bytes sent whole is copied into the connection's own bytes instead (cheaper than the
  /// reference; the message is not held). The bytes on the
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
    if (writer_.sending_message()) return make_error_code(ws::error::message_in_progress);
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
      // Context takeover (or another window): compressed against this connection's history,
      // as send_text() does.
      return writer_.write_message(codec_.get(), msg.kind(), data);
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
  bool receiving() const noexcept {
    return assembler_.in_message() || !decoder_.at_frame_boundary();
  }

  /// True when a per-message compression codec was given to the constructor.
  bool compressing() const noexcept { return codec_ != nullptr; }

 private:
  // -- receiving ---------------------------------------------------------------------------------

  /// next() for everything but its fast path: control frames, fragments, frames split across
  /// inputs or too long for the fast path, errors.
  [[gnu::noinline]] void next_slow(event& ev) noexcept {
    if (failure_) {
      detail::set_event(ev, event_type::error, {}, false, false, failure_.close);
      return;
    }
    assembler_.release();
    // A compressed piece still being inflated (streaming: its output came in several events).
    if (assembler_.inflating() &&
        assembler_.pump_inflate(decoder_, opts_, *codec_, ev, failer{this}))
      return;
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
      if (assembler_.data_frame(r, decoder_, input_, opts_, codec_, ev, failer{this})) return;
    }
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
        detail::set_event(ev, event_type::ping, payload, true, true, close_code::none);
        return true;
      case opcode::pong:
        detail::set_event(ev, event_type::pong, payload, true, true, close_code::none);
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
    assembler_.abandon();
    detail::set_event(ev, event_type::close, reason, true, true, code);
    return true;
  }

  /// RFC 6455 §7.1.7 _Fail the WebSocket Connection_: send a close frame with the code for `e`
  /// (unless one was sent already), and stop. Sticky. Sets `ev` to the error event; returns true.
  bool fail_into(event& ev, ws::error e, std::size_t at) {
    fail_quietly(e, at);
    if (!close_sent_ && failure_.close != close_code::abnormal) write_close(failure_.close, {});
    detail::set_event(ev, event_type::error, {}, false, false, failure_.close);
    return true;
  }

  /// fail_into() for the message assembler, which reports the peer's violations through it.
  struct failer {
    connection* self;
    bool operator()(event& ev, ws::error e, std::size_t at) const {
      return self->fail_into(ev, e, at);
    }
  };

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
    return writer_.write_message(codec_.get(), op, data);
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

  /// The most bytes of a frame's first piece: the decoder unmasks it before the frame's kind is
  /// known, outside the fused pass, so it is kept short (bench/ws_frames.cpp,
  /// ws/decode_64KiB/text: 512 B-2 KiB measured alike, 16 KiB 25% slower). Pieces are joined
  /// again before the caller sees them.
  static constexpr std::size_t first_block = 1024;

  // The message being received, and the negotiated per-message compression (RFC 7692), if any.
  detail::message_assembler assembler_;
  std::unique_ptr<compression> codec_;

  // A control frame that arrived in pieces.
  std::array<std::byte, max_control_payload> control_{};
  std::size_t control_size_ = 0;

  // Closing handshake.
  bool close_sent_ = false;
  bool close_received_ = false;
  close_code peer_code_ = close_code::none;
  connection_error failure_{};

  // Sending.
  detail::frame_writer writer_;

  // The copy of read-only input (feed(std::string_view)), unmasked in place.
  std::vector<std::byte> owned_input_;
};

}  // namespace rtwire::ws
