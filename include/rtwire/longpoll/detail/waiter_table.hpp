// rtwire — long-poll internals: the waiter table. Parked polls live in slots (one per waiter);
// each waiter is a member of one topic's waiter list per topic it polls, through a link: its
// slot's own link for the first topic, an extra link for each further one. Not public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>

#include "rtwire/longpoll/detail/counting_allocator.hpp"

namespace rtwire::longpoll::detail {

/// "No slot / no link": ends lists and chains.
inline constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
/// waiter_slot::session_next of a waiter without a session (none ends a bucket chain).
inline constexpr std::uint32_t no_session = none - 1;
/// Node ids in a topic's waiter list: a slot's own link is the slot index; an extra link (the
/// further topics of a multi-topic poll) is extra_bit | its index in the extra links.
inline constexpr std::uint32_t extra_bit = std::uint32_t{1} << 31;
inline constexpr std::size_t max_extras = extra_bit - 1;

/// One topic's parked waiters: a doubly linked list of node ids, in park order.
struct waiter_list {
  std::uint32_t first = none, last = none;
  std::size_t count = 0;
};

/// A parked waiter's membership in one topic's list.
struct link {
  std::uint64_t after = 0;  // cursor offset (epoch: the topic's current one)
  std::uint32_t topic = none;
  std::uint32_t prev = none, next = none;  // neighbours in the topic's list (node ids)
  // One field, two meanings, never mixed: slots hold only own links, extras only extra links.
  union {
    std::uint32_t generation = 0;  // a slot's own link: bumped on release (stale ids fail)
    std::uint32_t owner;           // an extra link: the slot of the waiter it belongs to
  };
};

/// 56 bytes: memory per parked waiter is a target (issue: <= 128 bytes, session included).
struct waiter_slot {
  link home;  // its first topic; topic == none: free (home.next chains the free list)
  std::uint64_t token = 0;
  std::uint64_t session = 0;
  std::uint64_t seq = 0;                    // park order
  std::uint32_t extra = none;               // first extra link (multi-topic polls)
  std::uint32_t session_next = no_session;  // next slot of its session bucket, or none
};
static_assert(sizeof(waiter_slot) <= 56);

struct extra_link {
  link l;
  std::uint32_t sibling = none;  // the waiter's next extra link; free: the free list
};

/// The slots and extra links of parked waiters, with their free lists, and the operations on
/// topic waiter lists. The lists' heads (waiter_list) belong to the caller's topics.
class waiter_table {
 public:
  explicit waiter_table(std::size_t* counter)
      : slots_(counting_allocator<waiter_slot>(counter)),
        extras_(counting_allocator<extra_link>(counter)) {}

  waiter_slot& slot(std::uint32_t s) noexcept { return slots_[s]; }
  const waiter_slot& slot(std::uint32_t s) const noexcept { return slots_[s]; }
  const extra_link& extra(std::uint32_t x) const noexcept { return extras_[x]; }
  /// Slots ever allocated (free ones included).
  std::size_t slot_count() const noexcept { return slots_.size(); }
  /// Extra links in use (parked multi-topic polls' further topics).
  std::size_t extras_in_use() const noexcept { return extras_in_use_; }
  void reserve_slots(std::size_t n) { slots_.reserve(n); }

  /// The link with node id `node`, and the slot of the waiter it belongs to.
  link& link_at(std::uint32_t node) noexcept {
    return (node & extra_bit) != 0 ? extras_[node & ~extra_bit].l : slots_[node].home;
  }
  std::uint32_t owner(std::uint32_t node) const noexcept {
    return (node & extra_bit) != 0 ? extras_[node & ~extra_bit].l.owner : node;
  }

  /// Appends link `l` (node id `node`) to `list`, the waiter list of topic `t`.
  void append(waiter_list& list, std::uint32_t t, std::uint32_t node, link& l) noexcept {
    l.topic = t;
    l.prev = list.last;
    l.next = none;
    if (list.last != none) {
      link_at(list.last).next = node;
    } else {
      list.first = node;
    }
    list.last = node;
    ++list.count;
  }

  /// Removes link `l` from `list` (its topic's waiter list).
  void unlink(waiter_list& list, link& l) noexcept {
    if (l.prev != none) {
      link_at(l.prev).next = l.next;
    } else {
      list.first = l.next;
    }
    if (l.next != none) {
      link_at(l.next).prev = l.prev;
    } else {
      list.last = l.prev;
    }
    --list.count;
    l.prev = l.next = none;
  }

  /// A free slot (reused, or a new one: the table grows by a quarter).
  std::uint32_t allocate_slot() {
    if (free_ != none) {
      const std::uint32_t s = free_;
      free_ = slots_[s].home.next;
      return s;
    }
    grow_by_quarter(slots_);
    slots_.emplace_back();
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }

  /// Adds a fresh extra link to slot `s`'s chain (at its front) and returns its index.
  std::uint32_t add_extra(std::uint32_t s) {
    std::uint32_t x;
    if (free_extra_ != none) {
      x = free_extra_;
      free_extra_ = extras_[x].sibling;
    } else {
      grow_by_quarter(extras_);
      extras_.emplace_back();
      x = static_cast<std::uint32_t>(extras_.size() - 1);
    }
    ++extras_in_use_;
    extra_link& e = extras_[x];
    e.l.owner = s;
    e.sibling = slots_[s].extra;
    slots_[s].extra = x;
    return x;
  }

  /// Unlinks every link of slot `s` through `list_of(topic) -> waiter_list&` and frees its extra
  /// links and the slot. The slot's generation moves on: stale ids of it match nothing.
  template <class ListOf>
  void release(std::uint32_t s, ListOf&& list_of) noexcept {
    waiter_slot& w = slots_[s];
    unlink(list_of(w.home.topic), w.home);
    for (std::uint32_t x = w.extra; x != none;) {
      extra_link& e = extras_[x];
      unlink(list_of(e.l.topic), e.l);
      e.l.topic = none;
      const std::uint32_t next = e.sibling;
      e.sibling = free_extra_;
      free_extra_ = x;
      --extras_in_use_;
      x = next;
    }
    w.extra = none;
    w.home.topic = none;
    ++w.home.generation;
    w.home.next = free_;
    free_ = s;
  }

  void swap(waiter_table& o) noexcept {
    slots_.swap(o.slots_);
    extras_.swap(o.extras_);
    std::swap(free_, o.free_);
    std::swap(free_extra_, o.free_extra_);
    std::swap(extras_in_use_, o.extras_in_use_);
  }

 private:
  counted_vector<waiter_slot> slots_;
  counted_vector<extra_link> extras_;
  std::uint32_t free_ = none;
  std::uint32_t free_extra_ = none;
  std::size_t extras_in_use_ = 0;
};

}  // namespace rtwire::longpoll::detail
