// The Binding responder (RFC 8489 §6.3, RFC 3489 clients, RFC 5780 CHANGE-REQUEST) and the ICE
// connectivity-check responder (RFC 8445 §7.3): every outcome, answered and discarded.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catch.hpp"
#include "rtwire/stun/binding.hpp"
#include "rtwire/stun/ice.hpp"
#include "stun/vectors.hpp"

namespace stun = rtwire::stun;
using rtwire::test::unhex;
using rtwire::test::view;

namespace {

const std::string txid = unhex("0102030405060708090a0b0c");
const stun::address client = stun::address::v4(192, 0, 2, 1, 32853);

/// Builds a message; `build` adds attributes to the writer.
template <class F>
std::string make(std::uint16_t type, F&& build, const stun::key* k = nullptr, bool fp = false,
                 const std::string& id = txid) {
  std::array<std::byte, 1024> buf{};
  stun::writer w(buf, type, view(id));
  build(w);
  const auto n = w.seal(k, fp);
  REQUIRE(n);
  return std::string(reinterpret_cast<const char*>(buf.data()), n.value);
}

const std::uint16_t binding_request =
    stun::message_type(stun::message_class::request, stun::method::binding);

struct answer {
  std::size_t size = 0;
  std::array<std::byte, 576> bytes{};
  std::optional<stun::message_view> parsed() const {
    if (size == 0) return std::nullopt;
    auto r = stun::parse(rtwire::bytes_view(bytes.data(), size));
    REQUIRE(r);
    return r.value;
  }
};

answer ask(stun::binding_responder& b, const std::string& request) {
  answer a;
  a.size = b.respond(view(request), client, a.bytes);
  return a;
}

}  // namespace

TEST_CASE("Binding: XOR-MAPPED-ADDRESS, FINGERPRINT only when the request had one",
          "[stun][binding]") {
  stun::binding_responder b;
  for (bool fp : {false, true}) {
    INFO("request fingerprint " << fp);
    const answer a = ask(b, make(
                                binding_request, [](stun::writer&) {}, nullptr, fp));
    const auto m = a.parsed();
    REQUIRE(m);
    CHECK(m->cls() == stun::message_class::success_response);
    CHECK(m->method() == stun::method::binding);
    CHECK(std::string(reinterpret_cast<const char*>(m->transaction_id().data()), 12) == txid);
    CHECK(stun::xor_mapped_address(*m) == client);
    CHECK_FALSE(stun::mapped_address(*m));
    CHECK_FALSE(stun::software(*m));  // off by default
    CHECK(stun::verify_fingerprint(*m) == (fp ? stun::check::ok : stun::check::absent));
  }
  // IPv6 sources too.
  stun::address v6;
  v6.family = stun::family::ipv6;
  v6.bytes = {0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  v6.port = 1;
  answer a;
  a.size = b.respond(view(make(binding_request, [](stun::writer&) {})), v6, a.bytes);
  CHECK(stun::xor_mapped_address(*a.parsed()) == v6);
  CHECK(b.counters().success == 3);
}

TEST_CASE("Binding: SOFTWARE when configured", "[stun][binding]") {
  stun::binding_responder b({.software = "rtwire test"});
  const answer a = ask(b, make(binding_request, [](stun::writer&) {}));
  CHECK(stun::software(*a.parsed()) == "rtwire test");
}

TEST_CASE("Binding: a SOFTWARE too long to send is counted as encode_failed, not a small buffer",
          "[stun][binding]") {
  const std::string too_long(510, 's');
  stun::binding_responder b({.software = too_long});
  const answer a = ask(b, make(binding_request, [](stun::writer&) {}));
  CHECK(a.size == 0);
  CHECK(b.counters().encode_failed == 1);
  CHECK(b.counters().buffer_too_small == 0);
  CHECK(b.counters().success == 0);
}

TEST_CASE("Binding: an RFC 3489 request gets MAPPED-ADDRESS and its 16-byte ID back",
          "[stun][binding]") {
  stun::binding_responder b;
  // What the classic `stun` client sends: no cookie, CHANGE-REQUEST with no flags.
  const std::string id16 = unhex("5c2e8a0f11223344556677889900aabb");
  const std::string request = unhex("0001 0008") + id16 + unhex("0003 0004 00000000");
  const answer a = ask(b, request);
  const auto m = a.parsed();
  REQUIRE(m);
  CHECK_FALSE(m->has_magic_cookie());
  CHECK(std::string(reinterpret_cast<const char*>(m->transaction_id().data()), 16) == id16);
  CHECK(stun::mapped_address(*m) == client);
  CHECK_FALSE(stun::xor_mapped_address(*m));
}

TEST_CASE("Binding: 420 with UNKNOWN-ATTRIBUTES; CHANGE-REQUEST flags; 400 for other methods",
          "[stun][binding]") {
  stun::binding_responder b;
  {
    const answer a =
        ask(b, make(
                   binding_request,
                   [](stun::writer& w) {
                     w.add(0x7001, {}).add(0x8077, {}).add(0x0031, view(std::string("x")));
                   },
                   nullptr, true));
    const auto m = a.parsed();
    REQUIRE(m);
    CHECK(m->cls() == stun::message_class::error_response);
    CHECK(stun::error_code(*m)->code == 420);
    const auto ua = m->find(stun::attr::unknown_attributes);
    REQUIRE(ua);
    REQUIRE(stun::unknown_attribute_count(*ua) == 2);
    CHECK(stun::unknown_attribute_at(*ua, 0) == 0x7001);
    CHECK(stun::unknown_attribute_at(*ua, 1) == 0x0031);
    CHECK(stun::verify_fingerprint(*m) == stun::check::ok);
  }
  {
    // CHANGE-REQUEST with no flag: understood and ignored.
    const answer a = ask(b, make(binding_request, [](stun::writer& w) {
                           w.add_u32(stun::attr::change_request, 0);
                         }));
    CHECK(a.parsed()->cls() == stun::message_class::success_response);
  }
  {
    // With "change IP": this server has no other address, so 420 naming CHANGE-REQUEST.
    const answer a = ask(b, make(binding_request, [](stun::writer& w) {
                           w.add_u32(stun::attr::change_request, stun::change_ip);
                         }));
    const auto m = a.parsed();
    CHECK(stun::error_code(*m)->code == 420);
    CHECK(stun::unknown_attribute_at(*m->find(stun::attr::unknown_attributes), 0) ==
          stun::attr::change_request);
  }
  {
    const answer a =
        ask(b, make(stun::message_type(stun::message_class::request, stun::method::allocate),
                    [](stun::writer&) {}));
    const auto m = a.parsed();
    CHECK(stun::error_code(*m)->code == 400);
    CHECK(m->method() == stun::method::allocate);
  }
  CHECK(b.counters().error_responses == 3);
  CHECK(b.counters().success == 1);
}

TEST_CASE("Binding: silent discards are counted (RFC 8489 §6.3)", "[stun][binding]") {
  stun::binding_responder b;
  CHECK(ask(b, "garbage").size == 0);
  CHECK(ask(b, std::string(20, '\xff')).size == 0);
  CHECK(b.counters().malformed == 2);
  CHECK(ask(b, make(stun::message_type(stun::message_class::indication, stun::method::binding),
                    [](stun::writer&) {}))
            .size == 0);
  CHECK(ask(b, rtwire::test::rfc5769_ipv4_response).size == 0);
  CHECK(b.counters().not_request == 2);
  std::string bad_fp = make(
      binding_request, [](stun::writer&) {}, nullptr, true);
  bad_fp.back() = static_cast<char>(bad_fp.back() ^ 1);
  CHECK(ask(b, bad_fp).size == 0);
  CHECK(b.counters().bad_fingerprint == 1);
  // An output buffer too small for the answer: nothing is sent, and it is counted.
  std::array<std::byte, 24> tiny{};
  CHECK(b.respond(view(make(binding_request, [](stun::writer&) {})), client, tiny) == 0);
  CHECK(b.counters().buffer_too_small == 1);
  CHECK(b.counters().success == 0);
}

// ------------------------------------------------------------------------------------------------
// ICE
// ------------------------------------------------------------------------------------------------

namespace {

constexpr std::string_view local_ufrag = "LOCL";
constexpr std::string_view local_pwd = "local-password-22chars";

struct check_params {
  std::string username = "LOCL:RMTE";
  std::string password = std::string(local_pwd);
  bool priority = true;
  bool use_candidate = false;
  std::optional<std::uint64_t> controlling;
  std::optional<std::uint64_t> controlled;
  bool integrity = true;
  bool fingerprint = true;
  std::uint16_t unknown = 0;
};

std::string ice_request(const check_params& p) {
  const auto k = stun::key::short_term(p.password);
  return make(
      binding_request,
      [&](stun::writer& w) {
        if (!p.username.empty()) w.add_text(stun::attr::username, p.username);
        if (p.priority) w.add_u32(stun::attr::priority, 0x6e0001ff);
        if (p.use_candidate) w.add_flag(stun::attr::use_candidate);
        if (p.controlling) w.add_u64(stun::attr::ice_controlling, *p.controlling);
        if (p.controlled) w.add_u64(stun::attr::ice_controlled, *p.controlled);
        if (p.unknown != 0) w.add(p.unknown, {});
      },
      p.integrity ? &k : nullptr, p.fingerprint);
}

struct ice_answer {
  stun::ice_check check;
  std::array<std::byte, 576> bytes{};
  stun::message_view parsed() const {
    auto r = stun::parse(rtwire::bytes_view(bytes.data(), check.size));
    REQUIRE(r);
    return r.value;
  }
};

ice_answer ask_ice(stun::ice_responder& ice, const check_params& p) {
  ice_answer a;
  a.check = ice.respond(view(ice_request(p)), client, a.bytes);
  return a;
}

}  // namespace

TEST_CASE("ICE: a valid check succeeds, integrity-protected, USE-CANDIDATE surfaced",
          "[stun][ice]") {
  stun::ice_responder ice(local_ufrag, local_pwd, stun::ice_role::controlled, 10);
  check_params p;
  p.controlling = 99;
  p.use_candidate = true;
  const ice_answer a = ask_ice(ice, p);
  CHECK(a.check.outcome == stun::ice_outcome::success);
  CHECK(a.check.use_candidate);
  CHECK(a.check.priority == 0x6e0001ffu);
  const auto m = a.parsed();
  CHECK(m.cls() == stun::message_class::success_response);
  CHECK(stun::xor_mapped_address(m) == client);
  CHECK(stun::verify_integrity(m, stun::key::short_term(local_pwd)) == stun::check::ok);
  CHECK(stun::verify_fingerprint(m) == stun::check::ok);
  CHECK(ice.role() == stun::ice_role::controlled);

  const std::string req = ice_request(p);
  std::array<std::byte, 576> out{};
  const auto c = ice.respond(view(req), client, out);
  CHECK(c.remote_ufrag == "RMTE");
  p.use_candidate = false;
  CHECK_FALSE(ask_ice(ice, p).check.use_candidate);
}

TEST_CASE("ICE: 400 without USERNAME, MESSAGE-INTEGRITY or PRIORITY; 401 on a wrong user or MAC",
          "[stun][ice]") {
  stun::ice_responder ice(local_ufrag, local_pwd, stun::ice_role::controlled, 10);
  struct row {
    const char* what;
    check_params p;
    stun::ice_outcome outcome;
    int code;
    bool protected_response;
  };
  std::vector<row> rows;
  {
    check_params p;
    p.username.clear();
    rows.push_back({"no USERNAME", p, stun::ice_outcome::bad_request, 400, false});
  }
  {
    check_params p;
    p.integrity = false;
    rows.push_back({"no MESSAGE-INTEGRITY", p, stun::ice_outcome::bad_request, 400, false});
  }
  {
    check_params p;
    p.priority = false;
    rows.push_back({"no PRIORITY", p, stun::ice_outcome::bad_request, 400, true});
  }
  {
    check_params p;
    p.username = "RMTE:LOCL";
    rows.push_back({"ufrags swapped", p, stun::ice_outcome::unauthorized, 401, false});
  }
  {
    check_params p;
    p.username = "LOCL";
    rows.push_back({"no colon", p, stun::ice_outcome::unauthorized, 401, false});
  }
  {
    check_params p;
    p.password = "wrong-password";
    rows.push_back({"wrong password", p, stun::ice_outcome::unauthorized, 401, false});
  }
  {
    check_params p;
    p.unknown = 0x7002;
    rows.push_back({"unknown attribute", p, stun::ice_outcome::unknown_attributes, 420, true});
  }
  for (const row& r : rows) {
    INFO(r.what);
    const ice_answer a = ask_ice(ice, r.p);
    CHECK(a.check.outcome == r.outcome);
    REQUIRE(a.check.size != 0);
    const auto m = a.parsed();
    CHECK(m.cls() == stun::message_class::error_response);
    CHECK(stun::error_code(m)->code == r.code);
    CHECK(stun::verify_fingerprint(m) == stun::check::ok);
    CHECK(stun::verify_integrity(m, stun::key::short_term(local_pwd)) ==
          (r.protected_response ? stun::check::ok : stun::check::absent));
  }
}

TEST_CASE("ICE: discarded without a valid FINGERPRINT, and when not a request", "[stun][ice]") {
  stun::ice_responder ice(local_ufrag, local_pwd, stun::ice_role::controlled, 10);
  check_params p;
  p.fingerprint = false;
  CHECK(ask_ice(ice, p).check.outcome == stun::ice_outcome::discarded);
  std::string req = ice_request(check_params{});
  req.back() = static_cast<char>(req.back() ^ 0x80);
  std::array<std::byte, 576> out{};
  CHECK(ice.respond(view(req), client, out).size == 0);
  CHECK(ice.respond(view(rtwire::test::rfc5769_ipv4_response), client, out).size == 0);
  CHECK(ice.respond(view(std::string("junk")), client, out).size == 0);
}

TEST_CASE("ICE: role conflicts are settled by the tie-breaker (RFC 8445 §7.3.1.1)", "[stun][ice]") {
  struct row {
    const char* what;
    stun::ice_role ours;
    std::uint64_t our_tb;
    bool they_controlling;
    std::uint64_t their_tb;
    stun::ice_outcome outcome;
    stun::ice_role after;
    bool switched;
  };
  const std::vector<row> rows{
      {"both controlling, ours larger: 487", stun::ice_role::controlling, 50, true, 40,
       stun::ice_outcome::role_conflict, stun::ice_role::controlling, false},
      {"both controlling, ours equal: 487", stun::ice_role::controlling, 50, true, 50,
       stun::ice_outcome::role_conflict, stun::ice_role::controlling, false},
      {"both controlling, ours smaller: we switch", stun::ice_role::controlling, 40, true, 50,
       stun::ice_outcome::success, stun::ice_role::controlled, true},
      {"both controlled, ours larger: we switch", stun::ice_role::controlled, 50, false, 40,
       stun::ice_outcome::success, stun::ice_role::controlling, true},
      {"both controlled, ours smaller: 487", stun::ice_role::controlled, 40, false, 50,
       stun::ice_outcome::role_conflict, stun::ice_role::controlled, false},
      {"no conflict (we control, they are controlled)", stun::ice_role::controlling, 1, false, 99,
       stun::ice_outcome::success, stun::ice_role::controlling, false},
  };
  for (const row& r : rows) {
    INFO(r.what);
    stun::ice_responder ice(local_ufrag, local_pwd, r.ours, r.our_tb);
    check_params p;
    if (r.they_controlling) {
      p.controlling = r.their_tb;
    } else {
      p.controlled = r.their_tb;
    }
    const ice_answer a = ask_ice(ice, p);
    CHECK(a.check.outcome == r.outcome);
    CHECK(a.check.role_switched == r.switched);
    CHECK(ice.role() == r.after);
    const auto m = a.parsed();
    if (r.outcome == stun::ice_outcome::role_conflict) {
      CHECK(stun::error_code(m)->code == 487);
      CHECK(stun::verify_integrity(m, stun::key::short_term(local_pwd)) == stun::check::ok);
    } else {
      CHECK(m.cls() == stun::message_class::success_response);
    }
  }
}
