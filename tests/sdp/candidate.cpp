// ICE candidates: RFC 8839 §5.1 grammar, RFC 8445 priorities, strict vs lenient, exact
// serialisation.
#include <rtwire/sdp/candidate.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"

using rtwire::sdp::candidate;
using rtwire::sdp::error;
using rtwire::sdp::mode;
using rtwire::sdp::parse_candidate;

namespace {

candidate must_parse(std::string_view text, mode m = mode::strict) {
  candidate c;
  const auto err = parse_candidate(text, c, {.mode = m});
  INFO(text << " -> " << err.message() << " at column " << err.column);
  REQUIRE_FALSE(err);
  return c;
}

struct bad_case {
  std::string_view text;
  error expected;
  std::size_t column;
};

}  // namespace

TEST_CASE("RFC 8839 example candidates parse and serialise back", "[sdp][candidate]") {
  // RFC 8839 §5.1 / RFC 8445 examples: a host and a server-reflexive candidate.
  const auto host = must_parse("a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host");
  CHECK(host.prefix == rtwire::sdp::candidate_prefix::a_candidate);
  CHECK(host.foundation == "1");
  CHECK(host.component == 1);
  CHECK(host.transport == "UDP");
  CHECK(host.is_udp());
  CHECK(host.priority == 2130706431);
  CHECK(host.address == "10.0.1.1");
  CHECK(host.port == 8998);
  CHECK(host.type == "host");
  CHECK(host.related_address.empty());
  CHECK_FALSE(host.related_port.has_value());
  CHECK(host.extensions().empty());
  CHECK(to_string(host) == "a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host");

  const auto srflx = must_parse(
      "a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998");
  CHECK(srflx.type == "srflx");
  CHECK(srflx.related_address == "10.0.1.1");
  REQUIRE(srflx.related_port.has_value());
  CHECK(*srflx.related_port == 8998);
  CHECK(to_string(srflx) ==
        "a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998");
}

TEST_CASE("Chrome candidates keep every extension in order", "[sdp][candidate]") {
  const std::string_view text =
      "candidate:3406113286 1 udp 2122260223 192.168.1.14 56143 typ host generation 0 ufrag EsAw "
      "network-id 1 network-cost 10";
  const auto c = must_parse(text);
  CHECK(c.prefix == rtwire::sdp::candidate_prefix::candidate);
  CHECK(c.foundation == "3406113286");
  REQUIRE(c.extensions().size() == 4);
  CHECK(c.extensions()[0] == rtwire::sdp::candidate_extension{"generation", "0"});
  CHECK(c.extensions()[1] == rtwire::sdp::candidate_extension{"ufrag", "EsAw"});
  CHECK(c.extensions()[2] == rtwire::sdp::candidate_extension{"network-id", "1"});
  CHECK(c.extensions()[3] == rtwire::sdp::candidate_extension{"network-cost", "10"});
  CHECK(c.extension("ufrag") == std::optional<std::string_view>("EsAw"));
  CHECK_FALSE(c.extension("missing").has_value());
  CHECK(to_string(c) == text);

  // Without any prefix, as some signaling servers strip it.
  const auto bare = must_parse(text.substr(10));
  CHECK(bare.prefix == rtwire::sdp::candidate_prefix::none);
  CHECK(to_string(bare) == text.substr(10));
}

TEST_CASE("TCP candidates: tcptype and positions are kept", "[sdp][candidate]") {
  const std::string_view text =
      "candidate:1 1 TCP 1518280447 192.168.1.14 9 typ host tcptype active generation 0";
  const auto c = must_parse(text);
  CHECK(c.is_tcp());
  CHECK(c.port == 9);
  CHECK(c.tcptype == "active");
  REQUIRE(c.extensions().size() == 1);
  CHECK(to_string(c) == text);

  for (const std::string_view t : {"passive", "so"}) {
    const std::string line = "candidate:1 1 tcp 1 10.0.0.1 80 typ host tcptype " + std::string(t);
    CHECK(must_parse(line).tcptype == t);
  }
  // tcptype after another extension is an extension in the RFC 6544 sense: allowed anywhere.
  const std::string_view late = "candidate:1 1 tcp 1 10.0.0.1 80 typ host generation 0 tcptype so";
  const auto l = must_parse(late);
  CHECK(l.tcptype == "so");
  CHECK(l.tcptype_index == 1);
  CHECK(to_string(l) == late);
}

TEST_CASE("relay candidates with mDNS, IPv6 and zone ids", "[sdp][candidate]") {
  const std::string_view mdns =
      "candidate:2 1 udp 2122262783 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 54321 typ host "
      "generation 0";
  CHECK(must_parse(mdns).address == "1f4712db-ea17-4bcf-a596-105139dfd8bf.local");
  CHECK(rtwire::sdp::classify_address("1f4712db-ea17-4bcf-a596-105139dfd8bf.local") ==
        rtwire::sdp::address_kind::fqdn);

  const std::string_view v6 =
      "candidate:4 1 udp 41885695 2001:db8::1 3478 typ relay raddr fe80::1%eth0 rport 55000";
  const auto c = must_parse(v6);
  CHECK(c.address == "2001:db8::1");
  CHECK(c.related_address == "fe80::1%eth0");
  CHECK(*c.related_port == 55000);
  CHECK(to_string(c) == v6);

  using rtwire::sdp::address_kind;
  using rtwire::sdp::classify_address;
  CHECK(classify_address("::") == address_kind::ipv6);
  CHECK(classify_address("::1") == address_kind::ipv6);
  CHECK(classify_address("1::") == address_kind::ipv6);
  CHECK(classify_address("1:2:3:4:5:6:7:8") == address_kind::ipv6);
  CHECK(classify_address("::ffff:192.0.2.1") == address_kind::ipv6);
  CHECK(classify_address("255.255.255.255") == address_kind::ipv4);
  CHECK(classify_address("example.com.") == address_kind::fqdn);
  for (const std::string_view bad :
       {"", "256.1.1.1", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1", "1:", "fe80::1%",
        "12345::", "-a.example", "a-.example", "a..b", ".", "a b", "1:2:3:4:5:6:7", "1.2.3.4:5"}) {
    INFO(bad);
    CHECK_FALSE(classify_address(bad).has_value());
  }
}

TEST_CASE("a 10-digit priority is never wrapped", "[sdp][candidate]") {
  // pion parsed priority as a 32-bit integer and turned 4294967296 into 0.
  candidate c;
  const auto err = parse_candidate("candidate:1 1 udp 4294967296 10.0.0.1 1 typ host", c);
  CHECK(err.code == error::bad_priority);
  CHECK(err.column == 19);
  CHECK(parse_candidate("candidate:1 1 udp 4294967296 10.0.0.1 1 typ host", c,
                        {.mode = mode::lenient})
            .code == error::bad_priority);
  // 2^31-1 is the strict maximum; 2^31 .. 2^32-1 only in lenient mode.
  CHECK(must_parse("candidate:1 1 udp 2147483647 10.0.0.1 1 typ host").priority == 2147483647u);
  CHECK(parse_candidate("candidate:1 1 udp 2147483648 10.0.0.1 1 typ host", c).code ==
        error::bad_priority);
  CHECK(must_parse("candidate:1 1 udp 4294967295 10.0.0.1 1 typ host", mode::lenient).priority ==
        4294967295u);
  CHECK(parse_candidate("candidate:1 1 udp 99999999999 10.0.0.1 1 typ host", c,
                        {.mode = mode::lenient})
            .code == error::bad_priority);
}

TEST_CASE("lenient mode accepts what Chrome accepts", "[sdp][candidate]") {
  candidate c;
  // Empty foundation.
  const std::string_view empty_foundation = "candidate: 1 udp 2122260223 10.0.0.1 5000 typ host";
  CHECK(parse_candidate(empty_foundation, c).code == error::bad_foundation);
  CHECK(must_parse(empty_foundation, mode::lenient).foundation.empty());
  CHECK(to_string(must_parse(empty_foundation, mode::lenient)) == empty_foundation);
  // Component 0.
  const std::string_view zero = "candidate:1 0 udp 2122260223 10.0.0.1 5000 typ host";
  CHECK(parse_candidate(zero, c).code == error::bad_component);
  CHECK(must_parse(zero, mode::lenient).component == 0);
  // Priority 0.
  const std::string_view p0 = "candidate:1 1 udp 0 10.0.0.1 5000 typ host";
  CHECK(parse_candidate(p0, c).code == error::bad_priority);
  CHECK(must_parse(p0, mode::lenient).priority == 0);
  // A trailing CRLF (a whole a= line pasted).
  const std::string_view crlf = "a=candidate:1 1 udp 1 10.0.0.1 5000 typ host\r\n";
  CHECK(parse_candidate(crlf, c).code == error::trailing_whitespace);  // not the type's fault
  CHECK(parse_candidate(crlf, c).column == crlf.size() - 1);
  const std::string_view space = "candidate:1 1 udp 1 10.0.0.1 5000 typ host ";
  CHECK(parse_candidate(space, c).code == error::trailing_whitespace);
  CHECK(parse_candidate(space, c).column == space.size());
  CHECK(must_parse(space, mode::lenient).type == "host");
  CHECK(must_parse(crlf, mode::lenient).type == "host");
  // raddr/rport after extensions, kept where they were.
  const std::string_view late =
      "candidate:1 1 udp 1 10.0.0.1 5000 typ srflx generation 0 rport 9 raddr 0.0.0.0";
  CHECK(parse_candidate(late, c).code == error::bad_related_port);
  const auto l = must_parse(late, mode::lenient);
  CHECK(l.related_port_index == 1);
  CHECK(l.related_address_index == 2);
  CHECK(to_string(l) == late);
}

TEST_CASE("every candidate error, with its column", "[sdp][candidate]") {
  const std::vector<bad_case> cases{
      {"a=cand:1 1 udp 1 10.0.0.1 1 typ host", error::bad_candidate_prefix, 1},
      {"candidate:", error::bad_foundation, 11},
      {"candidate:abc$ 1 udp 1 10.0.0.1 1 typ host", error::bad_foundation, 11},
      {"candidate:012345678901234567890123456789012 1 udp 1 10.0.0.1 1 typ host",
       error::bad_foundation, 11},
      {"candidate:1", error::bad_component, 11},
      {"candidate:1 257 udp 1 10.0.0.1 1 typ host", error::bad_component, 13},
      {"candidate:1 1000 udp 1 10.0.0.1 1 typ host", error::bad_component, 13},
      {"candidate:1 x udp 1 10.0.0.1 1 typ host", error::bad_component, 13},
      {"candidate:1 1  1 10.0.0.1 1 typ host", error::bad_transport, 15},
      {"candidate:1 1 u@p 1 10.0.0.1 1 typ host", error::bad_transport, 15},
      {"candidate:1 1 udp -1 10.0.0.1 1 typ host", error::bad_priority, 19},
      {"candidate:1 1 udp 1 10.0.0.300 1 typ host", error::bad_address, 21},
      {"candidate:1 1 udp 1 host_name 1 typ host", error::bad_address, 21},
      {"candidate:1 1 udp 1 10.0.0.1 65536 typ host", error::bad_port, 30},
      {"candidate:1 1 udp 1 10.0.0.1 x typ host", error::bad_port, 30},
      {"candidate:1 1 udp 1 10.0.0.1 1", error::missing_candidate_type, 31},
      {"candidate:1 1 udp 1 10.0.0.1 1 type host", error::missing_candidate_type, 32},
      {"candidate:1 1 udp 1 10.0.0.1 1 typ", error::bad_candidate_type, 32},
      {"candidate:1 1 udp 1 10.0.0.1 1 typ h@st", error::bad_candidate_type, 36},
      {"candidate:1 1 udp 1 10.0.0.1 1 typ host raddr", error::bad_related_address, 41},
      {"candidate:1 1 udp 1 10.0.0.1 1 typ host raddr 1.2.3", error::bad_related_address, 41},
      {"candidate:1 1 udp 1 10.0.0.1 1 typ host rport 1 raddr 1.2.3.4", error::bad_related_address,
       49},
      {"candidate:1 1 udp 1 10.0.0.1 1 typ host raddr 1.2.3.4 raddr 1.2.3.4",
       error::bad_related_address, 55},
      {"candidate:1 1 udp 1 10.0.0.1 1 typ host rport", error::bad_related_port, 41},
      {"candidate:1 1 udp 1 10.0.0.1 1 typ host rport 99999", error::bad_related_port, 41},
      {"candidate:1 1 udp 1 10.0.0.1 1 typ host tcptype fast", error::bad_tcptype, 41},
      {"candidate:1 1 udp 1 10.0.0.1 1 typ host tcptype so tcptype so", error::bad_tcptype, 52},
      {"candidate:1 1 udp 1 10.0.0.1 1 typ host generation", error::bad_extension, 41},
      {"candidate:1 1 udp 1 10.0.0.1 1 typ host ufrag a\tb", error::bad_extension, 41},
      {"candidate:1 1 udp 1 10.0.0.1 1 typ host raddr 1.2.3.4\t", error::trailing_whitespace,
       54},  // was blamed on raddr
      {"candidate:1 1 udp 1 10.0.\t0.1 1 typ host", error::bad_address, 21},
      {"candidate:1 1 u\tdp 1 10.0.0.1 1 typ host", error::bad_transport, 15},
      {"candidate:1\t1 udp 1 10.0.0.1 1 typ host", error::bad_foundation, 11},
      {"candidate:1 1 udp 1 10.0.0.1 1 ty\tp host", error::missing_candidate_type, 32},
      {"candidate:1 1 udp 1 10.0.0.1 1 typ host gen@ 0", error::bad_extension, 41},
      {"candidate:1 1 udp 1 10.0.0.1 1 typ host generation 0 ", error::trailing_whitespace,
       53},  // was blamed on the extension
      {"candidate:1 1 udp 1 10.0.0.1 1 typ host a 1 b 2 c 3 d 4 e 5 f 6 g 7 h 8 i 9 j 10 k 11 l 12 "
       "m 13 n 14 o 15 p 16 q 17",
       error::too_many_extensions, 112},
  };
  for (const auto& bc : cases) {
    candidate c;
    const auto err = parse_candidate(bc.text, c);
    INFO(bc.text << " -> " << err.message());
    CHECK(err.code == bc.expected);
    CHECK(err.line == 1);
    CHECK(err.column == bc.column);
  }
  CHECK(make_error_code(error::bad_priority).category().name() == std::string_view("rtwire.sdp"));
  CHECK(make_error_code(error::too_many_extensions) == rtwire::condition::limit_exceeded);
  CHECK(make_error_code(error::bad_port) == rtwire::condition::protocol_violation);
}

TEST_CASE("RFC 8445 priorities", "[sdp][candidate]") {
  using rtwire::sdp::candidate_priority;
  using rtwire::sdp::decompose_priority;
  using rtwire::sdp::pair_priority;
  using rtwire::sdp::priority_parts;
  // §5.1.2.1 with the recommended host type preference 126, local preference 65535, RTP.
  CHECK(candidate_priority(126, 65535, 1) == 2130706431u);
  CHECK(candidate_priority(100, 65535, 1) == 1694498815u);
  CHECK(candidate_priority(0, 0, 256) == 0u);
  CHECK(candidate_priority(126, 65535, 0) == std::nullopt);
  CHECK(candidate_priority(127, 0, 1) == std::nullopt);
  CHECK(candidate_priority(0, 65536, 1) == std::nullopt);
  CHECK(candidate_priority(0, 0, 257) == std::nullopt);
  CHECK(decompose_priority(2130706431) == priority_parts{126, 65535, 1});
  CHECK(decompose_priority(2122260223) == priority_parts{126, 32542, 1});
  CHECK(decompose_priority(0) == priority_parts{0, 0, 256});
  for (std::uint32_t t : {0u, 1u, 100u, 126u})
    for (std::uint32_t l : {0u, 1u, 32768u, 65535u})
      for (std::uint32_t comp : {1u, 2u, 255u, 256u})
        CHECK(decompose_priority(*candidate_priority(t, l, comp)) == priority_parts{t, l, comp});
  CHECK(must_parse("candidate:1 2 udp 2122260222 10.0.0.1 1 typ host").decomposed_priority() ==
        priority_parts{126, 32542, 2});
  // §6.1.2.3: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0), which needs 64 bits.
  CHECK(pair_priority(2130706431, 1694498815) ==
        (std::uint64_t{1694498815} << 32) + 2 * std::uint64_t{2130706431} + 1);
  CHECK(pair_priority(1694498815, 2130706431) ==
        (std::uint64_t{1694498815} << 32) + 2 * std::uint64_t{2130706431});
  CHECK(pair_priority(5, 5) == (std::uint64_t{5} << 32) + 10);
  CHECK(pair_priority(0xffffffffu, 0xffffffffu) ==
        (std::uint64_t{0xffffffffu} << 32) + 2 * std::uint64_t{0xffffffffu});
}

TEST_CASE("a candidate built in code serialises canonically", "[sdp][candidate]") {
  candidate c;
  c.foundation = "842163049";
  c.component = 1;
  c.transport = "udp";
  c.priority = *rtwire::sdp::candidate_priority(100, 30, 1);
  c.address = "203.0.113.7";
  c.port = 61000;
  c.type = "srflx";
  c.related_address = "0.0.0.0";
  c.related_port = 0;
  REQUIRE(c.add_extension("generation", "0"));
  const std::string text = to_string(c);
  CHECK(text ==
        "candidate:842163049 1 udp 1677729535 203.0.113.7 61000 typ srflx raddr 0.0.0.0 rport 0 "
        "generation 0");
  candidate back;
  REQUIRE_FALSE(parse_candidate(text, back));
  CHECK(to_string(back) == text);
  for (std::size_t i = 1; i < candidate::max_extensions; ++i)
    CHECK(c.add_extension("x", "y"));
  CHECK_FALSE(c.add_extension("x", "y"));
}
