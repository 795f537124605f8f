// rtwire — the long-poll queue's vocabulary: options, topic and waiter ids, positions, batches,
// and what poll(), publish() and the completions report (rtwire/longpoll/queue.hpp uses them).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "rtwire/core/log.hpp"
#include "rtwire/longpoll/error.hpp"

namespace rtwire::longpoll {

// Cursors are the log's: `<epoch hex>-<offset decimal>`, one strict spelling, fuzzed.
using log::cursor;
using log::format_cursor;
using log::max_cursor_chars;
using log::millis;
using log::parse_cursor;

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// What a second poll of the same session does while one is parked.
enum class duplicate_poll {
  /// The older waiter completes at once with an empty batch (reason superseded, cursor
  /// unchanged) and the newer poll proceeds: zero loss, since the older one consumed nothing.
  supersede,
  /// The newer poll is rejected with error::session_busy; the older keeps waiting.
  reject_new,
  /// Both wait, up to options::max_session_waiters per session.
  allow_concurrent,
};

/// What happens to a session poll whose backlog exceeds options::max_session_backlog_bytes.
enum class slow_consumer_policy {
  /// A reset with reason error::slow_consumer and the head: the client skips the backlog and
  /// knows it did (an announced gap).
  reset,
  /// A rejection with error::slow_consumer: the application decides (e.g. disconnects).
  reject,
};

/// Queue-wide limits and policies. Defaults are sane for a chat-style service.
struct options {
  /// Most messages in one batch (at least 1 is always delivered). 0 counts as 1.
  std::size_t max_batch_messages = 100;
  /// Most payload bytes in one batch; a single larger message is still delivered, alone.
  std::size_t max_batch_bytes = std::size_t{1} << 20;
  /// Largest payload publish() accepts (each topic's retention::max_bytes applies as well).
  std::size_t max_message_bytes = std::size_t{1} << 20;
  /// Longest a poll may stay parked; longer (and negative) timeouts are clamped.
  millis max_timeout{60'000};
  /// Most polls parked at once, over all topics (at most 2^32 - 2).
  std::size_t max_waiters = 100'000;
  /// Most topics (add_topic() refuses more).
  std::size_t max_topics = 10'000;
  /// Most topics one poll may name (poll_request::topic plus poll_request::also); at most
  /// queue::max_poll_topics_limit. 0 counts as 1.
  std::size_t max_poll_topics = 16;
  /// duplicate_poll::allow_concurrent: most parked polls per session.
  std::size_t max_session_waiters = 4;
  /// Most bytes a session poll may be behind the head (payload bytes after its cursor); 0: no
  /// limit beyond the topic's retention, which already bounds every backlog.
  std::size_t max_session_backlog_bytes = 0;
  duplicate_poll on_duplicate = duplicate_poll::supersede;
  slow_consumer_policy on_slow_consumer = slow_consumer_policy::reset;
  /// Seeds the hash of session ids (which clients choose), so colliding ids cannot be
  /// precomputed; 0 derives a seed from the queue's heap address.
  std::uint64_t session_hash_seed = 0;
};

/// A topic of one queue, as returned by add_topic().
struct topic_id {
  std::uint32_t value = std::numeric_limits<std::uint32_t>::max();
  friend constexpr bool operator==(topic_id, topic_id) = default;
};

/// What add_topic() returns: the new topic's id, or `error` (error::too_many_topics). Reads like
/// an optional: `if (auto t = q.add_topic(epoch)) use(*t); else report(t.error);`.
struct add_topic_result {
  topic_id id{};
  std::error_code error{};
  explicit operator bool() const noexcept { return !error; }
  bool has_value() const noexcept { return !error; }
  constexpr const topic_id& operator*() const noexcept { return id; }
};

/// A parked poll, as returned by poll(); completions and cancel() name it. Ids are reused after
/// completion, but a generation makes a stale id match nothing.
struct waiter_id {
  std::uint32_t slot = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t generation = 0;
  friend constexpr bool operator==(waiter_id, waiter_id) = default;
};

/// Where a poll starts.
class position {
 public:
  enum class kind : std::uint8_t { after_cursor, oldest, newest, from_offset, malformed };

  /// After `c`: the client has every message up to c.offset of epoch c.epoch.
  static constexpr position after(cursor c) noexcept { return {kind::after_cursor, c}; }
  /// From the oldest retained message of the topic.
  static constexpr position oldest() noexcept { return {kind::oldest, {}}; }
  /// From the next message published: the client starts at the current head.
  static constexpr position newest() noexcept { return {kind::newest, {}}; }
  /// From offset `first` of the current epoch (the first message wanted; 0 counts as 1).
  /// Resolves to after({epoch, first - 1}), so an evicted or future offset resets.
  static constexpr position from_offset(std::uint64_t first) noexcept {
    return {kind::from_offset, {0, first == 0 ? 0 : first - 1}};
  }
  /// after(parse_cursor(text)); a text that does not parse gives a position that poll()
  /// rejects with log::error::malformed_cursor.
  static constexpr position from_text(std::string_view text) noexcept {
    if (const auto c = parse_cursor(text)) return after(*c);
    return {kind::malformed, {}};
  }

  constexpr kind type() const noexcept { return kind_; }
  /// The cursor of an after() position (the offset before the first wanted for from_offset()).
  constexpr cursor value() const noexcept { return cursor_; }

 private:
  constexpr position(kind k, cursor c) noexcept : kind_(k), cursor_(c) {}
  kind kind_;
  cursor cursor_;
};

// ---------------------------------------------------------------------------------------------
// Batches and outcomes
// ---------------------------------------------------------------------------------------------

/// Messages of one topic with contiguous offsets, in order, as reference-counted handles to the
/// stored payloads (valid for as long as the batch lives, whatever the queue does meanwhile).
/// One message is held inline (no allocation); more are held in a vector.
class batch {
 public:
  batch() noexcept = default;

  std::span<const log::message_ref> messages() const noexcept {
    if (size_ <= 1) return {&inline_, size_};
    return {many_.data(), many_.size()};
  }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  const log::message_ref* begin() const noexcept { return messages().data(); }
  const log::message_ref* end() const noexcept { return begin() + size_; }
  const log::message_ref& operator[](std::size_t i) const noexcept { return messages()[i]; }
  /// Payload bytes of all messages.
  std::size_t bytes() const noexcept { return bytes_; }

  /// Appends a message (its offset must follow the previous one's).
  void push_back(log::message_ref m) {
    bytes_ += m.payload().size();
    if (size_ == 0) {
      inline_ = std::move(m);
    } else {
      if (size_ == 1) many_.push_back(std::move(inline_));
      many_.push_back(std::move(m));
    }
    ++size_;
  }

 private:
  log::message_ref inline_;
  std::vector<log::message_ref> many_;
  std::size_t size_ = 0;
  std::size_t bytes_ = 0;
};

/// One more topic of a multi-topic poll, in poll_request::also.
struct topic_position {
  topic_id topic{};
  position from = position::newest();
};

/// One more topic's part of a multi-topic answer, in poll_result::also and completion::also.
struct topic_batch {
  topic_id topic{};
  /// The cursor to poll this topic with next (after `messages`, or the resolved, unchanged one).
  cursor next;
  /// Possibly empty: a multi-topic answer lists every polled topic.
  batch messages;
};

/// The four outcomes of poll().
enum class poll_status : std::uint8_t {
  /// `messages` holds at least one message after the cursor; `next` is the cursor of the last.
  ready,
  /// Nothing after the cursor yet: the poll waits as `waiter` until `deadline`; its answer comes
  /// as a completion from publish(), expire(), reset_topic() or a superseding poll().
  parked,
  /// The cursor cannot be honoured (`error`: log::error::epoch_mismatch, cursor_too_old,
  /// cursor_from_future, or error::slow_consumer); `next` is the head to resync from.
  reset,
  /// The poll is refused (`error`: a longpoll::error); nothing changed (but see `superseded`).
  rejected,
};

/// Why a parked waiter completed.
enum class completion_reason : std::uint8_t {
  /// A publish() made messages available: `messages` is non-empty.
  delivered,
  /// Its deadline passed (expire()): `messages` is empty and `next` is its unchanged cursor.
  timed_out,
  /// A newer poll of the same session replaced it: empty, cursor unchanged.
  superseded,
  /// The cursor can no longer be honoured (reset_topic(), or retention dropped the message
  /// before delivery): `reset` says why and `next` is the head to resync from.
  reset,
};

/// The answer to one parked poll. Like poll_result, it describes `topic` in `next`/`messages`
/// and, for a multi-topic poll that did not reset, every other polled topic in `also`.
struct completion {
  waiter_id waiter;
  /// The token given to poll() (e.g. the connection it answers).
  std::uint64_t token = 0;
  /// reset: the topic that could not be honoured; otherwise the poll's first topic.
  topic_id topic{};
  completion_reason reason = completion_reason::delivered;
  /// Set when reason == reset: a log::error.
  std::error_code reset;
  /// The cursor to poll `topic` with next (the last delivered message's, the unchanged one, or
  /// the head after a reset).
  cursor next;
  batch messages;
  /// Multi-topic polls, unless reset: the other topics in request order (a delivery's messages
  /// are in the entry of the topic that published; every other entry is empty and unchanged).
  std::vector<topic_batch> also;
};

/// What poll() did. `next` and `messages` describe `topic`; a multi-topic poll that is ready or
/// parked describes each other topic in `also`, in request order.
struct poll_result {
  poll_status status = poll_status::rejected;
  /// Why the poll was reset or rejected; empty otherwise.
  std::error_code error;
  /// reset, or rejected with error::slow_consumer: the (first, in request order) topic that
  /// could not be served; otherwise the poll's first topic.
  topic_id topic{};
  /// ready: the last message's cursor; parked: the resolved cursor it waits after; reset: the
  /// head; rejected: {}.
  cursor next;
  /// ready: the messages (possibly empty in a multi-topic poll, if another topic has some).
  batch messages;
  /// Multi-topic polls, ready or parked: one entry per poll_request::also topic, in order
  /// (ready: its batch, within the batch limits, and next cursor; parked: its resolved cursor).
  /// Empty for single-topic polls and for resets.
  std::vector<topic_batch> also;
  /// parked: the waiter and its deadline (now + timeout, capped by options::max_timeout).
  waiter_id waiter;
  millis deadline{0};
  /// duplicate_poll::supersede: the older waiter of the same session, completed by this call
  /// (deliver it to its connection). Set whatever this poll's own status.
  std::optional<completion> superseded;
};

/// A poll's parameters: one topic, or several at once (`topic` first, then `also`). A
/// multi-topic poll is ready when any of its topics has messages after its cursor (each topic's
/// batch is bounded by the batch limits on its own) and parks on all of them otherwise; the
/// first publish to any of them answers it.
struct poll_request {
  topic_id topic{};
  position from = position::newest();
  /// More topics, each with its own position (distinct, at most options::max_poll_topics in all).
  std::span<const topic_position> also{};
  /// Returned in this poll's completion (the caller's handle for the connection).
  std::uint64_t token = 0;
  /// The client's session, if it has one: applies options::on_duplicate and the backlog limit.
  std::optional<std::uint64_t> session{};
  /// How long to park if nothing is ready (clamped to [0, options::max_timeout]). Zero parks
  /// with deadline `now`: the next expire(now) answers it empty.
  millis timeout{30'000};
};

/// What publish() did. Converts to true on success.
struct publish_result {
  /// Empty, error::message_too_large or error::unknown_topic (nothing published).
  std::error_code error;
  /// The new message's cursor.
  cursor at;
  /// Messages retention evicted during this call.
  std::size_t evicted = 0;
  /// Waiters completed by this call (appended to the caller's vector).
  std::size_t woken = 0;
  explicit operator bool() const noexcept { return !error; }
};

}  // namespace rtwire::longpoll
