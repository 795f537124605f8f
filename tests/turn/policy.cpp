// TURN peer policy: the SSRF matrix of issue #17 on CreatePermission and ChannelBind (403),
// canonicalisation of embedded IPv4, CIDR parsing with its errors, allow/deny lists (allow
// wins), allow_loopback, the relay's own addresses; and the REST API credentials.
#include <string>
#include <string_view>

#include "catch.hpp"
#include "turn/harness.hpp"

using namespace rtwire::test::turn;
namespace tn = rtwire::turn;

namespace {

stun::address ip(std::string_view text, std::uint16_t port = 5000) {
  auto a = tn::parse_ip(text);
  REQUIRE(a);
  a->port = port;
  return *a;
}

}  // namespace

TEST_CASE("turn: the SSRF matrix is 403 on CreatePermission and on ChannelBind") {
  const char* denied[] = {"127.0.0.2",
                          "0.0.0.0",
                          "0.1.2.3",
                          "::",
                          "::1",
                          "::ffff:127.0.0.1",
                          "::ffff:0.0.0.0",
                          "::127.0.0.1",
                          "64:ff9b::7f00:1",
                          "2002:7f00:1::1",
                          "169.254.169.254",
                          "fe80::1",
                          "fc00::1",
                          "224.0.0.1",
                          "255.255.255.255",
                          "ff02::1",
                          "fec0::1",
                          "203.0.113.1"};
  for (const bool v6_relay : {false, true}) {
    world w([&](tn::options& o) {
      o.ipv6_relays = true;
      o.policy.add_relay_address(ip("203.0.113.1"));
    });
    session a(w, w.alice, "alice", "alice-pw");
    REQUIRE(a.allocate([&](stun::writer& wr) {
      if (v6_relay)
        wr.add(tn::attr::requested_address_family,
               std::array<std::byte, 4>{std::byte{2}, {}, {}, {}});
    }) == 0);
    std::uint16_t channel = 0x4000;
    for (const char* text : denied) {
      INFO(text << (v6_relay ? " (IPv6 relay)" : " (IPv4 relay)"));
      // Denied comes before the family check: 403 even where the family differs (not 443).
      REQUIRE(a.permit(ip(text)) == 403);
      REQUIRE(a.bind(channel++, ip(text)) == 403);
    }
    REQUIRE(w.srv->find_allocation(w.alice)->permissions.empty());
    REQUIRE(w.srv->find_allocation(w.alice)->channels.empty());
  }
}

TEST_CASE("turn: public peers are permitted; allowed addresses of the other family get 443") {
  world w;
  session a(w, w.alice, "alice", "alice-pw");
  REQUIRE(a.allocate() == 0);
  REQUIRE(a.permit(ip("8.8.8.8")) == 0);
  REQUIRE(a.permit(ip("10.1.2.3")) == 0);  // private space is not on the default list
  REQUIRE(a.permit(ip("2001:db8::1")) == 443);
  REQUIRE(a.bind(0x4000, ip("2606:4700::1111")) == 443);
}

TEST_CASE("turn: canonical() unwraps embedded IPv4") {
  REQUIRE(tn::canonical(ip("::ffff:127.0.0.1")) == ip("127.0.0.1"));
  REQUIRE(tn::canonical(ip("::127.0.0.1")) == ip("127.0.0.1"));
  REQUIRE(tn::canonical(ip("64:ff9b::a9fe:a9fe")) == ip("169.254.169.254"));
  REQUIRE(tn::canonical(ip("2002:a00:1::5")) == ip("10.0.0.1"));
  REQUIRE(tn::canonical(ip("::1")) == ip("::1"));
  REQUIRE(tn::canonical(ip("::")) == ip("::"));
  REQUIRE(tn::canonical(ip("2001:db8::1")) == ip("2001:db8::1"));
  REQUIRE(tn::canonical(ip("1.2.3.4")) == ip("1.2.3.4"));
}

TEST_CASE("turn: parse_ip and parse_cidr accept one spelling and say what is wrong") {
  REQUIRE(tn::parse_ip("1.2.3.4"));
  REQUIRE(tn::parse_ip("::"));
  REQUIRE(tn::parse_ip("1:2:3:4:5:6:7:8"));
  REQUIRE(tn::parse_ip("::ffff:1.2.3.4"));
  REQUIRE(tn::parse_ip("fe80::1:2"));
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", ":::", "1::2::3",
        "1:2:3:4:5:6:7:8:9", "12345::", "g::1", ":1::", "1:", "1:2:3:4:5:6:7::8:9"}) {
    INFO(bad);
    REQUIRE(!tn::parse_ip(bad));
  }
  const auto c = tn::parse_cidr("10.1.2.3/8");
  REQUIRE(c);
  REQUIRE(c.value.prefix == 8);
  REQUIRE(c.value.base == ip("10.0.0.0", 0));
  REQUIRE(tn::parse_cidr("::1").value.prefix == 128);
  REQUIRE(tn::parse_cidr("nope/8").error == tn::error::bad_cidr);
  REQUIRE(tn::parse_cidr("nope/8").error.offset == 0);
  REQUIRE(tn::parse_cidr("10.0.0.0/").error == tn::error::bad_cidr);
  REQUIRE(tn::parse_cidr("10.0.0.0/x").error.offset == 8);
  REQUIRE(tn::parse_cidr("10.0.0.0/33").error == tn::error::bad_prefix_length);
  REQUIRE(tn::parse_cidr("10.0.0.0/33").error.offset == 9);
  REQUIRE(tn::parse_cidr("::/129").error == tn::error::bad_prefix_length);
  REQUIRE(tn::parse_cidr("::/0").value.contains(ip("2001:db8::1")));
  REQUIRE(!tn::parse_cidr("::/0").value.contains(ip("1.2.3.4")));
  REQUIRE(tn::parse_cidr("x/8").error.code.default_error_condition() ==
          std::error_condition(rtwire::condition::bad_input));
  REQUIRE(std::string(tn::error_category().name()) == "rtwire.turn");
  REQUIRE(tn::make_error_code(tn::error::unknown_token).message() ==
          "token is not pending in the TURN server");
}

TEST_CASE("turn: operator allow and deny lists: allow wins; allow_loopback for tests") {
  tn::peer_policy p;
  REQUIRE(p.permits(ip("10.1.2.3")));
  p.deny(tn::parse_cidr("10.0.0.0/8").value);
  REQUIRE(!p.permits(ip("10.1.2.3")));
  REQUIRE(!p.permits(ip("::ffff:10.1.2.3")));  // the deny list sees through the wrapping
  p.allow(tn::parse_cidr("10.1.2.0/24").value);
  REQUIRE(p.permits(ip("10.1.2.3")));
  REQUIRE(!p.permits(ip("10.1.3.3")));
  REQUIRE(!p.permits(ip("127.0.0.1")));
  p.allow_loopback = true;
  REQUIRE(p.permits(ip("127.0.0.1")));
  REQUIRE(p.permits(ip("::1")));
  REQUIRE(p.permits(ip("::ffff:127.0.0.1")));
  REQUIRE(!p.permits(ip("169.254.169.254")));  // loopback only, nothing else
  p.add_relay_address(ip("198.51.100.1"));
  REQUIRE(!p.permits(ip("198.51.100.1", 1)));
  REQUIRE(p.permits(ip("198.51.100.2")));
  // An operator allow CIDR opens a built-in denied block (e.g. a lab's link-local peer).
  tn::peer_policy q;
  q.allow(tn::parse_cidr("169.254.10.0/24").value);
  REQUIRE(q.permits(ip("169.254.10.1")));
  REQUIRE(!q.permits(ip("169.254.169.254")));
}

TEST_CASE("turn: with the default policy a loopback peer is 403; allow_loopback relays to it") {
  world deny;
  session a(deny, deny.alice, "alice", "alice-pw");
  REQUIRE(a.allocate() == 0);
  REQUIRE(a.permit(ip("127.0.0.1")) == 403);
  world allow([](tn::options& o) { o.policy.allow_loopback = true; });
  session b(allow, allow.alice, "alice", "alice-pw");
  REQUIRE(b.allocate() == 0);
  REQUIRE(b.permit(ip("127.0.0.1")) == 0);
  REQUIRE(b.permit(ip("169.254.169.254")) == 403);
}

TEST_CASE("turn: REST API credentials (draft-uberti-behave-turn-rest §2.2)") {
  // openssl: printf '1700000000:alice' | openssl dgst -sha1 -hmac north -binary | base64
  REQUIRE(tn::rest_password("north", "1700000000:alice") == "Cd/49soE35ICqcJF/bCTn8Z4OyE=");
  REQUIRE(tn::rest_username(1700000000, "alice") == "1700000000:alice");
  REQUIRE(tn::rest_username(5, "") == "5");
  REQUIRE(tn::rest_expiry("1700000000:alice") == 1700000000u);
  REQUIRE(tn::rest_expiry("42") == 42u);
  REQUIRE(!tn::rest_expiry("alice"));
  REQUIRE(!tn::rest_expiry(":alice"));
  REQUIRE(!tn::rest_expiry("12x:alice"));
  tn::credential_store s;
  REQUIRE(s.empty());
  s.set_rest_secret("north");
  REQUIRE(s.password("1700000000:alice", 1699999999) == "Cd/49soE35ICqcJF/bCTn8Z4OyE=");
  REQUIRE(s.password("1700000000:alice", 1700000000).has_value());
  REQUIRE(!s.password("1700000000:alice", 1700000001));  // expired
  REQUIRE(!s.password("alice", 0));                      // no expiry: not a REST name
  s.add_user("1700000000:alice", "static wins");
  REQUIRE(s.password("1700000000:alice", 1800000000) == "static wins");
  const auto k = s.lookup("1700000000:alice", "r", 0);
  REQUIRE(k);
}
