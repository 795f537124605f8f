// permessage-deflate (RFC 7692) throughput: rtwire's connection with its zlib codec, against raw
// zlib with the same settings (the floor: what any permessage-deflate on zlib must spend) and
// Boost.Beast's permessage-deflate, in the same binary. zlib level 6, memLevel 8, 15-bit windows
// for everyone.
//
//   ws/deflate/compress/<payload>/<takeover>/<impl>    send a batch of messages (compress +
//                                                       frame; zlib: deflate + strip the tail)
//   ws/deflate/decompress/<payload>/<takeover>/<impl>  receive the batch as a server (unmask,
//                                                       inflate, UTF-8; zlib: inflate only)
// <payload>: chat_100B, chat_512B, chat_2KiB (chat JSON, 1000 different messages per batch) and
// text_64KiB (16 messages); <takeover>: takeover (context kept) or no_takeover (reset per message).
// Bytes are uncompressed message bytes, items are messages.
//
// Run: rtwire_bench_ws_deflate --benchmark_min_time=0.2
#include <rtwire/ws/connection.hpp>
#include <rtwire/ws/deflate.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#if defined(RTWIRE_BENCH_HAVE_ZLIB)
#include <zlib.h>
#include <rtwire/ws/deflate_codec.hpp>
#endif

#if defined(RTWIRE_BENCH_HAVE_BEAST)
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#endif

namespace {

#if defined(RTWIRE_BENCH_HAVE_ZLIB)
namespace ws = rtwire::ws;

// Chat JSON messages of about `size` bytes, each different (ids, names, text).
std::vector<std::string> chat_messages(std::size_t size, std::size_t count) {
  static const char* names[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace"};
  static const char* words[] = {
      "hello",   "anyone", "around", "lunch", "meeting", "deploy",
      "tonight", "thanks", "great",  "see",   "you",     "tomorrow",
      "ok",      "build",  "green",  "again", "coffee",  "\xc3\xa9t\xc3\xa9"};
  std::vector<std::string> out;
  std::uint32_t x = 12345;
  for (std::size_t i = 0; i < count; ++i) {
    x = x * 1664525u + 1013904223u;
    std::string m = "{\"type\":\"message\",\"room\":\"lobby\",\"id\":" + std::to_string(1000 + i) +
                    ",\"from\":\"" + names[x % 7] +
                    "\",\"ts\":" + std::to_string(1733390000000ull + i * 37) + ",\"text\":\"";
    while (m.size() + 2 < size) {
      x = x * 1664525u + 1013904223u;
      m += words[(x >> 8) % 18];
      m += ' ';
    }
    m += "\"}";
    out.push_back(std::move(m));
  }
  return out;
}

// 64 KiB of prose-like text.
std::vector<std::string> big_texts(std::size_t count) {
  std::vector<std::string> out;
  const auto chat = chat_messages(2048, 64);
  for (std::size_t i = 0; i < count; ++i) {
    std::string s;
    for (std::size_t j = i; s.size() < 65536; ++j)
      s += chat[j % chat.size()];
    s.resize(65536);
    out.push_back(std::move(s));
  }
  return out;
}

struct payload_case {
  const char* name;
  std::vector<std::string> messages;
  std::size_t bytes = 0;
};

const std::vector<payload_case>& payloads() {
  static const std::vector<payload_case> all = [] {
    std::vector<payload_case> v{{"chat_100B", chat_messages(100, 1000)},
                                {"chat_512B", chat_messages(512, 1000)},
                                {"chat_2KiB", chat_messages(2048, 1000)},
                                {"text_64KiB", big_texts(16)}};
    for (auto& p : v)
      for (const auto& m : p.messages)
        p.bytes += m.size();
    return v;
  }();
  return all;
}

ws::deflate_params params_for(bool takeover) {
  return {.server_no_context_takeover = !takeover, .client_no_context_takeover = !takeover};
}

struct fixed_keys {
  ws::masking_key operator()() { return {0x11, 0x22, 0x33, 0x44}; }
};

void set_counts(benchmark::State& state, const payload_case& p) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * p.bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * p.messages.size()));
}

// -- rtwire --------------------------------------------------------------------------------------

void rtwire_compress(benchmark::State& state, const payload_case* p, bool takeover) {
  ws::connection server(ws::role::server, {},
                        ws::make_deflate_codec(params_for(takeover), ws::role::server));
  std::size_t wire = 0;
  for (auto _ : state) {
    for (const std::string& m : p->messages) {
      if (server.send_text(m)) std::abort();
      wire += server.output().size();
      server.consume_output(server.output().size());
    }
  }
  benchmark::DoNotOptimize(wire);
  set_counts(state, *p);
}

// The batch as a client sends it (masked, compressed with `params`).
std::string client_wire(const payload_case& p, bool takeover) {
  fixed_keys keys;
  ws::connection client(ws::role::client, {.keys = keys},
                        ws::make_deflate_codec(params_for(takeover), ws::role::client));
  for (const std::string& m : p.messages)
    if (client.send_text(m)) std::abort();
  return std::string(rtwire::as_chars(client.output()));
}

void rtwire_decompress(benchmark::State& state, const payload_case* p, bool takeover) {
  const std::string wire = client_wire(*p, takeover);
  std::string work;
  for (auto _ : state) {
    state.PauseTiming();
    work = wire;  // unmasked in place: a fresh copy each time
    ws::connection server(ws::role::server, {},
                          ws::make_deflate_codec(params_for(takeover), ws::role::server));
    state.ResumeTiming();
    if (server.feed(work.data(), work.size())) std::abort();
    std::size_t n = 0;
    for (ws::event ev = server.next(); ev.type != ws::event_type::need_more; ev = server.next()) {
      if (ev.type != ws::event_type::text) std::abort();
      benchmark::DoNotOptimize(ev.data.data());
      ++n;
    }
    if (n != p->messages.size()) std::abort();
  }
  set_counts(state, *p);
}

// -- raw zlib: the floor -------------------------------------------------------------------------

void zlib_compress(benchmark::State& state, const payload_case* p, bool takeover) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::vector<unsigned char> out(1 << 20);
  std::size_t wire = 0;
  for (auto _ : state) {
    for (const std::string& m : p->messages) {
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(m.data()));
      z.avail_in = static_cast<uInt>(m.size());
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
      if (deflate(&z, Z_SYNC_FLUSH) != Z_OK) std::abort();
      wire += out.size() - z.avail_out - 4;  // RFC 7692 §7.2.1: the tail is dropped
      if (!takeover) deflateReset(&z);
    }
  }
  deflateEnd(&z);
  benchmark::DoNotOptimize(wire);
  set_counts(state, *p);
}

// The raw DEFLATE payload of each message (tail removed), as zlib compresses them.
std::vector<std::string> zlib_payloads(const payload_case& p, bool takeover) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::vector<std::string> out;
  std::vector<unsigned char> buf(1 << 20);
  for (const std::string& m : p.messages) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(m.data()));
    z.avail_in = static_cast<uInt>(m.size());
    z.next_out = buf.data();
    z.avail_out = static_cast<uInt>(buf.size());
    if (deflate(&z, Z_SYNC_FLUSH) != Z_OK) std::abort();
    out.emplace_back(reinterpret_cast<const char*>(buf.data()), buf.size() - z.avail_out - 4);
    if (!takeover) deflateReset(&z);
  }
  deflateEnd(&z);
  return out;
}

void zlib_decompress(benchmark::State& state, const payload_case* p, bool takeover) {
  const std::vector<std::string> in = zlib_payloads(*p, takeover);
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK) std::abort();
  std::vector<unsigned char> out(1 << 17);
  static unsigned char tail[4] = {0x00, 0x00, 0xff, 0xff};
  for (auto _ : state) {
    inflateReset(&z);
    for (const std::string& m : in) {
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(m.data()));
      z.avail_in = static_cast<uInt>(m.size());
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
      if (inflate(&z, Z_SYNC_FLUSH) != Z_OK) std::abort();
      z.next_in = tail;
      z.avail_in = 4;
      const int rc = inflate(&z, Z_SYNC_FLUSH);
      if (rc != Z_OK && rc != Z_BUF_ERROR) std::abort();
      benchmark::DoNotOptimize(out.data());
      if (!takeover) inflateReset(&z);
    }
  }
  inflateEnd(&z);
  set_counts(state, *p);
}
#endif  // RTWIRE_BENCH_HAVE_ZLIB

// -- Boost.Beast
// -----------------------------------------------------------------------------------

#if defined(RTWIRE_BENCH_HAVE_ZLIB) && defined(RTWIRE_BENCH_HAVE_BEAST)
namespace beast = boost::beast;

std::string upgrade_request(bool takeover) {
  return std::string(
             "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
             "Sec-WebSocket-Extensions: permessage-deflate") +
         (takeover ? "" : "; server_no_context_takeover; client_no_context_takeover") + "\r\n\r\n";
}

beast::websocket::permessage_deflate beast_pmd(bool takeover) {
  beast::websocket::permessage_deflate pmd;
  pmd.server_enable = true;
  pmd.client_enable = true;
  pmd.compLevel = 6;  // the same settings as rtwire and the zlib floor
  pmd.memLevel = 8;
  pmd.server_no_context_takeover = !takeover;
  pmd.client_no_context_takeover = !takeover;
  return pmd;
}

void beast_compress(benchmark::State& state, const payload_case* p, bool takeover) {
  boost::asio::io_context ioc;
  beast::websocket::stream<beast::test::stream> server(ioc);
  beast::test::stream remote(ioc);
  server.next_layer().connect(remote);
  server.set_option(beast_pmd(takeover));
  server.next_layer().append(upgrade_request(takeover));
  beast::error_code ec;
  server.accept(ec);
  if (ec) std::abort();
  server.auto_fragment(false);
  server.text(true);
  remote.clear();
  for (auto _ : state) {
    for (const std::string& m : p->messages) {
      server.write(boost::asio::buffer(m), ec);
      if (ec) std::abort();
    }
    state.PauseTiming();
    remote.clear();
    state.ResumeTiming();
  }
  set_counts(state, *p);
}

void beast_decompress(benchmark::State& state, const payload_case* p, bool takeover) {
  const std::string wire = client_wire(*p, takeover);
  boost::asio::io_context ioc;
  for (auto _ : state) {
    state.PauseTiming();
    beast::websocket::stream<beast::test::stream> server(ioc);
    beast::test::stream remote(ioc);
    server.next_layer().connect(remote);
    server.set_option(beast_pmd(takeover));
    server.next_layer().append(upgrade_request(takeover));
    beast::error_code ec;
    server.accept(ec);
    if (ec) std::abort();
    server.read_message_max(std::size_t{64} << 20);
    server.next_layer().append(wire);
    beast::flat_buffer buffer;
    state.ResumeTiming();
    for (std::size_t i = 0; i < p->messages.size(); ++i) {
      server.read(buffer, ec);
      if (ec) std::abort();
      benchmark::DoNotOptimize(buffer.data().data());
      buffer.consume(buffer.size());
    }
  }
  set_counts(state, *p);
}
#endif

template <class F>
void add(const std::string& name, F f, const payload_case* p, bool takeover) {
  benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& s) {
    f(s, p, takeover);
  })->Unit(benchmark::kMicrosecond);
}

[[maybe_unused]] const bool registered = [] {
#if defined(RTWIRE_BENCH_HAVE_ZLIB)
  for (const payload_case& p : payloads()) {
    for (const bool takeover : {true, false}) {
      const std::string suffix =
          std::string("/") + p.name + (takeover ? "/takeover" : "/no_takeover");
      add("ws/deflate/compress" + suffix + "/rtwire", rtwire_compress, &p, takeover);
      add("ws/deflate/compress" + suffix + "/zlib", zlib_compress, &p, takeover);
#if defined(RTWIRE_BENCH_HAVE_BEAST)
      add("ws/deflate/compress" + suffix + "/beast", beast_compress, &p, takeover);
#endif
      add("ws/deflate/decompress" + suffix + "/rtwire", rtwire_decompress, &p, takeover);
      add("ws/deflate/decompress" + suffix + "/zlib", zlib_decompress, &p, takeover);
#if defined(RTWIRE_BENCH_HAVE_BEAST)
      add("ws/deflate/decompress" + suffix + "/beast", beast_decompress, &p, takeover);
#endif
    }
  }
#endif
  return true;
}();

}  // namespace
