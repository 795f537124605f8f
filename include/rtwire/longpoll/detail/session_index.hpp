// rtwire — long-poll internals: the session index, an intrusive hash table from a session id to
// its parked waiters (buckets of slot ids, chained through waiter_slot::session_next). Not
// public API.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "rtwire/longpoll/detail/counting_allocator.hpp"
#include "rtwire/longpoll/detail/waiter_table.hpp"

namespace rtwire::longpoll::detail {

/// The splitmix64 finaliser.
inline std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Session id -> parked waiters. Session ids are hashed with a per-queue seed, so a client
/// cannot aim its ids at one bucket. The table doubles when waiters outnumber buckets.
class session_index {
 public:
  session_index(std::size_t* counter, std::uint64_t seed)
      : buckets_(counting_allocator<std::uint32_t>(counter)), seed_(seed) {}

  /// Sessions with at least one parked waiter.
  std::size_t sessions() const noexcept { return sessions_; }

  /// The newest parked waiter of `session`, or none.
  std::uint32_t newest(std::uint64_t session, const waiter_table& w) const noexcept {
    if (buckets_.empty()) return none;
    std::uint32_t best = none;
    for (std::uint32_t s = buckets_[bucket_of(session)]; s != none; s = w.slot(s).session_next)
      if (w.slot(s).session == session && (best == none || w.slot(s).seq > w.slot(best).seq))
        best = s;
    return best;
  }

  /// How many waiters of `session` are parked.
  std::size_t waiters(std::uint64_t session, const waiter_table& w) const noexcept {
    if (buckets_.empty()) return 0;
    std::size_t n = 0;
    for (std::uint32_t s = buckets_[bucket_of(session)]; s != none; s = w.slot(s).session_next)
      n += w.slot(s).session == session;
    return n;
  }

  /// Adds slot `s` (its session already set) to the index.
  void insert(std::uint32_t s, waiter_table& w) {
    if (waiters_ + 1 > buckets_.size()) rehash(std::max<std::size_t>(16, buckets_.size() * 2), w);
    if (waiters(w.slot(s).session, w) == 0) ++sessions_;
    std::uint32_t& head = buckets_[bucket_of(w.slot(s).session)];
    w.slot(s).session_next = head;
    head = s;
    ++waiters_;
  }

  /// Removes slot `s`, which is in the index.
  void remove(std::uint32_t s, waiter_table& w) noexcept {
    std::uint32_t* p = &buckets_[bucket_of(w.slot(s).session)];
    while (*p != s)
      p = &w.slot(*p).session_next;
    *p = w.slot(s).session_next;
    w.slot(s).session_next = no_session;
    --waiters_;
    if (waiters(w.slot(s).session, w) == 0) --sessions_;
  }

  void swap(session_index& o) noexcept {
    buckets_.swap(o.buckets_);
    std::swap(seed_, o.seed_);
    std::swap(sessions_, o.sessions_);
    std::swap(waiters_, o.waiters_);
  }

 private:
  std::size_t bucket_of(std::uint64_t session) const noexcept {
    return static_cast<std::size_t>(mix64(session ^ seed_)) & (buckets_.size() - 1);
  }

  void rehash(std::size_t n, waiter_table& w) {
    counted_vector<std::uint32_t> fresh(n, none, buckets_.get_allocator());
    buckets_.swap(fresh);  // `fresh` now holds the old buckets
    for (std::uint32_t head : fresh) {
      while (head != none) {
        const std::uint32_t next = w.slot(head).session_next;
        std::uint32_t& b = buckets_[bucket_of(w.slot(head).session)];
        w.slot(head).session_next = b;
        b = head;
        head = next;
      }
    }
  }

  counted_vector<std::uint32_t> buckets_;  // the first slot of each chain
  std::uint64_t seed_;
  std::size_t sessions_ = 0;  // distinct sessions with a parked waiter
  std::size_t waiters_ = 0;   // parked waiters with a session
};

}  // namespace rtwire::longpoll::detail
