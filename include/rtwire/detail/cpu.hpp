// rtwire — runtime CPU feature detection for the SIMD paths (internal).
//
// Hot loops (UTF-8 validation, masking, SHA-1) have a portable scalar path plus x86 paths compiled
// with __attribute__((target(...))) and chosen at run time from these cached checks, so the
// library needs no -march flag. `cpu_features_override` lets tests force a path (scalar, SSE2,
// AVX2, AVX-512) to prove every path gives identical results.
#pragma once

#include <atomic>
#include <cstdint>

#if (defined(__x86_64__) || defined(_M_X64) || defined(__i386__)) && \
    (defined(__GNUC__) || defined(__clang__))
#define RTWIRE_X86_DISPATCH 1
#include <cpuid.h>
#else
#define RTWIRE_X86_DISPATCH 0
#endif

namespace rtwire::detail {

/// Bit flags of the instruction-set extensions rtwire can use.
enum cpu_feature : std::uint32_t {
  cpu_sse2 = 1u << 0,
  cpu_ssse3 = 1u << 1,
  cpu_sse41 = 1u << 2,
  cpu_avx2 = 1u << 3,
  /// AVX-512 F + BW + VL (the subset the byte-oriented kernels use).
  cpu_avx512 = 1u << 4,
  /// SHA extensions (SHA-NI).
  cpu_sha = 1u << 5,
};

#if RTWIRE_X86_DISPATCH
inline std::uint32_t detect_cpu_features() noexcept {
  std::uint32_t features = 0;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return 0;
  const unsigned max_leaf = eax;
  __get_cpuid(1, &eax, &ebx, &ecx, &edx);
  if (edx & (1u << 26)) features |= cpu_sse2;
  if (ecx & (1u << 9)) features |= cpu_ssse3;
  if (ecx & (1u << 19)) features |= cpu_sse41;
  const bool osxsave = (ecx & (1u << 27)) != 0;
  const bool avx = (ecx & (1u << 28)) != 0;
  std::uint64_t xcr0 = 0;
  if (osxsave) {
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (static_cast<std::uint64_t>(hi) << 32) | lo;
  }
  // The OS must save the YMM (bits 1-2) and, for AVX-512, the opmask/ZMM state (bits 5-7).
  const bool os_avx = osxsave && avx && (xcr0 & 0x6) == 0x6;
  const bool os_avx512 = os_avx && (xcr0 & 0xe0) == 0xe0;
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    if (os_avx && (ebx & (1u << 5))) features |= cpu_avx2;
    const bool f = ebx & (1u << 16), bw = ebx & (1u << 30), vl = ebx & (1u << 31);
    if (os_avx512 && f && bw && vl && (features & cpu_avx2)) features |= cpu_avx512;
    if (ebx & (1u << 29)) features |= cpu_sha;
  }
  return features;
}
#else
inline std::uint32_t detect_cpu_features() noexcept {
  return 0;
}
#endif

/// Forced feature mask for tests; `all_features` means "no override".
inline constexpr std::uint32_t all_features = ~std::uint32_t{0};

inline std::atomic<std::uint32_t>& cpu_features_mask() noexcept {
  static std::atomic<std::uint32_t> mask{all_features};
  return mask;
}

/// The features this CPU has (detected once), restricted by the test override mask.
inline std::uint32_t cpu_features() noexcept {
  static const std::uint32_t detected = detect_cpu_features();
  return detected & cpu_features_mask().load(std::memory_order_relaxed);
}

/// Restricts the features rtwire may use (tests and benchmarks only): pass a mask of
/// cpu_feature bits, or all_features to undo. Kernels read cpu_features() on every call, so the
/// override takes effect at once.
inline void cpu_features_override(std::uint32_t mask) noexcept {
  cpu_features_mask().store(mask, std::memory_order_relaxed);
}

}  // namespace rtwire::detail
