// Differential fuzzing of UTF-8 validation: every kernel the CPU has (scalar, SSE2, SSSE3, AVX2,
// AVX-512), one-shot and incremental (the input split in three at two positions derived from
// it), must agree with a dead-simple reference that reads Unicode Table 3-7 row by row, on the
// verdict, the error offset and the fail-fast promise (the chunk holding the offending byte
// reports it). The same splits go through validator::feed_xor() on a masked copy (the fused
// unmask-and-validate pass of WebSocket text, key phase carried across chunks), which must give
// the same results and leave exactly the original bytes. Any disagreement traps.
#include <rtwire/core/utf8.hpp>
#include <rtwire/detail/cpu.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

namespace utf8 = rtwire::utf8;
namespace cpu = rtwire::detail;

constexpr std::size_t npos = static_cast<std::size_t>(-1);

/// Table 3-7, literally: the offset of the first byte that cannot extend a valid prefix, `size`
/// when the input ends inside a code point, npos when it is valid.
std::size_t reference(const std::uint8_t* p, std::size_t size) {
  struct row {
    std::uint8_t lead_min, lead_max, second_min, second_max, length;
  };
  static constexpr std::array<row, 9> table_3_7{{
      {0x00, 0x7F, 0x00, 0x00, 1},
      {0xC2, 0xDF, 0x80, 0xBF, 2},
      {0xE0, 0xE0, 0xA0, 0xBF, 3},
      {0xE1, 0xEC, 0x80, 0xBF, 3},
      {0xED, 0xED, 0x80, 0x9F, 3},
      {0xEE, 0xEF, 0x80, 0xBF, 3},
      {0xF0, 0xF0, 0x90, 0xBF, 4},
      {0xF1, 0xF3, 0x80, 0xBF, 4},
      {0xF4, 0xF4, 0x80, 0x8F, 4},
  }};
  std::size_t i = 0;
  while (i < size) {
    const row* r = nullptr;
    for (const row& candidate : table_3_7) {
      if (p[i] >= candidate.lead_min && p[i] <= candidate.lead_max) r = &candidate;
    }
    if (r == nullptr) return i;
    for (std::size_t k = 1; k < r->length; ++k) {
      if (i + k == size) return size;
      const std::uint8_t lo = k == 1 ? r->second_min : 0x80, hi = k == 1 ? r->second_max : 0xBF;
      if (p[i + k] < lo || p[i + k] > hi) return i + k;
    }
    i += r->length;
  }
  return npos;
}

void require(bool ok) {
  if (!ok) __builtin_trap();
}

struct kernel_mask {
  std::uint32_t mask;
  std::uint32_t needs;
};

constexpr std::array<kernel_mask, 5> kernels{{
    {0, 0},
    {cpu::cpu_sse2, cpu::cpu_sse2},
    {cpu::cpu_sse2 | cpu::cpu_ssse3, cpu::cpu_sse2 | cpu::cpu_ssse3},
    {cpu::cpu_sse2 | cpu::cpu_ssse3 | cpu::cpu_sse41 | cpu::cpu_avx2,
     cpu::cpu_ssse3 | cpu::cpu_avx2},
    {cpu::all_features, cpu::cpu_avx512},
}};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::size_t ref = reference(data, size);
  const utf8::result want =
      ref == npos ? utf8::result{utf8::status::valid, 0} : utf8::result{utf8::status::invalid, ref};
  const bool truncated = ref == size;

  // Two split points derived from the input.
  std::size_t a = size == 0 ? 0 : data[0] % (size + 1);
  std::size_t b = size == 0 ? 0 : (data[size - 1] * 131u + size) % (size + 1);
  if (a > b) {
    const std::size_t t = a;
    a = b;
    b = t;
  }
  const std::array<std::size_t, 4> cuts{0, a, b, size};

  const rtwire::bytes_view all(reinterpret_cast<const std::byte*>(data), size);
  const std::uint32_t have = cpu::detect_cpu_features();
  for (const kernel_mask& k : kernels) {
    if ((have & k.needs) != k.needs) continue;
    cpu::cpu_features_override(k.mask);

    require(utf8::validate(all) == want);

    utf8::validator v;
    for (std::size_t c = 0; c + 1 < cuts.size(); ++c) {
      const utf8::result r = v.feed(all.subspan(cuts[c], cuts[c + 1] - cuts[c]));
      // Fail-fast: invalid exactly from the chunk that holds the offending byte on.
      const bool error_seen = ref != npos && !truncated && ref < cuts[c + 1];
      require((r.status == utf8::status::invalid) == error_seen);
      if (error_seen) require(r.error_offset == ref);
    }
    require(v.finish() == want);
    require(v.offset() == size);
    if (ref == npos) {
      require(!v.error());
    } else {
      require(v.error() ==
              (truncated ? utf8::error::truncated_sequence : utf8::error::invalid_sequence));
    }

    // feed_xor: the input masked with a 4-byte key, then unmasked and validated chunk by chunk.
    const std::uint8_t key[4] = {static_cast<std::uint8_t>(size * 37 + 1),
                                 static_cast<std::uint8_t>(a + 0x5A), static_cast<std::uint8_t>(b),
                                 0xA7};
    std::vector<std::uint8_t> masked(data, data + size);
    for (std::size_t i = 0; i < size; ++i)
      masked[i] ^= key[i & 3];
    utf8::validator x;
    for (std::size_t c = 0; c + 1 < cuts.size(); ++c) {
      const std::size_t at = cuts[c];
      const std::uint8_t phased[4] = {key[at & 3], key[(at + 1) & 3], key[(at + 2) & 3],
                                      key[(at + 3) & 3]};
      std::uint32_t word;
      std::memcpy(&word, phased, 4);
      const utf8::result r =
          x.feed_xor(rtwire::mutable_bytes_view(reinterpret_cast<std::byte*>(masked.data()) + at,
                                                cuts[c + 1] - at),
                     word);
      const bool error_seen = ref != npos && !truncated && ref < cuts[c + 1];
      require((r.status == utf8::status::invalid) == error_seen);
      if (error_seen) require(r.error_offset == ref);
    }
    require(x.finish() == want);
    require(size == 0 || std::memcmp(masked.data(), data, size) == 0);
  }
  cpu::cpu_features_override(cpu::all_features);
  return 0;
}
