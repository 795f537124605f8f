// rtwire — byte views and the output-buffer concept shared by every codec.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace rtwire {

/// A read-only view of bytes the caller owns.
using bytes_view = std::span<const std::byte>;
/// A writable view of bytes the caller owns (used where a codec transforms in place).
using mutable_bytes_view = std::span<std::byte>;

/// Views text as bytes (no copy).
inline bytes_view as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

/// Views bytes as text (no copy).
inline std::string_view as_chars(bytes_view b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

/// A caller-owned buffer that encoders append to: std::string, std::vector<char>,
/// std::vector<unsigned char>, std::vector<std::byte>, or anything with the same shape.
template <class B>
concept output_buffer = requires(B& b, std::size_t n) {
  b.size();
  b.resize(n);
  b.data();
  requires sizeof(*b.data()) == 1;
};

namespace detail {

/// Grows `buf` by `n` bytes and returns a pointer to the first new byte.
template <output_buffer B>
inline unsigned char* grow(B& buf, std::size_t n) {
  const std::size_t old = buf.size();
  buf.resize(old + n);
  return reinterpret_cast<unsigned char*>(buf.data()) + old;
}

/// Appends `s` to `buf`.
template <output_buffer B>
inline void append(B& buf, std::string_view s) {
  if (s.empty()) return;
  std::memcpy(grow(buf, s.size()), s.data(), s.size());
}

}  // namespace detail
}  // namespace rtwire
