// MD5 (RFC 1321): the test suite of §A.5, and every length across block boundaries in random
// update() splits.
#include "rtwire/core/md5.hpp"

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

std::string hex(const rtwire::md5::digest& d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t b : d) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

}  // namespace

TEST_CASE("MD5: RFC 1321 §A.5 test suite", "[md5]") {
  struct vector {
    std::string_view message;
    std::string_view digest;
  };
  const vector vectors[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
       "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  for (const vector& v : vectors) {
    INFO("message: " << v.message);
    CHECK(hex(rtwire::md5::hash(v.message)) == v.digest);
    rtwire::md5::hasher h;
    for (char c : v.message)
      h.update(std::string_view(&c, 1));
    CHECK(hex(h.finish()) == v.digest);
  }
}

TEST_CASE("MD5: every length 0..200 in random pieces gives the one-shot digest", "[md5]") {
  std::vector<std::uint8_t> data(200);
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<std::uint8_t>(i * 31 + 5);
  std::mt19937 rng(3);
  std::uniform_int_distribution<std::size_t> piece(0, 70);
  rtwire::md5::hasher h;
  for (std::size_t length = 0; length <= data.size(); ++length) {
    INFO("length " << length);
    const auto in = std::as_bytes(std::span(data.data(), length));
    std::size_t at = 0;
    while (at < length) {
      const std::size_t n = std::min(piece(rng), length - at);
      h.update(in.subspan(at, n));
      at += n;
    }
    CHECK(h.finish() == rtwire::md5::hash(in));
  }
}
