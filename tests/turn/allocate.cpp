// TURN server: authentication (RFC 8489 §9.2.4), Allocate (RFC 8656 §7.2), Refresh (§8.2),
// their every error code, quotas, lifetimes and expiry on a fake clock.
#include "catch.hpp"
#include "turn/harness.hpp"

using namespace rtwire::test::turn;

TEST_CASE("turn: Binding is answered like a STUN server") {
  world w;
  request r;
  r.method = stun::method::binding;
  r.tid = make_tid(9);
  bytes s;
  const auto m = answer(w.exchange(w.alice, r, nullptr), s);
  REQUIRE(error_of(m) == 0);
  REQUIRE(stun::xor_mapped_address(m) == w.alice.remote);
}

TEST_CASE("turn: Allocate without credentials gets 401 with REALM and NONCE, no integrity") {
  world w;
  session a(w, w.alice, "alice", "alice-pw");
  REQUIRE(a.challenge() == 401);
  REQUIRE(a.realm == "example.org");
  REQUIRE(a.nonce.size() == 36);
  const auto m = stun::parse(a.last).value;
  REQUIRE(!m.has(stun::attr::message_integrity));
  REQUIRE(w.srv->allocation_count() == 0);
}

TEST_CASE("turn: authenticated Allocate gets XOR-RELAYED-ADDRESS, LIFETIME, XOR-MAPPED-ADDRESS") {
  world w;
  session a(w, w.alice, "alice", "alice-pw");
  a.challenge();
  const auto evs =
      a.call(stun::method::allocate, [](stun::writer& wr) { requested_transport(wr); });
  REQUIRE(a.status(evs) == 0);
  REQUIRE(a.relayed() == world::relay_address(1));
  REQUIRE(a.lifetime() == 600u);
  const auto m = stun::parse(a.last).value;
  REQUIRE(stun::xor_mapped_address(m) == w.alice.remote);
  // The answer is signed with the user's key (RFC 8489 §9.2.4).
  REQUIRE(stun::verify_integrity(m, *a.key()) == stun::check::ok);
  REQUIRE(w.srv->allocation_count() == 1);
  REQUIRE(w.srv->counters().allocations == 1);
  // The key is cached: a second user's lookup happened once, a refresh asks for nothing.
  w.auto_credentials = false;
  REQUIRE(a.refresh(600) == 0);
}

TEST_CASE("turn: the credential lookup is asked once per user, then cached") {
  world w;
  w.auto_credentials = false;
  session a(w, w.alice, "alice", "alice-pw");
  a.challenge();
  auto evs = a.call(stun::method::allocate, [](stun::writer& wr) { requested_transport(wr); });
  REQUIRE(count(evs, event::need_credentials) == 1);
  REQUIRE(evs[0].user == "alice");
  REQUIRE(w.srv->waiting_count() == 1);
  REQUIRE(w.srv->on_credentials(evs[0].token, w.store.lookup("alice", "example.org", 0), w.now) ==
          std::error_code{});
  evs = w.take();
  REQUIRE(a.status(evs) == 0);
  REQUIRE(w.srv->on_credentials(999, std::nullopt, w.now) == rtwire::turn::error::unknown_token);
  // Another client of the same user: the cached key answers at once.
  session a2(
      w, {rtwire::turn::transport::udp, stun::address::v4(198, 51, 100, 8, 1), w.alice.local, 0},
      "alice", "alice-pw");
  a2.challenge();
  evs = a2.call(stun::method::allocate, [](stun::writer& wr) { requested_transport(wr); });
  REQUIRE(count(evs, event::need_credentials) == 0);
  REQUIRE(a2.status(evs) == 0);
}

TEST_CASE("turn: 401 for a wrong password, an unknown user, a foreign realm") {
  world w;
  session bad(w, w.alice, "alice", "wrong");
  bad.challenge();
  REQUIRE(bad.allocate() == 401);
  session nobody(w, w.alice, "mallory", "x");
  nobody.challenge();
  REQUIRE(nobody.allocate() == 401);
  session foreign(w, w.alice, "alice", "alice-pw");
  foreign.challenge();
  foreign.realm = "other.org";
  REQUIRE(foreign.allocate() == 401);
  REQUIRE(w.srv->allocation_count() == 0);
}

TEST_CASE("turn: MESSAGE-INTEGRITY without USERNAME, REALM or NONCE is 400") {
  world w;
  session a(w, w.alice, "alice", "alice-pw");
  a.challenge();
  const auto k = a.key();
  request r;
  r.method = stun::method::allocate;
  r.tid = make_tid(77);
  r.fill = [&](stun::writer& wr) {
    requested_transport(wr);
    wr.add_text(stun::attr::username, "alice");
    wr.add_text(stun::attr::realm, "example.org");
  };
  bytes s;
  REQUIRE(error_of(answer(w.exchange(w.alice, r, &*k), s)) == 400);
}

TEST_CASE("turn: a stale or forged nonce is 438 with a fresh one") {
  world w;
  session a(w, w.alice, "alice", "alice-pw");
  a.challenge();
  const auto fill = [](stun::writer& wr) { requested_transport(wr); };
  // Without the session's automatic retry: the raw answers.
  const auto once = [&](session& s) {
    const auto k = s.key();
    return s.status(w.exchange(s.me, s.signed_request(stun::method::allocate, fill), &*k));
  };
  w.now += 600s;  // options::nonce_lifetime
  REQUIRE(once(a) == 438);
  const auto m = stun::parse(a.last).value;
  REQUIRE(stun::realm(m) == "example.org");
  REQUIRE(!m.has(stun::attr::message_integrity));
  a.nonce = std::string(*stun::nonce(m));
  REQUIRE(once(a) == 0);
  // Forged: right shape, wrong MAC.
  session b(w,
            {rtwire::turn::transport::udp, stun::address::v4(198, 51, 100, 9, 2), w.alice.local, 0},
            "bob", "bob-pw");
  b.challenge();
  b.nonce[20] = b.nonce[20] == '0' ? '1' : '0';
  REQUIRE(once(b) == 438);
  b.nonce = "short";
  REQUIRE(once(b) == 438);
  // A nonce issued to another client is not valid here.
  b.nonce = a.nonce;
  REQUIRE(once(b) == 438);
  // The session retries a 438 once with the new nonce, as RFC 8489 §9.2.5 says.
  REQUIRE(b.allocate() == 0);
}

TEST_CASE("turn: REQUESTED-TRANSPORT missing is 400, not UDP is 442") {
  world w;
  session a(w, w.alice, "alice", "alice-pw");
  a.challenge();
  REQUIRE(a.status(a.call(stun::method::allocate, {})) == 400);
  REQUIRE(a.status(a.call(stun::method::allocate,
                          [](stun::writer& wr) { requested_transport(wr, 6); })) == 442);
}

TEST_CASE("turn: DONT-FRAGMENT is 420 with UNKNOWN-ATTRIBUTES unless supported") {
  world w;
  session a(w, w.alice, "alice", "alice-pw");
  REQUIRE(a.allocate([](stun::writer& wr) { wr.add_flag(rtwire::turn::attr::dont_fragment); }) ==
          420);
  const auto m = stun::parse(a.last).value;
  const auto u = m.find(stun::attr::unknown_attributes);
  REQUIRE(u);
  REQUIRE(stun::unknown_attribute_count(*u) == 1);
  REQUIRE(stun::unknown_attribute_at(*u, 0) == rtwire::turn::attr::dont_fragment);
  // An unknown comprehension-required attribute: 420 too.
  REQUIRE(a.allocate([](stun::writer& wr) { wr.add(0x0030, std::array<std::byte, 4>{}); }) == 420);
  REQUIRE(stun::unknown_attribute_at(
              *stun::parse(a.last).value.find(stun::attr::unknown_attributes), 0) == 0x0030);

  world w2([](rtwire::turn::options& o) { o.dont_fragment = true; });
  session b(w2, w2.alice, "alice", "alice-pw");
  REQUIRE(b.allocate([](stun::writer& wr) { wr.add_flag(rtwire::turn::attr::dont_fragment); }) ==
          0);
}

TEST_CASE("turn: REQUESTED-ADDRESS-FAMILY: 440 when unsupported or unknown, IPv6 when offered") {
  const auto family = [](std::uint8_t f) {
    return [f](stun::writer& wr) {
      wr.add(rtwire::turn::attr::requested_address_family,
             std::array<std::byte, 4>{std::byte{f}, {}, {}, {}});
    };
  };
  world w;
  session a(w, w.alice, "alice", "alice-pw");
  REQUIRE(a.allocate(family(2)) == 440);
  REQUIRE(a.allocate(family(3)) == 440);
  REQUIRE(a.allocate([](stun::writer& wr) {
    wr.add(rtwire::turn::attr::requested_address_family, std::array<std::byte, 2>{});
  }) == 400);
  world w6([](rtwire::turn::options& o) { o.ipv6_relays = true; });
  session b(w6, w6.alice, "alice", "alice-pw");
  REQUIRE(b.allocate(family(2)) == 0);
  REQUIRE(b.relayed()->family == stun::family::ipv6);
  // Refresh asking another family: 443.
  REQUIRE(b.status(b.call(stun::method::refresh, family(1))) == 443);
}

TEST_CASE("turn: a retransmitted Allocate gets the cached answer, another one 437") {
  world w;
  session a(w, w.alice, "alice", "alice-pw");
  a.challenge();
  const auto tid = make_tid(500);
  const auto fill = [](stun::writer& wr) { requested_transport(wr); };
  REQUIRE(a.status(a.call(stun::method::allocate, fill, tid)) == 0);
  const bytes first = a.last;
  REQUIRE(a.status(a.call(stun::method::allocate, fill, tid)) == 0);
  REQUIRE(a.last == first);
  REQUIRE(w.relays_opened == 1);
  REQUIRE(a.status(a.call(stun::method::allocate, fill)) == 437);
}

TEST_CASE("turn: a relay that cannot be opened is 508; a retransmission while opening waits") {
  world w;
  w.auto_relay = false;
  session a(w, w.alice, "alice", "alice-pw");
  a.challenge();
  const auto tid = make_tid(600);
  const auto fill = [](stun::writer& wr) { requested_transport(wr); };
  auto evs = a.call(stun::method::allocate, fill, tid);
  REQUIRE(count(evs, event::open_relay) == 1);
  REQUIRE(count(evs, event::send_client) == 0);
  const auto token = evs[0].token;
  REQUIRE(evs[0].user == "alice");
  REQUIRE(count(a.call(stun::method::allocate, fill, tid), event::send_client) == 0);
  REQUIRE(w.srv->on_relay_failed(token, w.now) == std::error_code{});
  REQUIRE(a.status(w.take()) == 508);
  REQUIRE(w.srv->allocation_count() == 0);
  REQUIRE(w.srv->on_relay_failed(token, w.now) == rtwire::turn::error::unknown_token);
  REQUIRE(w.srv->on_relay_opened(token, world::relay_address(1), w.now) ==
          rtwire::turn::error::unknown_token);
}

TEST_CASE("turn: quotas: 486 per user, 508 in total") {
  world w([](rtwire::turn::options& o) {
    o.limits.max_allocations_per_user = 2;
    o.limits.max_allocations = 3;
  });
  auto client_n = [&](std::uint16_t n) {
    return rtwire::turn::client{rtwire::turn::transport::udp, stun::address::v4(198, 51, 100, 1, n),
                                w.alice.local, 0};
  };
  session a1(w, client_n(1), "alice", "alice-pw"), a2(w, client_n(2), "alice", "alice-pw"),
      a3(w, client_n(3), "alice", "alice-pw");
  REQUIRE(a1.allocate() == 0);
  REQUIRE(a2.allocate() == 0);
  REQUIRE(a3.allocate() == 486);
  session b1(w, client_n(4), "bob", "bob-pw"), b2(w, client_n(5), "bob", "bob-pw");
  REQUIRE(b1.allocate() == 0);
  REQUIRE(b2.allocate() == 508);
  // Freeing one makes room again.
  REQUIRE(a1.refresh(0) == 0);
  REQUIRE(a3.allocate() == 0);
}

TEST_CASE("turn: Refresh: lifetime bounds, 0 deletes, 437 without an allocation, 441 other user") {
  world w;
  session a(w, w.alice, "alice", "alice-pw");
  REQUIRE(a.refresh(600) != 0);  // challenge first: 401
  a.challenge();
  REQUIRE(a.refresh(600) == 437);
  REQUIRE(a.allocate([](stun::writer& wr) { wr.add_u32(rtwire::turn::attr::lifetime, 100000); }) ==
          0);
  REQUIRE(a.lifetime() == 3600u);  // max_lifetime
  REQUIRE(a.refresh(10) == 0);
  REQUIRE(a.lifetime() == 600u);  // no less than the default
  REQUIRE(a.refresh(1200) == 0);
  REQUIRE(a.lifetime() == 1200u);
  REQUIRE(a.refresh(std::nullopt) == 0);
  REQUIRE(a.lifetime() == 600u);
  session other(w, w.alice, "bob", "bob-pw");
  other.realm = a.realm;
  other.nonce = a.nonce;
  REQUIRE(other.refresh(600) == 441);
  auto evs = a.call(stun::method::refresh,
                    [](stun::writer& wr) { wr.add_u32(rtwire::turn::attr::lifetime, 0); });
  REQUIRE(a.status(evs) == 0);
  REQUIRE(a.lifetime() == 0u);
  REQUIRE(count(evs, event::close_relay) == 1);
  REQUIRE(evs.back().relay == world::relay_address(1));
  REQUIRE(w.srv->allocation_count() == 0);
  REQUIRE(a.refresh(0) == 437);
}

TEST_CASE("turn: an allocation expires at its lifetime; next_deadline() says when") {
  world w;
  session a(w, w.alice, "alice", "alice-pw");
  REQUIRE(!w.srv->next_deadline());
  REQUIRE(a.allocate() == 0);
  REQUIRE(w.srv->next_deadline() == w.now + 600s);
  w.now += 599s;
  w.srv->on_timeout(w.now);
  REQUIRE(w.take().empty());
  REQUIRE(a.refresh(600) == 0);  // pushes expiry to now + 600
  w.now += 2s;
  w.srv->on_timeout(w.now);
  REQUIRE(w.take().empty());
  REQUIRE(w.srv->next_deadline() == w.now + 598s);
  w.now += 598s;
  w.srv->on_timeout(w.now);
  const auto evs = w.take();
  REQUIRE(count(evs, event::close_relay) == 1);
  REQUIRE(w.srv->allocation_count() == 0);
  REQUIRE(w.srv->counters().allocations_expired == 1);
  REQUIRE(!w.srv->next_deadline());
}

TEST_CASE("turn: unknown methods are 400, responses and bad fingerprints are dropped") {
  world w;
  request r;
  r.method = 0x00f;
  r.tid = make_tid(1);
  bytes s;
  REQUIRE(error_of(answer(w.exchange(w.alice, r, nullptr), s)) == 400);
  r.cls = stun::message_class::success_response;
  REQUIRE(w.exchange(w.alice, r, nullptr).empty());
  request b;
  b.method = stun::method::allocate;
  b.tid = make_tid(2);
  b.fingerprint = true;
  bytes msg = w.build(b, nullptr);
  msg.back() ^= std::byte{1};
  w.send(w.alice, msg);
  REQUIRE(w.take().empty());
  // With a good FINGERPRINT, the answer carries one too.
  const auto m = answer(w.exchange(w.alice, b, nullptr), s);
  REQUIRE(error_of(m) == 401);
  REQUIRE(stun::verify_fingerprint(m) == stun::check::ok);
  REQUIRE(w.srv->counters().dropped_malformed == 2);
}

TEST_CASE("turn: credential lookups waiting are bounded") {
  world w([](rtwire::turn::options& o) { o.limits.max_pending_credentials = 2; });
  w.auto_credentials = false;
  session a(w, w.alice, "alice", "alice-pw");
  a.challenge();
  for (int i = 0; i < 5; ++i)
    (void)a.call(stun::method::allocate, [](stun::writer& wr) { requested_transport(wr); });
  REQUIRE(w.srv->waiting_count() == 2);
  REQUIRE(w.srv->counters().dropped_pending_full == 3);
}

TEST_CASE("turn: REST API credentials authenticate until they expire") {
  world w;
  w.store.set_rest_secret("north");
  const std::string user = rtwire::turn::rest_username(w.unix_now + 60, "carol");
  session c(w, w.alice, user, rtwire::turn::rest_password("north", user));
  REQUIRE(c.allocate() == 0);
  const std::string old = rtwire::turn::rest_username(w.unix_now - 1, "carol");
  session d(w,
            {rtwire::turn::transport::udp, stun::address::v4(198, 51, 100, 3, 3), w.alice.local, 0},
            old, rtwire::turn::rest_password("north", old));
  REQUIRE(d.allocate() == 401);
}

TEST_CASE("turn: EVEN-PORT asks for an even relay port; RESERVATION-TOKEN is 508, both 400") {
  world w;
  w.auto_relay = false;
  session a(w, w.alice, "alice", "alice-pw");
  a.challenge();
  const auto even = [](stun::writer& wr) {
    requested_transport(wr);
    wr.add(rtwire::turn::attr::even_port, std::array<std::byte, 1>{std::byte{0x80}});
  };
  const auto token = [](stun::writer& wr) {
    requested_transport(wr);
    wr.add(rtwire::turn::attr::reservation_token, std::array<std::byte, 8>{});
  };
  REQUIRE(a.status(a.call(stun::method::allocate, token)) == 508);
  REQUIRE(a.status(a.call(stun::method::allocate, [&](stun::writer& wr) {
    even(wr);
    wr.add(rtwire::turn::attr::reservation_token, std::array<std::byte, 8>{});
  })) == 400);
  REQUIRE(a.status(a.call(stun::method::allocate, [](stun::writer& wr) {
    requested_transport(wr);
    wr.add(rtwire::turn::attr::even_port, std::array<std::byte, 2>{});
  })) == 400);
  const auto evs = a.call(stun::method::allocate, even);
  REQUIRE(evs.size() == 1);
  REQUIRE(evs[0].what == event::open_relay);
  REQUIRE(evs[0].even_port);
  REQUIRE(evs[0].reserve_next);
  const stun::address relay = stun::address::v4(203, 0, 113, 1, 50000);
  REQUIRE(w.srv->on_relay_opened(evs[0].token, relay, w.now) == std::error_code{});
  REQUIRE(a.status(w.take()) == 0);
  // The R bit: a RESERVATION-TOKEN for port 50001, claimed by another client's Allocate.
  const auto tok = stun::parse(a.last).value.find(rtwire::turn::attr::reservation_token);
  REQUIRE(tok);
  REQUIRE(tok->value.size() == 8);
  const bytes token_value(tok->value.begin(), tok->value.end());
  session b(w,
            {rtwire::turn::transport::udp, stun::address::v4(198, 51, 100, 4, 4), w.alice.local, 0},
            "alice", "alice-pw");
  b.challenge();
  const auto claim = [&](stun::writer& wr) {
    requested_transport(wr);
    wr.add(rtwire::turn::attr::reservation_token, token_value);
  };
  const auto got = b.call(stun::method::allocate, claim);
  REQUIRE(count(got, event::open_relay) == 0);  // the socket is already bound
  REQUIRE(b.status(got) == 0);
  REQUIRE(b.relayed() == stun::address::v4(203, 0, 113, 1, 50001));
  // Used once: a third client's claim is 508.
  session c(w,
            {rtwire::turn::transport::udp, stun::address::v4(198, 51, 100, 5, 5), w.alice.local, 0},
            "alice", "alice-pw");
  c.challenge();
  REQUIRE(c.status(c.call(stun::method::allocate, claim)) == 508);
}

TEST_CASE("turn: an unclaimed reserved port is closed after 30 s") {
  world w;
  session a(w, w.alice, "alice", "alice-pw");
  REQUIRE(a.allocate([](stun::writer& wr) {
    wr.add(rtwire::turn::attr::even_port, std::array<std::byte, 1>{std::byte{0x80}});
  }) == 0);
  REQUIRE(w.srv->next_deadline() == w.now + 30s);
  w.now += 30s;
  w.srv->on_timeout(w.now);
  const auto evs = w.take();
  REQUIRE(evs.size() == 1);
  REQUIRE(evs[0].what == event::close_relay);
  REQUIRE(evs[0].token == 0);
  stun::address next = world::relay_address(1);
  next.port = static_cast<std::uint16_t>(next.port + 1);
  REQUIRE(evs[0].relay == next);
  REQUIRE(w.srv->allocation_count() == 1);
}

TEST_CASE("turn: a request longer than limits::max_message_bytes is dropped") {
  world w([](rtwire::turn::options& o) { o.limits.max_message_bytes = 100; });
  request r;
  r.method = stun::method::allocate;
  r.tid = make_tid(5);
  r.fill = [](stun::writer& wr) {
    requested_transport(wr);
    wr.add_text(stun::attr::software, std::string(100, 's'));
  };
  REQUIRE(w.exchange(w.alice, r, nullptr).empty());
  REQUIRE(w.srv->counters().dropped_malformed == 1);
  r.fill = [](stun::writer& wr) { requested_transport(wr); };
  bytes s;
  REQUIRE(error_of(answer(w.exchange(w.alice, r, nullptr), s)) == 401);
}
