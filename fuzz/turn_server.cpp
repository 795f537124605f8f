// Fuzz target: the TURN server fed a script of random inputs from random clients: raw datagrams
// and stream chunks, requests built from fuzzed fields (methods, attributes, right or wrong
// credentials, fresh or stale nonces, peers from a table that includes the SSRF matrix), Send
// indications, ChannelData, peer datagrams, time passing, TCP closes, relays that fail to open.
// Invariants checked after every step:
//  - no allocation without valid credentials: every allocation's client once sent an Allocate
//    signed with the right key (raw bytes never forge MESSAGE-INTEGRITY);
//  - no send to a denied peer: every send_peer goes from an open allocation's relay to a peer
//    the policy permits and the allocation holds a live permission or channel for;
//  - bounded state: allocations, waiting lookups, permissions and channels within the limits,
//    outputs per input bounded.
#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "rtwire/stun/writer.hpp"
#include "rtwire/turn/credentials.hpp"
#include "rtwire/turn/server.hpp"

namespace {

namespace stun = rtwire::stun;
namespace tn = rtwire::turn;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct reader {
  const std::uint8_t* p;
  std::size_t n;
  std::uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() << 8 | byte()); }
  rtwire::bytes_view take(std::size_t want) {
    if (want > n) want = n;
    rtwire::bytes_view v(reinterpret_cast<const std::byte*>(p), want);
    p += want;
    n -= want;
    return v;
  }
};

stun::address ip6(std::initializer_list<std::uint8_t> b, std::uint16_t port) {
  stun::address a;
  a.family = stun::family::ipv6;
  std::size_t i = 0;
  for (std::uint8_t x : b)
    a.bytes[i++] = x;
  a.port = port;
  return a;
}

const std::array<stun::address, 12> peers = {
    stun::address::v4(192, 0, 2, 1, 7000),
    stun::address::v4(192, 0, 2, 2, 7001),
    stun::address::v4(8, 8, 8, 8, 53),
    stun::address::v4(127, 0, 0, 2, 80),
    stun::address::v4(169, 254, 169, 254, 80),
    stun::address::v4(0, 1, 2, 3, 1),
    stun::address::v4(224, 0, 0, 1, 1),
    ip6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1}, 80),
    ip6({0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 127, 0, 0, 1}, 80),
    ip6({0x20, 0x02, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 80),
    ip6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 9),
    ip6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 9),
};

struct harness {
  tn::options opts;
  tn::server srv;
  tn::credential_store store;
  tn::millis now{1000};
  std::set<std::pair<int, std::uint64_t>> signed_allocators;  // (client index, 0)
  std::array<tn::client, 6> clients{};
  bool fail_relays = false;
  std::uint16_t next_relay_port = 50000;

  static tn::options make_options() {
    tn::options o;
    o.realm = "fuzz";
    o.ipv6_relays = true;
    o.limits.max_allocations = 4;
    o.limits.max_allocations_per_user = 3;
    o.limits.max_permissions = 3;
    o.limits.max_channels = 3;
    o.limits.max_pending_credentials = 3;
    o.limits.max_tcp_clients = 2;
    return o;
  }

  harness() : opts(make_options()), srv(opts, rtwire::as_bytes("0123456789abcdef")) {
    store.add_user("alice", "pw");
    for (std::size_t i = 0; i < clients.size(); ++i) {
      clients[i].transport = i < 4 ? tn::transport::udp : tn::transport::tcp;
      clients[i].remote = stun::address::v4(198, 51, 100, static_cast<std::uint8_t>(i + 1), 4000);
      clients[i].local = stun::address::v4(192, 0, 2, 100, 3478);
      clients[i].conn = i;
    }
  }

  int index_of(const tn::client& c) const {
    for (std::size_t i = 0; i < clients.size(); ++i)
      if (clients[i] == c) return static_cast<int>(i);
    return -1;
  }

  /// Drains the outputs (checking each), answering lookups and relay openings.
  void drain() {
    std::size_t outputs = 0;
    std::vector<tn::open_relay> opens;
    std::vector<tn::need_credentials> asks;
    std::vector<std::string> users;
    while (auto o = srv.next()) {
      ++outputs;
      if (const auto* p = std::get_if<tn::send_peer>(&*o)) {
        check(srv.config().policy.permits(p->peer));
        bool found = false;
        srv.for_each_allocation([&](const tn::allocation& a) {
          if (!a.open || !(a.relay == p->relay)) return;
          found = true;
          check(a.has_permission(p->peer, now) || a.channel_by_peer(p->peer, now) != nullptr);
        });
        check(found);
      } else if (const auto* r = std::get_if<tn::open_relay>(&*o)) {
        opens.push_back(*r);
      } else if (const auto* n = std::get_if<tn::need_credentials>(&*o)) {
        asks.push_back(*n);
        users.emplace_back(n->user);
      }
    }
    check(outputs <= 64);
    for (std::size_t i = 0; i < asks.size(); ++i)
      (void)srv.on_credentials(asks[i].token, store.lookup(users[i], "fuzz", 0), now);
    for (const auto& r : opens) {
      if (fail_relays) {
        (void)srv.on_relay_failed(r.token, now);
      } else {
        stun::address a =
            r.family == stun::family::ipv4
                ? stun::address::v4(203, 0, 113, 1, 0)
                : ip6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 0);
        a.port = next_relay_port;
        next_relay_port = static_cast<std::uint16_t>(next_relay_port + 2);
        (void)srv.on_relay_opened(r.token, a, now);
      }
    }
    if (!opens.empty() || !asks.empty()) drain();
  }

  void invariants() {
    check(srv.allocation_count() <= opts.limits.max_allocations);
    check(srv.waiting_count() <= opts.limits.max_pending_credentials);
    srv.for_each_allocation([&](const tn::allocation& a) {
      check(signed_allocators.count({index_of(a.client), 0}) == 1);
      check(a.permissions.size() <= opts.limits.max_permissions);
      check(a.channels.size() <= opts.limits.max_channels);
    });
  }

  void send(const tn::client& c, rtwire::bytes_view b) {
    if (c.transport == tn::transport::udp) {
      srv.on_client_datagram(c.remote, c.local, b, now);
    } else if (srv.on_client_stream(c, b, now)) {
      srv.on_client_closed(c.conn, now);
    }
  }

  void request(reader& in, const tn::client& c, int ci) {
    static constexpr std::uint16_t methods[] = {
        stun::method::allocate,     stun::method::refresh, stun::method::create_permission,
        stun::method::channel_bind, stun::method::binding, stun::method::send};
    const std::uint8_t m = in.byte();
    const std::uint8_t flags = in.byte();
    const std::uint16_t method = methods[m % 6];
    const auto cls = method == stun::method::send ? stun::message_class::indication
                                                  : stun::message_class::request;
    std::array<std::byte, 12> tid{};
    tid[0] = static_cast<std::byte>(in.byte());
    std::array<std::byte, 1024> buf{};
    stun::writer w(buf, stun::message_type(cls, method), tid);
    if (flags & 0x01)
      w.add(
          tn::attr::requested_transport,
          std::array<std::byte, 4>{std::byte{(flags & 0x40) ? std::uint8_t{6} : std::uint8_t{17}}});
    if (flags & 0x02) w.add_u32(tn::attr::lifetime, in.u16());
    for (int i = (flags >> 2) & 3; i > 0; --i)
      w.add_xor_address(tn::attr::xor_peer_address, peers[in.byte() % peers.size()]);
    if (flags & 0x10) w.add_u32(tn::attr::channel_number, std::uint32_t{in.u16()} << 16);
    if (flags & 0x20) w.add(tn::attr::data, in.take(in.byte()));
    if (flags & 0x80) {
      const std::uint8_t extra = in.byte();
      if (extra & 1)
        w.add(tn::attr::requested_address_family,
              std::array<std::byte, 4>{std::byte{static_cast<std::uint8_t>(1 + (extra >> 1) % 3)}});
      if (extra & 8) w.add(tn::attr::even_port, std::array<std::byte, 1>{std::byte{0x80}});
      if (extra & 16) w.add(tn::attr::dont_fragment, {});
    }
    // Credentials: 0 none, 1 right, 2 wrong password, 3 unknown user; nonce fresh or stale.
    const std::uint8_t cred = in.byte();
    const stun::key* k = nullptr;
    std::optional<stun::key> key;
    const char* user = (cred & 3) == 3 ? "mallory" : "alice";
    if ((cred & 3) != 0) {
      key = stun::key::long_term(user, "fuzz", (cred & 3) == 2 ? "wrong" : "pw");
      k = &*key;
      w.add_text(stun::attr::username, user);
      w.add_text(stun::attr::realm, (cred & 4) ? "other" : "fuzz");
      w.add_text(stun::attr::nonce,
                 srv.make_nonce(c, (cred & 8) ? now - std::chrono::seconds(601) : now));
    }
    const auto size = w.seal(k, (cred & 16) != 0);
    if (!size) return;
    if (method == stun::method::allocate && (cred & 0x0f) == 1) signed_allocators.insert({ci, 0});
    send(c, rtwire::bytes_view(buf.data(), size.value));
  }

  void step(reader& in) {
    const std::uint8_t op = in.byte();
    const int ci = in.byte() % static_cast<int>(clients.size());
    const tn::client& c = clients[static_cast<std::size_t>(ci)];
    switch (op % 8) {
      case 0:  // raw bytes from a client
        send(c, in.take(in.byte()));
        break;
      case 1:
      case 2:
        request(in, c, ci);
        break;
      case 3: {  // ChannelData
        std::array<std::byte, 300> b{};
        const std::uint16_t number = static_cast<std::uint16_t>(0x4000 | (in.u16() & 0x3fff));
        const auto payload = in.take(in.byte() % 200);
        const auto head = tn::channel_data_header(number, payload.size());
        std::copy(head.begin(), head.end(), b.begin());
        std::copy(payload.begin(), payload.end(), b.begin() + 4);
        send(c, rtwire::bytes_view(b.data(), 4 + payload.size() +
                                                 (c.transport == tn::transport::tcp
                                                      ? tn::channel_data_padding(payload.size())
                                                      : 0)));
        break;
      }
      case 4: {  // a peer datagram to some relay
        const stun::address& peer = peers[in.byte() % peers.size()];
        stun::address relay = stun::address::v4(203, 0, 113, 1, 0);
        relay.port = static_cast<std::uint16_t>(50000 + 2 * (in.byte() % 8));
        srv.on_peer_datagram(relay, peer, in.take(in.byte()), now);
        break;
      }
      case 5:  // time passes
        now += std::chrono::seconds(in.u16() % 700);
        srv.on_timeout(now);
        break;
      case 6:
        srv.on_client_closed(c.conn, now);
        break;
      default:
        fail_relays = !fail_relays;
        break;
    }
    drain();
    invariants();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  harness h;
  reader in{data, size};
  for (int steps = 0; in.n > 0 && steps < 200; ++steps)
    h.step(in);
  return 0;
}
