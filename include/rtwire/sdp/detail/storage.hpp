// rtwire — SDP internals: the growable arrays behind a session's lines, attributes and strings
// (rtwire/sdp/session.hpp), and the appender through which the parser fills them. Not public API.
//
// Why not std::vector: the parser appends one line record and one attribute per line, 150-odd
// per WebRTC offer. Through std::vector every append reloads the end and capacity pointers from
// the session (each record holds a char, and a char store may alias anything), checks, stores,
// and writes the end back. An appender keeps both pointers in registers for the whole parse and
// writes the end back once (commit()), or before a call that reads the array.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

namespace rtwire::sdp::detail {

/// A growable array of a trivially copyable type, cleared without freeing; movable, not copyable.
template <class T>
class pod_buffer {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  pod_buffer() = default;
  pod_buffer(const pod_buffer&) = delete;
  pod_buffer& operator=(const pod_buffer&) = delete;
  pod_buffer(pod_buffer&& o) noexcept
      : begin_(std::exchange(o.begin_, nullptr)),
        end_(std::exchange(o.end_, nullptr)),
        cap_(std::exchange(o.cap_, nullptr)) {}
  pod_buffer& operator=(pod_buffer&& o) noexcept {
    if (this != &o) {
      release();
      begin_ = std::exchange(o.begin_, nullptr);
      end_ = std::exchange(o.end_, nullptr);
      cap_ = std::exchange(o.cap_, nullptr);
    }
    return *this;
  }
  ~pod_buffer() { release(); }

  T* data() const noexcept { return begin_; }
  std::size_t size() const noexcept { return static_cast<std::size_t>(end_ - begin_); }
  bool empty() const noexcept { return end_ == begin_; }
  T& back() noexcept { return end_[-1]; }
  T& operator[](std::size_t i) noexcept { return begin_[i]; }
  const T& operator[](std::size_t i) const noexcept { return begin_[i]; }
  void clear() noexcept { end_ = begin_; }
  std::span<const T> slice(std::size_t begin, std::size_t count) const noexcept {
    return {begin_ + begin, count};
  }

  void push_back(const T& v) noexcept {
    if (end_ == cap_) [[unlikely]]
      grow(1);
    ::new (static_cast<void*>(end_)) T(v);
    ++end_;
  }

  /// Appends a default-initialised element (members with an initialiser get it, the others
  /// are left for the caller): unlike value-initialisation, no clearing of the whole element,
  /// which GCC does with a slow `rep stos` past 128 bytes.
  T& emplace_default() noexcept {
    if (end_ == cap_) [[unlikely]]
      grow(1);
    T* p = ::new (static_cast<void*>(end_)) T;
    ++end_;
    return *p;
  }

  /// Empties the buffer and makes it hold `n` elements whose values are unspecified (the caller
  /// writes them); answers the first.
  T* overwrite(std::size_t n) noexcept {
    end_ = begin_;
    reserve_more(n);
    end_ = begin_ + n;
    return begin_;
  }

  /// Makes room for at least `n` more elements (existing elements move; pointers into the
  /// buffer are invalidated when it grows).
  void reserve_more(std::size_t n) noexcept {
    if (static_cast<std::size_t>(cap_ - end_) < n) grow(n);
  }

 private:
  template <class U>
  friend class appender;

  // Doubles the capacity (at least 64 elements, at least `n` more).
  [[gnu::noinline]] void grow(std::size_t n) noexcept {
    const std::size_t size = this->size();
    std::size_t cap = static_cast<std::size_t>(cap_ - begin_);
    cap = cap < 32 ? 64 : 2 * cap;
    if (cap < size + n) cap = size + n;
    T* p = std::allocator<T>().allocate(cap);
    if (size != 0) std::uninitialized_copy(begin_, end_, p);
    release();
    begin_ = p;
    end_ = p + size;
    cap_ = p + cap;
  }

  void release() noexcept {
    if (begin_ != nullptr)
      std::allocator<T>().deallocate(begin_, static_cast<std::size_t>(cap_ - begin_));
  }

  T* begin_ = nullptr;
  T* end_ = nullptr;
  T* cap_ = nullptr;
};

/// Appends to a pod_buffer through a cursor held in registers, up to an optional limit on the
/// number of elements. While an appender is live, the buffer's own size is stale: commit()
/// before anything else reads or appends to the buffer, and reload() after.
///
/// The end the cursor is compared with is the capacity or the limit, whichever comes first, so
/// one compare per element serves both: room() answers whether one more element may come (and
/// grows the buffer when it is only full), then push() appends it without a check.
template <class T>
class appender {
 public:
  explicit appender(pod_buffer<T>& b, std::size_t limit = ~std::size_t{0}) noexcept
      : buf_(b), limit_(limit) {
    reload();
  }

  /// Whether one more element may be appended: false when the buffer holds `limit` elements.
  [[gnu::always_inline]] inline bool room() noexcept {
    if (cur_ != end_) [[likely]]
      return true;
    if (size() >= limit_) return false;
    // Inline, so that the appender's address never escapes and its pointers stay in registers.
    commit();
    buf_.grow(1);
    reload();
    return true;
  }

  /// Constructs the next element in place; room() must have answered true since the last one.
  template <class... Args>
  [[gnu::always_inline]] inline T& push(Args&&... args) noexcept {
    T* p = ::new (static_cast<void*>(cur_)) T{std::forward<Args>(args)...};
    ++cur_;
    return *p;
  }

  /// room() and push() (for an appender without a limit).
  template <class... Args>
  [[gnu::always_inline]] inline T& emplace(Args&&... args) noexcept {
    room();
    return push(std::forward<Args>(args)...);
  }

  /// How many elements the buffer holds, counting those appended here.
  std::size_t size() const noexcept { return static_cast<std::size_t>(cur_ - buf_.begin_); }

  void commit() const noexcept { buf_.end_ = cur_; }
  void reload() noexcept {
    cur_ = buf_.end_;
    const auto cap = static_cast<std::size_t>(buf_.cap_ - buf_.begin_);
    end_ = buf_.begin_ + (cap < limit_ ? cap : limit_);
  }

 private:
  pod_buffer<T>& buf_;
  std::size_t limit_;
  T* cur_;
  T* end_;
};

}  // namespace rtwire::sdp::detail
