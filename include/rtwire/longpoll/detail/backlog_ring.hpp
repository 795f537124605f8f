// rtwire — long-poll internals: each topic's running byte totals, for O(1) session backlogs.
// Not public API.
#pragma once

#include <cstddef>
#include <cstdint>

#include "rtwire/longpoll/detail/counting_allocator.hpp"

namespace rtwire::longpoll::detail {

/// Cumulative payload bytes per retained offset, mirroring a topic's log, so a session's backlog
/// (bytes after its cursor) is O(1). A ring: entry i holds the running total through offset
/// first + i; `base` is the total through first - 1.
class backlog_ring {
 public:
  explicit backlog_ring(std::size_t* counter) : ring_(counting_allocator<std::uint64_t>(counter)) {}

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

}  // namespace rtwire::longpoll::detail
