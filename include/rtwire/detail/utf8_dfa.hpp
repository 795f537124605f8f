// rtwire — UTF-8 validation internals: the scalar DFA (Unicode Table 3-7), the reference every
// kernel agrees with, and the scan helpers the SIMD kernels share (rtwire/detail/utf8_kernels.hpp
// dispatches between them). Not public API.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace rtwire::utf8::detail {

// ------------------------------------------------------------------------------------------------
// Scalar DFA (Unicode Table 3-7)
// ------------------------------------------------------------------------------------------------
//
// A "shift DFA": the row for a byte packs the next state for every current state into 6-bit
// fields of one 64-bit word, and a state is the bit offset of its field. One step is
// `state = row[byte] >> (state & 63)` — a single shift on the dependency chain, no branch.

/// DFA states, stored as their field's bit offset (index * 6). `accept` is 0 so that "at a
/// code-point boundary" is a test against zero.
enum dfa_state : std::uint8_t {
  accept = 0,     // between code points
  reject = 6,     // absorbing: the input is not a valid prefix
  need_1 = 12,    // one more 80..BF completes the code point
  need_2 = 18,    // two more 80..BF
  need_3 = 24,    // three more 80..BF (after F1..F3)
  after_e0 = 30,  // Table 3-7: E0 is followed by A0..BF (no overlong 3-byte forms)
  after_ed = 36,  // Table 3-7: ED is followed by 80..9F (no surrogates D800..DFFF)
  after_f0 = 42,  // Table 3-7: F0 is followed by 90..BF (no overlong 4-byte forms)
  after_f4 = 48,  // Table 3-7: F4 is followed by 80..8F (nothing above U+10FFFF)
};

inline constexpr std::uint8_t dfa_state_mask = 63;

/// One transition of Table 3-7, written out rule by rule (used to build the table).
constexpr std::uint8_t table_3_7_next(std::uint8_t state, std::uint8_t b) noexcept {
  const bool cont = b >= 0x80 && b <= 0xBF;
  switch (state) {
    case accept:
      if (b <= 0x7F) return accept;               // U+0000..U+007F: 00..7F
      if (b >= 0xC2 && b <= 0xDF) return need_1;  // U+0080..U+07FF: C2..DF 80..BF
      if (b == 0xE0) return after_e0;             // U+0800..U+0FFF: E0 A0..BF 80..BF
      if (b >= 0xE1 && b <= 0xEC) return need_2;  // U+1000..U+CFFF: E1..EC 80..BF 80..BF
      if (b == 0xED) return after_ed;             // U+D000..U+D7FF: ED 80..9F 80..BF
      if (b >= 0xEE && b <= 0xEF) return need_2;  // U+E000..U+FFFF: EE..EF 80..BF 80..BF
      if (b == 0xF0) return after_f0;             // U+10000..U+3FFFF: F0 90..BF 80..BF 80..BF
      if (b >= 0xF1 && b <= 0xF3) return need_3;  // U+40000..U+FFFFF: F1..F3 80..BF x3
      if (b == 0xF4) return after_f4;             // U+100000..U+10FFFF: F4 80..8F 80..BF 80..BF
      return reject;  // 80..BF without a lead; C0, C1 (overlong); F5..FF (never in UTF-8)
    case need_1:
      return cont ? accept : reject;
    case need_2:
      return cont ? need_1 : reject;
    case need_3:
      return cont ? need_2 : reject;
    case after_e0:
      return (b >= 0xA0 && b <= 0xBF) ? need_1 : reject;
    case after_ed:
      return (b >= 0x80 && b <= 0x9F) ? need_1 : reject;
    case after_f0:
      return (b >= 0x90 && b <= 0xBF) ? need_2 : reject;
    case after_f4:
      return (b >= 0x80 && b <= 0x8F) ? need_2 : reject;
    default:
      return reject;
  }
}

constexpr std::array<std::uint64_t, 256> make_dfa_table() noexcept {
  std::array<std::uint64_t, 256> rows{};
  constexpr std::uint8_t states[] = {accept,   reject,   need_1,   need_2,  need_3,
                                     after_e0, after_ed, after_f0, after_f4};
  for (unsigned b = 0; b < 256; ++b) {
    std::uint64_t row = 0;
    for (const std::uint8_t s : states) {
      row |= std::uint64_t{table_3_7_next(s, static_cast<std::uint8_t>(b))} << s;
    }
    rows[b] = row;
  }
  return rows;
}

alignas(64) inline constexpr std::array<std::uint64_t, 256> dfa_table = make_dfa_table();

inline std::uint8_t dfa_step(std::uint8_t state, unsigned char b) noexcept {
  return static_cast<std::uint8_t>((dfa_table[b] >> (state & dfa_state_mask)) & dfa_state_mask);
}

/// Outcome of scanning a buffer: the DFA state after it, and, when `state == reject`, the index
/// of the rejected byte in `pos` (otherwise `pos` is the buffer size).
struct scan_result {
  std::uint8_t state;
  std::size_t pos;
};

inline std::uint64_t load_u64(const unsigned char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

inline constexpr std::uint64_t high_bits = 0x8080808080808080u;

/// Portable ASCII skip: from a code-point boundary `i`, the first index whose 8-byte word
/// contains a non-ASCII byte (or that has fewer than 8 bytes left).
inline std::size_t skip_ascii_words(const unsigned char* p, std::size_t i, std::size_t n) noexcept {
  while (n - i >= 16 && ((load_u64(p + i) | load_u64(p + i + 8)) & high_bits) == 0)
    i += 16;
  while (n - i >= 8 && (load_u64(p + i) & high_bits) == 0)
    i += 8;
  return i;
}

/// The DFA over p[i, n) from `state`, skipping ASCII runs with `skip` whenever it sits on a
/// code-point boundary. The inner loop steps 16 bytes without testing for `reject` (it is
/// absorbing); only a stretch that ends rejected is re-run byte by byte to find the exact byte.
template <class Skip>
inline scan_result dfa_scan(std::uint8_t state, const unsigned char* p, std::size_t i,
                            std::size_t n, Skip skip) noexcept {
  std::uint64_t s = state;
  while (i < n) {
    if (s == accept) {
      i = skip(p, i, n);
      if (i == n) break;
    }
    const std::size_t stop = n - i > 16 ? i + 16 : n;
    std::uint64_t t = s;
    for (std::size_t j = i; j < stop; ++j)
      t = dfa_table[p[j]] >> (t & dfa_state_mask);
    t &= dfa_state_mask;
    if (t == reject) {
      std::uint8_t r = static_cast<std::uint8_t>(s);
      for (std::size_t j = i;; ++j) {
        r = dfa_step(r, p[j]);
        if (r == reject) return {reject, j};
      }
    }
    s = t;
    i = stop;
  }
  return {static_cast<std::uint8_t>(s), n};
}

/// Given that p[0, b) has been proved a valid prefix *except possibly for its last 3 bytes*
/// (a kernel flags an invalid lead byte only at the byte after it, and an unfinished sequence
/// only when a later byte breaks it), returns the last code-point boundary at or before `b`:
/// looking back at most 3 bytes, after the last ASCII byte or at the last lead byte.
inline std::size_t boundary_before(const unsigned char* p, std::size_t b) noexcept {
  for (std::size_t k = 1; k <= 3; ++k) {
    if (k > b) return 0;
    const unsigned char c = p[b - k];
    if (c < 0x80) return b - k + 1;
    if (c >= 0xC0) return b - k;
  }
  return b;  // three continuation bytes end a complete 4-byte sequence
}

}  // namespace rtwire::utf8::detail
