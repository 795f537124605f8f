// rtwire — internal: one topic of rtwire::longpoll::queue: its message log (rtwire/core/log.hpp),
// the payload sizes of its retained messages (for session backlogs) and the list of polls parked
// on it; and how a poll's position and batch are read from it. Not public API.
#pragma once

#include <cstddef>
#include <cstdint>

#include "rtwire/core/log.hpp"
#include "rtwire/longpoll/detail/backlog_ring.hpp"
#include "rtwire/longpoll/detail/waiter_table.hpp"
#include "rtwire/longpoll/types.hpp"

namespace rtwire::longpoll::detail {

struct topic_state {
  topic_state(std::uint64_t epoch, log::retention keep, std::size_t* counter)
      : log(epoch, keep), cum(counter) {}
  log::message_log log;
  backlog_ring cum;
  waiter_list waiting;  // parked waiters' links, in park order

  // The cursor a poll's position names on this topic (a malformed one is rejected before).
  cursor resolve(position from) const noexcept {
    switch (from.type()) {
      case position::kind::oldest:
        return {log.epoch(), log.first_offset() - 1};
      case position::kind::newest:
        return log.head();
      case position::kind::from_offset:
        return {log.epoch(), from.value().offset};
      default:
        return from.value();
    }
  }

  // Fills `b` with the messages after `after` within the batch limits of `o` (at least one);
  // returns the cursor of the last one. Precondition: at least one message after `after` is
  // retained.
  cursor fill(std::uint64_t after, const options& o, batch& b) const {
    std::uint64_t off = after + 1;
    const std::uint64_t last = log.last_offset();
    do {
      b.push_back(log.ref(off));
      ++off;
    } while (off <= last && b.size() < o.max_batch_messages &&
             b.bytes() + log.find(off)->payload.size() <= o.max_batch_bytes);
    return {log.epoch(), off - 1};
  }
};

}  // namespace rtwire::longpoll::detail
