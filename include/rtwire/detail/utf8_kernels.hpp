// rtwire — UTF-8 validation kernels (internal; the public API is rtwire/core/utf8.hpp).
//
// Two layers:
//  1. A scalar DFA whose transitions are Unicode Table 3-7 ("Well-Formed UTF-8 Byte Sequences",
//     the same table as RFC 3629 §4). It rejects at the first byte that cannot extend a valid
//     prefix, which is exactly the fail-fast offset the API promises, and it is the reference
//     every other path must agree with.
//  2. SIMD kernels (SSSE3, AVX2, AVX-512 BW) implementing the Keiser–Lemire "lookup" algorithm
//     ("Validating UTF-8 in less than one instruction per byte", 2021): three 16-entry nibble
//     lookups classify every (previous byte, byte) pair, plus a check that the 3rd/4th bytes of
//     3- and 4-byte sequences are continuations. A kernel never computes an error offset itself:
//     it returns the longest prefix it has proved valid, cut back to a code-point boundary, and
//     the scalar DFA resumes from there. So every path gives the scalar path's answer by
//     construction, and the scalar work is bounded by one block group plus 3 bytes.
//
// A pure-SSE2 CPU gets the scalar DFA with a 16-byte SSE2 ASCII skip (pshufb needs SSSE3).
//
// The pieces: rtwire/detail/utf8_dfa.hpp (the scalar DFA), utf8_lookup_tables.hpp (the
// Keiser–Lemire tables), utf8_sse_avx2.hpp (SSE2 skip, SSSE3, AVX2), utf8_avx512.hpp (AVX-512,
// also fused with unmasking). This header holds the dispatch between them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "rtwire/detail/cpu.hpp"
#include "rtwire/detail/mask_kernels.hpp"
#include "rtwire/detail/utf8_avx512.hpp"
#include "rtwire/detail/utf8_dfa.hpp"
#include "rtwire/detail/utf8_lookup_tables.hpp"
#include "rtwire/detail/utf8_sse_avx2.hpp"

namespace rtwire::utf8::detail {

// ------------------------------------------------------------------------------------------------
// Dispatch
// ------------------------------------------------------------------------------------------------

/// The kernels, in the order dispatch prefers them.
enum class kernel : std::uint8_t { scalar, sse2, ssse3, avx2, avx512 };

/// The kernel the next call will use, from rtwire::detail::cpu_features() (which honours
/// cpu_features_override, so tests and benchmarks can force any of them).
inline kernel selected_kernel() noexcept {
#if RTWIRE_X86_DISPATCH
  const std::uint32_t f = rtwire::detail::cpu_features();
  if (f & rtwire::detail::cpu_avx512) return kernel::avx512;
  if (f & rtwire::detail::cpu_avx2) return kernel::avx2;
  if (f & rtwire::detail::cpu_ssse3) return kernel::ssse3;
  if (f & rtwire::detail::cpu_sse2) return kernel::sse2;
#endif
  return kernel::scalar;
}

/// Validates p[0, n) continuing from DFA `state` (accept at the start of a stream). Fail-fast:
/// stops at the first byte that cannot extend a valid prefix.
inline scan_result scan(std::uint8_t state, const unsigned char* p, std::size_t n) noexcept {
  std::size_t i = 0;
  // Finish a code point left open by the previous chunk (at most 3 bytes).
  while (state != accept && i < n) {
    state = dfa_step(state, p[i]);
    if (state == reject) return {reject, i};
    ++i;
  }
  if (state != accept) return {state, n};
#if RTWIRE_X86_DISPATCH
  const std::size_t rest = n - i;
  switch (selected_kernel()) {
    case kernel::avx512:
      if (rest >= min_size_avx512) i += valid_prefix_avx512(p + i, rest);
      break;
    case kernel::avx2:
      if (rest >= min_size_avx2) i += valid_prefix_avx2(p + i, rest);
      break;
    case kernel::ssse3:
      if (rest >= min_size_ssse3) i += valid_prefix_ssse3(p + i, rest);
      break;
    case kernel::sse2: {
      const scan_result r = scan_sse2(p + i, rest);
      return {r.state, r.pos + i};
    }
    case kernel::scalar:
      break;
  }
#endif
  // The scalar DFA: all of the input for the scalar kernel, else what the SIMD kernel left (at
  // most 3 bytes when valid; up to one block group before the first error otherwise).
  return dfa_scan(accept, p, i, n, skip_ascii_words);
}

/// Below this size scan_xor() unmasks, then validates (two passes over bytes that stay in L1).
inline constexpr std::size_t min_size_xor_fused = 256;

/// XORs p[0, n) in place with `word` repeated (its memory image is the 4-byte pattern for p[0])
/// and validates the result as scan() does, continuing from DFA `state`. With the AVX-512 kernel
/// both happen in one pass (each byte loaded once); otherwise the XOR pass runs first. All n
/// bytes are XORed whatever the outcome.
inline scan_result scan_xor(std::uint8_t state, unsigned char* p, std::size_t n,
                            std::uint32_t word) noexcept {
#if RTWIRE_X86_DISPATCH
  if (selected_kernel() == kernel::avx512 && n >= min_size_xor_fused) {
    unsigned char pattern[4];
    std::memcpy(pattern, &word, 4);
    std::size_t i = 0;
    // Finish a code point left open by the previous chunk (at most 3 bytes), byte by byte.
    for (; state != accept; ++i) {
      p[i] ^= pattern[i & 3];
      state = dfa_step(state, p[i]);
      if (state == reject) {
        rtwire::detail::mask_dispatch(p + i + 1, p + i + 1, n - i - 1,
                                      rtwire::detail::advance_mask_word(word, i + 1));
        return {reject, i};
      }
    }
    i += valid_prefix_xor_avx512(p + i, n - i, rtwire::detail::advance_mask_word(word, i));
    return dfa_scan(accept, p, i, n, skip_ascii_words);
  }
#endif
  rtwire::detail::mask_dispatch(p, p, n, word);
  return scan(state, p, n);
}

}  // namespace rtwire::utf8::detail
