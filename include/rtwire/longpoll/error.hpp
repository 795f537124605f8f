// rtwire — long-poll queue errors (category "rtwire.longpoll").
//
// The queue's own failures: an unknown topic, a limit on waiters/sessions/topics, a slow
// consumer, a malformed multi-topic request. Cursor and message errors are the log's
// (rtwire::log::error in rtwire/core/log.hpp), defined once for SSE replay and long polling.
#pragma once

#include <array>
#include <system_error>

#include "rtwire/core/error.hpp"

namespace rtwire::longpoll {

/// Why a poll was rejected, a publish refused, a topic not created or a call misused; category
/// "rtwire.longpoll". The cursor and message errors the queue shares with its topics' logs are
/// log::error values, defined once in rtwire/core/log.hpp: log::error::malformed_cursor (a poll's
/// position text), log::error::message_too_large (publish) and log::error::same_epoch
/// (reset_topic). A reset's reason is a log::error (epoch_mismatch, cursor_too_old,
/// cursor_from_future) or error::slow_consumer.
enum class error {
  /// The topic id was not returned by add_topic() of this queue. Condition: api_misuse.
  unknown_topic = 1,
  /// options::max_waiters polls are already parked. Condition: limit_exceeded.
  too_many_waiters,
  /// duplicate_poll::reject_new: a poll of this session is already parked. Condition:
  /// protocol_violation (the client broke the one-poll-per-session rule).
  session_busy,
  /// duplicate_poll::allow_concurrent: options::max_session_waiters polls of this session are
  /// already parked. Condition: limit_exceeded.
  too_many_session_waiters,
  /// The session's backlog (bytes after its cursor) exceeds options::max_session_backlog_bytes.
  /// Reported as a reset (slow_consumer_policy::reset) or a rejection (::reject). Condition:
  /// limit_exceeded.
  slow_consumer,
  /// add_topic(): options::max_topics topics exist already. Condition: limit_exceeded.
  too_many_topics,
  /// A poll names more topics than options::max_poll_topics. Condition: limit_exceeded.
  too_many_poll_topics,
  /// A poll names the same topic twice. Condition: bad_input.
  duplicate_topic,
};

namespace detail {

struct error_desc {
  static constexpr const char* name = "rtwire.longpoll";
  static constexpr std::array<error_entry<error>, 8> entries{{
      {error::unknown_topic, "unknown topic id", condition::api_misuse},
      {error::too_many_waiters, "too many parked polls", condition::limit_exceeded},
      {error::session_busy, "a poll of this session is already parked",
       condition::protocol_violation},
      {error::too_many_session_waiters, "too many parked polls for this session",
       condition::limit_exceeded},
      {error::slow_consumer, "the session's backlog exceeds its limit", condition::limit_exceeded},
      {error::too_many_topics, "too many topics", condition::limit_exceeded},
      {error::too_many_poll_topics, "a poll names more topics than the queue allows",
       condition::limit_exceeded},
      {error::duplicate_topic, "a poll names the same topic twice", condition::bad_input},
  }};
};
static_assert(rtwire::detail::table_is_dense(error_desc::entries));

}  // namespace detail

/// The category of longpoll::error; its name() is "rtwire.longpoll".
inline const std::error_category& error_category() noexcept {
  return category_for<detail::error_desc>();
}

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace rtwire::longpoll

RTWIRE_REGISTER_ERROR_ENUM(rtwire::longpoll::error);
