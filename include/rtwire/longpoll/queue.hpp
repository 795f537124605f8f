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
//   // Several topics in one poll: each has its own cursor; every answer lists them all.
//   const topic_position more[] = {{room_b, position::from_text(cursor_b)}};
//   auto m = q.poll({.topic = room_a, .from = position::from_text(cursor_a), .also = more}, now);
//   // ready: m.next/m.messages for room_a, m.also[0].next/.messages for room_b
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
// Multi-topic polls: poll_request::also names more topics, each with its own cursor. Such a
// poll is ready when any of them has messages (every topic's entry carries its next cursor, so
// the client moves each one), resets naming the first topic whose cursor cannot be honoured
// (nothing delivered), or parks on all of them; the first publish to any answers it.
//
// Complexity: poll() O(k) for k topics plus the batch sizes (plus O(log w) to park among w
// waiters); publish() O(1) amortised plus O(k) per woken waiter; cancel() O(k); expire()
// O(log w + k) per completed waiter plus O(topics) for age retention; next_deadline() O(topics)
// plus amortised O(log w). Session lookups hash the session id with a per-queue seed.
//
// Memory: everything the queue owns goes through one counting allocator, so memory_usage() is
// exact (bytes requested from the allocator, not counting its own bookkeeping). A parked
// single-topic poll costs a 56-byte slot, a 16-byte deadline entry and, with a session, a 4-byte
// hash bucket or two; each further topic of a multi-topic poll a 32-byte link. Tables grow by a
// quarter, not double. Bounds: topics (max_topics), messages (each topic's log::retention),
// waiters (max_waiters, with at most max_poll_topics topics each).
//
// Thread safety: a queue is a plain value, not synchronised. Batches (message_ref handles) may
// be copied and destroyed on any thread.
//
// Inside: each topic is a detail::topic_state (longpoll/detail/topic_state.hpp: log, backlog,
// parked list); the parked polls with their sessions, deadlines and completions are one
// detail::parked_polls (longpoll/detail/parked_polls.hpp); this class answers the requests.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "rtwire/core/error.hpp"
#include "rtwire/core/log.hpp"
#include "rtwire/longpoll/detail/counting_allocator.hpp"
#include "rtwire/longpoll/detail/parked_polls.hpp"
#include "rtwire/longpoll/detail/session_index.hpp"
#include "rtwire/longpoll/detail/topic_state.hpp"
#include "rtwire/longpoll/detail/waiter_table.hpp"
#include "rtwire/longpoll/error.hpp"
#include "rtwire/longpoll/types.hpp"

namespace rtwire::longpoll {

// ---------------------------------------------------------------------------------------------
// The queue
// ---------------------------------------------------------------------------------------------

/// Topics, their parked polls and deadlines. Move-only.
class queue {
  using topic_state = detail::topic_state;

 public:
  /// The largest options::max_poll_topics honoured.
  static constexpr std::size_t max_poll_topics_limit = 64;

  explicit queue(options opts = {})
      : counter_(std::make_unique<std::size_t>(0)),
        opts_(normalised(opts, counter_.get())),
        topics_(detail::counting_allocator<topic_state>(counter_.get())),
        polls_(counter_.get(), opts_.session_hash_seed) {}
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
  /// with retention `keep`. Returns its id, or error::too_many_topics when options::max_topics
  /// topics exist (nothing changes).
  [[nodiscard]] add_topic_result add_topic(std::uint64_t epoch, log::retention keep = {}) {
    if (topics_.size() >= opts_.max_topics) return {{}, error::too_many_topics};
    topics_.emplace_back(epoch, keep, counter_.get());
    return {topic_id{static_cast<std::uint32_t>(topics_.size() - 1)}, {}};
  }

  std::size_t topic_count() const noexcept { return topics_.size(); }

  /// Reserves room for `waiters` parked polls (waiter slots and deadline entries, capped by
  /// options::max_waiters), so parking up to that many single-topic polls never reallocates.
  /// Without it the tables grow by a quarter at a time.
  void reserve_waiters(std::size_t waiters) {
    polls_.reserve(std::min(waiters, opts_.max_waiters));
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
  /// and the new head. Returns error::unknown_topic or log::error::same_epoch (nothing changes).
  std::error_code reset_topic(topic_id t, std::uint64_t new_epoch, std::vector<completion>& out) {
    if (t.value >= topics_.size()) return error::unknown_topic;
    topic_state& ts = topics_[t.value];
    if (const std::error_code ec = ts.log.reset(new_epoch)) return ec;  // log::error::same_epoch
    ts.cum.clear();
    polls_.reset(t, topics_, out);
    return {};
  }

  // -- Publishing ------------------------------------------------------------------------------

  /// Appends `payload` to the topic (copied once into the log) and applies retention against
  /// `now`. Every waiter parked on the topic completes, appended to `out` in the order they
  /// parked: reason delivered with a batch starting right after its cursor (the new message);
  /// or, if retention evicted it at once (max_messages 0), reason reset (cursor_too_old).
  /// Outcomes: success with the message's cursor; error::unknown_topic;
  /// log::error::message_too_large (larger than options::max_message_bytes or the topic's
  /// retention::max_bytes) — nothing appended, nobody woken.
  publish_result publish(topic_id t, std::string_view payload, millis now,
                         std::vector<completion>& out) {
    publish_result r;
    now = advance(now);
    if (t.value >= topics_.size()) {
      r.error = error::unknown_topic;
      return r;
    }
    if (payload.size() > opts_.max_message_bytes) {
      r.error = log::error::message_too_large;
      return r;
    }
    topic_state& ts = topics_[t.value];
    const auto a = ts.log.append(payload, now);
    if (!a) {
      r.error = a.error;  // log::error::message_too_large
      return r;
    }
    ts.cum.push(payload.size());
    ts.cum.pop(a.evicted);
    r.at = {ts.log.epoch(), a.offset};
    r.evicted = a.evicted;
    r.woken = ts.waiting.count;
    polls_.deliver(t, topics_, opts_, out);
    return r;
  }

  // -- Polling ---------------------------------------------------------------------------------

  /// Answers a poll, or parks it. Checks, in order:
  /// 1. unknown topic -> rejected (error::unknown_topic); more than options::max_poll_topics
  ///    topics -> rejected (error::too_many_poll_topics); a topic named twice -> rejected
  ///    (error::duplicate_topic); a malformed position -> rejected (log::error::malformed_cursor).
  /// 2. session policy, when `req.session` is set and a poll of it is parked: supersede (the
  ///    older completes empty, returned in `superseded`), reject_new -> rejected
  ///    (error::session_busy), allow_concurrent -> rejected (too_many_session_waiters) when full.
  /// 3. each topic in request order: its cursor against the log (another epoch, older than
  ///    retention, or past the head -> reset with the log::error), then a session's backlog on
  ///    it (above options::max_session_backlog_bytes -> reset or rejected with
  ///    error::slow_consumer, per slow_consumer_policy). A reset names that topic in `topic`
  ///    with its head in `next` and delivers nothing, whatever the other topics hold.
  /// 4. messages after any cursor -> ready: per topic, the next ones in order, at most
  ///    max_batch_messages and max_batch_bytes (but at least one when it has any), and `next` =
  ///    the last one's cursor (the unchanged cursor for a topic without messages).
  /// 5. otherwise parked on every topic (or rejected with error::too_many_waiters) until
  ///    now + min(timeout, max_timeout).
  poll_result poll(const poll_request& req, millis now) {
    poll_result r;
    now = advance(now);
    r.topic = req.topic;
    if (const error e = check_topics(req); e != error{}) return reject(r, e);
    if (req.from.type() == position::kind::malformed)
      return reject(r, log::error::malformed_cursor);
    for (const topic_position& p : req.also)
      if (p.from.type() == position::kind::malformed)
        return reject(r, log::error::malformed_cursor);

    if (req.session) {
      const std::uint32_t old = polls_.newest(*req.session);
      if (old != detail::none) {
        switch (opts_.on_duplicate) {
          case duplicate_poll::supersede: {
            r.superseded = polls_.completion_for(old, completion_reason::superseded, topics_);
            polls_.release(old, topics_);  // it was the session's only parked waiter
            break;
          }
          case duplicate_poll::reject_new:
            return reject(r, error::session_busy);
          case duplicate_poll::allow_concurrent:
            if (polls_.session_waiters(*req.session) >= opts_.max_session_waiters)
              return reject(r, error::too_many_session_waiters);
            break;
        }
      }
    }

    // Check every cursor, filling the batches on the way; a reset drops what was filled.
    r.next = topics_[req.topic.value].resolve(req.from);
    if (!check_and_fill(req, req.topic, r.next, r.messages, r)) return r;
    bool ready = !r.messages.empty();
    if (!req.also.empty()) r.also.resize(req.also.size());
    for (std::size_t i = 0; i < req.also.size(); ++i) {
      topic_batch& e = r.also[i];
      e.topic = req.also[i].topic;
      e.next = topics_[e.topic.value].resolve(req.also[i].from);
      if (!check_and_fill(req, e.topic, e.next, e.messages, r)) return r;
      ready = ready || !e.messages.empty();
    }
    if (ready) {
      r.status = poll_status::ready;
      return r;
    }
    if (!polls_.has_room(req.also.size(), opts_.max_waiters))
      return reject(r, error::too_many_waiters);

    // Park: one link per topic, each at its topic's head.
    const millis timeout = std::clamp(req.timeout, millis{0}, opts_.max_timeout);
    const millis deadline = now + timeout;
    r.waiter = polls_.park(req, r, deadline, topics_);
    r.status = poll_status::parked;
    r.deadline = deadline;
    return r;
  }

  // -- Cancelling and timeouts -----------------------------------------------------------------

  /// Forgets a parked poll whose connection went away. No completion is produced and no message
  /// is consumed. Returns false if `w` is not parked (already completed, cancelled, or never
  /// returned by this queue).
  bool cancel(waiter_id w) noexcept {
    if (!is_parked(w)) return false;
    polls_.release(w.slot, topics_);
    return true;
  }

  /// True while `w` is parked.
  bool is_parked(waiter_id w) const noexcept { return polls_.is_parked(w); }

  /// Completes every waiter whose deadline is <= now (appended to `out` in deadline order, ties
  /// in park order) with reason timed_out, empty batches and its unchanged cursors; then applies
  /// every topic's age retention. Returns how many waiters completed. Waiters with a later
  /// deadline are untouched.
  std::size_t expire(millis now, std::vector<completion>& out) {
    now = advance(now);
    const std::size_t completed = polls_.expire(now, topics_, out);
    for (topic_state& ts : topics_)
      ts.cum.pop(ts.log.trim(now));
    return completed;
  }

  /// When expire() has something to do next: the earliest parked deadline or the earliest time
  /// a message exceeds its topic's max_age; nullopt when neither exists. Discards stale
  /// bookkeeping of completed waiters on the way (hence non-const).
  std::optional<millis> next_deadline() {
    std::optional<millis> best = polls_.next_deadline();
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

  /// Polls parked now (over all topics; a multi-topic poll counts once).
  std::size_t waiters() const noexcept { return polls_.count(); }
  /// Polls parked on topic `t` (0 for an unknown id).
  std::size_t waiters(topic_id t) const noexcept {
    return t.value < topics_.size() ? topics_[t.value].waiting.count : 0;
  }
  /// Sessions with at least one parked poll.
  std::size_t sessions() const noexcept { return polls_.sessions(); }

  /// Heap bytes the queue owns, exactly as requested from the allocator: its topic table,
  /// waiter slots and links, deadline heap, session table and byte rings, plus every topic
  /// log's memory_usage(). Excludes sizeof(queue), the allocator's own bookkeeping, and payloads
  /// kept alive only by batches the caller holds.
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
    polls_.swap(o.polls_);
    std::swap(now_, o.now_);
  }

  // The options as the queue applies them (clamped; a session hash seed drawn when 0).
  static options normalised(options opts, const std::size_t* counter) noexcept {
    if (opts.max_batch_messages == 0) opts.max_batch_messages = 1;
    opts.max_poll_topics = std::clamp<std::size_t>(opts.max_poll_topics, 1, max_poll_topics_limit);
    opts.max_waiters = std::min<std::size_t>(opts.max_waiters, detail::extra_bit - 2);
    if (opts.max_timeout.count() < 0) opts.max_timeout = millis{0};
    if (opts.session_hash_seed == 0)
      opts.session_hash_seed = detail::mix64(reinterpret_cast<std::uintptr_t>(counter) | 1);
    return opts;
  }

  static poll_result& reject(poll_result& r, std::error_code e) noexcept {
    r.status = poll_status::rejected;
    r.error = e;
    r.next = {};
    r.messages = {};
    r.also.clear();
    return r;
  }

  millis advance(millis now) noexcept {
    if (now > now_) now_ = now;
    return now_;
  }

  // Step 1 of poll(): the topic ids.
  error check_topics(const poll_request& req) const noexcept {
    if (req.topic.value >= topics_.size()) return error::unknown_topic;
    for (const topic_position& p : req.also)
      if (p.topic.value >= topics_.size()) return error::unknown_topic;
    if (req.also.size() + 1 > opts_.max_poll_topics) return error::too_many_poll_topics;
    for (std::size_t i = 0; i < req.also.size(); ++i) {
      if (req.also[i].topic == req.topic) return error::duplicate_topic;
      for (std::size_t j = 0; j < i; ++j)  // at most max_poll_topics_limit^2 / 2 comparisons
        if (req.also[j].topic == req.also[i].topic) return error::duplicate_topic;
    }
    return error{};
  }

  // Steps 3 and 4 of poll() for one topic: checks cursor `c` and fills `b` with the messages
  // after it (moving `c` to the last one). On failure `r` is the reset (or rejection), with no
  // messages.
  bool check_and_fill(const poll_request& req, topic_id t, cursor& c, batch& b,
                      poll_result& r) const {
    const topic_state& ts = topics_[t.value];
    const auto res = ts.log.resume(c);
    if (!res) {
      r.status = poll_status::reset;
      r.error = res.reset;
      r.topic = t;
      r.next = res.head;
      r.messages = {};
      r.also.clear();
      return false;
    }
    if (req.session && opts_.max_session_backlog_bytes != 0 &&
        ts.cum.after(static_cast<std::size_t>(c.offset + 1 - ts.log.first_offset())) >
            opts_.max_session_backlog_bytes) {
      r.messages = {};
      if (opts_.on_slow_consumer == slow_consumer_policy::reject) {
        reject(r, error::slow_consumer);
        r.topic = t;
        return false;
      }
      r.status = poll_status::reset;
      r.error = error::slow_consumer;
      r.topic = t;
      r.next = ts.log.head();
      r.also.clear();
      return false;
    }
    if (res.count() != 0) c = ts.fill(c.offset, opts_, b);
    return true;
  }

  std::unique_ptr<std::size_t> counter_;  // bytes held by the containers below
  options opts_;
  detail::counted_vector<topic_state> topics_;
  detail::parked_polls polls_;  // parked polls: topic links, sessions, deadlines
  millis now_{std::numeric_limits<millis::rep>::min()};
};

}  // namespace rtwire::longpoll
