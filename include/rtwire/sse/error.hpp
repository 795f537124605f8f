// rtwire — Server-Sent Events errors (category "rtwire.sse").
//
// The WHATWG event-stream format has no invalid input: any byte sequence is a stream. The decoder
// fails only on a configured limit or on misuse of its API; the encoder fails when an event cannot
// be written without changing its meaning.
#pragma once

#include <array>
#include <system_error>
#include <type_traits>

#include "rtwire/core/error.hpp"

namespace rtwire::sse {

/// Every way the SSE decoder or encoder can fail.
enum class error {
  /// Decoder: a line (without its line ending) is longer than limits::max_line_bytes.
  /// Condition: limit_exceeded.
  line_too_long = 1,
  /// Decoder: an event's data (the lines joined with LF) is longer than
  /// limits::max_data_bytes. Condition: limit_exceeded.
  data_too_large,
  /// Decoder: feed() was called before next() had consumed the previous chunk (next() had not
  /// returned status::need_more). Recoverable: the chunk was not taken, the decoder is unchanged.
  /// Condition: api_misuse.
  feed_before_drained,
  /// Decoder: feed() was called after finish(). Recoverable (nothing changes). Condition:
  /// api_misuse.
  feed_after_finish,
  /// Encoder: the id contains CR or LF, which would end the `id` line early and inject fields.
  /// Condition: bad_input.
  id_has_line_break,
  /// Encoder: the id contains U+0000; WHATWG HTML §9.2.6 makes a receiver ignore such an `id`
  /// field, so it cannot be sent. Condition: bad_input.
  id_has_nul,
  /// Encoder: the event type contains CR or LF, which would end the `event` line early and inject
  /// fields. Condition: bad_input.
  event_type_has_line_break,
};

namespace detail {

struct error_desc {
  static constexpr const char* name = "rtwire.sse";
  static constexpr std::array<error_entry<error>, 7> entries{{
      {error::line_too_long, "SSE line longer than the configured maximum",
       condition::limit_exceeded},
      {error::data_too_large, "SSE event data longer than the configured maximum",
       condition::limit_exceeded},
      {error::feed_before_drained, "feed() called before next() consumed the previous chunk",
       condition::api_misuse},
      {error::feed_after_finish, "feed() called after finish()", condition::api_misuse},
      {error::id_has_line_break, "SSE id contains CR or LF", condition::bad_input},
      {error::id_has_nul, "SSE id contains U+0000 (receivers ignore such an id)",
       condition::bad_input},
      {error::event_type_has_line_break, "SSE event type contains CR or LF", condition::bad_input},
  }};
};
static_assert(rtwire::detail::table_is_dense(error_desc::entries));

}  // namespace detail

/// The category of sse::error; its name() is "rtwire.sse".
inline const std::error_category& error_category() noexcept {
  return category_for<detail::error_desc>();
}

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace rtwire::sse

RTWIRE_REGISTER_ERROR_ENUM(rtwire::sse::error);
