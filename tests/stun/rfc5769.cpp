// RFC 5769 test vectors: parse, MESSAGE-INTEGRITY and FINGERPRINT of §2.1-2.4 (with the 0x20
// padding of §2.1-2.3), every single-bit flip failing a check, and §2.4 encoded byte for byte.
#include <array>
#include <cstddef>
#include <string>

#include "catch.hpp"
#include "rtwire/stun/attributes.hpp"
#include "rtwire/stun/integrity.hpp"
#include "rtwire/stun/message.hpp"
#include "rtwire/stun/writer.hpp"
#include "stun/vectors.hpp"

namespace stun = rtwire::stun;
using rtwire::test::view;

namespace {

std::string ip_text(const stun::address& a) {
  std::string s;
  for (std::size_t i = 0; i < a.ip().size(); ++i) {
    if (i != 0) s += '.';
    s += std::to_string(a.ip()[i]);
  }
  return s;
}

/// Flips every bit of `msg` in turn; every flip must make parse fail, or integrity or fingerprint
/// stop verifying.
void every_bit_flip_fails(const std::string& msg, const stun::key& k, bool has_fingerprint) {
  std::size_t caught = 0;
  for (std::size_t bit = 0; bit < msg.size() * 8; ++bit) {
    std::string flipped = msg;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    const auto r = stun::parse(view(flipped));
    bool fails = !r;
    if (r) {
      fails = stun::verify_integrity(r.value, k) != stun::check::ok ||
              (has_fingerprint && stun::verify_fingerprint(r.value) != stun::check::ok);
    }
    INFO("bit " << bit);
    CHECK(fails);
    caught += fails ? 1 : 0;
  }
  CHECK(caught == msg.size() * 8);
}

}  // namespace

TEST_CASE("RFC 5769 §2.1 sample request", "[stun][rfc5769]") {
  const auto r = stun::parse(view(rtwire::test::rfc5769_request));
  REQUIRE(r);
  const stun::message_view& m = r.value;
  CHECK(m.cls() == stun::message_class::request);
  CHECK(m.method() == stun::method::binding);
  CHECK(m.has_magic_cookie());
  CHECK(m.transaction_id().size() == 12);
  CHECK(m.attributes().size() == 6);
  CHECK(stun::software(m) == "STUN test client");
  CHECK(stun::username(m) == "evtj:h6vY");  // 9 bytes; the 0x20 padding is not part of it
  CHECK(stun::priority(m) == 0x6e0001ffu);
  CHECK(stun::ice_controlled(m) == 0x932ff9b151263b36ull);
  CHECK_FALSE(stun::ice_controlling(m));
  CHECK(m.unknown_required().empty());
  const auto k = stun::key::short_term(rtwire::test::rfc5769_password);
  CHECK(stun::verify_integrity(m, k) == stun::check::ok);
  CHECK(stun::verify_integrity_sha1(m, k) == stun::check::ok);
  CHECK(stun::verify_integrity_sha256(m, k) == stun::check::absent);
  CHECK(stun::verify_fingerprint(m) == stun::check::ok);
  CHECK(stun::verify_integrity(m, stun::key::short_term("VOkJxbRl1RmTxUk/WvJxBu")) ==
        stun::check::mismatch);
  every_bit_flip_fails(rtwire::test::rfc5769_request, k, true);
}

TEST_CASE("RFC 5769 §2.2 sample IPv4 response", "[stun][rfc5769]") {
  const auto r = stun::parse(view(rtwire::test::rfc5769_ipv4_response));
  REQUIRE(r);
  const stun::message_view& m = r.value;
  CHECK(m.cls() == stun::message_class::success_response);
  CHECK(m.method() == stun::method::binding);
  CHECK(stun::software(m) == "test vector");
  const auto a = stun::xor_mapped_address(m);
  REQUIRE(a);
  CHECK(a->family == stun::family::ipv4);
  CHECK(ip_text(*a) == "192.0.2.1");
  CHECK(a->port == 32853);
  const auto k = stun::key::short_term(rtwire::test::rfc5769_password);
  CHECK(stun::verify_integrity(m, k) == stun::check::ok);
  CHECK(stun::verify_fingerprint(m) == stun::check::ok);
  every_bit_flip_fails(rtwire::test::rfc5769_ipv4_response, k, true);
}

TEST_CASE("RFC 5769 §2.3 sample IPv6 response", "[stun][rfc5769]") {
  const auto r = stun::parse(view(rtwire::test::rfc5769_ipv6_response));
  REQUIRE(r);
  const stun::message_view& m = r.value;
  const auto a = stun::xor_mapped_address(m);
  REQUIRE(a);
  CHECK(a->family == stun::family::ipv6);
  const std::array<std::uint8_t, 16> expected{0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
                                              0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
  CHECK(a->bytes == expected);
  CHECK(a->port == 32853);
  const auto k = stun::key::short_term(rtwire::test::rfc5769_password);
  CHECK(stun::verify_integrity(m, k) == stun::check::ok);
  CHECK(stun::verify_fingerprint(m) == stun::check::ok);
  every_bit_flip_fails(rtwire::test::rfc5769_ipv6_response, k, true);
}

TEST_CASE("RFC 5769 §2.4 long-term request: parse, check and encode byte for byte",
          "[stun][rfc5769]") {
  const std::string& bytes = rtwire::test::rfc5769_long_term_request;
  const auto r = stun::parse(view(bytes));
  REQUIRE(r);
  const stun::message_view& m = r.value;
  CHECK(stun::username(m) == rtwire::test::rfc5769_long_term_username);
  CHECK(stun::nonce(m) == rtwire::test::rfc5769_long_term_nonce);
  CHECK(stun::realm(m) == "example.org");
  CHECK(stun::verify_fingerprint(m) == stun::check::absent);
  const auto k =
      *stun::key::long_term(rtwire::test::rfc5769_long_term_username, "example.org", "TheMatrIX");
  CHECK(stun::verify_integrity(m, k) == stun::check::ok);
  CHECK(stun::verify_integrity(m, *stun::key::long_term(rtwire::test::rfc5769_long_term_username,
                                                        "example.org", "TheMatrIx")) ==
        stun::check::mismatch);
  every_bit_flip_fails(bytes, k, false);

  std::array<std::byte, 256> buf{};
  stun::writer w(buf, stun::message_type(stun::message_class::request, stun::method::binding),
                 m.transaction_id());
  w.add_text(stun::attr::username, rtwire::test::rfc5769_long_term_username)
      .add_text(stun::attr::nonce, rtwire::test::rfc5769_long_term_nonce)
      .add_text(stun::attr::realm, "example.org");
  const auto n = w.seal(&k);
  REQUIRE(n);
  CHECK(std::string(reinterpret_cast<const char*>(buf.data()), n.value) == bytes);
}

TEST_CASE("RFC 5769 §2.2: the writer rebuilds the response's checks", "[stun][rfc5769]") {
  // §2.2 pads SOFTWARE with 0x20 where the writer pads with zeros (RFC 8489 §14), so the bytes
  // differ in that padding; the parsed content and both checks must match.
  const auto original = stun::parse(view(rtwire::test::rfc5769_ipv4_response));
  REQUIRE(original);
  const auto k = stun::key::short_term(rtwire::test::rfc5769_password);
  std::array<std::byte, 256> buf{};
  stun::writer w(buf,
                 stun::message_type(stun::message_class::success_response, stun::method::binding),
                 original.value.transaction_id());
  w.add_text(stun::attr::software, "test vector")
      .add_xor_address(stun::attr::xor_mapped_address, stun::address::v4(192, 0, 2, 1, 32853));
  const auto n = w.seal(&k, true);
  REQUIRE(n);
  CHECK(n.value == rtwire::test::rfc5769_ipv4_response.size());
  std::string expected = rtwire::test::rfc5769_ipv4_response;
  std::string got(reinterpret_cast<const char*>(buf.data()), n.value);
  // Same bytes apart from the one padding byte (offset 35) and the MAC/CRC over it.
  CHECK(got.substr(0, 35) == expected.substr(0, 35));
  CHECK(got[35] == 0);
  CHECK(got.substr(36, 12) == expected.substr(36, 12));
  const auto rebuilt = stun::parse(rtwire::as_bytes(std::string_view(got)));
  REQUIRE(rebuilt);
  CHECK(stun::verify_integrity(rebuilt.value, k) == stun::check::ok);
  CHECK(stun::verify_fingerprint(rebuilt.value) == stun::check::ok);
  CHECK(stun::xor_mapped_address(rebuilt.value) == stun::address::v4(192, 0, 2, 1, 32853));
}
