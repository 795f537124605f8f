// rtwire — what the SSE decoder (rtwire/sse/decoder.hpp) takes and reports: its limits and
// options, and the result of one step (status, event, retry). Include rtwire/sse/decoder.hpp to
// decode; this header holds only the types, so code that handles events need not see the parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rtwire::sse {

/// Bounds on what the decoder buffers. The WHATWG algorithm has none; a server that streams an
/// endless line must not make a client grow without bound.
struct limits {
  /// Longest line, in bytes as received (before UTF-8 decoding), without its line ending.
  std::size_t max_line_bytes = std::size_t{256} << 10;
  /// Longest event data, in bytes after UTF-8 decoding: the data lines joined with LF (the
  /// `data` an event would report).
  std::size_t max_data_bytes = std::size_t{1} << 20;
};

/// Construction options of a decoder.
struct decoder_options {
  limits limit{};
  /// The last event ID string to start with (copied). A new connection starts a new decoder that
  /// carries in the previous connection's last_event_id() (WHATWG HTML §9.2.3: the reconnection
  /// keeps the event source's last event ID string); events without an `id` report it.
  std::string_view last_event_id{};
};

/// What next() found.
enum class status {
  /// An event was dispatched: see result::event.
  event,
  /// A valid `retry` line set the reconnection time: see result::retry.
  retry,
  /// The chunk given to feed() is consumed: feed the next one (or call finish()).
  need_more,
  /// finish() was called and everything before it is consumed. Final.
  end,
  /// A limit was exceeded or the API was misused: see decoder::error(). Final (sticky).
  error,
};

/// A dispatched event (WHATWG HTML §9.2.6 "dispatch the event"). All views are valid until the
/// next call to next(), feed() or finish() on the decoder that returned them.
struct event {
  /// The event type: the last `event` field's value, or "message" when it was empty or absent.
  std::string_view type;
  /// The data lines joined with LF (valid UTF-8).
  std::string_view data;
  /// The last event ID string at dispatch: the event source's, not only this block's `id`.
  std::string_view last_event_id;
};

/// One step of the decoder.
struct result {
  sse::status status = sse::status::need_more;
  /// Valid when status == status::event.
  sse::event event{};
  /// The new reconnection time in milliseconds when status == status::retry. A value beyond 2^64-1
  /// is all digits, so it is valid; it saturates to 2^64-1.
  std::uint64_t retry = 0;
};

}  // namespace rtwire::sse
