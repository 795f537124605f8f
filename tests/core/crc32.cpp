// CRC-32 (the zlib CRC used by STUN FINGERPRINT): the check value, known answers, every length
// and alignment against a bit-at-a-time reference, and incremental updates; and ct_equal.
#include "rtwire/core/crc32.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "rtwire/core/ct_equal.hpp"

namespace {

/// The definition: one bit at a time, reflected polynomial 0xEDB88320.
std::uint32_t crc_bitwise(const std::uint8_t* p, std::size_t n) {
  std::uint32_t c = 0xffffffffu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k)
      c = (c & 1u) != 0 ? (c >> 1) ^ 0xedb88320u : c >> 1;
  }
  return ~c;
}

}  // namespace

TEST_CASE("CRC-32: check value and known answers", "[crc32]") {
  // The "check" value of CRC-32/ISO-HDLC in the Rocksoft catalogue.
  CHECK(rtwire::crc32::compute(std::string_view("123456789")) == 0xcbf43926u);
  CHECK(rtwire::crc32::compute(std::string_view("")) == 0u);
  CHECK(rtwire::crc32::compute(std::string_view("The quick brown fox jumps over the lazy dog")) ==
        0x414fa339u);
}

TEST_CASE("CRC-32: every length and alignment equals the bitwise definition", "[crc32]") {
  std::vector<std::uint8_t> data(300);
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<std::uint8_t>(i * 73 + 11);
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t length = 0; offset + length <= data.size(); ++length) {
      INFO("offset " << offset << " length " << length);
      const auto in = std::as_bytes(std::span(data.data() + offset, length));
      const std::uint32_t expected = crc_bitwise(data.data() + offset, length);
      REQUIRE(rtwire::crc32::compute(in) == expected);
      const std::size_t half = length / 3;
      CHECK(rtwire::crc32::update(rtwire::crc32::update(0, in.first(half)), in.subspan(half)) ==
            expected);
    }
  }
}

TEST_CASE("ct_equal compares bytes and lengths", "[ct_equal]") {
  using rtwire::as_bytes;
  CHECK(rtwire::ct_equal(as_bytes("abc"), as_bytes("abc")));
  CHECK(rtwire::ct_equal(as_bytes(""), as_bytes("")));
  CHECK_FALSE(rtwire::ct_equal(as_bytes("abc"), as_bytes("abd")));
  CHECK_FALSE(rtwire::ct_equal(as_bytes("abc"), as_bytes("bbc")));
  CHECK_FALSE(rtwire::ct_equal(as_bytes("abc"), as_bytes("ab")));
  // Every single-bit difference in a 20-byte MAC is seen.
  std::vector<std::byte> a(20, std::byte{0x5a});
  for (std::size_t bit = 0; bit < 160; ++bit) {
    std::vector<std::byte> b = a;
    b[bit / 8] ^= std::byte(1u << (bit % 8));
    CHECK_FALSE(rtwire::ct_equal(a, b));
  }
}
