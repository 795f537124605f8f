// SHA-256 (FIPS 180-4): the published vectors, every length across block boundaries in random
// update() splits, and the portable and SHA-NI compression functions against each other.
#include "rtwire/core/sha256.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"

namespace {

namespace sha256 = rtwire::sha256;
namespace cpu = rtwire::detail;

template <class D>
std::string hex(const D& d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t b : d) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

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

std::vector<path> paths() {
  std::vector<path> out{{"scalar", 0}};
  if (sha256::detail::uses_shani()) {
    out.push_back({"sha-ni", cpu::cpu_sha | cpu::cpu_sse41});
  } else {
    WARN("this CPU has no SHA-NI: only the portable SHA-256 path is tested");
  }
  return out;
}

}  // namespace

TEST_CASE("SHA-256: the forced paths are the ones that run", "[sha256]") {
  {
    const forced_path scalar(0);
    CHECK_FALSE(sha256::detail::uses_shani());
  }
  const forced_path sha_only(cpu::cpu_sha);
  CHECK_FALSE(sha256::detail::uses_shani());
}

TEST_CASE("SHA-256: FIPS 180-4 test vectors", "[sha256]") {
  struct vector {
    std::string_view message;
    std::string_view digest;
  };
  const vector vectors[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmn"
       "opqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
  };
  const std::string million_a(1000000, 'a');
  for (const path& p : paths()) {
    INFO("path: " << p.name);
    const forced_path forced(p.mask);
    for (const vector& v : vectors) {
      INFO("message size " << v.message.size());
      CHECK(hex(sha256::hash(v.message)) == v.digest);
      sha256::hasher h;
      for (char c : v.message)
        h.update(std::string_view(&c, 1));
      CHECK(hex(h.finish()) == v.digest);
    }
    CHECK(hex(sha256::hash(million_a)) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
}

TEST_CASE("SHA-256: every length 0..300, whole and in random pieces, on every path", "[sha256]") {
  std::vector<std::uint8_t> data(300);
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<std::uint8_t>(i * 167 + 13);
  std::vector<sha256::digest> reference;
  for (const path& p : paths()) {
    INFO("path: " << p.name);
    const forced_path forced(p.mask);
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::size_t> piece(0, 70);
    sha256::hasher h;
    for (std::size_t length = 0; length <= data.size(); ++length) {
      INFO("length " << length);
      const auto in = std::as_bytes(std::span(data.data(), length));
      const sha256::digest whole = sha256::hash(in);
      if (reference.size() <= length) {
        reference.push_back(whole);
      } else {
        CHECK(whole == reference[length]);  // SHA-NI == portable
      }
      std::size_t at = 0;
      while (at < length) {
        const std::size_t n = std::min(piece(rng), length - at);
        h.update(in.subspan(at, n));
        at += n;
      }
      CHECK(h.finish() == whole);
    }
  }
}
