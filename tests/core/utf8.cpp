// UTF-8 validation (RFC 3629 §4, Unicode Table 3-7): every row of Table 3-7 at its edges, the
// overlong, surrogate and > U+10FFFF forms, truncation, Markus Kuhn's stress cases; each with
// its exact error offset, run whole, byte by byte and at every split point, inside ASCII and
// non-ASCII context, on every kernel (scalar, SSE2, SSSE3, AVX2, AVX-512). Then exhaustive
// 1- and 2-byte inputs and seeded random differential tests against a Table 3-7 reference.
#include "rtwire/core/utf8.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "catch.hpp"
#include "rtwire/detail/cpu.hpp"
#include "support/splits.hpp"

namespace {

namespace utf8 = rtwire::utf8;
namespace cpu = rtwire::detail;
using utf8::error;
using utf8::status;
using utf8::detail::kernel;

/// Bytes from numbers (hex escapes in string literals swallow following hex digits).
std::string b(std::initializer_list<int> bytes) {
  std::string s;
  for (const int v : bytes)
    s += static_cast<char>(static_cast<unsigned char>(v));
  return s;
}

// ------------------------------------------------------------------------------------------------
// Kernels
// ------------------------------------------------------------------------------------------------

struct kernel_choice {
  const char* name;
  std::uint32_t mask;   // passed to cpu_features_override
  std::uint32_t needs;  // features the CPU must have
  kernel expected;
};

constexpr std::uint32_t up_to_ssse3 = cpu::cpu_sse2 | cpu::cpu_ssse3;
constexpr std::uint32_t up_to_avx2 = up_to_ssse3 | cpu::cpu_sse41 | cpu::cpu_avx2;

const std::array<kernel_choice, 5> all_kernels{{
    {"scalar", 0, 0, kernel::scalar},
    {"sse2", cpu::cpu_sse2, cpu::cpu_sse2, kernel::sse2},
    {"ssse3", up_to_ssse3, up_to_ssse3, kernel::ssse3},
    {"avx2", up_to_avx2, up_to_avx2, kernel::avx2},
    {"avx512", cpu::all_features, cpu::cpu_avx512 | cpu::cpu_avx2, kernel::avx512},
}};

/// Forces a kernel for its lifetime.
class forced {
 public:
  explicit forced(const kernel_choice& k) { cpu::cpu_features_override(k.mask); }
  ~forced() { cpu::cpu_features_override(cpu::all_features); }
  forced(const forced&) = delete;
  forced& operator=(const forced&) = delete;
};

/// The kernels this CPU can run (the scalar one always; on x86-64 at least SSE2 too).
std::vector<kernel_choice> available_kernels() {
  std::vector<kernel_choice> out;
  const std::uint32_t have = cpu::detect_cpu_features();
  for (const kernel_choice& k : all_kernels) {
    if ((have & k.needs) == k.needs) out.push_back(k);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Expected outcomes
// ------------------------------------------------------------------------------------------------

struct outcome {
  bool ok;
  std::size_t offset;  // first offending byte, or the input size when truncated
  error err;
};

constexpr outcome valid{true, 0, error::invalid_sequence};
constexpr outcome at(std::size_t offset) {
  return {false, offset, error::invalid_sequence};
}
constexpr outcome truncated(std::size_t size) {
  return {false, size, error::truncated_sequence};
}

/// Status after `fed` bytes of an input known to be a valid prefix up to there: incomplete when
/// the last lead byte's sequence reaches past `fed`.
status prefix_status(std::string_view input, std::size_t fed) {
  for (std::size_t k = 1; k <= 3 && k <= fed; ++k) {
    const auto c = static_cast<unsigned char>(input[fed - k]);
    if (c < 0x80) return status::valid;
    if (c >= 0xC0) {
      const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      return k < len ? status::incomplete : status::valid;
    }
  }
  return status::valid;
}

/// Runs `input` on every kernel: one-shot, and through a validator whole, byte by byte and split
/// in two at every point; checks the result of every call (fail-fast: the call whose chunk holds
/// the offending byte reports it), finish(), error(), offset() and stickiness.
void check(std::string_view input, outcome expected) {
  const utf8::result final_result =
      expected.ok ? utf8::result{status::valid, 0} : utf8::result{status::invalid, expected.offset};
  const std::error_code final_error = expected.ok ? std::error_code{} : expected.err;
  for (const kernel_choice& k : available_kernels()) {
    const forced force(k);
    INFO("kernel " << k.name);
    REQUIRE(utf8::detail::selected_kernel() == k.expected);
    if (utf8::validate(rtwire::as_bytes(input)) != final_result) {
      FAIL_CHECK("one-shot validate");
    }
    CHECK(utf8::is_valid(input) == expected.ok);
    for (const rtwire::test::split& s : rtwire::test::all_splits(input)) {
      INFO(s.label);
      utf8::validator v;
      std::size_t fed = 0;
      for (const std::string_view chunk : s.chunks) {
        const utf8::result r = v.feed(chunk);
        fed += chunk.size();
        utf8::result want{status::valid, 0};
        if (!expected.ok && expected.err == error::invalid_sequence && expected.offset < fed) {
          want = {status::invalid, expected.offset};
        } else {
          want.status = prefix_status(input, fed);
        }
        if (r != want) {
          FAIL_CHECK("feed after " << fed << " bytes: got state " << static_cast<int>(r.status)
                                   << " offset " << r.error_offset << ", want state "
                                   << static_cast<int>(want.status) << " offset "
                                   << want.error_offset);
          break;
        }
      }
      if (v.finish() != final_result) FAIL_CHECK("finish");
      if (v.error() != final_error) FAIL_CHECK("error(): " << v.error().message());
      if (v.offset() != input.size()) FAIL_CHECK("offset()");
      // Sticky: more bytes or another finish() change nothing but offset().
      if (v.feed(std::string_view("ok")) !=
              (expected.ok ? utf8::result{status::valid, 0} : final_result) ||
          v.error() != final_error || v.offset() != input.size() + 2) {
        FAIL_CHECK("after finish");
      }
    }
  }
}

struct fixture {
  const char* what;
  std::string input;
  outcome expected;
};

/// Each fixture alone, then inside context so the kernels meet it at many block positions:
/// after ASCII runs of 1..255 bytes and after non-ASCII text, and followed by ASCII (which turns
/// a truncation into an invalid byte at the same offset).
void check_in_context(const fixture& f) {
  INFO(f.what);
  static const std::array<std::string, 7> prefixes{
      "",
      "a",
      std::string(15, 'a'),
      std::string(61, 'a'),
      std::string(64, 'b'),
      std::string(255, 'c'),
      // 69 bytes of 2-, 3- and 4-byte code points, ending at a boundary.
      "κόσμε 한국어 텍스트 😀 ok \xF4\x8F\xBF\xBF \xEF\xBF\xBD \xDF\xBF",
  };
  for (const std::string& prefix : prefixes) {
    for (const bool suffix : {false, true}) {
      INFO("prefix " << prefix.size() << " bytes, suffix " << suffix);
      const std::string input = prefix + f.input + (suffix ? std::string(40, 'z') : "");
      outcome e = f.expected;
      if (!e.ok) e.offset += prefix.size();
      if (suffix && e.err == error::truncated_sequence) e.err = error::invalid_sequence;
      check(input, e);
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Reference model for exhaustive and random tests: Table 3-7 read row by row.
// ------------------------------------------------------------------------------------------------

/// Returns the offset of the first byte that cannot extend a valid prefix, input.size() when the
/// input ends inside a code point, or npos when it is valid.
std::size_t reference(std::string_view input) {
  constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::size_t i = 0;
  while (i < input.size()) {
    const auto lead = static_cast<unsigned char>(input[i]);
    unsigned lo = 0x80, hi = 0xBF, len = 0;
    if (lead <= 0x7F) {
      len = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      len = 2;
    } else if (lead == 0xE0) {
      len = 3, lo = 0xA0;
    } else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
      len = 3;
    } else if (lead == 0xED) {
      len = 3, hi = 0x9F;
    } else if (lead == 0xF0) {
      len = 4, lo = 0x90;
    } else if (lead >= 0xF1 && lead <= 0xF3) {
      len = 4;
    } else if (lead == 0xF4) {
      len = 4, hi = 0x8F;
    } else {
      return i;
    }
    for (unsigned k = 1; k < len; ++k) {
      if (i + k >= input.size()) return input.size();
      const auto c = static_cast<unsigned char>(input[i + k]);
      const unsigned min = k == 1 ? lo : 0x80, max = k == 1 ? hi : 0xBF;
      if (c < min || c > max) return i + k;
    }
    i += len;
  }
  return npos;
}

utf8::result reference_result(std::string_view input) {
  const std::size_t r = reference(input);
  return r == static_cast<std::size_t>(-1) ? utf8::result{status::valid, 0}
                                           : utf8::result{status::invalid, r};
}

/// Appends the UTF-8 encoding of code point `cp` (no checks: callers pass scalar values).
void encode(std::string& out, std::uint32_t cp) {
  auto put = [&](std::uint32_t v) { out += static_cast<char>(static_cast<unsigned char>(v)); };
  if (cp < 0x80) {
    put(cp);
  } else if (cp < 0x800) {
    put(0xC0 | (cp >> 6)), put(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    put(0xE0 | (cp >> 12)), put(0x80 | ((cp >> 6) & 0x3F)), put(0x80 | (cp & 0x3F));
  } else {
    put(0xF0 | (cp >> 18)), put(0x80 | ((cp >> 12) & 0x3F));
    put(0x80 | ((cp >> 6) & 0x3F)), put(0x80 | (cp & 0x3F));
  }
}

/// Random valid text of exactly `size` bytes: code points of every length, edges included.
std::string random_text(std::mt19937& engine, std::size_t size) {
  const auto rng = [&engine] { return static_cast<std::uint32_t>(engine()); };
  static constexpr std::uint32_t edges[] = {
      0x00,   0x7F,   0x80,   0x7FF,   0x800,   0xFFF,   0x1000,  0xCFFF,   0xD000,  0xD7FF,
      0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x3FFFF, 0x40000, 0xFFFFF, 0x100000, 0x10FFFF};
  std::string out;
  while (out.size() < size) {
    std::uint32_t cp = 0;
    switch (rng() % 8) {
      case 0:
        cp = edges[rng() % std::size(edges)];
        break;
      case 1:
      case 2:
        cp = rng() % 0x80;
        break;
      case 3:
        cp = 0x80 + rng() % (0x800 - 0x80);
        break;
      case 4:
      case 5:
        do
          cp = 0x800 + rng() % (0x10000 - 0x800);
        while (cp >= 0xD800 && cp <= 0xDFFF);
        break;
      default:
        cp = 0x10000 + rng() % (0x110000 - 0x10000);
        break;
    }
    std::string cp_bytes;
    encode(cp_bytes, cp);
    if (out.size() + cp_bytes.size() > size) cp_bytes = "a";  // fill the last bytes with ASCII
    out += cp_bytes;
  }
  return out;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------------

TEST_CASE("utf8 errors: category, messages and conditions") {
  const std::error_code invalid = error::invalid_sequence;
  const std::error_code truncated_ec = error::truncated_sequence;
  CHECK(std::string_view(invalid.category().name()) == "rtwire.utf8");
  CHECK(&invalid.category() == &truncated_ec.category());
  CHECK(invalid.value() == 1);
  CHECK(truncated_ec.value() == 2);
  CHECK(invalid.message() == "invalid UTF-8 byte sequence (RFC 3629 §4)");
  CHECK(truncated_ec.message() == "the input ends inside a UTF-8 code point");
  CHECK(invalid == rtwire::condition::protocol_violation);
  CHECK(truncated_ec == rtwire::condition::protocol_violation);
  CHECK(invalid != rtwire::condition::bad_input);
  CHECK(invalid != truncated_ec);
  CHECK(rtwire::is_error_enum_v<error>);
  CHECK(invalid.category().message(3).find("unknown error 3") != std::string::npos);
}

// ------------------------------------------------------------------------------------------------
// Fixtures
// ------------------------------------------------------------------------------------------------

TEST_CASE("utf8: Unicode Table 3-7, every row at its edges") {
  const std::vector<fixture> fixtures{
      {"empty", "", valid},
      // 00..7F
      {"U+0000", b({0x00}), valid},
      {"U+007F", b({0x7F}), valid},
      {"80 is a continuation without a lead", b({0x80}), at(0)},
      // C2..DF 80..BF
      {"C0 can only start an overlong form", b({0xC0, 0x80}), at(0)},
      {"C1 can only start an overlong form", b({0xC1, 0xBF}), at(0)},
      {"U+0080 = C2 80", b({0xC2, 0x80}), valid},
      {"C2 7F: 7F is not a continuation", b({0xC2, 0x7F}), at(1)},
      {"C2 C0: C0 is not a continuation", b({0xC2, 0xC0}), at(1)},
      {"U+07FF = DF BF", b({0xDF, 0xBF}), valid},
      {"DF C0", b({0xDF, 0xC0}), at(1)},
      {"C3 41 (the classic)", b({0xC3, 0x41}), at(1)},
      // E0 A0..BF 80..BF
      {"U+0800 = E0 A0 80", b({0xE0, 0xA0, 0x80}), valid},
      {"E0 9F: overlong 3-byte form", b({0xE0, 0x9F, 0xBF}), at(1)},
      {"U+0FFF = E0 BF BF", b({0xE0, 0xBF, 0xBF}), valid},
      {"E0 C0", b({0xE0, 0xC0, 0x80}), at(1)},
      {"E0 A0 7F", b({0xE0, 0xA0, 0x7F}), at(2)},
      {"E0 A0 C0", b({0xE0, 0xA0, 0xC0}), at(2)},
      // E1..EC 80..BF 80..BF
      {"U+1000 = E1 80 80", b({0xE1, 0x80, 0x80}), valid},
      {"E1 7F", b({0xE1, 0x7F, 0x80}), at(1)},
      {"U+CFFF = EC BF BF", b({0xEC, 0xBF, 0xBF}), valid},
      {"EC C0", b({0xEC, 0xC0, 0x80}), at(1)},
      {"E1 80 7F", b({0xE1, 0x80, 0x7F}), at(2)},
      {"E1 80 C0", b({0xE1, 0x80, 0xC0}), at(2)},
      // ED 80..9F 80..BF
      {"U+D000 = ED 80 80", b({0xED, 0x80, 0x80}), valid},
      {"U+D7FF = ED 9F BF", b({0xED, 0x9F, 0xBF}), valid},
      {"ED A0: surrogate U+D800", b({0xED, 0xA0, 0x80}), at(1)},
      {"ED 7F", b({0xED, 0x7F, 0x80}), at(1)},
      // EE..EF 80..BF 80..BF
      {"U+E000 = EE 80 80", b({0xEE, 0x80, 0x80}), valid},
      {"EE 7F", b({0xEE, 0x7F, 0x80}), at(1)},
      {"U+FFFF = EF BF BF (noncharacter, well-formed)", b({0xEF, 0xBF, 0xBF}), valid},
      {"U+FFFE = EF BF BE (noncharacter, well-formed)", b({0xEF, 0xBF, 0xBE}), valid},
      {"EF C0", b({0xEF, 0xC0, 0x80}), at(1)},
      // F0 90..BF 80..BF 80..BF
      {"U+10000 = F0 90 80 80", b({0xF0, 0x90, 0x80, 0x80}), valid},
      {"F0 8F: overlong 4-byte form", b({0xF0, 0x8F, 0xBF, 0xBF}), at(1)},
      {"U+3FFFF = F0 BF BF BF", b({0xF0, 0xBF, 0xBF, 0xBF}), valid},
      {"F0 C0", b({0xF0, 0xC0, 0x80, 0x80}), at(1)},
      // F1..F3 80..BF 80..BF 80..BF
      {"U+40000 = F1 80 80 80", b({0xF1, 0x80, 0x80, 0x80}), valid},
      {"F1 7F", b({0xF1, 0x7F, 0x80, 0x80}), at(1)},
      {"U+FFFFF = F3 BF BF BF", b({0xF3, 0xBF, 0xBF, 0xBF}), valid},
      {"F3 C0", b({0xF3, 0xC0, 0x80, 0x80}), at(1)},
      {"F1 80 7F", b({0xF1, 0x80, 0x7F, 0x80}), at(2)},
      {"F1 80 80 7F", b({0xF1, 0x80, 0x80, 0x7F}), at(3)},
      {"F1 80 80 C0", b({0xF1, 0x80, 0x80, 0xC0}), at(3)},
      // F4 80..8F 80..BF 80..BF
      {"U+100000 = F4 80 80 80", b({0xF4, 0x80, 0x80, 0x80}), valid},
      {"U+10FFFF = F4 8F BF BF", b({0xF4, 0x8F, 0xBF, 0xBF}), valid},
      {"U+110000 = F4 90 80 80: above U+10FFFF", b({0xF4, 0x90, 0x80, 0x80}), at(1)},
      {"F4 7F", b({0xF4, 0x7F, 0x80, 0x80}), at(1)},
      // F5..FF never appear
      {"F5 80 80 80", b({0xF5, 0x80, 0x80, 0x80}), at(0)},
      {"F7 BF BF BF (U+1FFFFF)", b({0xF7, 0xBF, 0xBF, 0xBF}), at(0)},
      {"F8 88 80 80 80 (5-byte form)", b({0xF8, 0x88, 0x80, 0x80, 0x80}), at(0)},
      {"FC 84 80 80 80 80 (6-byte form)", b({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80}), at(0)},
      {"FE", b({0xFE}), at(0)},
      {"FF", b({0xFF}), at(0)},
  };
  for (const fixture& f : fixtures)
    check_in_context(f);
}

TEST_CASE("utf8: overlong forms of 2, 3 and 4 bytes") {
  const std::vector<fixture> fixtures{
      {"'/' as C0 AF", b({0xC0, 0xAF}), at(0)},
      {"'/' as E0 80 AF", b({0xE0, 0x80, 0xAF}), at(1)},
      {"'/' as F0 80 80 AF", b({0xF0, 0x80, 0x80, 0xAF}), at(1)},
      {"largest 2-byte overlong C1 BF", b({0xC1, 0xBF}), at(0)},
      {"largest 3-byte overlong E0 9F BF", b({0xE0, 0x9F, 0xBF}), at(1)},
      {"largest 4-byte overlong F0 8F BF BF", b({0xF0, 0x8F, 0xBF, 0xBF}), at(1)},
      {"NUL as C0 80", b({0xC0, 0x80}), at(0)},
      {"NUL as E0 80 80", b({0xE0, 0x80, 0x80}), at(1)},
      {"NUL as F0 80 80 80", b({0xF0, 0x80, 0x80, 0x80}), at(1)},
  };
  for (const fixture& f : fixtures)
    check_in_context(f);
}

TEST_CASE("utf8: surrogates D800-DFFF, single and paired") {
  const std::vector<fixture> fixtures{
      {"U+D800", b({0xED, 0xA0, 0x80}), at(1)},
      {"U+DB7F", b({0xED, 0xAD, 0xBF}), at(1)},
      {"U+DB80", b({0xED, 0xAE, 0x80}), at(1)},
      {"U+DBFF", b({0xED, 0xAF, 0xBF}), at(1)},
      {"U+DC00", b({0xED, 0xB0, 0x80}), at(1)},
      {"U+DF80", b({0xED, 0xBE, 0x80}), at(1)},
      {"U+DFFF", b({0xED, 0xBF, 0xBF}), at(1)},
      {"U+D800 U+DC00 (a CESU-8 pair)", b({0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80}), at(1)},
      {"U+DBFF U+DFFF", b({0xED, 0xAF, 0xBF, 0xED, 0xBF, 0xBF}), at(1)},
  };
  for (const fixture& f : fixtures)
    check_in_context(f);
}

TEST_CASE("utf8: fail-fast on prefixes that can never become valid") {
  // Each of these ends the input; the offending byte is reported by feed(), not finish().
  const std::vector<fixture> fixtures{
      {"F4 90: beyond U+10FFFF whatever follows", b({0xF4, 0x90}), at(1)},
      {"F4 BF", b({0xF4, 0xBF}), at(1)},
      {"E0 80: overlong whatever follows", b({0xE0, 0x80}), at(1)},
      {"E0 9F", b({0xE0, 0x9F}), at(1)},
      {"ED A0: a surrogate whatever follows", b({0xED, 0xA0}), at(1)},
      {"ED BF", b({0xED, 0xBF}), at(1)},
      {"F0 80: overlong whatever follows", b({0xF0, 0x80}), at(1)},
      {"F0 8F", b({0xF0, 0x8F}), at(1)},
      {"C0 alone", b({0xC0}), at(0)},
      {"C1 alone", b({0xC1}), at(0)},
      {"F5 alone", b({0xF5}), at(0)},
      {"F8 alone", b({0xF8}), at(0)},
      {"text then C0", "abc" + b({0xC0}), at(3)},
  };
  for (const fixture& f : fixtures)
    check_in_context(f);
}

TEST_CASE("utf8: truncated sequences are reported by finish()") {
  const std::vector<fixture> fixtures{
      {"C2", b({0xC2}), truncated(1)},
      {"DF", b({0xDF}), truncated(1)},
      {"E0", b({0xE0}), truncated(1)},
      {"E0 A0", b({0xE0, 0xA0}), truncated(2)},
      {"E1 80", b({0xE1, 0x80}), truncated(2)},
      {"ED 9F", b({0xED, 0x9F}), truncated(2)},
      {"EF BF", b({0xEF, 0xBF}), truncated(2)},
      {"F0", b({0xF0}), truncated(1)},
      {"F0 90", b({0xF0, 0x90}), truncated(2)},
      {"F0 90 80", b({0xF0, 0x90, 0x80}), truncated(3)},
      {"F1 80 80", b({0xF1, 0x80, 0x80}), truncated(3)},
      {"F4", b({0xF4}), truncated(1)},
      {"F4 8F BF", b({0xF4, 0x8F, 0xBF}), truncated(3)},
      {"euro sign cut: abc E2 82", "abc" + b({0xE2, 0x82}), truncated(5)},
  };
  for (const fixture& f : fixtures)
    check_in_context(f);
}

TEST_CASE("utf8: lone and extra continuation bytes") {
  std::string all_continuations;
  for (int c = 0x80; c <= 0xBF; ++c)
    all_continuations += static_cast<char>(c);
  const std::vector<fixture> fixtures{
      {"80", b({0x80}), at(0)},
      {"BF", b({0xBF}), at(0)},
      {"a 80", "a" + b({0x80}), at(1)},
      {"80 BF", b({0x80, 0xBF}), at(0)},
      {"all 64 continuation bytes", all_continuations, at(0)},
      {"C3 A9 A9: one too many", b({0xC3, 0xA9, 0xA9}), at(2)},
      {"E2 82 AC 80: one too many", b({0xE2, 0x82, 0xAC, 0x80}), at(3)},
      {"F0 9F 98 80 80: one too many", b({0xF0, 0x9F, 0x98, 0x80, 0x80}), at(4)},
  };
  for (const fixture& f : fixtures)
    check_in_context(f);
}

TEST_CASE("utf8: Markus Kuhn's decoder stress test") {
  std::vector<fixture> fixtures{
      // 1: correct text
      {"1 kosme", b({0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5}), valid},
      // 2.1 / 2.2 / 2.3: boundaries
      {"2.1 first 2-, 3-, 4-byte", b({0xC2, 0x80, 0xE0, 0xA0, 0x80, 0xF0, 0x90, 0x80, 0x80}),
       valid},
      {"2.2 last 1-, 2-, 3-byte", b({0x7F, 0xDF, 0xBF, 0xEF, 0xBF, 0xBF}), valid},
      {"2.3 U+D7FF U+E000 U+FFFD U+10FFFF",
       b({0xED, 0x9F, 0xBF, 0xEE, 0x80, 0x80, 0xEF, 0xBF, 0xBD, 0xF4, 0x8F, 0xBF, 0xBF}), valid},
      {"2.3.5 U+110000", b({0xF4, 0x90, 0x80, 0x80}), at(1)},
      // 3.3: sequences with the last continuation byte missing, then a space
      {"3.3 E1 80 ' '", b({0xE1, 0x80, 0x20}), at(2)},
      {"3.3 F1 80 80 ' '", b({0xF1, 0x80, 0x80, 0x20}), at(3)},
      {"3.3 DF ' '", b({0xDF, 0x20}), at(1)},
      {"3.3 EF BF ' '", b({0xEF, 0xBF, 0x20}), at(2)},
      {"3.3 F7 BF BF ' '", b({0xF7, 0xBF, 0xBF, 0x20}), at(0)},
      // 3.4: concatenated incomplete sequences
      {"3.4 C2 E1 80 F1 80 80", b({0xC2, 0xE1, 0x80, 0xF1, 0x80, 0x80}), at(1)},
      // 3.5: impossible bytes
      {"3.5 FE FE FF FF", b({0xFE, 0xFE, 0xFF, 0xFF}), at(0)},
      // 5.3: noncharacters are well-formed
      {"5.3 U+FDD0 U+FDEF U+1FFFE", b({0xEF, 0xB7, 0x90, 0xEF, 0xB7, 0xAF, 0xF0, 0x9F, 0xBF, 0xBE}),
       valid},
  };
  // 3.2: every lonely start byte followed by a space.
  for (int lead = 0xC0; lead <= 0xFF; ++lead) {
    const bool ok_lead = (lead >= 0xC2 && lead <= 0xF4);
    fixtures.push_back({"3.2 lonely start byte then space", b({lead, 0x20}), at(ok_lead ? 1 : 0)});
  }
  for (const fixture& f : fixtures)
    check_in_context(f);
}

TEST_CASE("utf8: real text in several scripts is valid") {
  const std::vector<fixture> fixtures{
      {"Latin-1", "héllo wörld, ça va? ñ", valid},
      {"Greek, Cyrillic", "Καλημέρα κόσμε, Здравствуй мир", valid},
      {"CJK", "日本語のテキスト、中文文本、한국어 텍스트", valid},
      {"emoji with ZWJ and skin tones", "👨‍👩‍👧 👍🏽 🏳️‍🌈 😀", valid},
  };
  for (const fixture& f : fixtures)
    check_in_context(f);
}

// ------------------------------------------------------------------------------------------------
// Validator behaviour
// ------------------------------------------------------------------------------------------------

TEST_CASE("utf8 validator: stream offsets, stickiness, finish and reset") {
  for (const kernel_choice& k : available_kernels()) {
    const forced force(k);
    INFO("kernel " << k.name);
    utf8::validator v;
    CHECK(v.offset() == 0);
    CHECK(!v.error());
    CHECK(v.finish() == utf8::result{status::valid, 0});  // the empty stream is valid

    // Offsets count from the start of the stream, across chunks.
    CHECK(v.feed(std::string(100, 'x')) == utf8::result{status::valid, 0});
    CHECK(v.feed(b({0xE2, 0x82})) == utf8::result{status::incomplete, 0});
    CHECK(v.offset() == 102);
    CHECK(v.feed(b({0xAC}) + "rest" + b({0xFF}) + "more") == utf8::result{status::invalid, 107});
    CHECK(v.error() == error::invalid_sequence);
    // Sticky: valid bytes do not clear it, finish() does not turn it into truncated_sequence.
    CHECK(v.feed(std::string_view("fine")) == utf8::result{status::invalid, 107});
    CHECK(v.finish() == utf8::result{status::invalid, 107});
    CHECK(v.error() == error::invalid_sequence);
    CHECK(v.offset() == 116);

    v.reset();
    CHECK(v.offset() == 0);
    CHECK(!v.error());
    CHECK(v.feed(b({0xF0, 0x9F})) == utf8::result{status::incomplete, 0});
    CHECK(v.finish() == utf8::result{status::invalid, 2});
    CHECK(v.error() == error::truncated_sequence);
    CHECK(v.feed(b({0x98, 0x80})) == utf8::result{status::invalid, 2});  // too late: sticky

    // A valid finish() does not reset: the stream may go on.
    v.reset();
    CHECK(v.feed(std::string_view("ab")) == utf8::result{status::valid, 0});
    CHECK(v.finish() == utf8::result{status::valid, 0});
    CHECK(v.feed(b({0x80})) == utf8::result{status::invalid, 2});

    // bytes_view and string_view overloads agree; empty chunks change nothing.
    v.reset();
    CHECK(v.feed(rtwire::bytes_view{}) == utf8::result{status::valid, 0});
    CHECK(v.feed(rtwire::as_bytes(b({0xC3}))) == utf8::result{status::incomplete, 0});
    CHECK(v.feed(std::string_view{}) == utf8::result{status::incomplete, 0});
    CHECK(v.feed(rtwire::as_bytes(b({0xA9}))) == utf8::result{status::valid, 0});
  }
}

TEST_CASE("utf8 one-shot: truncation versus an invalid last byte") {
  for (const kernel_choice& k : available_kernels()) {
    const forced force(k);
    INFO("kernel " << k.name);
    const std::string long_text = std::string(300, 'a') + "한국어";
    CHECK(utf8::validate(rtwire::as_bytes(long_text)) == utf8::result{status::valid, 0});
    const std::string cut = long_text.substr(0, long_text.size() - 1);
    CHECK(utf8::validate(rtwire::as_bytes(cut)) == utf8::result{status::invalid, cut.size()});
    const std::string bad_last = std::string(300, 'a') + b({0xC0});
    CHECK(utf8::validate(rtwire::as_bytes(bad_last)) == utf8::result{status::invalid, 300});
    CHECK(utf8::is_valid(long_text));
    CHECK_FALSE(utf8::is_valid(cut));
    CHECK(utf8::is_valid(""));
  }
}

// ------------------------------------------------------------------------------------------------
// Exhaustive and random differential tests
// ------------------------------------------------------------------------------------------------

TEST_CASE("utf8: every 1- and 2-byte input, and every lead with every second byte") {
  for (const kernel_choice& k : available_kernels()) {
    const forced force(k);
    INFO("kernel " << k.name);
    const std::string pad(20, 'p');  // long enough for every kernel to take the input
    for (int b0 = 0; b0 < 256; ++b0) {
      const std::string one = b({b0});
      if (utf8::validate(rtwire::as_bytes(one)) != reference_result(one)) FAIL_CHECK(b0);
      for (int b1 = 0; b1 < 256; ++b1) {
        const std::string two = b({b0, b1});
        // Alone, and completed with continuations then ASCII, after padding.
        for (const std::string& s : {two, pad + two + b({0x80, 0x80}) + pad}) {
          if (utf8::validate(rtwire::as_bytes(s)) != reference_result(s)) {
            FAIL_CHECK("bytes " << b0 << " " << b1 << " size " << s.size());
          }
        }
      }
    }
  }
}

TEST_CASE("utf8: an unfinished or invalid sequence at every offset, before a long ASCII run") {
  // The kernels skip all-ASCII block groups (up to 256 bytes, after a head of up to 64 bytes);
  // the skip must still notice a sequence left open by the group before. Slide each case over
  // every offset 0..600, so it ends every block and the first two groups at every lane, with
  // 300 ASCII bytes after it.
  const std::vector<fixture> cases{
      {"C2 then ASCII", b({0xC2}), at(1)},
      {"E1 80 then ASCII", b({0xE1, 0x80}), at(2)},
      {"E1 then ASCII", b({0xE1}), at(1)},
      {"F1 80 80 then ASCII", b({0xF1, 0x80, 0x80}), at(3)},
      {"F1 80 then ASCII", b({0xF1, 0x80}), at(2)},
      {"F1 then ASCII", b({0xF1}), at(1)},
      {"C0 then ASCII", b({0xC0}), at(0)},
      {"F5 then ASCII", b({0xF5}), at(0)},
      {"80 then ASCII", b({0x80}), at(0)},
      {"F4 90 then ASCII", b({0xF4, 0x90}), at(1)},
      {"complete 4-byte then ASCII", b({0xF0, 0x9F, 0x98, 0x80}), valid},
  };
  const std::string run(300, 'r');
  for (const kernel_choice& k : available_kernels()) {
    const forced force(k);
    INFO("kernel " << k.name);
    for (const fixture& f : cases) {
      INFO(f.what);
      for (std::size_t offset = 0; offset <= 600; ++offset) {
        const std::string input = std::string(offset, 'a') + f.input + run;
        const utf8::result want = f.expected.ok
                                      ? utf8::result{status::valid, 0}
                                      : utf8::result{status::invalid, offset + f.expected.offset};
        if (utf8::validate(rtwire::as_bytes(input)) != want) FAIL_CHECK("offset " << offset);
        if (reference_result(input) != want) FAIL_CHECK("reference, offset " << offset);
      }
    }
  }
}

TEST_CASE("utf8: random corruptions, SIMD kernels against scalar and the reference") {
  std::mt19937 rng(0x5eed);
  const std::vector<kernel_choice> kernels = available_kernels();
  constexpr int nasty[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
                           0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  std::vector<unsigned char> arena(600 + 64 + 64);
  for (std::size_t size = 1; size <= 600; ++size) {
    const std::string text = random_text(rng, size);
    for (int variant = 0; variant < 4; ++variant) {
      std::string input = text;
      if (variant > 0) {
        std::size_t pos = rng() % size;
        // Variant 3 puts the error on or next to a 16/32/64/256-byte block boundary.
        if (variant == 3) {
          static constexpr std::size_t blocks[] = {16, 32, 64, 128, 256, 512};
          const std::size_t block = blocks[rng() % std::size(blocks)];
          const std::size_t near = (block * (1 + rng() % 4)) + (rng() % 7) - 3;
          if (near < size) pos = near;
        }
        const auto corrupt = rng() % 2 ? static_cast<unsigned>(nasty[rng() % std::size(nasty)])
                                       : static_cast<unsigned>(rng() % 256);
        input[pos] = static_cast<char>(corrupt);
      }
      // Every alignment of the data in memory.
      const std::size_t align = size % 64;
      std::copy(input.begin(), input.end(), arena.begin() + static_cast<std::ptrdiff_t>(align));
      const rtwire::bytes_view view(reinterpret_cast<const std::byte*>(arena.data() + align),
                                    input.size());
      const utf8::result want = reference_result(input);
      const std::size_t cut = rng() % (size + 1);
      for (const kernel_choice& k : kernels) {
        const forced force(k);
        const utf8::result got = utf8::validate(view);
        utf8::validator v;
        utf8::result inc = v.feed(view.first(cut));
        if (inc.status != status::invalid) inc = v.feed(view.subspan(cut));
        if (inc.status != status::invalid) inc = v.finish();
        if (got != want || inc != want) {
          FAIL_CHECK("kernel " << k.name << " size " << size << " variant " << variant << " want "
                               << want.error_offset << " got " << static_cast<int>(got.status)
                               << "/" << got.error_offset << " incremental " << inc.error_offset);
        }
      }
    }
  }
}

#if RTWIRE_X86_DISPATCH
TEST_CASE("utf8 kernels prove long prefixes themselves (they do not defer to scalar)") {
  // A kernel returning 0 would still be correct (the DFA finishes the job); check that each one
  // covers all but the last 3 bytes of valid text, and stops within one block group of an error.
  struct simd_kernel {
    const char* name;
    std::uint32_t needs;
    std::size_t min_size;
    std::size_t group;
    std::size_t (*prefix)(const unsigned char*, std::size_t) noexcept;
  };
  const simd_kernel simd[] = {
      {"ssse3", up_to_ssse3, utf8::detail::min_size_ssse3, 64, utf8::detail::valid_prefix_ssse3},
      {"avx2", up_to_avx2, utf8::detail::min_size_avx2, 128, utf8::detail::valid_prefix_avx2},
      {"avx512", cpu::cpu_avx512, utf8::detail::min_size_avx512, 256,
       utf8::detail::valid_prefix_avx512},
  };
  std::mt19937 rng(7);
  for (const simd_kernel& k : simd) {
    if ((cpu::detect_cpu_features() & k.needs) != k.needs) continue;
    INFO("kernel " << k.name);
    for (std::size_t size = k.min_size; size <= 1100; size += 1 + rng() % 7) {
      std::string text = random_text(rng, size);
      const auto* p = reinterpret_cast<const unsigned char*>(text.data());
      const std::size_t n = k.prefix(p, size);
      CHECK(n + 3 >= size);
      CHECK(n <= size);
      CHECK(utf8::is_valid(std::string_view(text).substr(0, n)));
      const std::size_t pos = rng() % size;
      text[pos] = static_cast<char>(0xFF);
      const std::size_t m = k.prefix(p, size);
      CHECK(m <= pos);
      CHECK(m + k.group + 3 >= pos);
      CHECK(utf8::is_valid(std::string_view(text).substr(0, m)));
    }
  }
}
#endif

TEST_CASE("utf8 validator feed_xor: XORs and validates like XOR then feed, on every kernel") {
  // The WebSocket receive path: a masked payload (RFC 6455 §5.3) arrives in chunks at any key
  // phase and any alignment; AVX-512 fuses the XOR with validation, other kernels run two
  // passes. Both must leave exactly the XORed bytes and report what feed() reports.
  std::mt19937 rng(0xfeed);
  const std::vector<kernel_choice> kernels = available_kernels();
  const unsigned char key[4] = {0x37, 0xFA, 0x21, 0x3D};
  const auto word_at = [&key](std::size_t phase) {
    const unsigned char k[4] = {key[phase & 3], key[(phase + 1) & 3], key[(phase + 2) & 3],
                                key[(phase + 3) & 3]};
    std::uint32_t w;
    std::memcpy(&w, k, 4);
    return w;
  };
  std::vector<unsigned char> arena(3000 + 128);
  for (int round = 0; round < 400; ++round) {
    const std::size_t size = 1 + rng() % 3000;
    std::string input = random_text(rng, size);
    if (round % 4 != 0) {
      // An invalid byte anywhere, often next to a 64- or 256-byte block edge.
      std::size_t pos = rng() % size;
      if (round % 4 == 2)
        pos =
            std::min(size - 1, (std::size_t{64} << (rng() % 3)) * (1 + rng() % 4) - 2 + rng() % 5);
      input[pos] = static_cast<char>(0xC0 + rng() % 2);
    }
    const utf8::result want = reference_result(input);
    std::string masked = input;
    for (std::size_t i = 0; i < size; ++i)
      masked[i] = static_cast<char>(masked[i] ^ key[i & 3]);
    const std::size_t align = rng() % 64;
    const std::size_t cut = rng() % (size + 1);
    for (const kernel_choice& k : kernels) {
      const forced force(k);
      INFO("kernel " << k.name << " size " << size << " cut " << cut << " align " << align);
      std::memcpy(arena.data() + align, masked.data(), size);
      const rtwire::mutable_bytes_view view(reinterpret_cast<std::byte*>(arena.data() + align),
                                            size);
      utf8::validator v;
      utf8::result got = v.feed_xor(view.first(cut), word_at(0));
      const utf8::result first = got;
      got = v.feed_xor(view.subspan(cut), word_at(cut));  // sticky after an error: still XORs
      if (got.status != status::invalid) got = v.finish();
      CHECK(got == want);
      CHECK(v.offset() == size);
      // Fail-fast: an error in the first chunk is reported by the first call.
      if (want.status == status::invalid && want.error_offset < cut) CHECK(first == want);
      CHECK(std::memcmp(arena.data() + align, input.data(), size) == 0);
    }
  }
}
