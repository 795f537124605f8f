// rtwire — UTF-8 validation internals: the AVX-512 BW (64-byte) Keiser–Lemire kernel, plain and
// fused with WebSocket unmasking (XOR, RFC 6455 §5.3). It returns the longest prefix it proved
// valid, cut back to a code-point boundary; the scalar DFA (rtwire/detail/utf8_dfa.hpp) resumes
// there. Chosen at run time by rtwire/detail/utf8_kernels.hpp. Not public API.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "rtwire/detail/cpu.hpp"
#include "rtwire/detail/mask_kernels.hpp"
#include "rtwire/detail/utf8_dfa.hpp"
#include "rtwire/detail/utf8_lookup_tables.hpp"

#if RTWIRE_X86_DISPATCH
#include <immintrin.h>
// Function-level targets (no -march needed); a macro because an attribute cannot be a template.
#define RTWIRE_UTF8_TARGET_AVX512 __attribute__((target("avx2,avx512f,avx512bw,avx512vl")))

namespace rtwire::utf8::detail {

// ------------------------------------------------------------------------------------------------
// AVX-512 BW (64-byte blocks)
// ------------------------------------------------------------------------------------------------
//
// Each block gets its previous bytes from the block before it (one lane-crossing vpermt2q and
// three vpalignr) instead of unaligned loads at p-1, p-2, p-3, and the main loop reads 64-byte
// aligned blocks, so no load splits a cache line: on 1 MiB of Korean text that measured ~8%
// faster. Masked loads (which never fault on masked-off bytes) read the head and the tail, so no
// byte outside the buffer is touched.

RTWIRE_UTF8_TARGET_AVX512 inline __m512i table_avx512(const lookup_table& t) noexcept {
  return _mm512_load_si512(t.bytes);
}

RTWIRE_UTF8_TARGET_AVX512 inline __m512i block_errors_avx512(__m512i in, __m512i prev1,
                                                             __m512i prev2,
                                                             __m512i prev3) noexcept {
  const __m512i nibble = _mm512_set1_epi8(0x0F);
  const __m512i b1h = _mm512_shuffle_epi8(table_avx512(byte_1_high),
                                          _mm512_and_si512(_mm512_srli_epi16(prev1, 4), nibble));
  const __m512i b1l =
      _mm512_shuffle_epi8(table_avx512(byte_1_low), _mm512_and_si512(prev1, nibble));
  const __m512i b2h = _mm512_shuffle_epi8(table_avx512(byte_2_high),
                                          _mm512_and_si512(_mm512_srli_epi16(in, 4), nibble));
  const __m512i special = _mm512_ternarylogic_epi64(b1h, b1l, b2h, 0x80);  // a & b & c
  const __m512i third = _mm512_subs_epu8(prev2, _mm512_set1_epi8(third_byte_bias));
  const __m512i fourth = _mm512_subs_epu8(prev3, _mm512_set1_epi8(fourth_byte_bias));
  const __m512i must_be_cont = _mm512_ternarylogic_epi64(
      third, fourth, _mm512_set1_epi8(static_cast<char>(0x80)), 0xA8);  // (a | b) & c
  return _mm512_xor_si512(must_be_cont, special);
}

/// Errors of block `in` given the 64 bytes before it.
RTWIRE_UTF8_TARGET_AVX512 inline __m512i carried_errors_avx512(__m512i in, __m512i prev) noexcept {
  // Per 128-bit lane, the 16 bytes before it: [prev's last lane, in's first three lanes].
  const __m512i before =
      _mm512_permutex2var_epi64(prev, _mm512_set_epi64(13, 12, 11, 10, 9, 8, 7, 6), in);
  return block_errors_avx512(in, _mm512_alignr_epi8(in, before, 15),
                             _mm512_alignr_epi8(in, before, 14),
                             _mm512_alignr_epi8(in, before, 13));
}

RTWIRE_UTF8_TARGET_AVX512 inline bool any_avx512(__m512i v, __mmask64 lanes) noexcept {
  return (_mm512_test_epi8_mask(v, v) & lanes) != 0;
}

inline __mmask64 first_lanes(std::size_t len) noexcept {
  return len >= 64 ? ~__mmask64{0} : (__mmask64{1} << len) - 1;
}

/// Largest byte values that do not leave a sequence open at the end of a block: anything in the
/// last byte >= C0, the second-to-last >= E0 or the third-to-last >= F0 needs bytes after it.
alignas(64) inline constexpr std::array<std::uint8_t, 64> block_end_limits = [] {
  std::array<std::uint8_t, 64> limits{};
  for (auto& l : limits)
    l = 0xFF;
  limits[61] = 0xEF;
  limits[62] = 0xDF;
  limits[63] = 0xBF;
  return limits;
}();

RTWIRE_UTF8_TARGET_AVX512 inline bool ends_open_avx512(__m512i block) noexcept {
  const __m512i over = _mm512_subs_epu8(block, _mm512_load_si512(block_end_limits.data()));
  return _mm512_test_epi8_mask(over, over) != 0;
}

RTWIRE_UTF8_TARGET_AVX512 inline __m512i load_avx512(const unsigned char* p) noexcept {
  return _mm512_loadu_si512(p);
}

/// What valid_prefix_avx512_impl() found: the valid prefix (as valid_prefix_avx512 returns it)
/// and how many bytes from the start it had read through `block` when it stopped.
struct avx512_prefix {
  std::size_t prefix;
  std::size_t read;
};

/// The body of valid_prefix_avx512, reading every byte once through `block(i, lanes)`, which
/// returns the 64 bytes at p + i (lanes off: zero; they are never read) and may rewrite them in
/// place (the fused unmasking of valid_prefix_xor_avx512), and `block.first(lanes)` for the head
/// block at p (i == 0, resolved at compile time rather than per block). Other reads of p (the
/// previous block after a short head, the ASCII-mode probe, boundary_before) happen only after
/// `block` has returned the bytes they read.
template <class Block>
[[gnu::always_inline]] RTWIRE_UTF8_TARGET_AVX512 inline avx512_prefix valid_prefix_avx512_impl(
    const unsigned char* p, std::size_t n, Block block) noexcept {
  // Head: up to the first 64-byte boundary when the input is long enough for alignment to pay,
  // else the first 64 bytes. Nothing before p counts, so its previous bytes are zeros (ASCII).
  const std::size_t misalign = reinterpret_cast<std::uintptr_t>(p) & 63;
  std::size_t head = n >= 256 && misalign != 0 ? 64 - misalign : 64;
  if (head > n) head = n;
  const __m512i first = block.first(first_lanes(head));
  // (An all-ASCII head after nothing cannot hold an error: skip the lookups.)
  if (_mm512_movepi8_mask(first) != 0 &&
      any_avx512(carried_errors_avx512(first, _mm512_setzero_si512()), first_lanes(head))) {
    return {0, head};
  }
  std::size_t i = head;
  if (i == n) return {boundary_before(p, n), n};
  // The 64 bytes that end at p + i, the lanes before p masked off (address arithmetic through
  // uintptr_t: the masked load never touches them).
  __m512i prev =
      head == 64
          ? first
          : _mm512_maskz_loadu_epi8(
                ~__mmask64{0} << (64 - head),
                reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(p) + head - 64));
  // ASCII fast path, taken only while `prev` is known not to leave a sequence open (then an
  // all-ASCII group is valid as it is). Inside non-ASCII text the ASCII test is skipped until a
  // group ends in 8 ASCII bytes (a scalar load: no vector port spent on guessing).
  bool ascii_mode = !ends_open_avx512(prev);
  const __mmask64 all = ~__mmask64{0};
  for (; n - i >= 256; i += 256) {
    block.prefetch(i);
    const __m512i a = block(i, all), b = block(i + 64, all);
    const __m512i c = block(i + 128, all), d = block(i + 192, all);
    if (ascii_mode &&
        _mm512_movepi8_mask(_mm512_ternarylogic_epi64(a, b, _mm512_or_si512(c, d), 0xFE)) == 0) {
      prev = d;
      continue;
    }
    const __m512i err = _mm512_or_si512(
        _mm512_ternarylogic_epi64(carried_errors_avx512(a, prev), carried_errors_avx512(b, a),
                                  carried_errors_avx512(c, b), 0xFE),  // a|b|c
        carried_errors_avx512(d, c));
    if (any_avx512(err, all)) return {boundary_before(p, i), i + 256};  // stopped at an error
    prev = d;
    // (A block source that stores its blocks tests the register: loading 8 bytes of a 64-byte
    // store that is still in flight stalled store forwarding.)
    ascii_mode = Block::stores ? (_mm512_movepi8_mask(d) >> 56) == 0
                               : (load_u64(p + i + 248) & high_bits) == 0;
  }
  for (; n - i >= 64; i += 64) {
    const __m512i in = block(i, all);
    if (any_avx512(carried_errors_avx512(in, prev), all)) return {boundary_before(p, i), i + 64};
    prev = in;
  }
  if (i < n) {
    const __mmask64 lanes = first_lanes(n - i);
    const __m512i in = block(i, lanes);
    // An ASCII tail is valid unless `prev` left a sequence open.
    if ((_mm512_movepi8_mask(in) != 0 || ends_open_avx512(prev)) &&
        any_avx512(carried_errors_avx512(in, prev), lanes)) {
      return {boundary_before(p, i), n};
    }
  }
  return {boundary_before(p, n), n};
}

/// The blocks of valid_prefix_avx512: plain loads (masked ones, which never fault on the lanes
/// they leave off, for the head and the tail).
struct load_blocks_avx512 {
  static constexpr bool stores = false;
  const unsigned char* p;
  [[gnu::always_inline]] RTWIRE_UTF8_TARGET_AVX512 __m512i
  operator()(std::size_t i, __mmask64 lanes) const noexcept {
    return lanes == ~__mmask64{0} ? load_avx512(p + i) : _mm512_maskz_loadu_epi8(lanes, p + i);
  }
  [[gnu::always_inline]] RTWIRE_UTF8_TARGET_AVX512 __m512i first(__mmask64 lanes) const noexcept {
    return (*this)(0, lanes);
  }
  void prefetch(std::size_t) const noexcept {}
};

/// As valid_prefix_ssse3, with 64-byte blocks in groups of 4 (an error lies within 256 + 3
/// bytes of the returned boundary). Requires n >= min_size_avx512.
RTWIRE_UTF8_TARGET_AVX512 inline std::size_t valid_prefix_avx512(const unsigned char* p,
                                                                 std::size_t n) noexcept {
  return valid_prefix_avx512_impl(p, n, load_blocks_avx512{p}).prefix;
}

/// The blocks of valid_prefix_xor_avx512: each loaded, XORed with the pattern for its phase,
/// stored back and returned.
struct xor_blocks_avx512 {
  static constexpr bool stores = true;
  unsigned char* p;
  __m512i at_0;     // the pattern for the block at p
  __m512i at_head;  // the pattern for every later block (they start a multiple of 64 apart)
  [[gnu::always_inline]] RTWIRE_UTF8_TARGET_AVX512 __m512i
  operator()(std::size_t i, __mmask64 lanes) const noexcept {
    return xor_at(i, lanes, at_head);
  }
  /// The head block, at p (its own key phase).
  [[gnu::always_inline]] RTWIRE_UTF8_TARGET_AVX512 __m512i first(__mmask64 lanes) const noexcept {
    return xor_at(0, lanes, at_0);
  }
  [[gnu::always_inline]] RTWIRE_UTF8_TARGET_AVX512 __m512i xor_at(std::size_t i, __mmask64 lanes,
                                                                  __m512i k) const noexcept {
    if (lanes == ~__mmask64{0}) {
      const __m512i v = _mm512_xor_si512(load_avx512(p + i), k);
      _mm512_storeu_si512(p + i, v);
      return v;
    }
    const __m512i v = _mm512_xor_si512(_mm512_maskz_loadu_epi8(lanes, p + i), k);
    _mm512_mask_storeu_epi8(p + i, lanes, v);
    return _mm512_maskz_mov_epi8(lanes, v);  // lanes off are zero, as after a masked load
  }
  /// Asks for the group `prefetch_distance` bytes after the one at p + i (prefetches never
  /// fault, so the address may lie past the buffer: it is computed as an integer).
  [[gnu::always_inline]] RTWIRE_UTF8_TARGET_AVX512 void prefetch(std::size_t i) const noexcept {
    const std::uintptr_t at = reinterpret_cast<std::uintptr_t>(p) + i + prefetch_distance;
    for (std::uintptr_t k = 0; k < 256; k += 64)
      _mm_prefetch(reinterpret_cast<const char*>(at + k), _MM_HINT_T0);
  }
  static constexpr std::size_t prefetch_distance = 4096;
};

/// XORs p[0, n) in place with `word` repeated (its memory image is the 4-byte pattern for p[0],
/// e.g. a WebSocket masking key at its phase, RFC 6455 §5.3) and returns valid_prefix_avx512() of
/// the result, in one pass: each block is loaded once, XORed, stored and validated from the
/// register, so a payload streaming in from memory is validated while the next lines load. All
/// n bytes are XORed, also when validation stops early (the caller's DFA reads on from the
/// prefix). Requires n >= min_size_avx512.
RTWIRE_UTF8_TARGET_AVX512 inline std::size_t valid_prefix_xor_avx512(unsigned char* p,
                                                                     std::size_t n,
                                                                     std::uint32_t word) noexcept {
  // The same head as valid_prefix_avx512_impl's: every block after it starts at a multiple of 64
  // (so of 4) past it, at the same key phase.
  const std::size_t misalign = reinterpret_cast<std::uintptr_t>(p) & 63;
  const std::size_t head = n >= 256 && misalign != 0 ? 64 - misalign : 0;
  const xor_blocks_avx512 blocks{
      p, _mm512_set1_epi32(static_cast<int>(word)),
      _mm512_set1_epi32(static_cast<int>(rtwire::detail::advance_mask_word(word, head)))};
  const avx512_prefix r = valid_prefix_avx512_impl(p, n, blocks);
  if (r.read < n) {
    rtwire::detail::mask_dispatch(p + r.read, p + r.read, n - r.read,
                                  rtwire::detail::advance_mask_word(word, r.read));
  }
  return r.prefix;
}

}  // namespace rtwire::utf8::detail

#undef RTWIRE_UTF8_TARGET_AVX512

#endif  // RTWIRE_X86_DISPATCH
