// rtwire — long-poll internals: the deadline heap, a min-heap of parked waiters' deadlines with
// lazy deletion (a completed waiter's entry stays until it surfaces or a rebuild drops it). Not
// public API.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rtwire/core/log.hpp"
#include "rtwire/longpoll/detail/counting_allocator.hpp"

namespace rtwire::longpoll::detail {

/// One parked waiter's deadline; stale once the slot's generation has moved on.
struct deadline_entry {
  log::millis::rep deadline;
  std::uint32_t slot;
  std::uint32_t generation;
};

/// Deadlines, earliest first. Whether an entry is still live is the caller's knowledge: the
/// operations that drop stale entries take a predicate `live(const deadline_entry&) -> bool`.
class deadline_heap {
 public:
  explicit deadline_heap(std::size_t* counter)
      : heap_(counting_allocator<deadline_entry>(counter)) {}

  bool empty() const noexcept { return heap_.empty(); }
  const deadline_entry& front() const noexcept { return heap_.front(); }
  void reserve(std::size_t n) { heap_.reserve(n); }

  /// Adds `e`. `parked` counts the waiters parked, the new one included: every parked waiter has
  /// exactly one live entry, so the stale ones number size - parked. When they outnumber the
  /// live ones the heap is rebuilt without them, so it stays O(waiters) and each stale entry
  /// costs O(1) amortised.
  template <class Live>
  void push(deadline_entry e, std::size_t parked, Live&& live) {
    if (heap_.size() + 1 > 2 * parked + 64) {
      std::erase_if(heap_, [&](const deadline_entry& x) { return !live(x); });
      std::make_heap(heap_.begin(), heap_.end(), later);
    }
    grow_by_quarter(heap_);
    heap_.push_back(e);
    std::push_heap(heap_.begin(), heap_.end(), later);
  }

  /// Removes and returns the earliest entry (live or not). Precondition: !empty().
  deadline_entry pop() noexcept {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    const deadline_entry e = heap_.back();
    heap_.pop_back();
    return e;
  }

  void swap(deadline_heap& o) noexcept { heap_.swap(o.heap_); }

 private:
  static bool later(const deadline_entry& a, const deadline_entry& b) noexcept {
    return a.deadline > b.deadline;
  }

  counted_vector<deadline_entry> heap_;
};

}  // namespace rtwire::longpoll::detail
