// rtwire — the vocabulary of rtwire::ws::connection (rtwire/ws/connection.hpp): roles, delivery
// modes, closing states, limits, the masking-key source, options, and the events next() returns.
// Split from the state machine so that code which only configures connections or consumes their
// events (an application's dispatch, an extension) sees the types without the machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/ws/error.hpp"
#include "rtwire/ws/frame.hpp"

namespace rtwire::ws {

/// Which end of the connection this object is (RFC 6455 §5.1: clients mask, servers do not).
enum class role : std::uint8_t { client, server };

/// How text and binary messages are delivered to the caller.
enum class delivery : std::uint8_t {
  /// One event per message, with the whole payload (reassembled from fragments when needed, up to
  /// limits::max_buffered_bytes). frame_finished and message_finished are always true.
  whole_message,
  /// One event per piece of payload as it arrives, in place in the caller's buffer, never copied;
  /// frame_finished / message_finished mark the ends.
  streaming,
};

/// RFC 6455 §7 closing states, seen from this endpoint.
enum class connection_state : std::uint8_t {
  /// Data may flow both ways.
  open,
  /// We sent a close frame (close()) and wait for the peer's: no more sending, frames from the
  /// peer are still delivered (they may have been sent before it saw our close).
  closing,
  /// The closing handshake is complete, the connection failed, or the transport ended: drain
  /// output() and close the transport (RFC 6455 §7.1.1: the server closes TCP first).
  closed,
};

/// Limits on what the peer can make the connection accept or hold (DESIGN.md §1.6). The defaults
/// pass every case of Autobahn TestSuite section 9 (16 MiB messages, 4 MiB messages in 64-byte
/// fragments) while bounding memory per connection to max_buffered_bytes.
struct limits {
  /// Largest frame payload accepted; larger frames fail at their header with frame_too_big (1009).
  std::uint64_t max_frame_payload = 16u << 20;
  /// Largest message (sum of its frames); exceeding it fails with message_too_big (1009) as soon
  /// as a frame header announces it.
  std::uint64_t max_message_size = 16u << 20;
  /// Most data frames in one message; more fail with too_many_fragments (1008, a policy).
  std::size_t max_fragments = 1u << 17;
  /// Most bytes held to reassemble one message in delivery::whole_message mode; a message that
  /// would need more fails with buffer_limit (1009) at the frame header that announces it.
  /// (streaming mode buffers nothing but control payloads, at most 125 bytes.)
  std::size_t max_buffered_bytes = 16u << 20;
};

/// A caller-supplied source of masking keys (RFC 6455 §5.3: each key "MUST be derived from a
/// strong source of entropy", unpredictable per frame). Wraps a reference to any callable
/// returning masking_key; the callable must outlive every connection using it.
class key_source {
 public:
  key_source() = default;
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, key_source> &&
           std::is_invocable_r_v<masking_key, F&>) key_source(F& f)
  noexcept  // NOLINT(google-explicit-constructor): a view, like std::span
      : state_(static_cast<void*>(&f)),
        call_([](void* s) -> masking_key { return (*static_cast<F*>(s))(); }) {}

  explicit operator bool() const noexcept { return call_ != nullptr; }
  masking_key operator()() const { return call_(state_); }

 private:
  void* state_ = nullptr;
  masking_key (*call_)(void*) = nullptr;
};

struct connection_options {
  delivery mode = delivery::whole_message;
  limits limit{};
  /// RFC 6455 §5.5.2: answer every ping with a pong carrying the same payload (queued in
  /// output() while the connection is open). The ping event is delivered either way.
  bool auto_pong = true;
  /// When not 0, send_text/send_binary/send_fragment split payloads into frames of at most this
  /// many bytes (RFC 6455 §5.4 fragmentation).
  std::size_t fragment_size = 0;
  /// Masking keys for the client role (required there; unused by a server).
  key_source keys{};
};

/// What next() produced.
enum class event_type : std::uint8_t {
  /// All fed input is consumed: feed() more (after sending output()).
  need_more,
  /// A text message (whole_message mode), valid UTF-8; or a piece of one (streaming), valid so
  /// far: a piece may end, and the next begin, inside a code point.
  text,
  /// A binary message or a piece of one.
  binary,
  /// A ping with its payload (a pong is already queued when auto_pong is on).
  ping,
  /// A pong with its payload.
  pong,
  /// The peer's close frame, validated (code, reason). Our reply (echoing the code) is queued if
  /// we had not sent a close: the closing handshake is complete and the state is closed.
  close,
  /// The peer broke the protocol or a limit: failure() has the reason, offset and close code, and
  /// a close frame with `code` is queued. Sticky: every later next() returns it again.
  error,
};

struct event {
  event_type type = event_type::need_more;
  /// text/binary: the message or piece; ping/pong: the payload; close: the reason bytes.
  /// Points into the fed buffer (unmasked in place) or into the connection (a reassembled
  /// message, a control payload that arrived in pieces). Valid until the next call to next(),
  /// feed() or receive_eof(), and while the fed buffer is alive and unmodified.
  bytes_view data{};
  /// text/binary: this piece ends a frame / ends the message (always true in whole_message mode).
  bool frame_finished = false;
  bool message_finished = false;
  /// close: the peer's code (close_code::no_status for an empty close frame);
  /// error: the close code sent to the peer (close_code::abnormal when none could be).
  close_code code = close_code::none;

  std::string_view text() const noexcept { return as_chars(data); }
  /// close: the reason, valid UTF-8.
  std::string_view reason() const noexcept { return as_chars(data); }
};

/// The sticky failure of a connection: the rtwire::error_at every parser reports (what went
/// wrong; `offset` is the stream offset, bytes fed since the connection began, of the offending
/// byte) plus the close code the connection sent.
struct connection_error : error_at {
  close_code close = close_code::none;
};

}  // namespace rtwire::ws
