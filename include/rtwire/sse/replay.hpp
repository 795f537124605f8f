// rtwire — Last-Event-ID resume for Server-Sent Events, on the message log (rtwire/core/log.hpp).
//
// Each logged message is sent as an SSE event whose `id` is its log cursor
// (`<epoch hex>-<offset>`), so a reconnecting EventSource sends back, in Last-Event-ID, exactly
// where it stopped. replay() turns that header into the bytes to send first:
// - no Last-Event-ID (a new client): an id-only block naming the current head, so that even a
//   client that receives nothing before its connection drops resumes from here, not from "now";
// - a resumable cursor: every missed message, in order, nothing else;
// - anything else (malformed, another epoch, older than retention, from the future): one named
//   reset event, whose `id` is the head and whose data names the reason. The client learns that
//   it missed an unknown amount and should reload its state; never a silent gap.
// Then the application streams live messages with write_message().
//
//   std::string out;
//   rtwire::sse::write_response_head(out);
//   auto r = rtwire::sse::replay(out, topic_log, rtwire::sse::last_event_id(request.headers));
//   send(out);   // then, for each new message m: write_message(out, m, topic_log.epoch())
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/log.hpp"
#include "rtwire/sse/encoder.hpp"

namespace rtwire::sse {

/// How replay() reports a reset.
struct replay_options {
  /// The event type of the reset event. The data is reset_reason() of the cause.
  std::string_view reset_event_type = "rtwire-reset";
};

/// The stable token replay() puts in a reset event's data for a log::error: "malformed",
/// "epoch_mismatch", "too_old" or "from_future" ("unknown" for anything else).
inline std::string_view reset_reason(std::error_code reset) noexcept {
  if (reset.category() != log::error_category()) return "unknown";
  switch (static_cast<log::error>(reset.value())) {
    case log::error::malformed_cursor:
      return "malformed";
    case log::error::epoch_mismatch:
      return "epoch_mismatch";
    case log::error::cursor_too_old:
      return "too_old";
    case log::error::cursor_from_future:
      return "from_future";
    default:
      return "unknown";
  }
}

/// Appends one logged message as an event: `id: <cursor {epoch, m.offset}>`, `event: <m.type>`
/// when the type is non-empty, and the payload as data. Returns {} or, writing nothing,
/// error::event_type_has_line_break when the stored type cannot be an SSE event type.
template <output_buffer B>
[[nodiscard]] std::error_code write_message(B& out, const log::message& m, std::uint64_t epoch) {
  std::array<char, log::max_cursor_chars> id{};
  const std::size_t n = log::format_cursor({epoch, m.offset}, id);
  outgoing_event ev;
  ev.id = std::string_view(id.data(), n);
  if (!m.type.empty()) ev.type = m.type;
  ev.data = m.payload;
  return write_event(out, ev);
}

/// What replay() did.
struct replay_result {
  /// The log's verdict on the client's cursor; `resume.reset` is empty when the client resumed
  /// (or was new) and holds the log::error that caused the reset event otherwise.
  log::resume_result resume;
  /// Whether the client sent a (non-empty) Last-Event-ID.
  bool had_cursor = false;
  /// Logged messages written (0 on a reset or for a new client).
  std::size_t replayed = 0;
  /// The first error write_message() returned (a stored type with a line break); replay stops
  /// there. Empty when everything was written.
  std::error_code write_error;
};

/// Appends what a client connecting with `last_event_id` (nullopt: the header was absent or
/// empty; see sse::last_event_id()) must receive before live messages, as described in the
/// header comment. Afterwards the client is positioned at `result.resume.head`: send every
/// message appended after that offset with write_message().
template <output_buffer B>
replay_result replay(B& out, const log::message_log& topic,
                     std::optional<std::string_view> last_event_id,
                     const replay_options& opts = {}) {
  replay_result r;
  std::array<char, log::max_cursor_chars> head{};
  if (!last_event_id) {
    r.resume.head = topic.head();
    r.resume.first = topic.last_offset() + 1;
    r.resume.last = topic.last_offset();
    const std::size_t n = log::format_cursor(r.resume.head, head);
    // WHATWG HTML §9.2.6: a blank line commits the id even though no event is dispatched.
    // A cursor's text never contains CR, LF or U+0000, so this cannot fail.
    r.write_error = write_event(out, outgoing_event{.id = std::string_view(head.data(), n)});
    return r;
  }
  r.had_cursor = true;
  r.resume = topic.resume(*last_event_id);
  if (!r.resume) {
    const std::size_t n = log::format_cursor(r.resume.head, head);
    outgoing_event ev;
    ev.id = std::string_view(head.data(), n);
    ev.type = opts.reset_event_type;
    ev.data = reset_reason(r.resume.reset);
    r.write_error = write_event(out, ev);
    return r;
  }
  for (const log::message& m : topic.range(r.resume.first, r.resume.last)) {
    if (const auto ec = write_message(out, m, topic.epoch())) {
      r.write_error = ec;
      break;
    }
    ++r.replayed;
  }
  return r;
}

}  // namespace rtwire::sse
