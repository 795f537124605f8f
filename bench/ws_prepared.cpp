// Benchmarks for WebSocket fan-out (rtwire/ws/prepared.hpp, issue #14 "encode once, send to
// many"): one text message of 100 B or 4 KiB delivered to 10 000 server connections' output,
// then "written" (each connection's pieces gathered as for writev, and consumed).
//
// - BM_ws_fanout_naive: send_text() on every connection (frames and copies the payload each time).
// - BM_ws_fanout_prepared: prepare_text() once per message (UTF-8 checked, framed, one
//   buffer), then send(prepared) on every connection (a reference: no payload copy).
// - BM_ws_fanout_deflate_naive / _prepared: the same with permessage-deflate and
//   server_no_context_takeover (window 9, memLevel 1 to keep 10 000 zlib streams small): naive
//   compresses on every connection, prepared compresses once and shares the compressed frame.
// Counters: items/s = recipients/s; per_recipient = the CPU time per recipient, in seconds.
#include <benchmark/benchmark.h>

#include <rtwire/ws/connection.hpp>
#include <rtwire/ws/prepared.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#ifdef RTWIRE_BENCH_HAVE_ZLIB
#include <rtwire/ws/deflate_codec.hpp>
#endif

namespace {

constexpr std::size_t fanout_connections = 10000;

std::string message(std::size_t size) {
  static constexpr std::string_view words = "alice said hello to the whole room, ";
  std::string s;
  while (s.size() < size)
    s += words;
  s.resize(size);
  return s;
}

std::vector<rtwire::ws::connection> room(std::size_t n) {
  std::vector<rtwire::ws::connection> conns;
  conns.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    conns.emplace_back(rtwire::ws::role::server);
  return conns;
}

// What a server does after queueing: hand each connection's pieces to writev, consume them.
void write_out(std::vector<rtwire::ws::connection>& conns) {
  for (auto& c : conns) {
    std::array<rtwire::bytes_view, 4> iov;
    const std::size_t n = c.gather_output(iov);
    benchmark::DoNotOptimize(iov.data());
    benchmark::DoNotOptimize(n);
    c.consume_output(c.pending_output());
  }
}

void report(benchmark::State& state, std::size_t recipients) {
  const auto n = static_cast<double>(recipients) * static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  // Seconds per recipient (the console shows e.g. "25.1n": 25.1 ns).
  state.counters["per_recipient"] =
      benchmark::Counter(n, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_ws_fanout_naive(benchmark::State& state) {
  const std::string text = message(static_cast<std::size_t>(state.range(0)));
  auto conns = room(fanout_connections);
  for (auto _ : state) {
    for (auto& c : conns)
      if (c.send_text(text)) state.SkipWithError("send failed");
    write_out(conns);
  }
  report(state, conns.size());
}
BENCHMARK(BM_ws_fanout_naive)->Arg(100)->Arg(4096)->Unit(benchmark::kMicrosecond);

void BM_ws_fanout_prepared(benchmark::State& state) {
  const std::string text = message(static_cast<std::size_t>(state.range(0)));
  auto conns = room(fanout_connections);
  for (auto _ : state) {
    rtwire::ws::prepared_message msg;
    if (rtwire::ws::prepare_text(msg, text)) state.SkipWithError("prepare failed");
    for (auto& c : conns)
      if (c.send(msg)) state.SkipWithError("send failed");
    write_out(conns);
  }
  report(state, conns.size());
}
BENCHMARK(BM_ws_fanout_prepared)->Arg(100)->Arg(4096)->Unit(benchmark::kMicrosecond);

#ifdef RTWIRE_BENCH_HAVE_ZLIB
const rtwire::ws::deflate_params shared_params{.server_no_context_takeover = true,
                                               .server_max_window_bits = 9};
const rtwire::ws::deflate_codec_options small_zlib{.mem_level = 1};

std::vector<rtwire::ws::connection> deflate_room(std::size_t n) {
  std::vector<rtwire::ws::connection> conns;
  conns.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    conns.emplace_back(
        rtwire::ws::role::server, rtwire::ws::connection_options{},
        rtwire::ws::make_deflate_codec(shared_params, rtwire::ws::role::server, small_zlib));
  return conns;
}

void BM_ws_fanout_deflate_naive(benchmark::State& state) {
  const std::string text = message(static_cast<std::size_t>(state.range(0)));
  auto conns = deflate_room(fanout_connections);
  for (auto _ : state) {
    for (auto& c : conns)
      if (c.send_text(text)) state.SkipWithError("send failed");
    write_out(conns);
  }
  report(state, conns.size());
}
BENCHMARK(BM_ws_fanout_deflate_naive)->Arg(100)->Arg(4096)->Unit(benchmark::kMicrosecond);

void BM_ws_fanout_deflate_prepared(benchmark::State& state) {
  const std::string text = message(static_cast<std::size_t>(state.range(0)));
  auto conns = deflate_room(fanout_connections);
  auto once = rtwire::ws::make_deflate_codec(shared_params, rtwire::ws::role::server, small_zlib);
  for (auto _ : state) {
    rtwire::ws::prepared_message msg;
    if (rtwire::ws::prepare_text(msg, text, {.codec = once.get()}))
      state.SkipWithError("prepare failed");
    for (auto& c : conns)
      if (c.send(msg)) state.SkipWithError("send failed");
    write_out(conns);
  }
  report(state, conns.size());
}
BENCHMARK(BM_ws_fanout_deflate_prepared)->Arg(100)->Arg(4096)->Unit(benchmark::kMicrosecond);
#endif

}  // namespace
