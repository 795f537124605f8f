// rtwire — the message log's messages: `message` (views into a retained message) and
// `message_ref` (a reference-counted handle that outlives eviction), over the one heap block
// each message is stored in. core/log.hpp (the log itself) includes this header; its top comment
// states the storage and lifetime rules.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

namespace rtwire::log {

/// Time as the caller measures it: milliseconds since any fixed origin the caller chooses (e.g.
/// std::chrono::steady_clock's epoch). Only differences are used; values should not decrease.
using millis = std::chrono::milliseconds;

namespace detail {

/// One message's storage: this header, then the type bytes, then the payload bytes, in one
/// allocation that never moves.
struct block {
  std::atomic<std::size_t> refs;
  std::size_t type_size;
  std::size_t payload_size;

  const char* type_data() const noexcept { return reinterpret_cast<const char*>(this + 1); }
  const char* payload_data() const noexcept { return type_data() + type_size; }
  std::size_t allocation_size() const noexcept { return sizeof(block) + type_size + payload_size; }

  static block* create(std::string_view type, std::string_view payload) {
    void* raw = ::operator new(sizeof(block) + type.size() + payload.size());
    auto* b = ::new (raw) block{{1}, type.size(), payload.size()};
    char* dst = reinterpret_cast<char*>(b + 1);
    if (!type.empty()) std::memcpy(dst, type.data(), type.size());
    if (!payload.empty()) std::memcpy(dst + type.size(), payload.data(), payload.size());
    return b;
  }
  static void retain(block* b) noexcept { b->refs.fetch_add(1, std::memory_order_relaxed); }
  static void release(block* b) noexcept {
    if (b->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      b->~block();
      ::operator delete(static_cast<void*>(b));
    }
  }
};

}  // namespace detail

/// A retained message, as views into the log's storage (valid while the message is retained;
/// see the header comment).
struct message {
  std::uint64_t offset = 0;
  /// The `now` given to append().
  millis time{0};
  std::string_view payload;
  /// Metadata kept with the payload (for SSE: the event type); empty when none.
  std::string_view type;
};

/// A reference-counted handle to one message's payload and type that stays valid after the log
/// evicts the message (or is destroyed). Empty when default-constructed or when ref() did not
/// find the offset. Copying is cheap (an atomic increment); no copy of the payload is made.
class message_ref {
 public:
  message_ref() noexcept = default;
  message_ref(const message_ref& o) noexcept : block_(o.block_), offset_(o.offset_) {
    if (block_) detail::block::retain(block_);
  }
  message_ref(message_ref&& o) noexcept
      : block_(std::exchange(o.block_, nullptr)), offset_(o.offset_) {}
  message_ref& operator=(message_ref o) noexcept {
    std::swap(block_, o.block_);
    std::swap(offset_, o.offset_);
    return *this;
  }
  ~message_ref() {
    if (block_) detail::block::release(block_);
  }

  explicit operator bool() const noexcept { return block_ != nullptr; }
  std::uint64_t offset() const noexcept { return offset_; }
  /// The payload; empty for an empty handle. Valid while this handle (or a copy) lives.
  std::string_view payload() const noexcept {
    return block_ ? std::string_view(block_->payload_data(), block_->payload_size)
                  : std::string_view();
  }
  /// The type metadata; empty for an empty handle or a message without one.
  std::string_view type() const noexcept {
    return block_ ? std::string_view(block_->type_data(), block_->type_size) : std::string_view();
  }

 private:
  friend class message_log;
  message_ref(detail::block* b, std::uint64_t offset) noexcept : block_(b), offset_(offset) {
    detail::block::retain(b);
  }
  detail::block* block_ = nullptr;
  std::uint64_t offset_ = 0;
};

}  // namespace rtwire::log
