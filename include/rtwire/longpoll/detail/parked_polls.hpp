// rtwire — internal: the polls parked in rtwire::longpoll::queue: their slots and topic links
// (waiter_table), their sessions (session_index) and deadlines (deadline_heap), and the
// completions that answer them (delivered, timed out, superseded, reset). The topics are the
// queue's, handed to each call that links or unlinks a poll. Not public API.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "rtwire/core/log.hpp"
#include "rtwire/longpoll/detail/counting_allocator.hpp"
#include "rtwire/longpoll/detail/deadline_heap.hpp"
#include "rtwire/longpoll/detail/session_index.hpp"
#include "rtwire/longpoll/detail/topic_state.hpp"
#include "rtwire/longpoll/detail/waiter_table.hpp"
#include "rtwire/longpoll/types.hpp"

namespace rtwire::longpoll::detail {

/// The queue's topics, indexed by topic_id::value.
using topic_table = counted_vector<topic_state>;

/// Parked polls and their bookkeeping. Every memory use goes through the queue's counter.
class parked_polls {
 public:
  parked_polls(std::size_t* counter, std::uint64_t session_seed)
      : table_(counter), sessions_(counter, session_seed), deadlines_(counter) {}

  /// Polls parked now (a multi-topic poll counts once).
  std::size_t count() const noexcept { return parked_; }
  /// Sessions with at least one parked poll.
  std::size_t sessions() const noexcept { return sessions_.sessions(); }

  /// Room for `waiters` parked single-topic polls (slots and deadline entries).
  void reserve(std::size_t waiters) {
    table_.reserve_slots(waiters);
    deadlines_.reserve(waiters + 64);
  }

  /// True while `w` is parked.
  bool is_parked(waiter_id w) const noexcept {
    return w.slot < table_.slot_count() && table_.slot(w.slot).home.topic != none &&
           table_.slot(w.slot).home.generation == w.generation;
  }

  /// The newest parked poll of `session` (none if it has none), and how many it has.
  std::uint32_t newest(std::uint64_t session) const noexcept {
    return sessions_.newest(session, table_);
  }
  std::size_t session_waiters(std::uint64_t session) const noexcept {
    return sessions_.waiters(session, table_);
  }

  /// False when no further poll with `extra_topics` topics besides its first may park: at most
  /// `max_waiters` polls, and the extra links are bounded too.
  bool has_room(std::size_t extra_topics, std::size_t max_waiters) const noexcept {
    return !(parked_ >= max_waiters || extra_topics > max_extras - table_.extras_in_use());
  }

  /// Parks `req` on every topic it names, each link at the cursor `r` holds for that topic,
  /// until `deadline`.
  waiter_id park(const poll_request& req, const poll_result& r, millis deadline,
                 topic_table& topics) {
    const std::uint32_t s = table_.allocate_slot();
    {
      waiter_slot& w = table_.slot(s);
      w.token = req.token;
      w.seq = ++seq_;
      w.session = req.session.value_or(0);
      w.extra = none;
      w.home.after = r.next.offset;
      append(topics, req.topic.value, s, w.home);
    }
    // Extra links are added in reverse so the sibling chain keeps request order.
    for (std::size_t i = req.also.size(); i-- != 0;) {
      const std::uint32_t node = extra_bit | table_.add_extra(s);
      link& l = table_.link_at(node);
      l.after = r.also[i].next.offset;
      append(topics, req.also[i].topic.value, node, l);
    }
    ++parked_;
    if (req.session) sessions_.insert(s, table_);
    const std::uint32_t generation = table_.slot(s).home.generation;
    deadlines_.push({deadline.count(), s, generation}, parked_,
                    [this](const deadline_entry& e) { return live(e); });
    return {s, generation};
  }

  // Unparks slot `s`: unlinks it from its topics and session, frees it. Its deadline entry
  // becomes stale (skipped by generation) and is dropped lazily.
  void release(std::uint32_t s, topic_table& topics) noexcept {
    if (table_.slot(s).session_next != no_session) sessions_.remove(s, table_);
    table_.release(s, [&topics](std::uint32_t t) -> waiter_list& { return topics[t].waiting; });
    --parked_;
  }

  // A completion for slot `s` describing all of its topics with their unchanged cursors.
  completion completion_for(std::uint32_t s, completion_reason why,
                            const topic_table& topics) const {
    const waiter_slot& w = table_.slot(s);
    completion c;
    c.waiter = {s, w.home.generation};
    c.token = w.token;
    c.reason = why;
    c.topic = topic_id{w.home.topic};
    c.next = {topics[w.home.topic].log.epoch(), w.home.after};
    for (std::uint32_t x = w.extra; x != none; x = table_.extra(x).sibling) {
      const link& l = table_.extra(x).l;
      c.also.push_back({topic_id{l.topic}, {topics[l.topic].log.epoch(), l.after}, {}});
    }
    return c;
  }

  /// Completes every poll parked on topic `t`, which just got a message, appended to `out` in
  /// park order: delivered with a batch (within the limits of `o`) starting right after its
  /// cursor, or reset (cursor_too_old) if retention dropped the message already.
  void deliver(topic_id t, topic_table& topics, const options& o, std::vector<completion>& out) {
    topic_state& ts = topics[t.value];
    if (ts.waiting.first == none) return;
    out.reserve(out.size() + ts.waiting.count);
    // Every parked waiter is at the previous head, so they share one batch: build it once and
    // copy it (an atomic increment per message).
    std::optional<batch> shared;
    std::uint64_t shared_after = 0;
    while (ts.waiting.first != none) {
      const std::uint32_t node = ts.waiting.first;
      const std::uint32_t s = table_.owner(node);
      const std::uint64_t after = table_.link_at(node).after;
      out.push_back(completion_for(s, completion_reason::delivered, topics));
      completion& c = out.back();
      const auto res = ts.log.resume(cursor{ts.log.epoch(), after});
      if (!res || res.count() == 0) {
        // Retention dropped the new message already: announce the gap.
        c.reason = completion_reason::reset;
        c.topic = t;
        c.reset = res ? std::error_code(log::error::cursor_too_old) : res.reset;
        c.next = ts.log.head();
        c.also.clear();
      } else {
        cursor next;
        if (!shared || shared_after != after) {
          shared.emplace();
          shared_after = after;
          next = ts.fill(after, o, *shared);
        } else {
          next = {ts.log.epoch(), after + shared->size()};
        }
        if (c.topic == t) {
          c.next = next;
          c.messages = *shared;
        } else {
          for (topic_batch& e : c.also) {
            if (e.topic != t) continue;
            e.next = next;
            e.messages = *shared;
            break;
          }
        }
      }
      release(s, topics);
    }
  }

  /// Completes every poll parked on topic `t`, whose epoch just changed, appended to `out` in
  /// park order: reason reset, log::error::epoch_mismatch and the new head.
  void reset(topic_id t, topic_table& topics, std::vector<completion>& out) {
    topic_state& ts = topics[t.value];
    while (ts.waiting.first != none) {
      const std::uint32_t s = table_.owner(ts.waiting.first);
      out.push_back(completion_for(s, completion_reason::reset, topics));
      completion& c = out.back();
      c.topic = t;
      c.reset = log::error::epoch_mismatch;
      c.next = ts.log.head();
      c.also.clear();
      release(s, topics);
    }
  }

  /// Completes every poll whose deadline is <= now, appended to `out` in deadline order (ties in
  /// park order) with reason timed_out; returns how many.
  std::size_t expire(millis now, topic_table& topics, std::vector<completion>& out) {
    // The heap yields equal deadlines in no particular order: collect the due waiters, then
    // complete them by (deadline, park order).
    struct due {
      millis::rep deadline;
      std::uint64_t seq;
      std::uint32_t slot;
    };
    std::vector<due> ready;
    while (!deadlines_.empty() && deadlines_.front().deadline <= now.count()) {
      const deadline_entry e = deadlines_.pop();
      if (live(e)) ready.push_back({e.deadline, table_.slot(e.slot).seq, e.slot});
    }
    std::sort(ready.begin(), ready.end(), [](const due& a, const due& b) {
      return a.deadline != b.deadline ? a.deadline < b.deadline : a.seq < b.seq;
    });
    out.reserve(out.size() + ready.size());
    for (const due& d : ready) {
      out.push_back(completion_for(d.slot, completion_reason::timed_out, topics));
      release(d.slot, topics);
    }
    return ready.size();
  }

  /// The earliest deadline of a parked poll (nullopt with none parked). Discards stale entries
  /// of completed polls on the way.
  std::optional<millis> next_deadline() {
    while (!deadlines_.empty() && !live(deadlines_.front()))
      deadlines_.pop();
    if (deadlines_.empty()) return std::nullopt;
    return millis{deadlines_.front().deadline};
  }

  void swap(parked_polls& o) noexcept {
    table_.swap(o.table_);
    sessions_.swap(o.sessions_);
    deadlines_.swap(o.deadlines_);
    std::swap(parked_, o.parked_);
    std::swap(seq_, o.seq_);
  }

 private:
  // Appends link `l` (node id `node`) to topic `t`'s waiter list.
  void append(topic_table& topics, std::uint32_t t, std::uint32_t node, link& l) noexcept {
    table_.append(topics[t].waiting, t, node, l);
  }

  // Whether deadline entry `e` still belongs to a parked waiter.
  bool live(const deadline_entry& e) const noexcept {
    const waiter_slot& w = table_.slot(e.slot);
    return w.home.topic != none && w.home.generation == e.generation;
  }

  waiter_table table_;       // parked waiters: slots and their links in topic lists
  session_index sessions_;   // session id -> parked waiters
  deadline_heap deadlines_;  // parked waiters' deadlines
  std::size_t parked_ = 0;
  std::uint64_t seq_ = 0;
};

}  // namespace rtwire::longpoll::detail
