// rtwire — the message log's errors (category "rtwire.log"): why a cursor cannot be resumed
// or an append was refused. The long-poll queue reports these same codes.
//
//   std::error_code ec = rtwire::log::error::cursor_too_old;
//   bool limit = ec == rtwire::condition::limit_exceeded;
#pragma once

#include <array>
#include <system_error>

#include "rtwire/core/error.hpp"

namespace rtwire::log {

/// Why a cursor cannot be resumed, or an append was refused; category "rtwire.log". These are
/// also the long-poll queue's cursor and message errors (one definition for every user of the
/// log: rtwire/longpoll/queue.hpp reports them as they are).
enum class error {
  /// The cursor text is not `<epoch hex>-<offset decimal>` in its one strict form (see
  /// parse_cursor()). Condition: bad_input.
  malformed_cursor = 1,
  /// The cursor belongs to another epoch: the history it points into is gone (the application
  /// called reset(), e.g. after a restart). Condition: bad_input.
  epoch_mismatch,
  /// The cursor is older than the oldest retained message: retention dropped messages the client
  /// has not seen. Condition: limit_exceeded.
  cursor_too_old,
  /// The cursor points past the newest message of this epoch: no such message was ever
  /// appended. Condition: bad_input.
  cursor_from_future,
  /// The message alone is larger than retention::max_bytes (or, in a long-poll queue, than
  /// options::max_message_bytes); nothing was appended. Condition: limit_exceeded.
  message_too_large,
  /// reset() (or longpoll::queue::reset_topic()) was called with the current epoch: old cursors
  /// would silently point into the new history. Condition: api_misuse.
  same_epoch,
  /// append_at() was given an offset past last_offset() + 1: a mirror of a shared log missed
  /// messages. Nothing was appended; call restart_at() to continue past the gap. Condition:
  /// bad_input.
  offset_gap,
  /// append_at() was given an offset at or below last_offset(), or restart_at() a position behind
  /// the head of the same epoch: the log never renumbers. Condition: bad_input.
  offset_repeated,
};

namespace detail {

struct error_desc {
  static constexpr const char* name = "rtwire.log";
  static constexpr std::array<error_entry<error>, 8> entries{{
      {error::malformed_cursor, "malformed cursor (expected <epoch hex>-<offset decimal>)",
       condition::bad_input},
      {error::epoch_mismatch, "cursor is from another epoch of the log", condition::bad_input},
      {error::cursor_too_old, "cursor is older than the oldest retained message",
       condition::limit_exceeded},
      {error::cursor_from_future, "cursor is past the newest message of the log",
       condition::bad_input},
      {error::message_too_large,
       "message is larger than the configured maximum (byte retention or message limit)",
       condition::limit_exceeded},
      {error::same_epoch, "a reset needs an epoch different from the current one",
       condition::api_misuse},
      {error::offset_gap, "the offset is past the next offset of the log (messages are missing)",
       condition::bad_input},
      {error::offset_repeated, "the offset is not after the newest offset of the log",
       condition::bad_input},
  }};
};
static_assert(rtwire::detail::table_is_dense(error_desc::entries));

}  // namespace detail

/// The category of log::error; its name() is "rtwire.log".
inline const std::error_category& error_category() noexcept {
  return category_for<detail::error_desc>();
}

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace rtwire::log

RTWIRE_REGISTER_ERROR_ENUM(rtwire::log::error);
