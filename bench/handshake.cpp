// Full server handshake: parse + validate the client's upgrade request + build the 101 response,
// per request, for rtwire and for the peers in the same binary (Beast through its own accept()
// on an in-memory test stream, websocketpp through its HTTP parser and hybi13 processor).
#include <rtwire/ws/handshake.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "peers/peers.hpp"

#if defined(RTWIRE_BENCH_HAVE_BEAST)
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/websocket.hpp>
#endif

namespace {

// What Chrome sends, give or take the User-Agent.
constexpr std::string_view request =
    "GET /chat?room=42 HTTP/1.1\r\n"
    "Host: server.example.com:8080\r\n"
    "Connection: Upgrade\r\n"
    "Pragma: no-cache\r\n"
    "Cache-Control: no-cache\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36\r\n"
    "Upgrade: websocket\r\n"
    "Origin: https://example.com\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Protocol: chat, superchat\r\n"
    "\r\n";

void rtwire_server_handshake(benchmark::State& state) {
  std::string out;
  out.reserve(256);
  rtwire::ws::server_handshake hs;  // reused per connection slot, as a server would
  for (auto _ : state) {
    hs.reset();
    out.clear();
    const auto r = hs.feed(request);
    if (r.status != rtwire::ws::server_handshake::state::request_ready ||
        hs.accept(out, {.protocol = "chat"}))
      std::abort();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * request.size()));
}
BENCHMARK(rtwire_server_handshake);

void rtwire_server_handshake_fresh_object(benchmark::State& state) {
  std::string out;
  out.reserve(256);
  for (auto _ : state) {
    rtwire::ws::server_handshake hs;  // a new object per connection
    out.clear();
    const auto r = hs.feed(request);
    if (r.status != rtwire::ws::server_handshake::state::request_ready ||
        hs.accept(out, {.protocol = "chat"}))
      std::abort();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * request.size()));
}
BENCHMARK(rtwire_server_handshake_fresh_object);

#if defined(RTWIRE_BENCH_HAVE_BEAST)
void beast_server_handshake(benchmark::State& state) {
  namespace beast = boost::beast;
  boost::asio::io_context ioc;
  for (auto _ : state) {
    beast::websocket::stream<beast::test::stream> ws(ioc);
    beast::test::stream remote(ioc);
    ws.next_layer().connect(remote);
    ws.next_layer().append(request);
    ws.set_option(
        beast::websocket::stream_base::decorator([](beast::websocket::response_type& res) {
          res.set(beast::http::field::sec_websocket_protocol, "chat");
        }));
    beast::error_code ec;
    ws.accept(ec);
    if (ec) std::abort();
    benchmark::DoNotOptimize(remote.str().data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * request.size()));
}
BENCHMARK(beast_server_handshake);
#endif

#if defined(RTWIRE_BENCH_HAVE_WEBSOCKETPP)
void websocketpp_server_handshake(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    if (rtwire_bench::websocketpp_server_handshake(request, out) == 0) std::abort();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * request.size()));
}
BENCHMARK(websocketpp_server_handshake);
#endif

}  // namespace
