// Fuzz target: random operation sequences on the long-poll queue (rtwire/longpoll/queue.hpp).
// Each input byte pair is one operation: publish, poll (own cursor, oldest, newest, random
// cursor, with or without a session, one topic or both), cancel, expire, epoch change.
// Invariants checked after every operation: a completion names a waiter that is outstanding
// (never twice, never after cancel); a delivered batch starts right after the cursor its poll
// waited at on that topic, is contiguous, within the batch limits and in the waiter's epoch,
// while every other topic of the poll keeps its cursor and gets nothing; a timed-out waiter's
// deadline has passed and no outstanding waiter is past due after expire(); waiters() equals the
// outstanding count; retention and waiter limits hold.
#include <rtwire/longpoll.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace lp = rtwire::longpoll;
namespace lg = rtwire::log;

namespace {

struct entry {
  lp::topic_id topic;
  lg::cursor at;
};

struct pending {
  lp::waiter_id id;
  std::vector<entry> entries;  // the poll's topics in request order, with the cursor it waits at
  lg::millis deadline;
};

// A completion's entries in request order.
std::vector<lp::topic_batch> entries_of(const lp::completion& c) {
  std::vector<lp::topic_batch> all{{c.topic, c.next, c.messages}};
  all.insert(all.end(), c.also.begin(), c.also.end());
  return all;
}

void check_batch(const lp::batch& b, lg::cursor at, lg::cursor next) {
  if (b.empty() || b.size() > 3) __builtin_trap();
  if (b.size() > 1 && b.bytes() > 12) __builtin_trap();
  if (next.epoch != at.epoch || next.offset != at.offset + b.size()) __builtin_trap();
  for (std::size_t i = 0; i < b.size(); ++i)
    if (b[i].offset() != at.offset + 1 + i) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  constexpr std::size_t max_waiters = 8;
  const lp::duplicate_poll policy =
      size == 0 ? lp::duplicate_poll::supersede : static_cast<lp::duplicate_poll>(bytes[0] % 3);
  lp::queue q({.max_batch_messages = 3,
               .max_batch_bytes = 12,
               .max_timeout = lg::millis{64},
               .max_waiters = max_waiters,
               .max_session_waiters = 2,
               .max_session_backlog_bytes = 30,
               .on_duplicate = policy});
  const lg::retention keep{.max_messages = 6, .max_bytes = 40, .max_age = lg::millis{100}};
  const lp::topic_id topics[2] = {*q.add_topic(1, keep), *q.add_topic(1, keep)};
  std::uint64_t epochs[2] = {1, 1};
  std::map<std::uint64_t, pending> waiting;
  std::vector<lp::completion> out;
  std::uint64_t token = 0;
  lg::millis now{0};

  auto settle = [&] {
    for (const lp::completion& c : out) {
      const auto it = waiting.find(c.token);
      if (it == waiting.end() || !(it->second.id == c.waiter)) __builtin_trap();
      const pending p = it->second;
      waiting.erase(it);
      if (q.is_parked(c.waiter)) __builtin_trap();
      const auto got = entries_of(c);
      switch (c.reason) {
        case lp::completion_reason::delivered: {
          if (got.size() != p.entries.size()) __builtin_trap();
          std::size_t filled = 0;
          for (std::size_t k = 0; k < got.size(); ++k) {
            if (!(got[k].topic == p.entries[k].topic)) __builtin_trap();
            if (got[k].messages.empty()) {
              if (!(got[k].next == p.entries[k].at)) __builtin_trap();
            } else {
              ++filled;
              check_batch(got[k].messages, p.entries[k].at, got[k].next);
            }
          }
          if (filled != 1) __builtin_trap();  // one publish answers it
          break;
        }
        case lp::completion_reason::timed_out:
          if (got.size() != p.entries.size() || p.deadline > now) __builtin_trap();
          for (std::size_t k = 0; k < got.size(); ++k)
            if (!got[k].messages.empty() || !(got[k].next == p.entries[k].at)) __builtin_trap();
          break;
        case lp::completion_reason::superseded:
          __builtin_trap();  // only returned by poll()
        case lp::completion_reason::reset:
          if (!c.messages.empty() || !c.reset || !c.also.empty()) __builtin_trap();
          if (std::none_of(p.entries.begin(), p.entries.end(),
                           [&](const entry& e) { return e.topic == c.topic; }))
            __builtin_trap();
          break;
      }
    }
    out.clear();
  };

  for (std::size_t i = 1; i + 1 < size; i += 2) {
    const std::uint8_t op = bytes[i], arg = bytes[i + 1];
    const std::size_t t = arg & 1u;
    switch (op % 6) {
      case 0: {  // publish
        const std::string payload(arg % 16u, 'x');
        if (!q.publish(topics[t], payload, now, out)) __builtin_trap();
        break;
      }
      case 1: {  // poll
        const lg::cursor head = q.head(topics[t]);
        lp::position from = lp::position::newest();
        switch ((arg >> 1) % 4u) {
          case 0:
            from = lp::position::oldest();
            break;
          case 1:
            from = lp::position::newest();
            break;
          case 2:
            from = lp::position::after(
                {head.epoch, head.offset - std::min<std::uint64_t>(head.offset, arg >> 4)});
            break;
          default:
            from = lp::position::after({epochs[t] + (arg >> 6), (arg >> 3) % 16u});
            break;
        }
        const bool with_session = (arg & 8u) != 0;
        // op bit 7: poll the other topic too, from its oldest or newest message.
        const bool both = (op & 0x80u) != 0;
        const lp::topic_position other[1] = {
            {topics[1 - t], (op & 0x40u) != 0 ? lp::position::oldest() : lp::position::newest()}};
        const auto r =
            q.poll({.topic = topics[t],
                    .from = from,
                    .also = both ? std::span<const lp::topic_position>(other)
                                 : std::span<const lp::topic_position>(),
                    .token = ++token,
                    .session = with_session ? std::optional<std::uint64_t>(arg % 3u) : std::nullopt,
                    .timeout = lg::millis{arg % 80u}},
                   now);
        if (r.superseded) {
          if (policy != lp::duplicate_poll::supersede || !r.superseded->messages.empty())
            __builtin_trap();
          const auto it = waiting.find(r.superseded->token);
          if (it == waiting.end()) __builtin_trap();
          waiting.erase(it);
        }
        if (r.also.size() !=
            (both && (r.status == lp::poll_status::ready || r.status == lp::poll_status::parked)
                 ? 1u
                 : 0u))
          __builtin_trap();
        if (r.status == lp::poll_status::parked) {
          if (r.deadline > now + lg::millis{64} || r.deadline < now) __builtin_trap();
          if (!r.messages.empty() || !(r.topic == topics[t])) __builtin_trap();
          pending& w = waiting[token];
          w = {r.waiter, {{topics[t], r.next}}, r.deadline};
          if (both) w.entries.push_back({r.also[0].topic, r.also[0].next});
          for (const entry& e : w.entries)
            if (!(e.at == q.head(e.topic))) __builtin_trap();  // parked at every head
        } else if (r.status == lp::poll_status::ready) {
          std::size_t filled = 0;
          for (const auto& b :
               both ? std::vector<lp::topic_batch>{{r.topic, r.next, r.messages}, r.also[0]}
                    : std::vector<lp::topic_batch>{{r.topic, r.next, r.messages}}) {
            if (b.messages.empty()) continue;
            ++filled;
            if (b.messages.size() > 3) __builtin_trap();
            if (b.messages.size() > 1 && b.messages.bytes() > 12) __builtin_trap();
            if (b.next.offset != b.messages[b.messages.size() - 1].offset()) __builtin_trap();
          }
          if (filled == 0) __builtin_trap();
        } else if (r.status == lp::poll_status::reset) {
          if (!r.error || !(r.next == q.head(r.topic))) __builtin_trap();
          if (!(r.topic == topics[t]) && !(both && r.topic == topics[1 - t])) __builtin_trap();
        } else if (!r.error) {
          __builtin_trap();
        }
        break;
      }
      case 2:  // cancel
        if (!waiting.empty()) {
          auto it = waiting.begin();
          std::advance(it, static_cast<std::ptrdiff_t>(arg % waiting.size()));
          if (!q.cancel(it->second.id) || q.cancel(it->second.id)) __builtin_trap();
          waiting.erase(it);
        }
        break;
      case 3:  // time passes, then expire
        now += lg::millis{arg % 40u};
        (void)q.expire(now, out);
        break;
      case 4:  // expire with a smaller now (counts as the largest seen)
        (void)q.expire(now - lg::millis{arg}, out);
        break;
      default:  // epoch change
        if (q.reset_topic(topics[t], ++epochs[t], out)) __builtin_trap();
        break;
    }
    settle();
    if ((op % 6) == 3 || (op % 6) == 4)
      for (const auto& [tok, p] : waiting)
        if (p.deadline <= now) __builtin_trap();
    if (q.waiters() != waiting.size() || q.waiters() > max_waiters) __builtin_trap();
    for (const auto topic : topics) {
      const auto* log = q.topic_log(topic);
      if (log->size() > 6 || log->bytes() > 40) __builtin_trap();
    }
    if (const auto next = q.next_deadline(); next && !waiting.empty()) {
      for (const auto& [tok, p] : waiting)
        if (p.deadline < *next) __builtin_trap();
    }
  }
  return 0;
}
