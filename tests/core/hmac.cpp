// HMAC (RFC 2104): RFC 2202 (HMAC-SHA1, HMAC-MD5) and RFC 4231 (HMAC-SHA256) test cases, on the
// portable and SHA-NI paths, one-shot and through begin()/finish() in pieces.
#include "rtwire/core/hmac.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"

namespace {

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

std::string repeat(unsigned char c, std::size_t n) {
  return std::string(n, static_cast<char>(c));
}

std::string counting(std::size_t n) {  // 0x01, 0x02, ..., n
  std::string s;
  for (std::size_t i = 1; i <= n; ++i)
    s += static_cast<char>(i);
  return s;
}

struct vector {
  std::string key;
  std::string data;
  std::string_view mac;  // may be truncated (RFC 2202 case 5 / RFC 4231 case 5 compare a prefix)
};

template <class Algo>
void check_vectors(const std::vector<vector>& vectors) {
  std::vector<std::uint32_t> masks{0};
  if (rtwire::sha1::detail::uses_shani()) masks.push_back(cpu::all_features);
  for (std::uint32_t mask : masks) {
    cpu::cpu_features_override(mask);
    INFO("cpu mask " << mask);
    for (std::size_t i = 0; i < vectors.size(); ++i) {
      const vector& v = vectors[i];
      INFO("test case " << i + 1);
      const rtwire::hmac_key<Algo> key(v.key);
      CHECK(hex(key.mac(v.data)).substr(0, v.mac.size()) == v.mac);
      CHECK(hex(rtwire::hmac<Algo>(rtwire::as_bytes(v.key), rtwire::as_bytes(v.data)))
                .substr(0, v.mac.size()) == v.mac);
      // In pieces, reusing the key for a second message.
      auto h = key.begin();
      for (char c : v.data)
        h.update(std::string_view(&c, 1));
      CHECK(hex(key.finish(h)).substr(0, v.mac.size()) == v.mac);
      CHECK(hex(key.mac(v.data)).substr(0, v.mac.size()) == v.mac);
    }
  }
  cpu::cpu_features_override(cpu::all_features);
}

}  // namespace

TEST_CASE("HMAC-SHA1: RFC 2202 §3", "[hmac]") {
  check_vectors<rtwire::hmac_sha1>({
      {repeat(0x0b, 20), "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"},
      {"Jefe", "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
      {repeat(0xaa, 20), repeat(0xdd, 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
      {counting(25), repeat(0xcd, 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
      {repeat(0x0c, 20), "Test With Truncation", "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"},
      {repeat(0xaa, 80), "Test Using Larger Than Block-Size Key - Hash Key First",
       "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
      {repeat(0xaa, 80),
       "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
       "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
  });
}

TEST_CASE("HMAC-MD5: RFC 2202 §2", "[hmac]") {
  check_vectors<rtwire::hmac_md5>({
      {repeat(0x0b, 16), "Hi There", "9294727a3638bb1c13f48ef8158bfc9d"},
      {"Jefe", "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738"},
      {repeat(0xaa, 16), repeat(0xdd, 50), "56be34521d144c88dbb8c733f0e8b3f6"},
      {counting(25), repeat(0xcd, 50), "697eaf0aca3a3aea3a75164746ffaa79"},
      {repeat(0x0c, 16), "Test With Truncation", "56461ef2342edc00f9bab995690efd4c"},
      {repeat(0xaa, 80), "Test Using Larger Than Block-Size Key - Hash Key First",
       "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
      {repeat(0xaa, 80),
       "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
       "6f630fad67cda0ee1fb1f562db3aa53e"},
  });
}

TEST_CASE("HMAC-SHA256: RFC 4231 §4", "[hmac]") {
  check_vectors<rtwire::hmac_sha256>({
      {repeat(0x0b, 20), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {repeat(0xaa, 20), repeat(0xdd, 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {counting(25), repeat(0xcd, 50),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      // Test case 5 publishes only the first 128 bits.
      {repeat(0x0c, 20), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b"},
      {repeat(0xaa, 131), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {repeat(0xaa, 131),
       "This is a test using a larger than block-size key and a larger than block-size data. The "
       "key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  });
}

TEST_CASE("HMAC: a different key or message gives a different MAC", "[hmac]") {
  const rtwire::hmac_key<rtwire::hmac_sha1> a("key");
  const rtwire::hmac_key<rtwire::hmac_sha1> b("kez");
  CHECK(a.mac(std::string_view("message")) != b.mac(std::string_view("message")));
  CHECK(a.mac(std::string_view("message")) != a.mac(std::string_view("messagf")));
}
