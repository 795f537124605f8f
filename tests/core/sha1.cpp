// SHA-1 (FIPS 180-4): the published vectors, every length across three block boundaries in
// random update() splits, and the portable and SHA-NI compression functions against each other.
#include "rtwire/core/sha1.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "catch.hpp"

namespace {

namespace sha1 = rtwire::sha1;
namespace cpu = rtwire::detail;

std::string hex(const sha1::digest& d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t b : d) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

/// Forces a compression function for the lifetime of the object.
class forced_path {
 public:
  explicit forced_path(std::uint32_t mask) noexcept { cpu::cpu_features_override(mask); }
  ~forced_path() { cpu::cpu_features_override(cpu::all_features); }
  forced_path(const forced_path&) = delete;
  forced_path& operator=(const forced_path&) = delete;
};

struct path {
  const char* name;
  std::uint32_t mask;
};

/// The portable path (every feature masked off) and, when this CPU has it, SHA-NI.
std::vector<path> paths() {
  std::vector<path> out{{"scalar", 0}};
  const forced_path all(cpu::all_features);
  if (sha1::detail::uses_shani()) {
    out.push_back({"sha-ni", cpu::cpu_sha | cpu::cpu_sse41});
  } else {
    WARN("this CPU has no SHA-NI: only the portable SHA-1 path is tested");
  }
  return out;
}

/// The test message of every length: a prefix of a fixed non-repeating byte pattern.
std::vector<std::uint8_t> pattern(std::size_t n) {
  std::vector<std::uint8_t> p(n);
  for (std::size_t i = 0; i < n; ++i)
    p[i] = static_cast<std::uint8_t>(i * 167 + 13);
  return p;
}

rtwire::bytes_view view(const std::vector<std::uint8_t>& v, std::size_t n) {
  return std::as_bytes(std::span(v.data(), n));
}

}  // namespace

static_assert(sha1::digest_size == 20);
static_assert(sha1::block_size == 64);
static_assert(std::is_same_v<sha1::digest, std::array<std::uint8_t, 20>>);
static_assert(noexcept(sha1::hash(std::string_view())));
static_assert(noexcept(std::declval<sha1::hasher&>().update(rtwire::bytes_view())));
static_assert(noexcept(std::declval<sha1::hasher&>().finish()));

TEST_CASE("the forced paths are the ones that run", "[sha1]") {
  {
    const forced_path scalar(0);
    CHECK_FALSE(sha1::detail::uses_shani());
  }
  {
    // SHA-NI needs both extensions: either one alone selects the portable path.
    const forced_path sha_only(cpu::cpu_sha);
    CHECK_FALSE(sha1::detail::uses_shani());
    const forced_path sse41_only(cpu::cpu_sse41);
    CHECK_FALSE(sha1::detail::uses_shani());
  }
}

TEST_CASE("FIPS 180-4 and RFC 3174 test vectors", "[sha1]") {
  struct vector {
    std::string_view message;
    std::string_view digest;
  };
  // FIPS 180-4 examples (one block, two blocks, the 896-bit message) and RFC 3174 §7.3 TEST4.
  const std::string rfc3174_test4 = [] {
    std::string s;
    for (int i = 0; i < 80; ++i)
      s += "01234567";
    return s;
  }();
  const vector vectors[] = {
      {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
      {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmn"
       "opqrsmnopqrstnopqrstu",
       "a49b2446a02c645bf419f995b67091253a04a259"},
      {rfc3174_test4, "dea356a2cddd90c7a7ecedc5ebb563934f460452"},
  };
  const std::string million_a(1000000, 'a');

  for (const path& p : paths()) {
    INFO("path: " << p.name);
    const forced_path forced(p.mask);
    for (const vector& v : vectors) {
      INFO("message size " << v.message.size());
      CHECK(hex(sha1::hash(v.message)) == v.digest);
      CHECK(hex(sha1::hash(rtwire::as_bytes(v.message))) == v.digest);
      sha1::hasher h;
      for (char c : v.message)
        h.update(std::string_view(&c, 1));
      CHECK(hex(h.finish()) == v.digest);
    }
    // FIPS 180-4 / RFC 3174 TEST3: one million 'a', whole and in 1000 pieces of 1000.
    CHECK(hex(sha1::hash(million_a)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    sha1::hasher h;
    for (std::size_t i = 0; i < million_a.size(); i += 1000) {
      h.update(std::string_view(million_a).substr(i, 1000));
    }
    CHECK(hex(h.finish()) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  }
}

TEST_CASE("every length 0..300 in random update() splits", "[sha1]") {
  // Known answers (Python hashlib) for the lengths around each padding and block boundary: 55
  // is the longest message padded within its last block, 56..63 need an extra block.
  struct known {
    std::size_t length;
    std::string_view digest;
  };
  const known boundaries[] = {
      {1, "11f4de6b8b45cf8051b1d17fa4cde9ad935cea41"},
      {55, "f223d32a2821747cda0c953869fd4e80cca94476"},
      {56, "a4e4673ac7e9635f02f2290c408782276f2b74f3"},
      {57, "1bf5b2b6c7804748764b640a4f8752ca36bbf6bf"},
      {63, "a2659af75500214170228bc208373a7fa71187db"},
      {64, "03876d2bfc87786e413d3db303deb59e5eb0e44a"},
      {65, "cc2db95e81ddadc0da1832c505d12f06b2a81582"},
      {119, "8aec39954938bf6253cf65927542e1018e4b53e7"},
      {120, "04e6fb9a58832afb30aaa51a8e30ee17316de414"},
      {127, "ed31e9f2976bb919fce07a4e7db6051bb90711e9"},
      {128, "947f065ae440d3b4d479a77442e8841b94f9a22d"},
      {129, "e6f246cf931fda6987bd840cf4c98fe93b950714"},
      {300, "9fc7fd7243bc1dbe79917751ef48026035363719"},
  };
  // SHA-1 of the 301 digests of lengths 0..300 concatenated: pins every length at once.
  constexpr std::string_view all_lengths = "b6f0cb8efb951ee8eb13ae07d04d6aad503b5a85";

  const std::vector<std::uint8_t> data = pattern(300);
  std::vector<sha1::digest> reference;  // from the first (portable) path
  for (const path& p : paths()) {
    INFO("path: " << p.name);
    const forced_path forced(p.mask);
    std::mt19937 rng(20240601);
    std::uniform_int_distribution<std::size_t> piece(0, 70);
    sha1::hasher concatenation;
    sha1::hasher h;  // reused across lengths: finish() must reset it
    for (std::size_t length = 0; length <= 300; ++length) {
      INFO("length " << length);
      const sha1::digest whole = sha1::hash(view(data, length));
      concatenation.update(std::as_bytes(std::span(whole)));
      if (reference.size() <= length) {
        reference.push_back(whole);
      } else {
        CHECK(whole == reference[length]);  // SHA-NI == portable
      }
      for (int round = 0; round < 8; ++round) {
        // Pieces of 0..70 bytes (empty updates included), so splits fall inside, on and across
        // block boundaries and the buffered tail takes every size.
        std::size_t at = 0;
        std::string splits;
        while (at < length) {
          const std::size_t n = std::min(piece(rng), length - at);
          h.update(view(data, length).subspan(at, n));
          splits += std::to_string(n) + " ";
          at += n;
        }
        INFO("pieces: " << splits);
        CHECK(h.finish() == whole);
      }
    }
    for (const known& k : boundaries) {
      INFO("length " << k.length);
      CHECK(hex(sha1::hash(view(data, k.length))) == k.digest);
    }
    CHECK(hex(concatenation.finish()) == all_lengths);
  }
}

TEST_CASE("many blocks in one update() and in one compress call", "[sha1]") {
  const std::vector<std::uint8_t> data = pattern(64 * 97 + 13);
  sha1::digest scalar_bytewise{};
  {
    const forced_path scalar(0);
    sha1::hasher h;
    for (std::size_t i = 0; i < data.size(); ++i)
      h.update(view(data, data.size()).subspan(i, 1));
    scalar_bytewise = h.finish();
  }
  for (const path& p : paths()) {
    INFO("path: " << p.name);
    const forced_path forced(p.mask);
    CHECK(sha1::hash(view(data, data.size())) == scalar_bytewise);
    // An unaligned start: whole blocks are read straight from the caller's memory.
    std::vector<std::uint8_t> shifted(data.size() + 3);
    std::copy(data.begin(), data.end(), shifted.begin() + 3);
    CHECK(sha1::hash(std::as_bytes(std::span(shifted).subspan(3))) == scalar_bytewise);
    // A partial block first, then many whole blocks in one call.
    sha1::hasher h;
    h.update(view(data, 5));
    h.update(view(data, data.size()).subspan(5));
    CHECK(h.finish() == scalar_bytewise);
  }
}

TEST_CASE("hasher: finish() resets, reset() discards", "[sha1]") {
  sha1::hasher h;
  CHECK(hex(h.finish()) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");  // nothing given

  h.update(std::string_view("ab"));
  h.update(rtwire::bytes_view());  // an empty update changes nothing
  h.update(std::string_view("c"));
  CHECK(hex(h.finish()) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  // The hasher starts a new message after finish().
  h.update(std::string_view("abc"));
  CHECK(hex(h.finish()) == "a9993e364706816aba3e25717850c26c9cd0d89d");

  // reset() throws away a partial block and whole blocks already compressed.
  h.update(std::string(100, 'x'));
  h.reset();
  h.update(std::string_view("abc"));
  CHECK(hex(h.finish()) == "a9993e364706816aba3e25717850c26c9cd0d89d");

  // Copies are independent.
  h.update(std::string_view("a"));
  sha1::hasher copy = h;
  copy.update(std::string_view("bc"));
  h.update(std::string_view("bx"));
  CHECK(hex(copy.finish()) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(hex(h.finish()) != "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST_CASE("hash_short: any split of any length 0..200 equals hash()", "[sha1]") {
  static_assert(sha1::max_short_message == 119);
  std::string message;
  for (std::size_t n = 0; n <= 200; ++n) {
    for (const std::size_t cut : {std::size_t{0}, n / 3, n}) {
      INFO("length " << n << " cut " << cut);
      const std::string_view whole(message);
      CHECK(hex(sha1::hash_short(whole.substr(0, cut), whole.substr(cut))) ==
            hex(sha1::hash(whole)));
    }
    message.push_back(static_cast<char>('a' + n % 26));
  }
}

namespace {
// FIPS 180-4 §5.1.1 padding of `message` into exactly Blocks blocks.
template <std::size_t Blocks>
std::array<unsigned char, Blocks * sha1::block_size> padded(std::string_view message) {
  std::array<unsigned char, Blocks * sha1::block_size> m{};
  std::memcpy(m.data(), message.data(), message.size());
  m[message.size()] = 0x80;
  const std::uint64_t bits = std::uint64_t{message.size()} * 8;
  for (std::size_t i = 0; i < 8; ++i)
    m[m.size() - 1 - i] = static_cast<unsigned char>(bits >> (8 * i));
  return m;
}
}  // namespace

TEST_CASE("hash_padded: a message padded by the caller hashes as hash() does", "[sha1]") {
  std::string message;
  for (std::size_t n = 0; n <= sha1::max_short_message; ++n) {
    INFO("length " << n);
    if (n + 1 + 8 <= sha1::block_size) {
      CHECK(hex(sha1::hash_padded<1>(padded<1>(message))) == hex(sha1::hash(message)));
    } else {
      CHECK(hex(sha1::hash_padded<2>(padded<2>(message))) == hex(sha1::hash(message)));
    }
    message.push_back(static_cast<char>('A' + n % 26));
  }
  // A wrong padding is hashed as given: not the message's digest.
  auto wrong = padded<1>("abc");
  wrong[3] = 0x00;
  CHECK(hex(sha1::hash_padded<1>(wrong)) != hex(sha1::hash(std::string_view("abc"))));
}
