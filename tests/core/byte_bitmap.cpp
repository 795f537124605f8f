// rtwire/detail/byte_bitmap.hpp: the whole-buffer bitmap of a few byte values and
// crlf_bitmap(), on every CPU path (forced with cpu_features_override), against a byte-at-a-time
// reference, for every length around the 64-byte blocks and every alignment of the buffer.
#include <rtwire/detail/byte_bitmap.hpp>
#include <rtwire/detail/byte_blocks.hpp>
#include <rtwire/detail/cpu.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <random>
#include <vector>

#include "catch.hpp"

namespace cpu = rtwire::detail;

namespace {

struct path {
  const char* name;
  std::uint32_t mask;
};
const path all_paths[] = {
    {"baseline", 0},
    {"avx2", cpu::cpu_sse2 | cpu::cpu_avx2},
    {"avx512", cpu::all_features},
};

struct feature_guard {
  ~feature_guard() { cpu::cpu_features_override(cpu::all_features); }
};

std::vector<std::uint64_t> reference(const char* p, std::size_t n) {
  std::vector<std::uint64_t> words(cpu::bitmap_words(n), 0);
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] == '\n' || p[i] == '\r' || p[i] == '\0') words[i / 64] |= std::uint64_t{1} << (i % 64);
  return words;
}

// Runs check(path, text, n, offset, variant) on every CPU path for every length n up to 200,
// each of `offsets` and `variants` variants. The buffer is exactly n bytes (at an offset from an
// allocation of the same end), so that a sanitizer catches any read past it.
template <class F>
void each_buffer(std::initializer_list<std::size_t> offsets, int variants, F&& check) {
  for (const path& p : all_paths) {
    cpu::cpu_features_override(p.mask);
    for (std::size_t n = 0; n <= 200; ++n) {
      for (std::size_t offset : offsets) {
        for (int variant = 0; variant < variants; ++variant) {
          auto storage = std::make_unique<char[]>(offset + n + (n == 0 ? 1 : 0));
          check(p, storage.get() + offset, n, offset, variant);
        }
      }
    }
  }
}

// A bitmap of n bytes in a buffer one guard word longer, as each_buffer's checks fill it.
std::vector<std::uint64_t> guarded_bitmap(std::size_t n) {
  return std::vector<std::uint64_t>(cpu::bitmap_words(n) + 1, 0x5a5a5a5a5a5a5a5a);
}

// `out` holds `expected`, and nothing was written past it (the guard word).
void check_bitmap(const std::vector<std::uint64_t>& out,
                  const std::vector<std::uint64_t>& expected) {
  for (std::size_t w = 0; w < expected.size(); ++w)
    CHECK(out[w] == expected[w]);
  CHECK(out[expected.size()] == 0x5a5a5a5a5a5a5a5a);
}

}  // namespace

TEST_CASE("match_bitmap marks exactly the chosen bytes on every path", "[byte_bitmap]") {
  feature_guard guard;
  std::mt19937 rng(20261205);
  // Text with the special bytes sprinkled in, and bytes >= 0x80 (negative as char).
  const char alphabet[] = {'a', '=', ' ', '\n', '\r', '\0', '\x80', '\xff', '\x0b', '\x0e'};
  each_buffer({0, 1, 31, 63}, 1,
              [&](const path& p, char* text, std::size_t n, std::size_t offset, int) {
                for (std::size_t i = 0; i < n; ++i)
                  text[i] = alphabet[rng() % sizeof alphabet];
                auto out = guarded_bitmap(n);
                cpu::match_bitmap<'\n', '\r', '\0'>(text, n, out.data());
                INFO(p.name << ": " << n << " bytes at offset " << offset);
                check_bitmap(out, reference(text, n));
              });
}

TEST_CASE("match_bitmap_any_high: the same bits, and whether a byte is >= 0x80, on every path",
          "[byte_bitmap]") {
  feature_guard guard;
  std::mt19937 rng(20261207);
  const char ascii[] = {'a', '=', ' ', '\n', '\r', '\0', '\x7f', '\x0b'};
  const char high[] = {'\x80', '\xc3', '\xff'};
  // No high byte, then one at each of a few positions (first, last, random): the answer must see
  // it wherever it is, in a whole block or in the partial last one.
  each_buffer(
      {0, 1, 63}, 4,
      [&](const path& p, char* text, std::size_t n, std::size_t offset, int variant) {
        for (std::size_t i = 0; i < n; ++i)
          text[i] = ascii[rng() % sizeof ascii];
        const bool with_high = variant != 0 && n != 0;
        if (with_high) {
          const std::size_t at = variant == 1 ? 0 : variant == 2 ? n - 1 : rng() % n;
          text[at] = high[rng() % sizeof high];
        }
        auto out = guarded_bitmap(n);
        const bool any = cpu::match_bitmap_any_high<'\n', '\r', '\0'>(text, n, out.data());
        INFO(p.name << ": " << n << " bytes at offset " << offset << ", variant " << variant);
        CHECK(any == with_high);
        check_bitmap(out, reference(text, n));
      });
}

TEST_CASE("contains_high at every length and position", "[byte_bitmap]") {
  for (std::size_t n = 0; n <= 70; ++n) {
    std::vector<char> text(n, 'a');
    CHECK_FALSE(cpu::contains_high(text.data(), n));
    for (std::size_t i = 0; i < n; ++i) {
      text[i] = static_cast<char>(0x80 + i % 128);
      if (!cpu::contains_high(text.data(), n)) FAIL_CHECK("length " << n << ", high byte at " << i);
      text[i] = '\x7f';
      if (cpu::contains_high(text.data(), n)) FAIL_CHECK("length " << n << ", 0x7f at " << i);
      text[i] = 'a';
    }
  }
}

TEST_CASE("match_bitmap: no special byte, every byte special", "[byte_bitmap]") {
  feature_guard guard;
  for (const path& p : all_paths) {
    cpu::cpu_features_override(p.mask);
    INFO(p.name);
    const std::vector<char> plain(130, 'x'), lines(130, '\n');
    std::vector<std::uint64_t> out(3);
    cpu::match_bitmap<'\n', '\r', '\0'>(plain.data(), plain.size(), out.data());
    CHECK(out == std::vector<std::uint64_t>{0, 0, 0});
    cpu::match_bitmap<'\n', '\r', '\0'>(lines.data(), lines.size(), out.data());
    CHECK(out == std::vector<std::uint64_t>{~std::uint64_t{0}, ~std::uint64_t{0}, 3});
  }
}

namespace {

// crlf_bitmap()'s answer, byte at a time: the text ends with an LF, every LF follows a CR,
// every CR precedes an LF, and there is no NUL.
bool reference_crlf(const char* p, std::size_t n) {
  if (n == 0 || p[n - 1] != '\n') return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] == '\0') return false;
    if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')) return false;
    if (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n')) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("crlf_bitmap marks the LFs and tells all-CRLF text on every path", "[byte_bitmap]") {
  feature_guard guard;
  std::mt19937 rng(20261206);
  each_buffer(
      {0, 1, 63}, 8,
      [&](const path& p, char* text, std::size_t n, std::size_t offset, int variant) {
        // Mostly CRLF lines (so that both answers come), then one random byte broken by the
        // variants: a bare LF, a lone CR, a NUL, a missing final line end.
        for (std::size_t i = 0; i < n; ++i)
          text[i] = 'x';
        for (std::size_t i = rng() % 7 + 1; i + 1 < n; i += rng() % 70 + 2) {
          text[i] = '\r';
          text[i + 1] = '\n';
        }
        if (n >= 2) {
          text[n - 2] = '\r';
          text[n - 1] = '\n';
        }
        const char breakers[] = {'\n', '\r', '\0', 'y'};
        if (variant >= 4 && n > 0) text[rng() % n] = breakers[variant - 4];
        auto out = guarded_bitmap(n);
        const bool crlf = cpu::crlf_bitmap(text, n, out.data());
        INFO(p.name << ": " << n << " bytes at offset " << offset << ", variant " << variant);
        CHECK(crlf == reference_crlf(text, n));
        std::vector<std::uint64_t> expected(cpu::bitmap_words(n), 0);
        for (std::size_t i = 0; i < n; ++i)
          if (text[i] == '\n') expected[i / 64] |= std::uint64_t{1} << (i % 64);
        check_bitmap(out, expected);
      });
}

TEST_CASE("crlf_bitmap: a CR at the end of one block and its LF at the start of the next",
          "[byte_bitmap]") {
  feature_guard guard;
  for (const path& p : all_paths) {
    cpu::cpu_features_override(p.mask);
    INFO(p.name);
    std::vector<char> text(130, 'x');
    text[63] = '\r';
    text[64] = '\n';
    text[128] = '\r';
    text[129] = '\n';
    std::vector<std::uint64_t> out(3);
    CHECK(cpu::crlf_bitmap(text.data(), text.size(), out.data()));
    CHECK(out == std::vector<std::uint64_t>{0, 1, 2});
    text[64] = 'x';  // the CR at 63 is now lone
    CHECK_FALSE(cpu::crlf_bitmap(text.data(), text.size(), out.data()));
    text[64] = '\n';
    text[63] = 'x';  // the LF at 64 is now bare
    CHECK_FALSE(cpu::crlf_bitmap(text.data(), text.size(), out.data()));
  }
}
