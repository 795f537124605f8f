// rtwire — UTF-8 validation internals: the Keiser–Lemire lookup tables ("Validating UTF-8 in less
// than one instruction per byte", 2021) the SSSE3, AVX2 and AVX-512 kernels share, and the input
// sizes below which dispatch leaves a kernel out. Not public API.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rtwire::utf8::detail {

// ------------------------------------------------------------------------------------------------
// Keiser–Lemire lookup tables
// ------------------------------------------------------------------------------------------------
//
// Each (previous byte, byte) pair is classified by AND-ing three lookups: the high nibble of the
// previous byte, its low nibble, and the high nibble of the byte. A bit survives only if all
// three agree that the pair shows that error. The error bits:
inline constexpr std::uint8_t too_short = 1 << 0;       // 11______ 0_______ or 11______ 11______
inline constexpr std::uint8_t too_long = 1 << 1;        // 0_______ 10______
inline constexpr std::uint8_t overlong_3 = 1 << 2;      // 11100000 100_____  (E0 80..9F)
inline constexpr std::uint8_t too_large = 1 << 3;       // 11110100 1001____ .. (> U+10FFFF)
inline constexpr std::uint8_t surrogate = 1 << 4;       // 11101101 101_____  (ED A0..BF)
inline constexpr std::uint8_t overlong_2 = 1 << 5;      // 1100000_ 10______  (C0, C1)
inline constexpr std::uint8_t too_large_1000 = 1 << 6;  // 11110101.. 1000____ (F5..FF 80..8F)
inline constexpr std::uint8_t overlong_4 = 1 << 6;      // 11110000 1000____  (F0 80..8F)
inline constexpr std::uint8_t two_conts = 1 << 7;       // 10______ 10______
// Bits that hold whatever the previous byte's low nibble is.
inline constexpr std::uint8_t carry = too_short | too_long | two_conts;

inline constexpr std::uint8_t byte_1_high_row[16] = {
    // 0_______: ASCII
    too_long, too_long, too_long, too_long, too_long, too_long, too_long, too_long,
    // 10______: continuation
    two_conts, two_conts, two_conts, two_conts,
    // 1100____: C0..CF
    too_short | overlong_2,
    // 1101____: D0..DF
    too_short,
    // 1110____: E0..EF
    too_short | overlong_3 | surrogate,
    // 1111____: F0..FF
    too_short | too_large | too_large_1000 | overlong_4};

inline constexpr std::uint8_t byte_1_low_row[16] = {
    carry | overlong_3 | overlong_2 | overlong_4,  // ____0000: C0, E0, F0
    carry | overlong_2,                            // ____0001: C1
    carry,                                         // ____0010
    carry,                                         // ____0011
    carry | too_large,                             // ____0100: F4
    carry | too_large | too_large_1000,            // ____0101..: F5..FF
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000 | surrogate,  // ____1101: ED
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000};

inline constexpr std::uint8_t byte_2_high_row[16] = {
    // ________ 0_______: ASCII after a lead byte
    too_short, too_short, too_short, too_short, too_short, too_short, too_short, too_short,
    // ________ 1000____
    too_long | overlong_2 | two_conts | overlong_3 | too_large_1000 | overlong_4,
    // ________ 1001____
    too_long | overlong_2 | two_conts | overlong_3 | too_large,
    // ________ 101_____
    too_long | overlong_2 | two_conts | surrogate | too_large,
    too_long | overlong_2 | two_conts | surrogate | too_large,
    // ________ 11______: a lead byte after a lead byte
    too_short, too_short, too_short, too_short};

/// The 16-entry tables repeated 4 times, so each kernel loads its width (16, 32 or 64 bytes)
/// with one aligned load: vpshufb looks up within each 16-byte lane.
struct lookup_table {
  alignas(64) std::uint8_t bytes[64];
};

constexpr lookup_table replicate(const std::uint8_t (&row)[16]) noexcept {
  lookup_table t{};
  for (std::size_t i = 0; i < 64; ++i)
    t.bytes[i] = row[i % 16];
  return t;
}

inline constexpr lookup_table byte_1_high = replicate(byte_1_high_row);
inline constexpr lookup_table byte_1_low = replicate(byte_1_low_row);
inline constexpr lookup_table byte_2_high = replicate(byte_2_high_row);

// A byte at distance 2 from a lead >= E0, or at distance 3 from a lead >= F0, must be a
// continuation: subtracting with saturation leaves bit 7 set exactly for those leads.
inline constexpr std::uint8_t third_byte_bias = 0xE0 - 0x80;
inline constexpr std::uint8_t fourth_byte_bias = 0xF0 - 0x80;

/// Minimum input sizes for the SIMD kernels (below them the scalar DFA is faster anyway, and
/// SSSE3/AVX2 need one block plus the 3 bytes before their last, overlapping block).
inline constexpr std::size_t min_size_ssse3 = 19;
inline constexpr std::size_t min_size_avx2 = 35;
inline constexpr std::size_t min_size_avx512 = 8;

}  // namespace rtwire::utf8::detail
