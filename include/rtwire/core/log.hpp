// rtwire — the message log: a bounded, append-only history of one topic, with cursors.
//
// Shared by SSE resume (rtwire/sse/replay.hpp, where a cursor is the event `id`) and the
// long-poll queue (where it is the poll cursor). It owns no clock: every call that judges age
// takes the caller's `now`.
//
//   rtwire::log::message_log topic(/*epoch=*/boot_id, {.max_messages = 1000});
//   auto a = topic.append("hello", "greeting", now);        // a.offset == 1
//   auto r = topic.resume(last_event_id_text);              // exact range, or an explicit reset
//   if (r) for (const auto& m : topic.range(r.first, r.last)) send(m);
//   else   tell_client_to_reset(r.reset, r.head);
//
// A node that mirrors a log kept elsewhere keeps the other log's offsets instead of numbering:
//
//   rtwire::log::message_log mirror(epoch);
//   if (auto ec = mirror.restart_at({epoch, shared_top})) return ec;  // holds nothing yet
//   auto m = mirror.append_at(shared_top + 1, "hi", "", now);  // else offset_gap / _repeated
//   auto h = mirror.held();                                    // {epoch, first, last}
//
// Model:
// - Offsets are contiguous 64-bit integers starting at 1 within an epoch. Offset 0 names the
//   position before the first message.
// - The epoch (supplied by the caller, e.g. a boot id or a counter kept in a database) says which
//   history an offset belongs to. Call reset() with a new epoch whenever history can no longer be
//   trusted (restart without persistence, data loss): every older cursor then resumes as an
//   explicit `epoch_mismatch`, never as a silent gap.
// - Retention drops the oldest messages first, by count, by bytes and by age; it never leaves a
//   hole. A cursor that points before the oldest retained message resumes as `cursor_too_old`.
//
// Storage and lifetimes: each message is one heap block (header + type + payload) that never
// moves, so the views in a `message` stay valid for as long as the message is retained: until
// append(), trim() or reset() evicts it, or the log is destroyed. An append that evicts nothing
// invalidates nothing. To keep a payload beyond that (e.g. a long-poll batch in flight), take a
// `message_ref` with ref(): a reference-counted handle that keeps the block alive on its own.
//
// Thread safety: a message_log is a plain value, not synchronised. message_ref handles may be
// copied and destroyed on any thread (the count is atomic).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/core/log_cursor.hpp"
#include "rtwire/core/log_error.hpp"
#include "rtwire/core/log_message.hpp"

namespace rtwire::log {

/// How much history a log keeps. The oldest messages are evicted first until every bound holds.
/// Defaults: 10 000 messages, 16 MiB of message bytes, no age limit.
struct retention {
  /// Most messages kept. 0 keeps none (every append is evicted at once; cursors still advance).
  std::size_t max_messages = 10'000;
  /// Most message bytes kept (payload + type bytes, not counting the per-message overhead that
  /// memory_usage() reports). A single message larger than this is refused.
  std::size_t max_bytes = std::size_t{16} << 20;
  /// Messages whose age `now - time` exceeds this are evicted by append() and trim(). Zero means
  /// no age limit (count and bytes still bound the log).
  millis max_age{0};
};

/// What append() did. Converts to true on success.
struct append_result {
  /// Empty on success; error::message_too_large when nothing was appended.
  std::error_code error;
  /// The new message's offset (0 on error).
  std::uint64_t offset = 0;
  /// How many old messages retention evicted during this call.
  std::size_t evicted = 0;
  explicit operator bool() const noexcept { return !error; }
};

/// What resume() found. Converts to true when `first..last` are exactly the missed messages.
struct resume_result {
  /// Empty: resumable. Otherwise the reason the reader must reset (a log::error:
  /// malformed_cursor, epoch_mismatch, cursor_too_old or cursor_from_future) and start again
  /// from `head`; a reset is never turned into a silent gap.
  std::error_code reset;
  /// The missed messages are the offsets first..last inclusive; none when first == last + 1.
  /// Both are 0 on a reset.
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  /// The log's head when resume() was called: its epoch and newest offset.
  cursor head;

  explicit operator bool() const noexcept { return !reset; }
  /// How many messages were missed (0 on a reset).
  std::uint64_t count() const noexcept { return reset ? 0 : last + 1 - first; }
};

/// The messages a log holds: offsets first..last of `epoch`; empty when first == last + 1 (then
/// `last` is still the newest offset ever appended, or the offset the log started at).
struct held_range {
  std::uint64_t epoch = 0;
  std::uint64_t first = 1;
  std::uint64_t last = 0;
  bool empty() const noexcept { return first > last; }
  std::uint64_t size() const noexcept { return empty() ? 0 : last + 1 - first; }
  friend constexpr bool operator==(const held_range&, const held_range&) = default;
};

// ---------------------------------------------------------------------------------------------
// The log
// ---------------------------------------------------------------------------------------------

/// The append-only, bounded history of one topic. Move-only.
class message_log {
  struct slot {
    detail::block* block;
    millis time;
  };

 public:
  class iterator;
  class range_view;

  /// An empty log of epoch `epoch` whose next offset is 1.
  explicit message_log(std::uint64_t epoch, retention keep = {}) noexcept
      : epoch_(epoch), keep_(keep) {}
  message_log(message_log&& o) noexcept { swap(o); }
  message_log& operator=(message_log&& o) noexcept {
    message_log tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  message_log(const message_log&) = delete;
  message_log& operator=(const message_log&) = delete;
  ~message_log() { clear_slots(); }

  // -- Writing ---------------------------------------------------------------------------------

  /// Appends a message (payload and type are copied into one block the log owns), then applies
  /// retention by count, bytes and age against `now`. Outcomes: success with the new offset
  /// (last_offset() + 1) and the number of evicted messages; or error::message_too_large if
  /// `payload.size() + type.size()` exceeds retention::max_bytes (nothing changes). Evicted
  /// messages' views become invalid (their message_ref handles stay valid).
  append_result append(std::string_view payload, std::string_view type, millis now) {
    append_result r;
    const std::size_t bytes = payload.size() + type.size();
    if (bytes > keep_.max_bytes) {
      r.error = error::message_too_large;
      return r;
    }
    if (size_ == capacity_) grow();
    slots_[(head_ + size_) & (capacity_ - 1)] = slot{detail::block::create(type, payload), now};
    ++size_;
    bytes_ += bytes;
    overhead_ += sizeof(detail::block);
    r.offset = next_offset_++;
    r.evicted = evict(now);
    return r;
  }

  /// Appends a message with no type metadata.
  append_result append(std::string_view payload, millis now) { return append(payload, {}, now); }

  /// Appends a message at the offset it already has in the log this one mirrors. It must be
  /// exactly last_offset() + 1: a larger offset fails with error::offset_gap (messages are
  /// missing; fetch them, or restart_at() past them) and a smaller one with
  /// error::offset_repeated (a duplicate delivery); the log never renumbers and nothing changes
  /// on an error. Otherwise as append(), including error::message_too_large.
  append_result append_at(std::uint64_t offset, std::string_view payload, std::string_view type,
                          millis now) {
    if (offset != next_offset_) {
      append_result r;
      r.error = offset > next_offset_ ? error::offset_gap : error::offset_repeated;
      return r;
    }
    return append(payload, type, now);
  }

  /// Drops the whole history and continues at `head` (the next append_at() takes head.offset + 1):
  /// how a mirror skips a gap it cannot fill, or follows the shared log into a new epoch at any
  /// offset. In the same epoch `head.offset` must be at least last_offset() (error::
  /// offset_repeated otherwise, and nothing changes): offsets already handed out keep their
  /// meaning, and cursors before `head` then resume as error::cursor_too_old. In another epoch
  /// every older cursor resumes as error::epoch_mismatch, as after reset().
  /// A fresh log positioned this way is how a node starts mirroring or caching a log kept
  /// elsewhere (e.g. a Redis stream): cursors at `head` resume with nothing missed. The offset
  /// 2^64 - 1 has no successor: it is refused with error::offset_gap.
  [[nodiscard]] std::error_code restart_at(cursor head) noexcept {
    if (head.offset == std::numeric_limits<std::uint64_t>::max()) return error::offset_gap;
    if (head.epoch == epoch_ && head.offset < last_offset()) return error::offset_repeated;
    clear_slots();
    epoch_ = head.epoch;
    first_offset_ = next_offset_ = head.offset + 1;
    return {};
  }

  /// Applies age retention against `now` (count and bytes already hold after every append).
  /// Returns how many messages were evicted. Call it periodically if appends are rare.
  std::size_t trim(millis now) noexcept { return evict(now); }

  /// Drops the whole history and starts epoch `new_epoch` at offset 1: every older cursor then
  /// resumes as error::epoch_mismatch. Returns error::same_epoch (and changes nothing) if
  /// `new_epoch` is the current epoch.
  [[nodiscard]] std::error_code reset(std::uint64_t new_epoch) noexcept {
    if (new_epoch == epoch_) return error::same_epoch;
    clear_slots();
    epoch_ = new_epoch;
    first_offset_ = next_offset_ = 1;
    return {};
  }

  /// Replaces the retention bounds; takes effect at the next append() or trim().
  void set_retention(retention keep) noexcept { keep_ = keep; }
  const retention& retention_bounds() const noexcept { return keep_; }

  // -- Reading ---------------------------------------------------------------------------------

  std::uint64_t epoch() const noexcept { return epoch_; }
  /// The newest offset ever appended in this epoch (0 if none). Retention never lowers it.
  std::uint64_t last_offset() const noexcept { return next_offset_ - 1; }
  /// The oldest retained offset; last_offset() + 1 when nothing is retained.
  std::uint64_t first_offset() const noexcept { return first_offset_; }
  /// The cursor of the newest message: {epoch(), last_offset()}.
  cursor head() const noexcept { return {epoch_, last_offset()}; }
  /// What the log holds: epoch(), first_offset() and last_offset() in one value.
  held_range held() const noexcept { return {epoch_, first_offset_, last_offset()}; }
  /// Number of retained messages.
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// Payload + type bytes of the retained messages (what retention::max_bytes bounds).
  std::size_t bytes() const noexcept { return bytes_; }
  /// Heap bytes the log owns, exactly as requested from the allocator: the slot ring plus one
  /// block (header + type + payload) per retained message. Excludes sizeof(message_log) and the
  /// allocator's own bookkeeping, and blocks kept alive only by message_ref handles.
  std::size_t memory_usage() const noexcept {
    return capacity_ * sizeof(slot) + overhead_ + bytes_;
  }

  /// True if `offset` is retained.
  bool contains(std::uint64_t offset) const noexcept {
    return offset >= first_offset_ && offset < next_offset_;
  }

  /// The message at `offset`, or nullopt if it is not retained. O(1).
  std::optional<message> find(std::uint64_t offset) const noexcept {
    if (!contains(offset)) return std::nullopt;
    return at_unchecked(offset);
  }

  /// A handle that keeps the message's payload alive independently of the log; empty if
  /// `offset` is not retained. O(1).
  message_ref ref(std::uint64_t offset) const noexcept {
    if (!contains(offset)) return {};
    return message_ref(slot_at(offset).block, offset);
  }

  /// Where a reader at cursor `c` resumes. O(1). Outcomes, in the order they are checked:
  /// - epoch differs from epoch()                  -> reset = error::epoch_mismatch
  /// - c.offset > last_offset()                    -> reset = error::cursor_from_future
  /// - c.offset + 1 < first_offset() (evicted gap) -> reset = error::cursor_too_old
  /// - otherwise: first = c.offset + 1, last = last_offset(): exactly the missed messages, in
  ///   order (none if the reader is up to date).
  resume_result resume(cursor c) const noexcept {
    resume_result r;
    r.head = head();
    if (c.epoch != epoch_) {
      r.reset = error::epoch_mismatch;
    } else if (c.offset > last_offset()) {
      r.reset = error::cursor_from_future;
    } else if (c.offset + 1 < first_offset_) {
      r.reset = error::cursor_too_old;
    } else {
      r.first = c.offset + 1;
      r.last = last_offset();
    }
    return r;
  }

  /// resume() from a cursor's text form; text that parse_cursor() rejects resumes as
  /// error::malformed_cursor.
  resume_result resume(std::string_view cursor_text) const noexcept {
    if (const auto c = parse_cursor(cursor_text)) return resume(*c);
    resume_result r;
    r.head = head();
    r.reset = error::malformed_cursor;
    return r;
  }

  /// The retained messages first..last inclusive, clamped to what is retained, as a forward
  /// range of `message` values. The range reads the log on each dereference: it must not be
  /// used across an append(), trim() or reset() that evicts its messages.
  range_view range(std::uint64_t first, std::uint64_t last) const noexcept;

 private:
  slot& slot_at(std::uint64_t offset) const noexcept {
    return slots_[(head_ + static_cast<std::size_t>(offset - first_offset_)) & (capacity_ - 1)];
  }
  message at_unchecked(std::uint64_t offset) const noexcept {
    const slot& s = slot_at(offset);
    return {offset,
            s.time,
            {s.block->payload_data(), s.block->payload_size},
            {s.block->type_data(), s.block->type_size}};
  }

  void grow() {
    const std::size_t cap = capacity_ == 0 ? 16 : capacity_ * 2;
    auto fresh = std::make_unique<slot[]>(cap);
    for (std::size_t i = 0; i < size_; ++i)
      fresh[i] = slots_[(head_ + i) & (capacity_ - 1)];
    slots_ = std::move(fresh);
    capacity_ = cap;
    head_ = 0;
  }

  void pop_front() noexcept {
    slot& s = slots_[head_];
    bytes_ -= s.block->type_size + s.block->payload_size;
    overhead_ -= sizeof(detail::block);
    detail::block::release(s.block);
    s.block = nullptr;
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
    ++first_offset_;
  }

  bool expired(const slot& s, millis now) const noexcept {
    return keep_.max_age.count() > 0 && now - s.time > keep_.max_age;
  }

  std::size_t evict(millis now) noexcept {
    std::size_t n = 0;
    while (size_ != 0 && (size_ > keep_.max_messages || bytes_ > keep_.max_bytes ||
                          expired(slots_[head_], now))) {
      pop_front();
      ++n;
    }
    return n;
  }

  void clear_slots() noexcept {
    while (size_ != 0)
      pop_front();
  }

  void swap(message_log& o) noexcept {
    std::swap(slots_, o.slots_);
    std::swap(capacity_, o.capacity_);
    std::swap(head_, o.head_);
    std::swap(size_, o.size_);
    std::swap(bytes_, o.bytes_);
    std::swap(overhead_, o.overhead_);
    std::swap(epoch_, o.epoch_);
    std::swap(first_offset_, o.first_offset_);
    std::swap(next_offset_, o.next_offset_);
    std::swap(keep_, o.keep_);
  }

  // A ring of slots: capacity_ is 0 or a power of two; slot i (0 = oldest) is at
  // (head_ + i) & (capacity_ - 1) and holds offset first_offset_ + i.
  std::unique_ptr<slot[]> slots_;
  std::size_t capacity_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t bytes_ = 0;     // payload + type bytes retained
  std::size_t overhead_ = 0;  // block headers retained
  std::uint64_t epoch_ = 0;
  std::uint64_t first_offset_ = 1;
  std::uint64_t next_offset_ = 1;
  retention keep_;
};

/// Forward iterator over retained messages by offset (see message_log::range()).
class message_log::iterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = message;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = message;

  iterator() noexcept = default;
  message operator*() const noexcept { return log_->at_unchecked(offset_); }
  iterator& operator++() noexcept {
    ++offset_;
    return *this;
  }
  iterator operator++(int) noexcept {
    iterator old = *this;
    ++offset_;
    return old;
  }
  friend bool operator==(const iterator& a, const iterator& b) noexcept {
    return a.offset_ == b.offset_;
  }

 private:
  friend class message_log;
  iterator(const message_log* log, std::uint64_t offset) noexcept : log_(log), offset_(offset) {}
  const message_log* log_ = nullptr;
  std::uint64_t offset_ = 0;
};

/// The messages first..last of a log (see message_log::range()).
class message_log::range_view {
 public:
  iterator begin() const noexcept { return {log_, first_}; }
  iterator end() const noexcept { return {log_, end_}; }
  std::uint64_t size() const noexcept { return end_ - first_; }
  bool empty() const noexcept { return end_ == first_; }

 private:
  friend class message_log;
  range_view(const message_log* log, std::uint64_t first, std::uint64_t end) noexcept
      : log_(log), first_(first), end_(end) {}
  const message_log* log_;
  std::uint64_t first_;
  std::uint64_t end_;
};

inline message_log::range_view message_log::range(std::uint64_t first,
                                                  std::uint64_t last) const noexcept {
  const std::uint64_t lo = first < first_offset_ ? first_offset_ : first;
  const std::uint64_t hi_excl = last >= last_offset() ? next_offset_ : last + 1;
  return {this, lo, lo < hi_excl ? hi_excl : lo};
}

}  // namespace rtwire::log
