// rtwire — long-poll internals: the allocator that makes queue::memory_usage() exact, and the
// growth policy of the queue's tables. Not public API.
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
#include <vector>

namespace rtwire::longpoll::detail {

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

/// Grows `v` by a quarter when full (not the library's doubling), bounding the slack that
/// memory per parked waiter pays for growth.
template <class V>
void grow_by_quarter(V& v) {
  if (v.size() == v.capacity()) v.reserve(v.capacity() + v.capacity() / 4 + 16);
}

}  // namespace rtwire::longpoll::detail
