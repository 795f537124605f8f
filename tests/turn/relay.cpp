// TURN server: CreatePermission (RFC 8656 §10), ChannelBind (§12), Send/Data indications
// (§11), ChannelData both ways (§12.4-12.6), expiry of permissions and bindings, bandwidth, and
// TCP framing at every split point.
#include <cstring>
#include <string_view>

#include "catch.hpp"
#include "support/splits.hpp"
#include "turn/harness.hpp"

using namespace rtwire::test::turn;
namespace tn = rtwire::turn;

namespace {

const stun::address peer = stun::address::v4(192, 0, 2, 50, 7000);
const stun::address peer2 = stun::address::v4(192, 0, 2, 51, 7001);

bytes send_indication(const stun::address& to, std::string_view payload, unsigned n = 1) {
  std::vector<std::byte> buf(payload.size() + 64);
  stun::writer w(buf, stun::message_type(stun::message_class::indication, stun::method::send),
                 make_tid(n));
  w.add_xor_address(tn::attr::xor_peer_address, to);
  w.add(tn::attr::data, rtwire::as_bytes(payload));
  const auto size = w.seal();
  return bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(size.value));
}

bytes channel_data(std::uint16_t number, std::string_view payload, bool pad = false) {
  // Sized once then filled: vector::insert after a 4-byte construction trips g++ 12's
  // -Warray-bounds false positive at -O3.
  const auto head = tn::channel_data_header(number, payload.size());
  bytes b(4 + payload.size() + (pad ? tn::channel_data_padding(payload.size()) : 0));
  std::memcpy(b.data(), head.data(), 4);
  if (!payload.empty()) std::memcpy(b.data() + 4, payload.data(), payload.size());
  return b;
}

std::string text(const bytes& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace

TEST_CASE("turn: CreatePermission: 400 without a peer, 443 other family, 508 over the quota") {
  world w([](tn::options& o) { o.limits.max_permissions = 2; });
  session a(w, w.alice, "alice", "alice-pw");
  a.challenge();
  REQUIRE(a.permit(peer) == 437);  // no allocation yet
  REQUIRE(a.allocate() == 0);
  REQUIRE(a.status(a.call(stun::method::create_permission, {})) == 400);
  stun::address v6;
  v6.family = stun::family::ipv6;
  v6.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
  REQUIRE(a.permit(v6) == 443);
  REQUIRE(a.permit(peer) == 0);
  REQUIRE(a.permit(peer) == 0);  // a refresh, not a new one
  REQUIRE(a.permit(peer2) == 0);
  REQUIRE(a.permit(stun::address::v4(192, 0, 2, 52, 1)) == 508);
  // Several peers in one request: all or nothing.
  REQUIRE(a.status(a.call(stun::method::create_permission, [](stun::writer& wr) {
    wr.add_xor_address(tn::attr::xor_peer_address, peer);
    wr.add_xor_address(tn::attr::xor_peer_address, stun::address::v4(127, 0, 0, 1, 1));
  })) == 403);
  session bob(w, w.alice, "bob", "bob-pw");
  bob.realm = a.realm;
  bob.nonce = a.nonce;
  REQUIRE(bob.permit(peer) == 441);
}

TEST_CASE("turn: Send indications reach permitted peers only; Data indications come back") {
  world w;
  session a(w, w.alice, "alice", "alice-pw");
  REQUIRE(a.allocate() == 0);
  const stun::address relay = *a.relayed();
  // No permission: dropped.
  w.send(w.alice, send_indication(peer, "hello"));
  REQUIRE(w.take().empty());
  REQUIRE(w.srv->counters().dropped_no_permission == 1);
  REQUIRE(a.permit(peer) == 0);
  w.send(w.alice, send_indication(peer, "hello"));
  auto evs = w.take();
  REQUIRE(evs.size() == 1);
  REQUIRE(evs[0].what == event::send_peer);
  REQUIRE(evs[0].relay == relay);
  REQUIRE(evs[0].peer == peer);
  REQUIRE(text(evs[0].data) == "hello");
  // The permission is per IP: another port of the same peer works.
  stun::address other_port = peer;
  other_port.port = 9;
  w.send(w.alice, send_indication(other_port, "x"));
  REQUIRE(count(w.take(), event::send_peer) == 1);
  // A Send indication larger than limits::max_message_bytes (which bounds requests) relays.
  const std::string big(6000, 'b');
  w.send(w.alice, send_indication(peer, big));
  evs = w.take();
  REQUIRE(evs.size() == 1);
  REQUIRE(evs[0].data.size() == 6000);
  // Denied by the policy: dropped.
  w.send(w.alice, send_indication(stun::address::v4(127, 0, 0, 1, 80), "metadata?"));
  REQUIRE(w.take().empty());
  REQUIRE(w.srv->counters().dropped_denied_peer == 1);
  // Another client (no allocation): dropped.
  w.send({tn::transport::udp, stun::address::v4(198, 51, 100, 99, 1), w.alice.local, 0},
         send_indication(peer, "x"));
  REQUIRE(w.take().empty());
  // Peer -> client: a Data indication with XOR-PEER-ADDRESS and DATA.
  const bytes data = {std::byte{'p'}, std::byte{'o'}, std::byte{'n'}, std::byte{'g'}};
  w.srv->on_peer_datagram(relay, peer, data, w.now);
  evs = w.take();
  REQUIRE(evs.size() == 1);
  REQUIRE(evs[0].client == w.alice);
  const auto m = stun::parse(evs[0].data).value;
  REQUIRE(m.cls() == stun::message_class::indication);
  REQUIRE(m.method() == stun::method::data);
  REQUIRE(stun::decode_xor_address(*m.find(tn::attr::xor_peer_address), m) == peer);
  REQUIRE(m.find(tn::attr::data)->value.size() == 4);
  // From a peer without a permission, or to an unknown relay: dropped.
  w.srv->on_peer_datagram(relay, stun::address::v4(192, 0, 2, 99, 1), data, w.now);
  w.srv->on_peer_datagram(world::relay_address(77), peer, data, w.now);
  REQUIRE(w.take().empty());
}

TEST_CASE("turn: permissions expire after 300 s; refreshing keeps them") {
  world w;
  session a(w, w.alice, "alice", "alice-pw");
  REQUIRE(a.allocate() == 0);
  const stun::address relay = *a.relayed();
  REQUIRE(a.permit(peer) == 0);
  REQUIRE(w.srv->next_deadline() == w.now + 300s);
  w.now += 299s;
  w.srv->on_peer_datagram(relay, peer, bytes{std::byte{1}}, w.now);
  REQUIRE(w.take().size() == 1);
  w.now += 1s;
  w.srv->on_peer_datagram(relay, peer, bytes{std::byte{1}}, w.now);
  w.send(w.alice, send_indication(peer, "late"));
  REQUIRE(w.take().empty());
  w.srv->on_timeout(w.now);
  REQUIRE(w.srv->find_allocation(w.alice)->permissions.empty());
  REQUIRE(a.permit(peer) == 0);
  w.send(w.alice, send_indication(peer, "again"));
  REQUIRE(count(w.take(), event::send_peer) == 1);
}

TEST_CASE("turn: ChannelBind: range, conflicts, quota; ChannelData both ways") {
  world w([](tn::options& o) { o.limits.max_channels = 2; });
  session a(w, w.alice, "alice", "alice-pw");
  REQUIRE(a.allocate() == 0);
  const stun::address relay = *a.relayed();
  REQUIRE(a.bind(0x3fff, peer) == 400);
  REQUIRE(a.bind(0x5000, peer) == 400);  // legacy range is off by default
  REQUIRE(a.status(a.call(stun::method::channel_bind, [](stun::writer& wr) {
    wr.add_xor_address(tn::attr::xor_peer_address, peer);
  })) == 400);
  REQUIRE(a.status(a.call(stun::method::channel_bind,
                          [](stun::writer& wr) { channel_number(wr, 0x4000); })) == 400);
  REQUIRE(a.bind(0x4000, peer) == 0);
  REQUIRE(a.bind(0x4000, peer) == 0);     // refresh
  REQUIRE(a.bind(0x4000, peer2) == 400);  // number bound to another peer
  REQUIRE(a.bind(0x4001, peer) == 400);   // peer bound to another number
  REQUIRE(a.bind(0x4fff, peer2) == 0);
  REQUIRE(a.bind(0x4002, stun::address::v4(192, 0, 2, 53, 1)) == 508);
  // The binding installed a permission: Send works too.
  w.send(w.alice, send_indication(peer, "s"));
  REQUIRE(count(w.take(), event::send_peer) == 1);
  // Client -> peer over UDP (padding allowed, ignored).
  w.send(w.alice, channel_data(0x4000, "hey", true));
  auto evs = w.take();
  REQUIRE(evs.size() == 1);
  REQUIRE(evs[0].peer == peer);
  REQUIRE(text(evs[0].data) == "hey");
  // Unbound channel, short data: dropped.
  w.send(w.alice, channel_data(0x4abc, "x"));
  bytes shortened = channel_data(0x4000, "hey");
  shortened.pop_back();
  w.send(w.alice, shortened);
  REQUIRE(w.take().empty());
  REQUIRE(w.srv->counters().dropped_no_channel == 1);
  // Peer -> client: ChannelData, unpadded over UDP.
  const std::string_view pong = "pong!";
  w.srv->on_peer_datagram(relay, peer, rtwire::as_bytes(pong), w.now);
  evs = w.take();
  REQUIRE(evs.size() == 1);
  REQUIRE(evs[0].data == channel_data(0x4000, pong));
}

TEST_CASE("turn: legacy_channel_range accepts 0x5000-0x7FFF and nothing else changes") {
  world w([](tn::options& o) { o.legacy_channel_range = true; });
  session a(w, w.alice, "alice", "alice-pw");
  REQUIRE(a.allocate() == 0);
  REQUIRE(a.bind(0x7fff, peer) == 0);
  REQUIRE(a.bind(0x8000, peer2) == 400);
  REQUIRE(a.bind(0x5000, stun::address::v4(127, 0, 0, 1, 9)) == 403);
  w.send(w.alice, channel_data(0x7fff, "legacy"));
  REQUIRE(count(w.take(), event::send_peer) == 1);
}

TEST_CASE("turn: channel bindings expire after 600 s and stay reserved 5 more minutes") {
  world w;
  session a(w, w.alice, "alice", "alice-pw");
  REQUIRE(a.allocate([](stun::writer& wr) { wr.add_u32(tn::attr::lifetime, 3600); }) == 0);
  REQUIRE(a.bind(0x4000, peer) == 0);
  w.now += 350s;
  REQUIRE(a.permit(peer) == 0);  // keep the permission alive
  w.now += 249s;
  w.send(w.alice, channel_data(0x4000, "a"));
  REQUIRE(count(w.take(), event::send_peer) == 1);
  w.now += 1s;  // 600 s after the bind
  w.srv->on_timeout(w.now);
  w.send(w.alice, channel_data(0x4000, "b"));
  REQUIRE(w.take().empty());
  // The peer's data now comes as a Data indication (the permission lives).
  w.srv->on_peer_datagram(w.srv->find_allocation(w.alice)->relay, peer, bytes{std::byte{7}}, w.now);
  auto evs = w.take();
  REQUIRE(evs.size() == 1);
  REQUIRE(stun::parse(evs[0].data).value.method() == stun::method::data);
  // Reserved: the number cannot go to another peer for 5 minutes, the same pair rebinds.
  REQUIRE(a.bind(0x4000, peer2) == 400);
  w.now += 300s;
  w.srv->on_timeout(w.now);
  REQUIRE(a.bind(0x4000, peer2) == 0);
}

TEST_CASE("turn: bandwidth per allocation drops the excess of each second") {
  world w([](tn::options& o) { o.limits.max_bytes_per_second = 10; });
  session a(w, w.alice, "alice", "alice-pw");
  REQUIRE(a.allocate() == 0);
  REQUIRE(a.bind(0x4000, peer) == 0);
  w.send(w.alice, channel_data(0x4000, "12345678"));
  w.send(w.alice, channel_data(0x4000, "123"));
  REQUIRE(count(w.take(), event::send_peer) == 1);
  REQUIRE(w.srv->counters().dropped_bandwidth == 1);
  w.now += 1s;
  w.send(w.alice, channel_data(0x4000, "123"));
  REQUIRE(count(w.take(), event::send_peer) == 1);
}

TEST_CASE("turn: over TCP, every split of the stream gives the same relay behaviour") {
  // Phase 1: the Allocate. Phase 2, once it is answered (a client waits for it): ChannelBind,
  // ChannelData (padded), a Send indication and a Binding request pipelined in one stream.
  const tn::client tcp{tn::transport::tcp, stun::address::v4(198, 51, 100, 20, 5555),
                       stun::address::v4(192, 0, 2, 1, 3478), 42};
  world setup;
  session s(setup, tcp, "alice", "alice-pw");
  s.challenge();
  const auto k = s.key();
  const bytes allocate = setup.build(
      s.signed_request(stun::method::allocate, [](stun::writer& wr) { requested_transport(wr); }),
      &*k);
  bytes stream;
  const auto append = [&](const bytes& b) { stream.insert(stream.end(), b.begin(), b.end()); };
  append(setup.build(s.signed_request(stun::method::channel_bind,
                                      [](stun::writer& wr) {
                                        channel_number(wr, 0x4001);
                                        wr.add_xor_address(tn::attr::xor_peer_address, peer);
                                      }),
                     &*k));
  append(channel_data(0x4001, "odd", true));
  append(send_indication(peer, "indicated"));
  request binding;
  binding.method = stun::method::binding;
  binding.tid = make_tid(3);
  append(setup.build(binding, nullptr));
  const auto feed = [&](world& w, const rtwire::test::split& split) {
    std::vector<event> evs;
    for (std::string_view chunk : split.chunks) {
      REQUIRE(!w.srv->on_client_stream(tcp, rtwire::as_bytes(chunk), w.now));
      const auto got = w.take();  // payload views are copied before the next chunk
      evs.insert(evs.end(), got.begin(), got.end());
    }
    return evs;
  };
  const std::string_view phase1(reinterpret_cast<const char*>(allocate.data()), allocate.size());
  for (const auto& split : rtwire::test::all_splits(phase1)) {
    INFO(split.label);
    world w;  // same secret and clock: the nonce is valid
    const auto evs = feed(w, split);
    REQUIRE(evs.size() == 1);
    bytes storage;
    REQUIRE(error_of(answer(evs, storage)) == 0);
  }
  const std::string_view phase2(reinterpret_cast<const char*>(stream.data()), stream.size());
  for (const auto& split : rtwire::test::all_splits(phase2)) {
    INFO(split.label);
    world w;
    feed(w, {"whole", {phase1}});
    const auto evs = feed(w, split);
    REQUIRE(evs.size() == 4);
    bytes storage;
    REQUIRE(error_of(answer({evs[0]}, storage)) == 0);  // ChannelBind
    REQUIRE(evs[1].what == event::send_peer);
    REQUIRE(text(evs[1].data) == "odd");
    REQUIRE(evs[2].what == event::send_peer);
    REQUIRE(text(evs[2].data) == "indicated");
    REQUIRE(stun::xor_mapped_address(answer({evs[3]}, storage)) == tcp.remote);
    // Peer -> client over TCP: ChannelData padded to 4 bytes (§12.5).
    w.srv->on_peer_datagram(world::relay_address(1), peer, rtwire::as_bytes("12345"), w.now);
    const auto back = w.take();
    REQUIRE(back.size() == 1);
    REQUIRE(back[0].data == channel_data(0x4001, "12345", true));
    REQUIRE(back[0].data.size() == 12);
  }
}

TEST_CASE("turn: TCP: a bad stream is an error, closing the connection deletes the allocation") {
  world w([](tn::options& o) { o.limits.max_tcp_clients = 1; });
  tn::client tcp{tn::transport::tcp, stun::address::v4(198, 51, 100, 20, 5555),
                 stun::address::v4(192, 0, 2, 1, 3478), 7};
  session s(w, tcp, "alice", "alice-pw");
  REQUIRE(s.allocate() == 0);
  tn::client other = tcp;
  other.conn = 8;
  const bytes junk = {std::byte{0xff}, std::byte{0}, std::byte{0}, std::byte{0}};
  REQUIRE(w.srv->on_client_stream(other, junk, w.now) == tn::error::too_many_streams);
  REQUIRE(w.srv->on_client_stream(tcp, junk, w.now) == stun::error::not_stun_or_channel_data);
  w.srv->on_client_closed(7, w.now);
  const auto evs = w.take();
  REQUIRE(count(evs, event::close_relay) == 1);
  REQUIRE(w.srv->allocation_count() == 0);
  // The framer was released: a new connection fits again.
  REQUIRE(!w.srv->on_client_stream(other, channel_data(0x4000, "x", true), w.now));
}

TEST_CASE("turn: legacy channels over TCP") {
  world w([](tn::options& o) { o.legacy_channel_range = true; });
  tn::client tcp{tn::transport::tcp, stun::address::v4(198, 51, 100, 20, 5555),
                 stun::address::v4(192, 0, 2, 1, 3478), 3};
  session s(w, tcp, "alice", "alice-pw");
  REQUIRE(s.allocate() == 0);
  REQUIRE(s.bind(0x6000, peer) == 0);
  const bytes in = channel_data(0x6000, "abcde", true);
  REQUIRE(!w.srv->on_client_stream(tcp, in, w.now));
  const auto evs = w.take();
  REQUIRE(evs.size() == 1);
  REQUIRE(text(evs[0].data) == "abcde");
}
