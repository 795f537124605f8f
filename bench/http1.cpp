// HTTP/1.1 request head parsing: rtwire::http1::request_parser against Boost.Beast's
// http::request_parser<http::empty_body>, on a typical WebSocket upgrade request, in one binary
// (DESIGN.md §4). The floor is one memchr pass over the same bytes.
//
//   rtwire_bench_http1 --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <string_view>

#include <rtwire/core/http1.hpp>

#ifdef RTWIRE_BENCH_HAVE_BEAST
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#endif

namespace {

namespace http1 = rtwire::http1;

// A browser's WebSocket opening handshake (RFC 6455 §4.1) with the usual fields (284 bytes).
constexpr std::string_view upgrade_request =
    "GET /chat HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Origin: https://example.com\r\n"
    "Sec-WebSocket-Protocol: chat\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate\r\n"
    "User-Agent: Mozilla/5.0\r\n"
    "\r\n";

void set_counters(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(upgrade_request.size()));
  state.counters["head_bytes"] = static_cast<double>(upgrade_request.size());
}

/// The physical floor: reading the same bytes once with memchr (looking for a byte that is not
/// there, so the whole buffer is scanned).
void memchr_floor(benchmark::State& state) {
  const std::string bytes(upgrade_request);  // not a constant the compiler could fold
  for (auto _ : state) {
    const char* data = bytes.data();
    benchmark::DoNotOptimize(data);
    const void* p = std::memchr(data, '\0', bytes.size());
    benchmark::DoNotOptimize(p);
  }
  set_counters(state);
}
BENCHMARK(memchr_floor);

/// One parser reused with reset(), the head fed whole (the zero-copy path).
void rtwire_parse_request(benchmark::State& state) {
  http1::request_parser parser;
  for (auto _ : state) {
    parser.reset();
    const auto r = parser.feed(upgrade_request);
    if (r.status != http1::parse_status::done) state.SkipWithError("rtwire: not done");
    benchmark::DoNotOptimize(parser.head().headers.size());
  }
  set_counters(state);
}
BENCHMARK(rtwire_parse_request);

/// The head arriving in two reads (the buffered path).
void rtwire_parse_request_two_chunks(benchmark::State& state) {
  http1::request_parser parser;
  const std::size_t half = upgrade_request.size() / 2;
  for (auto _ : state) {
    parser.reset();
    parser.feed(upgrade_request.substr(0, half));
    const auto r = parser.feed(upgrade_request.substr(half));
    if (r.status != http1::parse_status::done) state.SkipWithError("rtwire: not done");
    benchmark::DoNotOptimize(parser.head().headers.size());
  }
  set_counters(state);
}
BENCHMARK(rtwire_parse_request_two_chunks);

/// Parse, then the lookups a WebSocket server makes.
void rtwire_parse_request_and_lookup(benchmark::State& state) {
  http1::request_parser parser;
  for (auto _ : state) {
    parser.reset();
    parser.feed(upgrade_request);
    const auto& h = parser.head().headers;
    bool ok = h.has_token("connection", "upgrade") && h.has_token("upgrade", "websocket");
    ok = ok && h.find("sec-websocket-key").has_value() && h.find("sec-websocket-version") == "13";
    if (!ok) state.SkipWithError("rtwire: lookup failed");
    benchmark::DoNotOptimize(ok);
  }
  set_counters(state);
}
BENCHMARK(rtwire_parse_request_and_lookup);

#ifdef RTWIRE_BENCH_HAVE_BEAST
namespace beast = boost::beast;

/// Beast's parsers cannot be reset, so each request constructs one (as Beast's servers do).
void beast_parse_request(benchmark::State& state) {
  for (auto _ : state) {
    beast::http::request_parser<beast::http::empty_body> parser;
    beast::error_code ec;
    parser.put(boost::asio::buffer(upgrade_request.data(), upgrade_request.size()), ec);
    if (ec || !parser.is_header_done()) state.SkipWithError("beast: not done");
    benchmark::DoNotOptimize(parser.get().base().begin());
  }
  set_counters(state);
}
BENCHMARK(beast_parse_request);

void beast_parse_request_and_lookup(benchmark::State& state) {
  for (auto _ : state) {
    beast::http::request_parser<beast::http::empty_body> parser;
    beast::error_code ec;
    parser.put(boost::asio::buffer(upgrade_request.data(), upgrade_request.size()), ec);
    const auto& req = parser.get();
    bool ok = !ec && beast::http::token_list(req[beast::http::field::connection]).exists("upgrade");
    ok = ok && beast::http::token_list(req[beast::http::field::upgrade]).exists("websocket");
    ok = ok && req.count(beast::http::field::sec_websocket_key) == 1 &&
         req[beast::http::field::sec_websocket_version] == "13";
    if (!ok) state.SkipWithError("beast: lookup failed");
    benchmark::DoNotOptimize(ok);
  }
  set_counters(state);
}
BENCHMARK(beast_parse_request_and_lookup);
#endif

}  // namespace
