// A TURN client and a fake world for the server's unit tests: requests built with the STUN
// writer, a fake clock, a credential store answering need_credentials, relay sockets "opened" at
// 203.0.113.1:49152+n, and every output copied out of the server (its views are short-lived).
#pragma once

#include <rtwire/stun.hpp>
#include <rtwire/turn/credentials.hpp>
#include <rtwire/turn/server.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace rtwire::test::turn {

namespace stun = rtwire::stun;
namespace tn = rtwire::turn;
using namespace std::chrono_literals;
using bytes = std::vector<std::byte>;

inline bytes to_bytes(bytes_view v) {
  return bytes(v.begin(), v.end());
}

/// One output, owned.
struct event {
  enum kind { send_client, send_peer, open_relay, close_relay, need_credentials } what{};
  tn::client client{};
  bytes data;
  stun::address relay{};
  stun::address peer{};
  std::uint64_t token = 0;
  stun::family family{};
  bool even_port = false;
  bool reserve_next = false;
  std::string user;
};

/// A request under construction: attributes are added by `fill`, then sealed.
struct request {
  std::uint16_t method = stun::method::allocate;
  stun::message_class cls = stun::message_class::request;
  std::array<std::byte, 12> tid{};
  std::function<void(stun::writer&)> fill;
  bool fingerprint = false;
};

inline std::array<std::byte, 12> make_tid(unsigned n) {
  std::array<std::byte, 12> t{};
  for (std::size_t i = 0; i < 12; ++i)
    t[i] = static_cast<std::byte>((n * 31u + i * 7u) & 0xffu);
  return t;
}

inline void requested_transport(stun::writer& w, std::uint8_t proto = 17) {
  const std::array<std::byte, 4> v{std::byte{proto}, {}, {}, {}};
  w.add(tn::attr::requested_transport, v);
}

inline void channel_number(stun::writer& w, std::uint16_t n) {
  w.add_u32(tn::attr::channel_number, std::uint32_t{n} << 16);
}

/// The fake world around one server.
struct world {
  tn::options opts;
  std::optional<tn::server> srv;
  tn::credential_store store;
  tn::millis now{1'000'000};
  std::uint64_t unix_now = 1'700'000'000;
  bool auto_credentials = true;
  bool auto_relay = true;
  unsigned relays_opened = 0;
  std::vector<event> events;

  tn::client alice{tn::transport::udp, stun::address::v4(198, 51, 100, 7, 40000),
                   stun::address::v4(192, 0, 2, 1, 3478), 0};

  explicit world(std::function<void(tn::options&)> configure = {}) {
    opts.realm = "example.org";
    if (configure) configure(opts);
    store.add_user("alice", "alice-pw");
    store.add_user("bob", "bob-pw");
    const std::array<std::byte, 16> secret{std::byte{1}, std::byte{2}, std::byte{3}};
    srv.emplace(opts, secret);
  }

  static stun::address relay_address(unsigned n) {
    return stun::address::v4(203, 0, 113, 1, static_cast<std::uint16_t>(49152 + n));
  }

  /// Drains the server; answers need_credentials / open_relay when auto_* is set.
  void drain() {
    std::vector<event> fresh;
    while (auto o = srv->next()) {
      event e;
      if (auto* s = std::get_if<tn::send_client>(&*o)) {
        e.what = event::send_client;
        e.client = s->client;
        e.data = to_bytes(s->data);
      } else if (auto* p = std::get_if<tn::send_peer>(&*o)) {
        e.what = event::send_peer;
        e.relay = p->relay;
        e.peer = p->peer;
        e.data = to_bytes(p->payload);
      } else if (auto* r = std::get_if<tn::open_relay>(&*o)) {
        e.what = event::open_relay;
        e.token = r->token;
        e.family = r->family;
        e.even_port = r->even_port;
        e.reserve_next = r->reserve_next;
        e.client = r->client;
        e.user = std::string(r->user);
      } else if (auto* c = std::get_if<tn::close_relay>(&*o)) {
        e.what = event::close_relay;
        e.token = c->token;
        e.relay = c->relay;
      } else if (auto* n = std::get_if<tn::need_credentials>(&*o)) {
        e.what = event::need_credentials;
        e.token = n->token;
        e.user = std::string(n->user);
      }
      fresh.push_back(e);
    }
    events.insert(events.end(), fresh.begin(), fresh.end());
    // Answer after draining (the server's views are dead by then; we copied them).
    for (const event& e : fresh) {
      if (!((e.what == event::need_credentials && auto_credentials) ||
            (e.what == event::open_relay && auto_relay)))
        continue;
      if (e.what == event::need_credentials) {
        (void)srv->on_credentials(e.token, store.lookup(e.user, opts.realm, unix_now), now);
      } else {
        const stun::family f = e.family;
        stun::address a = relay_address(++relays_opened);
        if (f == stun::family::ipv6) {
          a.family = stun::family::ipv6;
          a.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        }
        (void)srv->on_relay_opened(e.token, a, now);
      }
      drain();
    }
  }

  std::vector<event> take() {
    drain();
    std::vector<event> out;
    for (event& e : events)
      if (!((e.what == event::need_credentials && auto_credentials) ||
            (e.what == event::open_relay && auto_relay)))
        out.push_back(std::move(e));
    events.clear();
    inflight.clear();
    return out;
  }

  bytes build(const request& r, const stun::key* k) {
    std::array<std::byte, 2048> buf{};
    stun::writer w(buf, stun::message_type(r.cls, r.method), r.tid);
    if (r.fill) r.fill(w);
    const auto n = w.seal(k, r.fingerprint);
    return bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n.value));
  }

  /// Inputs stay alive until the next take(): send_peer payloads point into them.
  std::vector<bytes> inflight;

  void send(const tn::client& c, bytes_view in) {
    inflight.push_back(bytes(in.begin(), in.end()));
    const bytes_view b = inflight.back();
    if (c.transport == tn::transport::udp) {
      srv->on_client_datagram(c.remote, c.local, b, now);
    } else {
      const auto e = srv->on_client_stream(c, b, now);
      (void)e;
    }
  }

  /// Sends `r` from `c` and returns the events it caused.
  std::vector<event> exchange(const tn::client& c, const request& r, const stun::key* k) {
    const bytes b = build(r, k);
    send(c, b);
    return take();
  }
};

/// The one send_client event's message (parsed; `storage` keeps the bytes).
inline stun::message_view answer(const std::vector<event>& evs, bytes& storage) {
  storage.clear();
  for (const event& e : evs)
    if (e.what == event::send_client) storage = e.data;
  const auto r = stun::parse(storage);
  return r.value;
}

inline int error_of(const stun::message_view& m) {
  if (m.bytes().empty()) return -1;
  if (m.cls() == stun::message_class::success_response) return 0;
  const auto e = stun::error_code(m);
  return e ? e->code : -2;
}

/// A long-term client session: remembers REALM/NONCE and signs its requests.
struct session {
  world& w;
  tn::client me;
  std::string user;
  std::string password;
  std::string nonce;
  std::string realm;
  unsigned next_tid = 1;

  session(world& wo, tn::client c, std::string u, std::string p)
      : w(wo), me(c), user(std::move(u)), password(std::move(p)) {}

  std::optional<stun::key> key() const { return stun::key::long_term(user, realm, password); }

  /// Sends an unauthenticated request to learn REALM and NONCE (expects 401).
  int challenge() {
    request r;
    r.method = stun::method::allocate;
    r.tid = make_tid(next_tid++);
    r.fill = [](stun::writer& wr) { requested_transport(wr); };
    bytes s;
    const auto m = answer(w.exchange(me, r, nullptr), s);
    if (auto n = stun::nonce(m)) nonce = std::string(*n);
    if (auto re = stun::realm(m)) realm = std::string(*re);
    return error_of(m);
  }

  /// Builds a signed request: attributes from `fill`, then USERNAME, REALM, NONCE.
  request signed_request(std::uint16_t method, std::function<void(stun::writer&)> fill,
                         std::optional<std::array<std::byte, 12>> tid = std::nullopt) {
    request r;
    r.method = method;
    r.tid = tid ? *tid : make_tid(next_tid++);
    r.fill = [fill, this](stun::writer& wr) {
      if (fill) fill(wr);
      wr.add_text(stun::attr::username, user);
      wr.add_text(stun::attr::realm, realm);
      wr.add_text(stun::attr::nonce, nonce);
    };
    return r;
  }

  std::vector<event> call(std::uint16_t method, std::function<void(stun::writer&)> fill,
                          std::optional<std::array<std::byte, 12>> tid = std::nullopt) {
    const auto k = key();
    auto evs = w.exchange(me, signed_request(method, fill, tid), &*k);
    // RFC 8489 §9.2.5: on 438 a client retries once with the new NONCE.
    bytes s;
    const auto m = answer(evs, s);
    if (error_of(m) == 438) {
      nonce = std::string(stun::nonce(m).value_or(""));
      evs = w.exchange(me, signed_request(method, fill, tid), &*k);
    }
    return evs;
  }

  /// The error code of the answer (0: success), with the answer's bytes in `last`.
  bytes last;
  int status(const std::vector<event>& evs) { return error_of(answer(evs, last)); }

  int allocate(std::function<void(stun::writer&)> extra = {}) {
    if (nonce.empty()) challenge();
    return status(call(stun::method::allocate, [extra](stun::writer& wr) {
      requested_transport(wr);
      if (extra) extra(wr);
    }));
  }
  int permit(const stun::address& peer) {
    return status(call(stun::method::create_permission, [peer](stun::writer& wr) {
      wr.add_xor_address(tn::attr::xor_peer_address, peer);
    }));
  }
  int bind(std::uint16_t number, const stun::address& peer) {
    return status(call(stun::method::channel_bind, [number, peer](stun::writer& wr) {
      channel_number(wr, number);
      wr.add_xor_address(tn::attr::xor_peer_address, peer);
    }));
  }
  int refresh(std::optional<std::uint32_t> lifetime) {
    return status(call(stun::method::refresh, [lifetime](stun::writer& wr) {
      if (lifetime) wr.add_u32(tn::attr::lifetime, *lifetime);
    }));
  }
  /// The XOR-RELAYED-ADDRESS of the last answer.
  std::optional<stun::address> relayed() {
    const auto r = stun::parse(last);
    if (!r) return std::nullopt;
    const auto a = r.value.find(tn::attr::xor_relayed_address);
    if (!a) return std::nullopt;
    return stun::decode_xor_address(*a, r.value);
  }
  std::optional<std::uint32_t> lifetime() {
    const auto r = stun::parse(last);
    if (!r) return std::nullopt;
    const auto a = r.value.find(tn::attr::lifetime);
    if (!a) return std::nullopt;
    return stun::detail::load32(a->value.data());
  }
};

inline std::size_t count(const std::vector<event>& evs, event::kind k) {
  std::size_t n = 0;
  for (const event& e : evs)
    n += e.what == k ? 1 : 0;
  return n;
}

}  // namespace rtwire::test::turn
