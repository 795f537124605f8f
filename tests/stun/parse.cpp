// STUN parse(): every malformed input is a clear error with the offset of the fault; the rules
// on attributes after MESSAGE-INTEGRITY(-SHA256); RFC 3489 messages; unknown attributes;
// truncated MESSAGE-INTEGRITY-SHA256; USERHASH and the nonce cookie (RFC 8489 §9.2).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "catch.hpp"
#include "rtwire/stun/attributes.hpp"
#include "rtwire/stun/integrity.hpp"
#include "rtwire/stun/message.hpp"
#include "rtwire/stun/writer.hpp"
#include "stun/vectors.hpp"

namespace stun = rtwire::stun;
using rtwire::test::unhex;
using rtwire::test::view;

namespace {

const std::string txid = unhex("b7e7a701bc34d686fa87dfae");

/// A Binding request with these attribute bytes (header length computed).
std::string request(const std::string& attrs, std::size_t length_adjust = 0) {
  const std::size_t len = attrs.size() + length_adjust;
  std::string m = unhex("0001");
  m += static_cast<char>(len >> 8);
  m += static_cast<char>(len & 0xff);
  m += unhex("2112a442") + txid + attrs;
  return m;
}

struct bad_case {
  const char* what;
  std::string bytes;
  stun::error code;
  std::size_t offset;
};

}  // namespace

TEST_CASE("malformed STUN messages: each a clear error at its offset", "[stun][parse]") {
  const std::string xma = unhex("0020 0008 0001 a147 e112a643");  // a valid XOR-MAPPED-ADDRESS
  std::string bad_first_bits = request("");
  bad_first_bits[0] = static_cast<char>(0x40);
  std::string long_header = request(xma);
  long_header[3] = static_cast<char>(long_header[3] + 4);  // says 4 more bytes than there are
  const std::vector<bad_case> cases{
      {"empty datagram", "", stun::error::too_short, 0},
      {"19 bytes", request("").substr(0, 19), stun::error::too_short, 19},
      {"first bits 01 (ChannelData)", bad_first_bits, stun::error::not_stun, 0},
      {"first bits 10 (RTP)", std::string(1, '\x80').append(request("").substr(1)),
       stun::error::not_stun, 0},  // not "x" + string&&: GCC PR 105651
      {"length not a multiple of 4", request(xma + std::string(2, '\0')),
       stun::error::length_not_multiple_of_4, 2},
      {"1 trailing byte", request(xma) + "x", stun::error::length_mismatch, 32},
      {"2 trailing bytes", request(xma) + "xy", stun::error::length_mismatch, 32},
      {"3 trailing bytes", request(xma) + "xyz", stun::error::length_mismatch, 32},
      {"datagram shorter than 20 + length", long_header, stun::error::length_mismatch, 2},
      {"attribute header cut", request(xma + unhex("8022")), stun::error::length_not_multiple_of_4,
       2},
      {"attribute overruns the message", request(unhex("8022 0010 41424344")),
       stun::error::attribute_overrun, 22},
      {"attribute padding overruns", request(unhex("8022 0005 41424344")),
       stun::error::attribute_overrun, 22},
      {"zero-length XOR-MAPPED-ADDRESS", request(unhex("0020 0000")),
       stun::error::bad_attribute_length, 22},
      {"zero-length ERROR-CODE", request(unhex("0009 0000")), stun::error::bad_attribute_length,
       22},
      {"ERROR-CODE class 7", request(unhex("0009 0004 00000701")), stun::error::bad_attribute_value,
       24},
      {"ERROR-CODE number 100", request(unhex("0009 0004 00000464")),
       stun::error::bad_attribute_value, 24},
      {"address family 3", request(unhex("0020 0008 0003 a147 e112a643")),
       stun::error::bad_attribute_value, 24},
      {"IPv6 family with 4 address bytes", request(unhex("0001 0008 0002 a147 e112a643")),
       stun::error::bad_attribute_value, 24},
      {"FINGERPRINT not last", request(unhex("8028 0004 00000000") + xma),
       stun::error::fingerprint_not_last, 28},
      {"duplicate XOR-MAPPED-ADDRESS", request(xma + xma), stun::error::duplicate_attribute, 32},
      {"duplicate USERNAME", request(unhex("0006 0001 61000000 0006 0001 62000000")),
       stun::error::duplicate_attribute, 28},
      {"MESSAGE-INTEGRITY-SHA256 of 12 bytes", request(unhex("001c 000c") + std::string(12, 'm')),
       stun::error::bad_integrity_sha256_length, 22},
      {"MESSAGE-INTEGRITY-SHA256 of 18 bytes", request(unhex("001c 0012") + std::string(20, 'm')),
       stun::error::bad_integrity_sha256_length, 22},
      {"MESSAGE-INTEGRITY-SHA256 of 36 bytes", request(unhex("001c 0024") + std::string(36, 'm')),
       stun::error::bad_integrity_sha256_length, 22},
      {"MESSAGE-INTEGRITY of 16 bytes", request(unhex("0008 0010") + std::string(16, 'm')),
       stun::error::bad_attribute_length, 22},
      {"FINGERPRINT of 8 bytes", request(unhex("8028 0008") + std::string(8, 'f')),
       stun::error::bad_attribute_length, 22},
      {"PRIORITY of 2 bytes", request(unhex("0024 0002 0000 0000")),
       stun::error::bad_attribute_length, 22},
      {"ICE-CONTROLLING of 4 bytes", request(unhex("802a 0004 00000000")),
       stun::error::bad_attribute_length, 22},
      {"USE-CANDIDATE with a value", request(unhex("0025 0004 00000000")),
       stun::error::bad_attribute_length, 22},
      {"USERHASH of 16 bytes", request(unhex("001e 0010") + std::string(16, 'h')),
       stun::error::bad_attribute_length, 22},
      {"UNKNOWN-ATTRIBUTES of odd length", request(unhex("000a 0003 80228000")),
       stun::error::bad_attribute_length, 22},
      {"PASSWORD-ALGORITHMS entry overruns", request(unhex("8002 0004 0001 0004")),
       stun::error::bad_attribute_length, 22},
      {"PASSWORD-ALGORITHM with two entries", request(unhex("001d 0008 0001 0000 0002 0000")),
       stun::error::bad_attribute_length, 22},
      {"SOFTWARE of 764 bytes", request(unhex("8022 02fc") + std::string(764, 's')),
       stun::error::bad_attribute_length, 22},
  };
  for (const bad_case& c : cases) {
    INFO(c.what);
    const auto r = stun::parse(view(c.bytes));
    REQUIRE_FALSE(r);
    CHECK(r.error.code == c.code);
    CHECK(r.error.offset == c.offset);
    CHECK(r.error.code == rtwire::condition::protocol_violation);
    CHECK_FALSE(r.error.message().empty());
  }
}

TEST_CASE("the attribute count is bounded", "[stun][parse]") {
  std::string attrs;
  for (int i = 0; i < 33; ++i)
    attrs += unhex("8030 0000");  // unknown comprehension-optional, empty
  const auto r = stun::parse(view(request(attrs)));
  REQUIRE_FALSE(r);
  CHECK(r.error.code == stun::error::too_many_attributes);
  CHECK(r.error.code == rtwire::condition::limit_exceeded);
  CHECK(r.error.offset == 20 + 32 * 4);
  stun::limits lim;
  lim.max_attributes = 4;
  CHECK_FALSE(stun::parse(view(request(attrs.substr(0, 20))), lim));
  CHECK(stun::parse(view(request(attrs.substr(0, 16))), lim));
}

TEST_CASE("unknown attributes: comprehension-required ones are listed for a 420", "[stun][parse]") {
  const auto r = stun::parse(view(request(unhex("7000 0000 8030 0000 0031 0001 61000000"))));
  REQUIRE(r);
  REQUIRE(r.value.unknown_required().size() == 2);
  CHECK(r.value.unknown_required()[0] == 0x7000);
  CHECK(r.value.unknown_required()[1] == 0x0031);
  CHECK(r.value.attributes().size() == 3);
  CHECK(r.value.attributes()[2].offset == 28);
  CHECK(r.value.attributes()[2].value.size() == 1);
}

TEST_CASE("attributes after MESSAGE-INTEGRITY are ignored, except MI-SHA256 and FINGERPRINT",
          "[stun][parse]") {
  const std::string mi = unhex("0008 0014") + std::string(20, 'm');
  const std::string mi256 = unhex("001c 0020") + std::string(32, 'n');
  const std::string fp = unhex("8028 0004 00000000");
  const std::string user = unhex("0006 0001 61000000");
  {
    const auto r = stun::parse(view(request(mi + user + unhex("7000 0000") + mi256 + fp)));
    REQUIRE(r);
    CHECK(r.value.ignored_after_integrity() == 2);
    CHECK_FALSE(stun::username(r.value));
    CHECK(r.value.unknown_required().empty());  // ignored, so not a 420 either
    CHECK(r.value.has(stun::attr::message_integrity_sha256));
    CHECK(r.value.has(stun::attr::fingerprint));
    // A duplicate after MESSAGE-INTEGRITY is ignored, not an error.
    CHECK(stun::parse(view(request(user + mi + user))));
  }
  {
    // After MESSAGE-INTEGRITY-SHA256, MESSAGE-INTEGRITY itself is ignored (§14.6).
    const auto r = stun::parse(view(request(mi256 + mi + fp)));
    REQUIRE(r);
    CHECK(r.value.ignored_after_integrity() == 1);
    CHECK_FALSE(r.value.has(stun::attr::message_integrity));
  }
}

TEST_CASE("RFC 3489 messages (no magic cookie) parse with a 16-byte transaction ID",
          "[stun][parse]") {
  const std::string m = unhex("0001 0008 0102030405060708090a0b0c0d0e0f10 0003 0004 00000000");
  const auto r = stun::parse(view(m));
  REQUIRE(r);
  CHECK_FALSE(r.value.has_magic_cookie());
  CHECK(r.value.transaction_id().size() == 16);
  CHECK(std::to_integer<int>(r.value.transaction_id()[0]) == 1);
  CHECK(stun::change_request(r.value) == 0u);
}

TEST_CASE("truncated MESSAGE-INTEGRITY-SHA256 (§14.6) verifies over its length",
          "[stun][integrity]") {
  const auto k = stun::key::short_term("secret");
  for (std::size_t len : {16u, 20u, 24u, 28u, 32u}) {
    INFO("length " << len);
    // Header + USERNAME, then MI-SHA256 of `len` bytes computed as §14.6 says.
    std::string m = request(unhex("0006 0001 61000000") + unhex("001c 00") +
                            static_cast<char>(len) + std::string(len, '\0'));
    const auto d = stun::detail::integrity_mac(view(m), 28, len, k.sha256());
    m.replace(32, len, reinterpret_cast<const char*>(d.data()), len);
    const auto r = stun::parse(view(m));
    REQUIRE(r);
    CHECK(stun::verify_integrity(r.value, k) == stun::check::ok);
    CHECK(stun::verify_integrity_sha256(r.value, k) == stun::check::ok);
    CHECK(stun::verify_integrity_sha1(r.value, k) == stun::check::absent);
    CHECK(stun::verify_integrity(r.value, stun::key::short_term("secreT")) ==
          stun::check::mismatch);
    std::string bad = m;
    bad[32 + len - 1] = static_cast<char>(bad[32 + len - 1] ^ 1);
    CHECK(stun::verify_integrity(stun::parse(view(bad)).value, k) == stun::check::mismatch);
  }
}

TEST_CASE("USERHASH and the long-term SHA-256 key (RFC 8489 §9.2.2, §14.4)", "[stun][integrity]") {
  const auto h = stun::userhash_of(rtwire::test::rfc5769_long_term_username, "example.org");
  // RFC 8489 Appendix B.1.
  CHECK(std::string(reinterpret_cast<const char*>(h.data()), h.size()) ==
        unhex("4a3cf38fef6992bda952c6780417da0f24819415569e60b205c46e41407f1704"));
  // The SHA-256 key differs from the MD5 one and round-trips through the writer.
  const auto k = *stun::key::long_term("user", "realm", "pass", stun::algorithm::sha256);
  std::array<std::byte, 200> buf{};
  stun::writer w(buf, stun::message_type(stun::message_class::request, stun::method::binding),
                 view(txid));
  w.add_text(stun::attr::username, "user").add_text(stun::attr::realm, "realm");
  const auto n = w.seal(&k, true, stun::mac_kind::both);
  REQUIRE(n);
  const auto r = stun::parse(rtwire::bytes_view(buf.data(), n.value));
  REQUIRE(r);
  CHECK(stun::verify_integrity_sha1(r.value, k) == stun::check::ok);
  CHECK(stun::verify_integrity_sha256(r.value, k) == stun::check::ok);
  CHECK(stun::verify_fingerprint(r.value) == stun::check::ok);
  const auto md5_key = *stun::key::long_term("user", "realm", "pass");
  CHECK(stun::verify_integrity(r.value, md5_key) == stun::check::mismatch);
}

TEST_CASE("nonce cookie and security feature bits (RFC 8489 §9.2, §18.1)", "[stun][integrity]") {
  // RFC 8489 Appendix B.1's nonce: features 0x000002, username anonymity.
  CHECK(stun::nonce_security_features("obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA") ==
        stun::security_feature::username_anonymity);
  CHECK_FALSE(stun::nonce_security_features("f//499k954d6OL34oL9FSTvy64sA"));
  CHECK_FALSE(stun::nonce_security_features("obMatJos2AA"));
  CHECK_FALSE(stun::nonce_security_features("obMatJos2A*A="));
  for (std::uint32_t f : {0u, 1u, 2u, 3u, 0xffffffu}) {
    const auto c = stun::nonce_cookie(f);
    CHECK(stun::nonce_security_features(std::string_view(c.data(), c.size())) == f);
  }
  const auto c = stun::nonce_cookie(stun::security_feature::password_algorithms);
  CHECK(std::string_view(c.data(), c.size()) == "obMatJos2AAAB");
}

TEST_CASE("typed attributes round-trip through the writer", "[stun][writer]") {
  std::array<std::byte, 512> buf{};
  stun::address v6;
  v6.family = stun::family::ipv6;
  for (std::size_t i = 0; i < 16; ++i)
    v6.bytes[i] = static_cast<std::uint8_t>(0x20 + i);
  v6.port = 4242;
  const std::array<std::uint16_t, 3> unknown{0x7000, 0x0031, 0x0032};
  stun::writer w(buf,
                 stun::message_type(stun::message_class::error_response, stun::method::binding),
                 view(txid));
  w.add_error_code(420, "Unknown Attribute")
      .add_unknown_attributes(unknown)
      .add_xor_address(stun::attr::xor_mapped_address, v6)
      .add_address(stun::attr::mapped_address, stun::address::v4(10, 0, 0, 1, 9))
      .add_address(stun::attr::alternate_server, v6)
      .add_text(stun::attr::alternate_domain, "example.net")
      .add_text(stun::attr::nonce, "n")
      .add_u32(stun::attr::priority, 0x7e0000ffu)
      .add_flag(stun::attr::use_candidate)
      .add_u64(stun::attr::ice_controlling, 0x0102030405060708ull)
      .add(stun::attr::password_algorithm, view(unhex("0002 0000")))
      .add(stun::attr::password_algorithms, view(unhex("0001 0000 0002 0000")));
  const auto n = w.seal(nullptr, true);
  REQUIRE(n);
  const auto r = stun::parse(rtwire::bytes_view(buf.data(), n.value));
  REQUIRE(r);
  const stun::message_view& m = r.value;
  CHECK(m.cls() == stun::message_class::error_response);
  CHECK(stun::error_code(m)->code == 420);
  CHECK(stun::error_code(m)->reason == "Unknown Attribute");
  const auto ua = m.find(stun::attr::unknown_attributes);
  REQUIRE(ua);
  REQUIRE(stun::unknown_attribute_count(*ua) == 3);
  CHECK(stun::unknown_attribute_at(*ua, 2) == 0x0032);
  CHECK(stun::xor_mapped_address(m) == v6);
  CHECK(stun::mapped_address(m) == stun::address::v4(10, 0, 0, 1, 9));
  CHECK(stun::alternate_server(m) == v6);
  CHECK(stun::alternate_domain(m) == "example.net");
  CHECK(stun::nonce(m) == "n");
  CHECK(stun::priority(m) == 0x7e0000ffu);
  CHECK(stun::use_candidate(m));
  CHECK(stun::ice_controlling(m) == 0x0102030405060708ull);
  CHECK(stun::password_algorithm(m)->algorithm == stun::algorithm::sha256);
  std::vector<std::uint16_t> algs;
  stun::for_each_password_algorithm(
      *m.find(stun::attr::password_algorithms),
      [&](const stun::password_algorithm_value& v) { algs.push_back(v.algorithm); });
  CHECK(algs == std::vector<std::uint16_t>{1, 2});
  CHECK(stun::verify_fingerprint(m) == stun::check::ok);
}

TEST_CASE("writer errors: buffer too small at every size, values too long, use after seal",
          "[stun][writer]") {
  const auto k = stun::key::short_term("pw");
  // The full message needs 20 + 12 (XOR-MAPPED) + 16 (SOFTWARE) + 24 (MI) + 8 (FP) = 80 bytes.
  for (std::size_t size = 0; size <= 80; ++size) {
    INFO("buffer " << size);
    std::vector<std::byte> buf(size);
    stun::writer w(buf,
                   stun::message_type(stun::message_class::success_response, stun::method::binding),
                   view(txid));
    w.add_xor_address(stun::attr::xor_mapped_address, stun::address::v4(1, 2, 3, 4, 5))
        .add_text(stun::attr::software, "rtwire 0.1");
    const auto n = w.seal(&k, true);
    if (size < 80) {
      REQUIRE_FALSE(n);
      CHECK(n.error.code == stun::error::buffer_too_small);
      CHECK(n.error.offset <= size);
    } else {
      REQUIRE(n);
      CHECK(n.value == 80);
    }
  }
  std::array<std::byte, 2048> buf{};
  {
    stun::writer w(buf, 0x0001, view(txid));
    w.add_text(stun::attr::software, std::string(764, 's'));
    CHECK(w.seal().error.code == stun::error::value_too_long);
  }
  {
    stun::writer w(buf, 0x0001, view(txid));
    w.add_error_code(700, "x");
    CHECK(w.seal().error.code == stun::error::bad_value);
  }
  {
    stun::writer w(buf, 0x0001, view(txid).first(5));
    CHECK(w.seal().error.code == stun::error::bad_value);
    CHECK(w.error().code == rtwire::condition::bad_input);
  }
  // RFC 8489 §14.8-14.10, §14.14: REALM, NONCE, SOFTWARE and reason phrases are sent in at most
  // 509 bytes (and parsed up to 763).
  for (const std::uint16_t type : {stun::attr::realm, stun::attr::nonce, stun::attr::software}) {
    INFO("attribute " << type);
    {
      stun::writer w(buf, 0x0001, view(txid));
      w.add_text(type, std::string(509, 't'));
      const auto n = w.seal();
      REQUIRE(n);
      const auto r = stun::parse(rtwire::bytes_view(buf.data(), n.value));
      CHECK(r);
    }
    stun::writer w(buf, 0x0001, view(txid));
    w.add_text(type, std::string(510, 't'));
    CHECK(w.seal().error.code == stun::error::value_too_long);
  }
  {
    stun::writer w(buf, 0x0001, view(txid));
    w.add_error_code(400, std::string(509, 'r'));
    CHECK(w.seal());
  }
  {
    stun::writer w(buf, 0x0001, view(txid));
    w.add_error_code(400, std::string(510, 'r'));
    CHECK(w.seal().error.code == stun::error::value_too_long);
  }
  {
    stun::writer w(buf, 0x0001, view(txid));
    CHECK(w.seal());
    w.add_flag(stun::attr::use_candidate);
    CHECK(w.seal().error.code == stun::error::already_sealed);
    CHECK(w.error().code == rtwire::condition::api_misuse);
  }
}

TEST_CASE("RFC 8489 Appendix B.1 with erratum 6268: USERHASH, SHA-256 key, MI-SHA256",
          "[stun][integrity]") {
  // The appendix's request as corrected by erratum 6268 (PASSWORD-ALGORITHM SHA-256, the key
  // SHA-256(username ":" realm ":" password)), byte for byte on encode too.
  const std::string bytes = unhex(R"(
    00010090 2112a442 78ad3433 c6ad72c0 29da412e
    001e0020 4a3cf38f ef6992bd a952c678 0417da0f 24819415 569e60b2 05c46e41 407f1704
    00150029 6f624d61 744a6f73 32414141 43662f2f 3439396b 39353464 364f4c33 346f4c39
             46535476 79363473 41000000
    0014000b 6578616d 706c652e 6f726700
    001d0004 00020000
    001c0020 b5c7bf00 5b6c52a2 1c51c5e8 92f81924 136296cb 927c4314 9309278c c6518e65)");
  const auto r = stun::parse(view(bytes));
  REQUIRE(r);
  const stun::message_view& m = r.value;
  const auto expected_hash =
      stun::userhash_of(rtwire::test::rfc5769_long_term_username, "example.org");
  CHECK(stun::userhash(m).value().size() == 32);
  CHECK(std::memcmp(stun::userhash(m)->data(), expected_hash.data(), 32) == 0);
  CHECK(stun::nonce_security_features(*stun::nonce(m)) ==
        stun::security_feature::username_anonymity);
  REQUIRE(stun::password_algorithm(m));
  CHECK(stun::password_algorithm(m)->algorithm == stun::algorithm::sha256);
  const auto k = *stun::key::long_term(rtwire::test::rfc5769_long_term_username, "example.org",
                                       "TheMatrIX", stun::algorithm::sha256);
  CHECK(stun::verify_integrity(m, k) == stun::check::ok);
  CHECK(stun::verify_integrity(m, *stun::key::long_term(rtwire::test::rfc5769_long_term_username,
                                                        "example.org", "TheMatrIX")) ==
        stun::check::mismatch);

  std::array<std::byte, 256> buf{};
  stun::writer w(buf, stun::message_type(stun::message_class::request, stun::method::binding),
                 m.transaction_id());
  w.add(stun::attr::userhash, std::as_bytes(std::span(expected_hash)))
      .add_text(stun::attr::nonce, "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA")
      .add_text(stun::attr::realm, "example.org")
      .add(stun::attr::password_algorithm, view(unhex("0002 0000")));
  const auto n = w.seal(&k, false, stun::mac_kind::sha256);
  REQUIRE(n);
  CHECK(std::string(reinterpret_cast<const char*>(buf.data()), n.value) == bytes);
}

TEST_CASE("USERNAME: sent under 509 bytes, parsed up to 763 (RFC 8489 §14.3)", "[stun][parse]") {
  const auto username_attr = [](std::size_t n) {
    std::string a = unhex("0006");
    a += static_cast<char>(n >> 8);
    a += static_cast<char>(n & 0xff);
    a += std::string(n, 'u');
    a += std::string((4 - n % 4) % 4, '\0');
    return a;
  };
  for (std::size_t n : {std::size_t{508}, std::size_t{509}, std::size_t{513}, std::size_t{763}}) {
    INFO("username of " << n << " bytes");
    const std::string m = request(username_attr(n));
    const auto r = stun::parse(view(m));
    REQUIRE(r);
  }
  const std::string too_long = request(username_attr(764));
  const auto r = stun::parse(view(too_long));
  REQUIRE_FALSE(r);
  CHECK(r.error.code == stun::error::bad_attribute_length);
  CHECK(r.error.offset == 22);  // the attribute's length field

  std::array<std::byte, 2048> buf{};
  {
    stun::writer w(buf, 0x0001, view(txid));
    w.add_text(stun::attr::username, std::string(508, 'u'));
    CHECK(w.seal());
  }
  {
    stun::writer w(buf, 0x0001, view(txid));
    w.add_text(stun::attr::username, std::string(509, 'u'));
    CHECK(w.seal().error.code == stun::error::value_too_long);
  }
}

TEST_CASE("long-term keys: only the registered password algorithms (RFC 8489 §18.5)",
          "[stun][integrity]") {
  CHECK(stun::key::long_term("user", "realm", "pass", stun::algorithm::md5));
  CHECK(stun::key::long_term("user", "realm", "pass", stun::algorithm::sha256));
  CHECK_FALSE(stun::key::long_term("user", "realm", "pass", 0x0000));
  CHECK_FALSE(stun::key::long_term("user", "realm", "pass", 0x0003));
  CHECK_FALSE(stun::key::long_term("user", "realm", "pass", 0xffff));
}
