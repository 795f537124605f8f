// Fuzz target: random operation sequences on the long-poll queue (rtwire/longpoll/queue.hpp).
// Each input byte pair is one operation: publish, poll (own cursor, oldest, newest, random
// cursor, with or without a session), cancel, expire, epoch change. Invariants checked after
// every operation: a completion names a waiter that is outstanding (never twice, never after
// cancel); a delivered batch starts right after the cursor its poll waited at, is contiguous,
// within the batch limits and in the waiter's epoch; a timed-out waiter's deadline has passed and
// no outstanding waiter is past due after expire(); waiters() equals the outstanding count;
// retention and waiter limits hold.
#include <rtwire/longpoll.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lp = rtwire::longpoll;
namespace lg = rtwire::log;

namespace {

struct pending {
  lp::waiter_id id;
  lp::topic_id topic;
  lg::cursor at;
  lg::millis deadline;
};

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
      switch (c.reason) {
        case lp::completion_reason::delivered:
          if (c.messages.empty() || c.messages.size() > 3) __builtin_trap();
          if (c.messages.size() > 1 && c.messages.bytes() > 12) __builtin_trap();
          if (c.next.epoch != p.at.epoch || c.next.offset != p.at.offset + c.messages.size())
            __builtin_trap();
          for (std::size_t i = 0; i < c.messages.size(); ++i)
            if (c.messages[i].offset() != p.at.offset + 1 + i) __builtin_trap();
          break;
        case lp::completion_reason::timed_out:
          if (!c.messages.empty() || !(c.next == p.at) || p.deadline > now) __builtin_trap();
          break;
        case lp::completion_reason::superseded:
          __builtin_trap();  // only returned by poll()
        case lp::completion_reason::reset:
          if (!c.messages.empty() || !c.reset) __builtin_trap();
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
        const auto r =
            q.poll({.topic = topics[t],
                    .from = from,
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
        if (r.status == lp::poll_status::parked) {
          if (r.deadline > now + lg::millis{64} || r.deadline < now) __builtin_trap();
          waiting[token] = {r.waiter, topics[t], r.next, r.deadline};
        } else if (r.status == lp::poll_status::ready) {
          if (r.messages.empty() || r.messages.size() > 3) __builtin_trap();
          if (r.next.offset != r.messages[r.messages.size() - 1].offset()) __builtin_trap();
        } else if (r.status == lp::poll_status::reset) {
          if (!r.error || !(r.next == q.head(topics[t]))) __builtin_trap();
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
