// rtwire — internal: the message buffering and padding that SHA-1, SHA-256 (FIPS 180-4 §5.1.1)
// and MD5 (RFC 1321 §3.1-3.2) share. Each works on 64-byte blocks and pads the message the same
// way: one 0x80 byte, zeros up to 56 mod 64, then the message length in bits as a 64-bit number
// (big-endian for SHA, little-endian for MD5). Only the compression function, the initial state
// and that byte order differ; `Algo` supplies them:
//
//   struct my_algo {
//     using state_type = std::array<std::uint32_t, N>;
//     static constexpr state_type initial_state{...};
//     static constexpr bool big_endian_length = true;
//     static void compress(state_type&, const unsigned char* p, std::size_t blocks) noexcept;
//     using digest = std::array<std::uint8_t, M>;
//     static digest to_digest(const state_type&) noexcept;   // the digest's byte order
//   };
//   using hasher = rtwire::detail::digest_hasher<my_algo>;   // update(), finish(), reset()
//
// Not public API: use sha1::hasher, sha256::hasher, md5::hasher.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "rtwire/core/bytes.hpp"

namespace rtwire::detail {

template <class Algo>
class block_hasher {
 public:
  using state_type = typename Algo::state_type;
  static constexpr std::size_t block_size = 64;

  /// Appends `data` to the message; any split gives the same state. Whole blocks are compressed
  /// straight from the caller's memory in one call (one CPU dispatch); `data` is not retained.
  void update(bytes_view data) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    std::size_t n = data.size();
    if (n == 0) return;
    std::size_t buffered = static_cast<std::size_t>(length_ % block_size);
    length_ += n;
    if (buffered != 0) {
      const std::size_t take = n < block_size - buffered ? n : block_size - buffered;
      std::memcpy(buffer_.data() + buffered, p, take);
      buffered += take;
      p += take;
      n -= take;
      if (buffered < block_size) return;
      Algo::compress(state_, buffer_.data(), 1);
    }
    if (const std::size_t blocks = n / block_size; blocks != 0) {
      Algo::compress(state_, p, blocks);
      p += blocks * block_size;
      n -= blocks * block_size;
    }
    if (n != 0) std::memcpy(buffer_.data(), p, n);
  }

  /// Pads the message, compresses the last block(s) and returns the final state; the hasher is
  /// then reset, so the next update() starts a new message.
  state_type finish() noexcept {
    const std::size_t buffered = static_cast<std::size_t>(length_ % block_size);
    // A single 1 bit (the 0x80 byte), then zeros up to 448 mod 512 bits ...
    buffer_[buffered] = 0x80;
    if (buffered + 1 > block_size - 8) {
      std::memset(buffer_.data() + buffered + 1, 0, block_size - buffered - 1);
      Algo::compress(state_, buffer_.data(), 1);
      std::memset(buffer_.data(), 0, block_size - 8);
    } else {
      std::memset(buffer_.data() + buffered + 1, 0, block_size - 8 - buffered - 1);
    }
    // ... then the 64-bit bit length (messages up to 2^61 - 1 bytes are counted exactly).
    const std::uint64_t bits = length_ * 8;
    for (std::size_t i = 0; i < 8; ++i) {
      const std::size_t shift = Algo::big_endian_length ? 8 * (7 - i) : 8 * i;
      buffer_[block_size - 8 + i] = static_cast<unsigned char>(bits >> shift);
    }
    Algo::compress(state_, buffer_.data(), 1);
    const state_type result = state_;
    reset();
    return result;
  }

  /// Discards the message given so far.
  void reset() noexcept {
    state_ = Algo::initial_state;
    length_ = 0;
  }

 private:
  state_type state_ = Algo::initial_state;
  std::uint64_t length_ = 0;  // bytes given to update(); length_ % 64 of them are in buffer_
  std::array<unsigned char, block_size> buffer_{};
};

/// The incremental hasher of a block algorithm: sha1::hasher, sha256::hasher and md5::hasher are
/// this class. Holds one partial block and never allocates; any split of the message into
/// update() calls gives the same digest; messages up to 2^61 - 1 bytes are hashed exactly.
template <class Algo>
class digest_hasher {
 public:
  using digest = typename Algo::digest;

  digest_hasher() noexcept = default;

  /// Appends `data` to the message. `data` is not retained.
  void update(bytes_view data) noexcept { core_.update(data); }
  /// Appends the bytes of `data` to the message. `data` is not retained.
  void update(std::string_view data) noexcept { update(as_bytes(data)); }

  /// Pads the message, returns its digest and resets the hasher, so the next update() starts a
  /// new message.
  digest finish() noexcept { return Algo::to_digest(core_.finish()); }

  /// Discards the message given so far; the hasher is as if newly constructed.
  void reset() noexcept { core_.reset(); }

  /// The digest of `data` in one call.
  static digest of(bytes_view data) noexcept {
    digest_hasher h;
    h.update(data);
    return h.finish();
  }

 private:
  block_hasher<Algo> core_;
};

}  // namespace rtwire::detail
