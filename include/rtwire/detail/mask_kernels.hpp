// rtwire — WebSocket masking kernels (internal; the public API is rtwire::ws::mask in frame.hpp).
//
// RFC 6455 §5.3: octet i of the transformed data is octet i of the original data XOR octet
// (i MOD 4) of the masking key. The operation is its own inverse, so one kernel masks and unmasks.
//
// Every kernel takes the key already rotated to the phase of its first byte, as the 32-bit word
// whose memory image is those four key octets (so a vector of that word repeated is the key
// repeated, on any endianness). Paths: a portable 64-bit-word scalar loop (all inputs under
// 128 bytes, and everything when no SIMD is allowed); SSE2 (16 bytes) for 128-255 bytes and for
// the heads and tails of the wide kernels; AVX2 (32-byte blocks) and AVX-512 F (64-byte blocks)
// on aligned stores from 256 bytes. The x86 kernels are compiled with target attributes and
// chosen at run time from rtwire::detail::cpu_features(). All give identical bytes; the tests
// force each path and compare it with a byte-at-a-time reference.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "rtwire/detail/cpu.hpp"

#if RTWIRE_X86_DISPATCH
#include <immintrin.h>
#if defined(__SSE2__)
// SSE2 is baseline (x86-64): no target attribute, so the 16-byte kernel can inline.
#define RTWIRE_MASK_TARGET_SSE2
#else
#define RTWIRE_MASK_TARGET_SSE2 __attribute__((target("sse2")))
#endif
#define RTWIRE_MASK_TARGET_AVX2 __attribute__((target("avx2")))
#define RTWIRE_MASK_TARGET_AVX512 __attribute__((target("avx2,avx512f,avx512bw,avx512vl")))
#endif

namespace rtwire::detail {

/// The key word for phase `phase`: the memory image of key[phase], key[phase+1], ... (mod 4).
[[gnu::always_inline]] inline std::uint32_t mask_word(const unsigned char key[4],
                                                      std::size_t phase) noexcept {
  std::uint32_t word;
  std::memcpy(&word, key, 4);
  if ((phase & 3) == 0) return word;  // a whole frame, or a piece starting on a key boundary
  const unsigned char rotated[4] = {key[phase & 3], key[(phase + 1) & 3], key[(phase + 2) & 3],
                                    key[(phase + 3) & 3]};
  std::memcpy(&word, rotated, 4);
  return word;
}

/// Rotates a key word forward by `n` bytes (the word for the byte `n` positions later).
inline std::uint32_t advance_mask_word(std::uint32_t word, std::size_t n) noexcept {
  unsigned char k[4];
  std::memcpy(k, &word, 4);
  return mask_word(k, n);
}

/// Portable path: 8 bytes at a time, then a byte tail. dst may equal src (in place).
[[gnu::always_inline]] inline void mask_scalar(unsigned char* dst, const unsigned char* src,
                                               std::size_t n, std::uint32_t word) noexcept {
  const std::uint64_t word64 = (static_cast<std::uint64_t>(word) << 32) | word;
  std::size_t i = 0;
  // Two words a step: short inputs (a 16-byte frame is one step) run straight through instead of
  // the compiler's vectorized loop with its runtime overlap checks.
  for (; i + 16 <= n; i += 16) {
    std::uint64_t a, b;
    std::memcpy(&a, src + i, 8);
    std::memcpy(&b, src + i + 8, 8);
    a ^= word64;
    b ^= word64;
    std::memcpy(dst + i, &a, 8);
    std::memcpy(dst + i + 8, &b, 8);
  }
  if (i + 8 <= n) {
    std::uint64_t v;
    std::memcpy(&v, src + i, 8);
    v ^= word64;
    std::memcpy(dst + i, &v, 8);
    i += 8;
  }
  if (i + 4 <= n) {
    std::uint32_t v;
    std::memcpy(&v, src + i, 4);
    v ^= word;
    std::memcpy(dst + i, &v, 4);
    i += 4;
  }
  // The last 0-3 bytes: the key octets are the word's bytes in memory order (no spill to memory).
  for (; i < n; ++i) {
    if constexpr (std::endian::native == std::endian::little) {
      dst[i] = static_cast<unsigned char>(src[i] ^ (word & 0xFF));
      word >>= 8;
    } else {
      dst[i] = static_cast<unsigned char>(src[i] ^ (word >> 24));
      word <<= 8;
    }
  }
}

#if RTWIRE_X86_DISPATCH

/// 16 bytes at a time (unaligned), then the scalar tail: the path for 16-255 bytes and for the
/// head and tail around the wide kernels.
RTWIRE_MASK_TARGET_SSE2 [[gnu::always_inline]] inline void mask_sse2(unsigned char* dst,
                                                                     const unsigned char* src,
                                                                     std::size_t n,
                                                                     std::uint32_t word) noexcept {
  const __m128i k = _mm_set1_epi32(static_cast<int>(word));
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16));
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 32));
    const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 48));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(a, k));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 16), _mm_xor_si128(b, k));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 32), _mm_xor_si128(c, k));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 48), _mm_xor_si128(d, k));
  }
  for (; i + 16 <= n; i += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(a, k));
  }
  mask_scalar(dst + i, src + i, n - i, word);  // i is a multiple of 4: the phase is unchanged
}

/// Whole 32-byte blocks (dst should be 32-byte aligned); returns the bytes done (a multiple of
/// 32, so the key phase of the rest is unchanged).
RTWIRE_MASK_TARGET_AVX2 inline std::size_t mask_blocks_avx2(unsigned char* dst,
                                                            const unsigned char* src, std::size_t n,
                                                            std::uint32_t word) noexcept {
  const __m256i k = _mm256_set1_epi32(static_cast<int>(word));
  std::size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 32));
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 64));
    const __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 96));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_xor_si256(a, k));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 32), _mm256_xor_si256(b, k));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 64), _mm256_xor_si256(c, k));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 96), _mm256_xor_si256(d, k));
  }
  for (; i + 32 <= n; i += 32) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_xor_si256(a, k));
  }
  return i;
}

/// Whole 64-byte blocks (dst should be 64-byte aligned); returns the bytes done.
RTWIRE_MASK_TARGET_AVX512 inline std::size_t mask_blocks_avx512(unsigned char* dst,
                                                                const unsigned char* src,
                                                                std::size_t n,
                                                                std::uint32_t word) noexcept {
  const __m512i k = _mm512_set1_epi32(static_cast<int>(word));
  std::size_t i = 0;
  for (; i + 256 <= n; i += 256) {
    const __m512i a = _mm512_loadu_si512(src + i);
    const __m512i b = _mm512_loadu_si512(src + i + 64);
    const __m512i c = _mm512_loadu_si512(src + i + 128);
    const __m512i d = _mm512_loadu_si512(src + i + 192);
    _mm512_storeu_si512(dst + i, _mm512_xor_si512(a, k));
    _mm512_storeu_si512(dst + i + 64, _mm512_xor_si512(b, k));
    _mm512_storeu_si512(dst + i + 128, _mm512_xor_si512(c, k));
    _mm512_storeu_si512(dst + i + 192, _mm512_xor_si512(d, k));
  }
  for (; i + 64 <= n; i += 64)
    _mm512_storeu_si512(dst + i, _mm512_xor_si512(_mm512_loadu_si512(src + i), k));
  return i;
}

#endif  // RTWIRE_X86_DISPATCH

/// From this size on, the AVX2 / AVX-512 kernels run (below it, SSE2 wins: no alignment head,
/// no wide-register warm-up).
inline constexpr std::size_t mask_wide_threshold = 256;

/// XORs n bytes of src into dst with the key word `word` (phase of byte 0 already applied).
/// dst == src masks in place; otherwise the ranges must not overlap. Any alignment.
///
/// Measured on a Sapphire Rapids core (bench/ws_frames.cpp): split-line stores cost the wide
/// kernels up to 2.5x, so they start with a head that aligns dst to their width; masked AVX-512
/// loads/stores were slower than an SSE2 tail, so tails use SSE2.
inline void mask_dispatch_simd(unsigned char* dst, const unsigned char* src, std::size_t n,
                               std::uint32_t word) noexcept {
#if RTWIRE_X86_DISPATCH
  const std::uint32_t f = cpu_features();
  if (n >= mask_wide_threshold && (f & (cpu_avx512 | cpu_avx2))) {
    const std::size_t width = (f & cpu_avx512) ? 64 : 32;
    const std::size_t head =
        (width - (reinterpret_cast<std::uintptr_t>(dst) & (width - 1))) & (width - 1);
    if (head != 0) {
      mask_sse2(dst, src, head, word);
      word = advance_mask_word(word, head);
      dst += head;
      src += head;
      n -= head;
    }
    const std::size_t done = (f & cpu_avx512) ? mask_blocks_avx512(dst, src, n, word)
                                              : mask_blocks_avx2(dst, src, n, word);
    dst += done;  // a multiple of 4: the phase is unchanged
    src += done;
    n -= done;
  }
  if (f & cpu_sse2) return mask_sse2(dst, src, n, word);
#endif
  mask_scalar(dst, src, n, word);
}

/// Below this size the scalar loop (8 bytes a step, inlined) wins: measured at 125 bytes it
/// beat the SSE2 kernel by 20% (bench/ws_frames.cpp, ws/unmask/*/125B).
inline constexpr std::size_t mask_scalar_threshold = 128;

/// The entry point, inlined: short inputs (a chat or RPC frame: the common case) take the scalar
/// path and inputs under 256 bytes the SSE2 one, without a call; larger ones go through the
/// dispatcher.
///
/// The pointers go through an empty asm first (no instruction is emitted): inlined into a caller
/// that masks a small array whose length GCC cannot bound (a 14-byte header buffer passed with a
/// run-time size), GCC 12 at -O2/-O3 otherwise instantiates the 16-byte loop steps against that
/// array and reports -Warray-bounds on paths that n rules out, which fails a consumer's -Werror
/// build. Hiding the object behind the pointer removes the false report, not a check: every
/// access stays within [0, n). The code is unchanged in substance (g++ 12 -O3: this function
/// inlined 480 -> 472 instructions, frame_decoder::decode 2713 -> 2701).
[[gnu::always_inline]] inline void mask_dispatch(unsigned char* dst, const unsigned char* src,
                                                 std::size_t n, std::uint32_t word) noexcept {
#if defined(__GNUC__) && !defined(__clang__)
  __asm__("" : "+r"(dst));
  __asm__("" : "+r"(src));
#endif
  if (n < mask_scalar_threshold) return mask_scalar(dst, src, n, word);
#if RTWIRE_X86_DISPATCH
  if (n < mask_wide_threshold) {
    if (cpu_features() & cpu_sse2) return mask_sse2(dst, src, n, word);
    return mask_scalar(dst, src, n, word);
  }
#endif
  mask_dispatch_simd(dst, src, n, word);
}

}  // namespace rtwire::detail
