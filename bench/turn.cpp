// TURN relay (RFC 8656) decisions, sans-IO (no sockets: the kernel's share is measured by the
// loopback comparison in the report, not here):
//
//  - turn_channeldata_to_peer: a 100-byte ChannelData datagram from a client with a bound
//    channel → send_peer (allocation lookup by 5-tuple, channel lookup, policy-checked peer).
//  - turn_channeldata_to_client: a 100-byte datagram from a permitted peer on a relay →
//    ChannelData for the client (header written before the payload copy).
//  - turn_data_indication_to_client: the same from a peer without a channel → Data indication.
//  - turn_send_indication_to_peer: a Send indication (STUN parse + checks) → send_peer.
//  - turn_refresh_cached_key: an authenticated Refresh (nonce check, MESSAGE-INTEGRITY verify
//    with the allocation's key, signed answer).
//  - turn_allocate_round_cached_key: an authenticated Allocate with the key cached (nonce,
//    integrity, quota checks, open_relay, on_relay_opened, signed answer), then a Refresh with
//    lifetime 0 deleting it, so the state stays constant; items = Allocate rounds.
//
// Run: rtwire_bench_turn --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <rtwire/stun.hpp>
#include <rtwire/turn/credentials.hpp>
#include <rtwire/turn/server.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace stun = rtwire::stun;
namespace tn = rtwire::turn;

const tn::client client{tn::transport::udp, stun::address::v4(198, 51, 100, 7, 40000),
                        stun::address::v4(192, 0, 2, 1, 3478), 0};
const stun::address peer = stun::address::v4(192, 0, 2, 50, 7000);
const stun::address relay = stun::address::v4(203, 0, 113, 1, 50000);
const tn::millis now{1'000'000};

struct fixture {
  tn::options opts;
  tn::server srv;
  tn::credential_store store;
  stun::key key = *stun::key::long_term("alice", "bench", "pw");
  std::string nonce;
  unsigned tid = 0;

  fixture() : opts(make_options()), srv(opts, rtwire::as_bytes("0123456789abcdef")) {
    store.add_user("alice", "pw");
    nonce = srv.make_nonce(client, now);
  }
  static tn::options make_options() {
    tn::options o;
    o.realm = "bench";
    return o;
  }

  std::vector<std::byte> request(std::uint16_t method, auto&& fill) {
    std::array<std::byte, 512> buf{};
    std::array<std::byte, 12> t{};
    t[0] = static_cast<std::byte>(++tid);
    t[1] = static_cast<std::byte>(tid >> 8);
    stun::writer w(buf, stun::message_type(stun::message_class::request, method), t);
    fill(w);
    w.add_text(stun::attr::username, "alice");
    w.add_text(stun::attr::realm, "bench");
    w.add_text(stun::attr::nonce, nonce);
    const auto n = w.seal(&key);
    return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n.value)};
  }

  /// Runs the server's outputs the way a caller does; returns how many there were.
  std::size_t drain() {
    std::size_t n = 0;
    while (auto o = srv.next()) {
      ++n;
      if (auto* r = std::get_if<tn::open_relay>(&*o)) {
        (void)srv.on_relay_opened(r->token, relay, now);
      } else if (auto* c = std::get_if<tn::need_credentials>(&*o)) {
        (void)srv.on_credentials(c->token, store.lookup(c->user, c->realm, 0), now);
      }
    }
    return n;
  }

  void allocate_and_bind() {
    const auto a = request(stun::method::allocate, [](stun::writer& w) {
      w.add(tn::attr::requested_transport, std::array<std::byte, 4>{std::byte{17}});
    });
    srv.on_client_datagram(client.remote, client.local, a, now);
    drain();
    const auto b = request(stun::method::channel_bind, [](stun::writer& w) {
      w.add_u32(tn::attr::channel_number, 0x40000000u);
      w.add_xor_address(tn::attr::xor_peer_address, peer);
    });
    srv.on_client_datagram(client.remote, client.local, b, now);
    drain();
    if (srv.allocation_count() != 1 || srv.find_allocation(client)->channels.size() != 1)
      std::abort();
  }
};

void turn_channeldata_to_peer(benchmark::State& state) {
  fixture f;
  f.allocate_and_bind();
  std::array<std::byte, 104> cd{};
  cd[0] = std::byte{0x40};
  cd[3] = std::byte{100};
  for (auto _ : state) {
    f.srv.on_client_datagram(client.remote, client.local, cd, now);
    auto o = f.srv.next();
    benchmark::DoNotOptimize(o);
  }
  if (f.srv.counters().to_peer < static_cast<std::uint64_t>(state.iterations())) std::abort();
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * 100);
}
BENCHMARK(turn_channeldata_to_peer);

void turn_channeldata_to_client(benchmark::State& state) {
  fixture f;
  f.allocate_and_bind();
  std::array<std::byte, 100> payload{};
  for (auto _ : state) {
    f.srv.on_peer_datagram(relay, peer, payload, now);
    auto o = f.srv.next();
    benchmark::DoNotOptimize(o);
  }
  if (f.srv.counters().to_client < static_cast<std::uint64_t>(state.iterations())) std::abort();
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * 100);
}
BENCHMARK(turn_channeldata_to_client);

void turn_data_indication_to_client(benchmark::State& state) {
  fixture f;
  f.allocate_and_bind();
  stun::address other = peer;
  other.port = 7001;  // permitted (same IP), no channel
  std::array<std::byte, 100> payload{};
  for (auto _ : state) {
    f.srv.on_peer_datagram(relay, other, payload, now);
    auto o = f.srv.next();
    benchmark::DoNotOptimize(o);
  }
  if (f.srv.counters().to_client < static_cast<std::uint64_t>(state.iterations())) std::abort();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(turn_data_indication_to_client);

void turn_send_indication_to_peer(benchmark::State& state) {
  fixture f;
  f.allocate_and_bind();
  std::array<std::byte, 256> buf{};
  stun::writer w(buf, stun::message_type(stun::message_class::indication, stun::method::send),
                 std::array<std::byte, 12>{});
  w.add_xor_address(tn::attr::xor_peer_address, peer);
  w.add(tn::attr::data, std::array<std::byte, 100>{});
  const auto n = w.seal();
  const rtwire::bytes_view send(buf.data(), n.value);
  for (auto _ : state) {
    f.srv.on_client_datagram(client.remote, client.local, send, now);
    auto o = f.srv.next();
    benchmark::DoNotOptimize(o);
  }
  if (f.srv.counters().to_peer < static_cast<std::uint64_t>(state.iterations())) std::abort();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(turn_send_indication_to_peer);

void turn_refresh_cached_key(benchmark::State& state) {
  fixture f;
  f.allocate_and_bind();
  const auto r =
      f.request(stun::method::refresh, [](stun::writer& w) { w.add_u32(tn::attr::lifetime, 600); });
  for (auto _ : state) {
    f.srv.on_client_datagram(client.remote, client.local, r, now);
    auto o = f.srv.next();
    benchmark::DoNotOptimize(o);
  }
  if (f.srv.counters().success_responses < static_cast<std::uint64_t>(state.iterations()))
    std::abort();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(turn_refresh_cached_key);

void turn_allocate_round_cached_key(benchmark::State& state) {
  fixture f;
  f.allocate_and_bind();  // caches alice's key
  const auto del =
      f.request(stun::method::refresh, [](stun::writer& w) { w.add_u32(tn::attr::lifetime, 0); });
  f.srv.on_client_datagram(client.remote, client.local, del, now);
  f.drain();
  const auto a = f.request(stun::method::allocate, [](stun::writer& w) {
    w.add(tn::attr::requested_transport, std::array<std::byte, 4>{std::byte{17}});
  });
  for (auto _ : state) {
    f.srv.on_client_datagram(client.remote, client.local, a, now);
    f.drain();
    f.srv.on_client_datagram(client.remote, client.local, del, now);
    f.drain();
  }
  if (f.srv.counters().allocations < static_cast<std::uint64_t>(state.iterations())) std::abort();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(turn_allocate_round_cached_key);

}  // namespace
