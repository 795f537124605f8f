// rtwire — the long-poll queue: parked polls, deadlines, cursors and retention on core/log.
//
// A sans-IO message queue for long polling that never loses or duplicates a message. Topics are
// message logs (rtwire/core/log.hpp: append-only, contiguous 64-bit offsets, an epoch, bounded
// retention); a client's cursor names the last message it has. poll() answers at once with the
// messages after the cursor, parks the poll until a publish() or its deadline, or tells the
// client to resync (reset) — never a silent gap, never a partial batch that looks complete.
//
//   rtwire::longpoll::queue q;
//   auto t = *q.add_topic(/*epoch=*/boot_id);
//   auto r = q.poll({.topic = t, .from = position::from_text(cursor_text), .token = conn_id,
//                    .timeout = 25s}, now);
//   switch (r.status) {
//     case poll_status::ready:    answer(r.messages, r.next); break;
//     case poll_status::parked:   remember(r.waiter); break;        // wait for a completion
//     case poll_status::reset:    answer_409(r.next /* head */); break;
//     case poll_status::rejected: answer_4xx(r.error); break;
//   }
//   q.publish(t, body, now, completions);   // each completion answers one parked poll
//   q.expire(now, completions);             // when now >= *q.next_deadline()
//   q.cancel(r.waiter);                     // the connection went away
//
// Model and guarantees:
// - A parked waiter always sits at its topic's head (otherwise it would have been ready), so a
//   publish() wakes every waiter of the topic, in the order they parked, each with a batch that
//   starts right after its cursor. The batch references the stored payloads (message_ref: one
//   atomic increment per message per waiter, no payload copy) and stays valid after retention
//   evicts the messages.
// - A completion happens exactly once per parked waiter: delivered (a batch), timed out
//   (expire()), superseded (a newer poll of the same session), or reset (the topic's epoch
//   changed, or retention dropped the message before it could be delivered). cancel() completes
//   nothing and consumes nothing: the client's cursor has not moved, so its next poll gets the
//   same messages.
// - Time only moves through the `now` arguments; a `now` smaller than one seen before counts as
//   equal to it.
//
// Complexity: poll() O(1) plus the batch size (plus O(log w) to park among w waiters);
// publish() O(1) amortised plus O(1) per woken waiter; cancel() O(1); expire() O(log w) per
// completed waiter plus O(topics) for age retention; next_deadline() O(topics) plus amortised
// O(log w).
//
// Memory: everything the queue owns goes through one counting allocator, so memory_usage() is
// exact (bytes requested from the allocator, not counting its own bookkeeping). Bounds: topics
// (max_topics), messages (each topic's log::retention), waiters (max_waiters), sessions (only
// sessions with a parked waiter exist, so at most max_waiters).
//
// Thread safety: a queue is a plain value, not synchronised. Batches (message_ref handles) may
// be copied and destroyed on any thread.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rtwire/core/error.hpp"
#include "rtwire/core/log.hpp"

namespace rtwire::longpoll {

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Why a poll was rejected, a publish refused or a call misused; category "rtwire.longpoll".
/// (A reset's reason is a log::error — epoch_mismatch, cursor_too_old, cursor_from_future — or
/// error::slow_consumer.)
enum class error {
  /// The cursor text is not the one strict form `<epoch hex>-<offset decimal>` (see
  /// log::parse_cursor()). Condition: bad_input.
  malformed_cursor = 1,
  /// The topic id was not returned by add_topic() of this queue. Condition: api_misuse.
  unknown_topic,
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
  /// The message is larger than options::max_message_bytes or the topic's byte retention;
  /// nothing was published. Condition: limit_exceeded.
  message_too_large,
  /// options::max_topics topics exist already. Condition: limit_exceeded.
  too_many_topics,
  /// reset_topic() was called with the topic's current epoch. Condition: api_misuse.
  same_epoch,
};

namespace detail {

struct error_desc {
  static constexpr const char* name = "rtwire.longpoll";
  static constexpr std::array<error_entry<error>, 9> entries{{
      {error::malformed_cursor, "malformed cursor (expected <epoch hex>-<offset decimal>)",
       condition::bad_input},
      {error::unknown_topic, "unknown topic id", condition::api_misuse},
      {error::too_many_waiters, "too many parked polls", condition::limit_exceeded},
      {error::session_busy, "a poll of this session is already parked",
       condition::protocol_violation},
      {error::too_many_session_waiters, "too many parked polls for this session",
       condition::limit_exceeded},
      {error::slow_consumer, "the session's backlog exceeds its limit", condition::limit_exceeded},
      {error::message_too_large, "message is larger than the queue accepts",
       condition::limit_exceeded},
      {error::too_many_topics, "too many topics", condition::limit_exceeded},
      {error::same_epoch, "reset_topic() needs an epoch different from the current one",
       condition::api_misuse},
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

template <>
struct std::is_error_code_enum<rtwire::longpoll::error> : std::true_type {};

namespace rtwire {
template <>
inline constexpr bool is_error_enum_v<longpoll::error> = true;
}  // namespace rtwire

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
  /// duplicate_poll::allow_concurrent: most parked polls per session.
  std::size_t max_session_waiters = 4;
  /// Most bytes a session poll may be behind the head (payload bytes after its cursor); 0: no
  /// limit beyond the topic's retention, which already bounds every backlog.
  std::size_t max_session_backlog_bytes = 0;
  duplicate_poll on_duplicate = duplicate_poll::supersede;
  slow_consumer_policy on_slow_consumer = slow_consumer_policy::reset;
};

/// A topic of one queue, as returned by add_topic().
struct topic_id {
  std::uint32_t value = std::numeric_limits<std::uint32_t>::max();
  friend constexpr bool operator==(topic_id, topic_id) = default;
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
  /// rejects with error::malformed_cursor.
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

/// The answer to one parked poll.
struct completion {
  waiter_id waiter;
  /// The token given to poll() (e.g. the connection it answers).
  std::uint64_t token = 0;
  topic_id topic{};
  completion_reason reason = completion_reason::delivered;
  /// Set when reason == reset: a log::error.
  std::error_code reset;
  /// The cursor to poll with next (the last delivered message's, the unchanged one, or the head
  /// after a reset).
  cursor next;
  batch messages;
};

/// What poll() did.
struct poll_result {
  poll_status status = poll_status::rejected;
  /// Why the poll was reset or rejected; empty otherwise.
  std::error_code error;
  /// ready: the last message's cursor; parked: the resolved cursor it waits after; reset: the
  /// head; rejected: {}.
  cursor next;
  /// ready: the messages.
  batch messages;
  /// parked: the waiter and its deadline (now + timeout, capped by options::max_timeout).
  waiter_id waiter;
  millis deadline{0};
  /// duplicate_poll::supersede: the older waiter of the same session, completed by this call
  /// (deliver it to its connection). Set whatever this poll's own status.
  std::optional<completion> superseded;
};

/// A poll's parameters.
struct poll_request {
  topic_id topic{};
  position from = position::newest();
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

namespace detail {

/// Counts every byte the queue's containers request, so memory_usage() is exact.
template <class T>
struct counting_allocator {
  using value_type = T;
  std::size_t* counter;

  // Containers swap and move-assign their allocator with their storage, so a byte is always
  // returned to the counter it was taken from.
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;

  explicit counting_allocator(std::size_t* c) noexcept : counter(c) {}
  template <class U>
  counting_allocator(const counting_allocator<U>& o) noexcept : counter(o.counter) {}

  T* allocate(std::size_t n) {
    *counter += n * sizeof(T);
    return std::allocator<T>{}.allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    *counter -= n * sizeof(T);
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  friend bool operator==(const counting_allocator& a, const counting_allocator<U>& b) noexcept {
    return a.counter == b.counter;
  }
};

template <class T>
using counted_vector = std::vector<T, counting_allocator<T>>;

/// Cumulative payload bytes per retained offset, mirroring a topic's log, so a session's backlog
/// (bytes after its cursor) is O(1). A ring: entry i holds the running total through offset
/// first + i; `base` is the total through first - 1.
class byte_ring {
 public:
  explicit byte_ring(std::size_t* counter) : ring_(counting_allocator<std::uint64_t>(counter)) {}

  void push(std::uint64_t bytes) {
    if (size_ == ring_.size()) grow();
    total_ += bytes;
    ring_[(head_ + size_) & (ring_.size() - 1)] = total_;
    ++size_;
  }
  void pop(std::size_t n) noexcept {
    for (; n != 0 && size_ != 0; --n) {
      base_ = ring_[head_];
      head_ = (head_ + 1) & (ring_.size() - 1);
      --size_;
    }
  }
  void clear() noexcept {
    head_ = size_ = 0;
    base_ = total_ = 0;
  }
  /// Bytes after retained index `i - 1` (i == 0: after the last evicted message).
  std::uint64_t after(std::size_t i) const noexcept {
    return total_ - (i == 0 ? base_ : ring_[(head_ + i - 1) & (ring_.size() - 1)]);
  }

 private:
  void grow() {
    const std::size_t cap = ring_.empty() ? 16 : ring_.size() * 2;
    counted_vector<std::uint64_t> fresh(cap, ring_.get_allocator());
    for (std::size_t i = 0; i < size_; ++i)
      fresh[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    ring_.swap(fresh);
    head_ = 0;
  }
  counted_vector<std::uint64_t> ring_;
  std::size_t head_ = 0, size_ = 0;
  std::uint64_t base_ = 0, total_ = 0;
};

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// The queue
// ---------------------------------------------------------------------------------------------

/// Topics, their parked polls and deadlines. Move-only.
class queue {
  static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

  struct topic_state {
    topic_state(std::uint64_t epoch, log::retention keep, std::size_t* counter)
        : log(epoch, keep), cum(counter) {}
    log::message_log log;
    detail::byte_ring cum;
    std::uint32_t first = none, last = none;  // parked waiters, in park order
    std::size_t waiters = 0;
  };

  struct waiter_slot {
    std::uint64_t token = 0;
    std::uint64_t after = 0;  // cursor offset (epoch: the topic's current one)
    std::uint64_t seq = 0;    // park order
    std::uint64_t session = 0;
    std::uint32_t topic = 0;
    std::uint32_t prev = none, next = none;  // topic list while parked; next = free list
    std::uint32_t generation = 0;
    bool parked = false;
    bool has_session = false;
  };

  struct heap_entry {
    millis::rep deadline;
    std::uint32_t slot;
    std::uint32_t generation;
  };

  struct session_state {
    std::uint32_t parked = 0;
    std::uint32_t newest = none;  // the newest parked waiter's slot
  };

  using session_map =
      std::unordered_map<std::uint64_t, session_state, std::hash<std::uint64_t>, std::equal_to<>,
                         detail::counting_allocator<std::pair<const std::uint64_t, session_state>>>;

 public:
  explicit queue(options opts = {})
      : counter_(std::make_unique<std::size_t>(0)),
        opts_(opts),
        topics_(detail::counting_allocator<topic_state>(counter_.get())),
        slots_(detail::counting_allocator<waiter_slot>(counter_.get())),
        heap_(detail::counting_allocator<heap_entry>(counter_.get())),
        sessions_(0, std::hash<std::uint64_t>{}, std::equal_to<>{},
                  detail::counting_allocator<std::pair<const std::uint64_t, session_state>>(
                      counter_.get())) {
    if (opts_.max_batch_messages == 0) opts_.max_batch_messages = 1;
    opts_.max_waiters = std::min<std::size_t>(opts_.max_waiters, none - 1);
    if (opts_.max_timeout.count() < 0) opts_.max_timeout = millis{0};
  }
  /// A moved-from queue may only be destroyed or assigned to.
  queue(queue&&) noexcept = default;
  queue& operator=(queue&& o) noexcept {
    queue tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  queue(const queue&) = delete;
  queue& operator=(const queue&) = delete;

  const options& config() const noexcept { return opts_; }

  // -- Topics ----------------------------------------------------------------------------------

  /// Adds a topic whose log starts empty in epoch `epoch` (e.g. a boot id: see log::message_log)
  /// with retention `keep`. Returns its id, or error::too_many_topics.
  [[nodiscard]] std::optional<topic_id> add_topic(std::uint64_t epoch, log::retention keep = {}) {
    if (topics_.size() >= opts_.max_topics) return std::nullopt;
    topics_.emplace_back(epoch, keep, counter_.get());
    return topic_id{static_cast<std::uint32_t>(topics_.size() - 1)};
  }

  std::size_t topic_count() const noexcept { return topics_.size(); }

  /// Reserves room for `waiters` parked polls (waiter slots and deadline entries, capped by
  /// options::max_waiters), so parking up to that many never reallocates and memory_usage()
  /// holds no growth slack. Sessions are allocated as they appear.
  void reserve_waiters(std::size_t waiters) {
    waiters = std::min(waiters, opts_.max_waiters);
    slots_.reserve(waiters);
    heap_.reserve(waiters + 64);
  }

  /// The topic's log (read-only: publish through the queue so waiters wake). nullptr for an
  /// unknown id.
  const log::message_log* topic_log(topic_id t) const noexcept {
    return t.value < topics_.size() ? &topics_[t.value].log : nullptr;
  }

  /// The head cursor of a topic ({} for an unknown id).
  cursor head(topic_id t) const noexcept {
    return t.value < topics_.size() ? topics_[t.value].log.head() : cursor{};
  }

  /// Starts epoch `new_epoch` of a topic: its history is dropped and every waiter parked on it
  /// completes (appended to `out`, in park order) with reason reset, log::error::epoch_mismatch
  /// and the new head. Returns error::unknown_topic or error::same_epoch (nothing changes).
  std::error_code reset_topic(topic_id t, std::uint64_t new_epoch, std::vector<completion>& out) {
    if (t.value >= topics_.size()) return error::unknown_topic;
    topic_state& ts = topics_[t.value];
    if (ts.log.reset(new_epoch)) return error::same_epoch;
    ts.cum.clear();
    while (ts.first != none) {
      const std::uint32_t s = ts.first;
      out.push_back(make_completion(s, completion_reason::reset));
      out.back().reset = log::error::epoch_mismatch;
      out.back().next = ts.log.head();
      release(s);
    }
    return {};
  }

  // -- Publishing ------------------------------------------------------------------------------

  /// Appends `payload` to the topic (copied once into the log) and applies retention against
  /// `now`. Every waiter parked on the topic completes, appended to `out` in the order they
  /// parked: reason delivered with a batch starting right after its cursor (the new message);
  /// or, if retention evicted it at once (max_messages 0), reason reset (cursor_too_old).
  /// Outcomes: success with the message's cursor; error::unknown_topic; error::message_too_large
  /// (larger than options::max_message_bytes or the topic's retention::max_bytes) — nothing
  /// appended, nobody woken.
  publish_result publish(topic_id t, std::string_view payload, millis now,
                         std::vector<completion>& out) {
    publish_result r;
    now = advance(now);
    if (t.value >= topics_.size()) {
      r.error = error::unknown_topic;
      return r;
    }
    if (payload.size() > opts_.max_message_bytes) {
      r.error = error::message_too_large;
      return r;
    }
    topic_state& ts = topics_[t.value];
    const auto a = ts.log.append(payload, now);
    if (!a) {
      r.error = error::message_too_large;
      return r;
    }
    ts.cum.push(payload.size());
    ts.cum.pop(a.evicted);
    r.at = {ts.log.epoch(), a.offset};
    r.evicted = a.evicted;
    r.woken = ts.waiters;
    if (ts.first == none) return r;
    out.reserve(out.size() + ts.waiters);
    // Every parked waiter is at the previous head, so they share one batch: build it once and
    // copy it (an atomic increment per message).
    std::optional<batch> shared;
    std::uint64_t shared_after = 0;
    while (ts.first != none) {
      const std::uint32_t s = ts.first;
      const std::uint64_t after = slots_[s].after;
      out.push_back(make_completion(s, completion_reason::delivered));
      completion& c = out.back();
      const auto res = ts.log.resume(cursor{ts.log.epoch(), after});
      if (!res || res.count() == 0) {
        // Retention dropped the new message already: announce the gap.
        c.reason = completion_reason::reset;
        c.reset = res ? std::error_code(log::error::cursor_too_old) : res.reset;
        c.next = ts.log.head();
      } else {
        if (!shared || shared_after != after) {
          shared.emplace();
          shared_after = after;
          c.next = fill(ts, after, *shared);
        } else {
          c.next = {ts.log.epoch(), after + shared->size()};
        }
        c.messages = *shared;
      }
      release(s);
    }
    return r;
  }

  // -- Polling ---------------------------------------------------------------------------------

  /// Answers a poll, or parks it. Checks, in order:
  /// 1. unknown topic -> rejected (error::unknown_topic); malformed position -> rejected
  ///    (error::malformed_cursor).
  /// 2. session policy, when `req.session` is set and a poll of it is parked: supersede (the
  ///    older completes empty, returned in `superseded`), reject_new -> rejected
  ///    (error::session_busy), allow_concurrent -> rejected (too_many_session_waiters) when full.
  /// 3. the cursor against the topic's log: another epoch, older than retention, or past the
  ///    head -> reset (the log::error) with the head in `next`.
  /// 4. session backlog above options::max_session_backlog_bytes -> reset or rejected with
  ///    error::slow_consumer (slow_consumer_policy).
  /// 5. messages after the cursor -> ready: the next ones in order, at most max_batch_messages
  ///    and max_batch_bytes (but always at least one), and `next` = the last one's cursor.
  /// 6. otherwise parked (or rejected with error::too_many_waiters) until
  ///    now + min(timeout, max_timeout).
  poll_result poll(const poll_request& req, millis now) {
    poll_result r;
    now = advance(now);
    if (req.topic.value >= topics_.size()) return reject(r, error::unknown_topic);
    if (req.from.type() == position::kind::malformed) return reject(r, error::malformed_cursor);
    topic_state& ts = topics_[req.topic.value];

    session_state* session = nullptr;
    if (req.session) {
      const auto it = sessions_.find(*req.session);
      if (it != sessions_.end()) {
        switch (opts_.on_duplicate) {
          case duplicate_poll::supersede: {
            const std::uint32_t old = it->second.newest;
            r.superseded = make_completion(old, completion_reason::superseded);
            r.superseded->next = {topics_[slots_[old].topic].log.epoch(), slots_[old].after};
            release(old);  // erases the session entry (it had one parked waiter)
            break;
          }
          case duplicate_poll::reject_new:
            return reject(r, error::session_busy);
          case duplicate_poll::allow_concurrent:
            if (it->second.parked >= opts_.max_session_waiters)
              return reject(r, error::too_many_session_waiters);
            session = &it->second;
            break;
        }
      }
    }

    cursor c;
    switch (req.from.type()) {
      case position::kind::oldest:
        c = {ts.log.epoch(), ts.log.first_offset() - 1};
        break;
      case position::kind::newest:
        c = ts.log.head();
        break;
      case position::kind::from_offset:
        c = {ts.log.epoch(), req.from.value().offset};
        break;
      default:
        c = req.from.value();
        break;
    }
    const auto res = ts.log.resume(c);
    if (!res) {
      r.status = poll_status::reset;
      r.error = res.reset;
      r.next = res.head;
      return r;
    }
    if (req.session && opts_.max_session_backlog_bytes != 0 &&
        ts.cum.after(static_cast<std::size_t>(c.offset + 1 - ts.log.first_offset())) >
            opts_.max_session_backlog_bytes) {
      if (opts_.on_slow_consumer == slow_consumer_policy::reject)
        return reject(r, error::slow_consumer);
      r.status = poll_status::reset;
      r.error = error::slow_consumer;
      r.next = ts.log.head();
      return r;
    }
    if (res.count() != 0) {
      r.status = poll_status::ready;
      r.next = fill(ts, c.offset, r.messages);
      return r;
    }
    if (parked_ >= opts_.max_waiters) return reject(r, error::too_many_waiters);

    // Park.
    const millis timeout = std::clamp(req.timeout, millis{0}, opts_.max_timeout);
    const std::uint32_t s = allocate_slot();
    waiter_slot& w = slots_[s];
    w.token = req.token;
    w.after = c.offset;
    w.seq = ++seq_;
    const millis deadline = now + timeout;
    w.topic = req.topic.value;
    w.parked = true;
    w.has_session = req.session.has_value();
    w.session = req.session.value_or(0);
    // Append to the topic's list (park order).
    w.prev = ts.last;
    w.next = none;
    if (ts.last != none) {
      slots_[ts.last].next = s;
    } else {
      ts.first = s;
    }
    ts.last = s;
    ++ts.waiters;
    ++parked_;
    if (req.session) {
      if (!session) session = &sessions_[*req.session];
      ++session->parked;
      session->newest = s;
    }
    push_heap({deadline.count(), s, w.generation});
    r.status = poll_status::parked;
    r.next = c;
    r.waiter = {s, w.generation};
    r.deadline = deadline;
    return r;
  }

  // -- Cancelling and timeouts -----------------------------------------------------------------

  /// Forgets a parked poll whose connection went away. No completion is produced and no message
  /// is consumed. Returns false if `w` is not parked (already completed, cancelled, or never
  /// returned by this queue).
  bool cancel(waiter_id w) noexcept {
    if (!is_parked(w)) return false;
    release(w.slot);
    return true;
  }

  /// True while `w` is parked.
  bool is_parked(waiter_id w) const noexcept {
    return w.slot < slots_.size() && slots_[w.slot].parked &&
           slots_[w.slot].generation == w.generation;
  }

  /// Completes every waiter whose deadline is <= now (appended to `out` in deadline order, ties
  /// in park order) with reason timed_out, an empty batch and its unchanged cursor; then applies
  /// every topic's age retention. Returns how many waiters completed. Waiters with a later
  /// deadline are untouched.
  std::size_t expire(millis now, std::vector<completion>& out) {
    now = advance(now);
    // The heap yields equal deadlines in no particular order: collect the due waiters, then
    // complete them by (deadline, park order).
    struct due {
      millis::rep deadline;
      std::uint64_t seq;
      std::uint32_t slot;
    };
    std::vector<due> ready;
    while (!heap_.empty() && heap_.front().deadline <= now.count()) {
      const heap_entry e = pop_heap();
      if (live(e)) ready.push_back({e.deadline, slots_[e.slot].seq, e.slot});
    }
    std::sort(ready.begin(), ready.end(), [](const due& a, const due& b) {
      return a.deadline != b.deadline ? a.deadline < b.deadline : a.seq < b.seq;
    });
    out.reserve(out.size() + ready.size());
    for (const due& d : ready) {
      out.push_back(make_completion(d.slot, completion_reason::timed_out));
      out.back().next = {topics_[slots_[d.slot].topic].log.epoch(), slots_[d.slot].after};
      release(d.slot);
    }
    for (topic_state& ts : topics_)
      ts.cum.pop(ts.log.trim(now));
    return ready.size();
  }

  /// When expire() has something to do next: the earliest parked deadline or the earliest time
  /// a message exceeds its topic's max_age; nullopt when neither exists. Discards stale
  /// bookkeeping of completed waiters on the way (hence non-const).
  std::optional<millis> next_deadline() {
    while (!heap_.empty() && !live(heap_.front()))
      pop_heap();
    std::optional<millis> best;
    if (!heap_.empty()) best = millis{heap_.front().deadline};
    for (const topic_state& ts : topics_) {
      const auto age = ts.log.retention_bounds().max_age;
      if (age.count() <= 0 || ts.log.empty()) continue;
      // log: evicted once now - time > max_age.
      const millis due = ts.log.find(ts.log.first_offset())->time + age + millis{1};
      if (!best || due < *best) best = due;
    }
    return best;
  }

  // -- Introspection ---------------------------------------------------------------------------

  /// Polls parked now (over all topics).
  std::size_t waiters() const noexcept { return parked_; }
  /// Polls parked on topic `t` (0 for an unknown id).
  std::size_t waiters(topic_id t) const noexcept {
    return t.value < topics_.size() ? topics_[t.value].waiters : 0;
  }
  /// Sessions with at least one parked poll.
  std::size_t sessions() const noexcept { return sessions_.size(); }

  /// Heap bytes the queue owns, exactly as requested from the allocator: its topic table,
  /// waiter slots, deadline heap, session table and byte rings, plus every topic log's
  /// memory_usage(). Excludes sizeof(queue), the allocator's own bookkeeping, and payloads kept
  /// alive only by batches the caller holds.
  std::size_t memory_usage() const noexcept {
    std::size_t n = *counter_ + sizeof(std::size_t);
    for (const topic_state& ts : topics_)
      n += ts.log.memory_usage();
    return n;
  }

 private:
  void swap(queue& o) noexcept {
    std::swap(counter_, o.counter_);
    std::swap(opts_, o.opts_);
    topics_.swap(o.topics_);
    slots_.swap(o.slots_);
    heap_.swap(o.heap_);
    sessions_.swap(o.sessions_);
    std::swap(free_, o.free_);
    std::swap(parked_, o.parked_);
    std::swap(seq_, o.seq_);
    std::swap(now_, o.now_);
  }

  static poll_result& reject(poll_result& r, error e) noexcept {
    r.status = poll_status::rejected;
    r.error = e;
    return r;
  }

  millis advance(millis now) noexcept {
    if (now > now_) now_ = now;
    return now_;
  }

  // Fills `b` with the messages after `after` within the batch limits (at least one); returns
  // the cursor of the last one. Precondition: at least one message after `after` is retained.
  cursor fill(const topic_state& ts, std::uint64_t after, batch& b) const {
    std::uint64_t off = after + 1;
    const std::uint64_t last = ts.log.last_offset();
    do {
      b.push_back(ts.log.ref(off));
      ++off;
    } while (off <= last && b.size() < opts_.max_batch_messages &&
             b.bytes() + ts.log.find(off)->payload.size() <= opts_.max_batch_bytes);
    return {ts.log.epoch(), off - 1};
  }

  completion make_completion(std::uint32_t s, completion_reason why) const {
    const waiter_slot& w = slots_[s];
    completion c;
    c.waiter = {s, w.generation};
    c.token = w.token;
    c.topic = topic_id{w.topic};
    c.reason = why;
    return c;
  }

  std::uint32_t allocate_slot() {
    if (free_ != none) {
      const std::uint32_t s = free_;
      free_ = slots_[s].next;
      return s;
    }
    slots_.emplace_back();
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }

  // Unparks slot `s`: unlinks it from its topic and session, frees it. Its heap entry becomes
  // stale (skipped by generation) and is dropped lazily.
  void release(std::uint32_t s) noexcept {
    waiter_slot& w = slots_[s];
    topic_state& ts = topics_[w.topic];
    if (w.prev != none) {
      slots_[w.prev].next = w.next;
    } else {
      ts.first = w.next;
    }
    if (w.next != none) {
      slots_[w.next].prev = w.prev;
    } else {
      ts.last = w.prev;
    }
    --ts.waiters;
    --parked_;
    if (w.has_session) {
      const auto it = sessions_.find(w.session);
      if (--it->second.parked == 0) {
        sessions_.erase(it);
      } else if (it->second.newest == s) {
        it->second.newest = none;  // allow_concurrent only: newest is not used there
      }
    }
    w.parked = false;
    w.has_session = false;
    ++w.generation;
    w.prev = none;
    w.next = free_;
    free_ = s;
  }

  bool live(const heap_entry& e) const noexcept {
    return slots_[e.slot].parked && slots_[e.slot].generation == e.generation;
  }

  static bool later(const heap_entry& a, const heap_entry& b) noexcept {
    return a.deadline > b.deadline;
  }

  void push_heap(heap_entry e) {
    // Completed waiters leave stale entries; rebuild when they outnumber the live ones, so the
    // heap stays O(waiters) and each stale entry costs O(1) amortised.
    // (Every parked waiter has exactly one live entry, so the stale ones number size - parked.)
    // Called after parked_ counts the new waiter, whose entry is not pushed yet.
    if (heap_.size() + 1 > 2 * parked_ + 64) {
      std::erase_if(heap_, [this](const heap_entry& x) { return !live(x); });
      std::make_heap(heap_.begin(), heap_.end(), later);
    }
    heap_.push_back(e);
    std::push_heap(heap_.begin(), heap_.end(), later);
  }

  heap_entry pop_heap() noexcept {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    const heap_entry e = heap_.back();
    heap_.pop_back();
    return e;
  }

  std::unique_ptr<std::size_t> counter_;  // bytes held by the containers below
  options opts_;
  detail::counted_vector<topic_state> topics_;
  detail::counted_vector<waiter_slot> slots_;
  detail::counted_vector<heap_entry> heap_;
  session_map sessions_;
  std::uint32_t free_ = none;
  std::size_t parked_ = 0;
  std::uint64_t seq_ = 0;
  millis now_{std::numeric_limits<millis::rep>::min()};
};

}  // namespace rtwire::longpoll
