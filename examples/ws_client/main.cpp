// ws_client: connects to a WebSocket server, sends messages, prints what comes back. Standalone
// Asio for the socket, rtwire for the handshake and the frames, std::random_device for the
// handshake nonce and the masking keys (RFC 6455 §10.3: the client needs unpredictable keys;
// rtwire never draws random numbers itself).
//
//   ws_client --host 127.0.0.1 --port 9001 [--path /] [--binary] [--fragment BYTES] [--ping]
//             [--close CODE] [--no-deflate] [--deflate-window BITS] [--verbose] [MESSAGE...]
//
// Sends each MESSAGE (or each line of standard input when none is given) as a text message (or
// binary with --binary), auto-fragmented into frames of BYTES when --fragment is given, preceded
// by a ping when --ping is given, and waits for as many replies. Then it closes with CODE (1000
// by default) and waits for the server's close. Output, one line per event:
//   text <data>    binary <hex>    pong <hex>    close <code> <reason>
// Exit 0 after a clean close, 1 otherwise. permessage-deflate (RFC 7692) is offered by default
// when rtwire::deflate (zlib) was available at build time (--no-deflate: not offered;
// --deflate-window BITS, 9-15: the largest LZ77 window either side may use); a server answer
// that breaks RFC 7692 §7.1 fails the connection. --verbose prints the agreed extension on
// stderr ("deflate: <Sec-WebSocket-Extensions>" or "deflate: off").
#include <rtwire/ws/connection.hpp>
#include <rtwire/ws/deflate.hpp>
#include <rtwire/ws/handshake.hpp>
#if RTWIRE_EXAMPLES_HAVE_DEFLATE
#include <rtwire/ws/deflate_codec.hpp>
#endif

#include <asio.hpp>

#include "../common/cli.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using asio::ip::tcp;
namespace ws = rtwire::ws;

struct settings {
  std::string host = "127.0.0.1";
  std::string port = "9001";
  std::string path = "/";
  bool binary = false;
  bool ping = false;
  std::size_t fragment = 0;
  int close_code = 1000;
  bool deflate = RTWIRE_EXAMPLES_HAVE_DEFLATE != 0;
  unsigned deflate_window = 15;
  bool verbose = false;
  std::vector<std::string> messages;
};

struct random_keys {
  std::random_device device;
  ws::masking_key operator()() {
    const unsigned v = device();
    return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
            static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
  }
};

std::string hex(rtwire::bytes_view data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (std::byte b : data) {
    s.push_back(digits[static_cast<unsigned>(b) >> 4]);
    s.push_back(digits[static_cast<unsigned>(b) & 15]);
  }
  return s;
}

void flush(tcp::socket& socket, ws::connection& conn) {
  while (!conn.output().empty()) {
    const rtwire::bytes_view out = conn.output();
    conn.consume_output(asio::write(socket, asio::buffer(out.data(), out.size())));
  }
}

int run(const settings& s) {
  asio::io_context io;
  tcp::socket socket(io);
  asio::connect(socket, tcp::resolver(io).resolve(s.host, s.port));
  socket.set_option(tcp::no_delay(true));

  // The opening handshake (RFC 6455 §4.1) with a fresh 16-byte nonce.
  random_keys keys;
  std::array<std::byte, 16> nonce;
  for (auto& b : nonce)
    b = static_cast<std::byte>(keys.device());
  ws::client_handshake hs;
  std::string request;
  const std::string host = s.host + ":" + s.port;
  const auto bits = static_cast<std::uint8_t>(s.deflate_window);
  const ws::deflate_offer offer =
      ws::make_deflate_offer({.client_max_window_bits = bits,
                              .server_max_window_bits = bits < 15 ? bits : std::uint8_t{0}});
  const std::string_view extensions = s.deflate ? offer.text() : std::string_view{};
  if (const auto ec = hs.write_request(
          request, {.host = host, .target = s.path, .extensions = extensions}, nonce)) {
    std::fprintf(stderr, "ws_client: %s\n", ec.message().c_str());
    return 1;
  }
  asio::write(socket, asio::buffer(request));
  std::vector<char> buffer(64 * 1024);
  std::size_t at = 0, size = 0;
  for (;;) {
    const std::size_t n = socket.read_some(asio::buffer(buffer));
    const auto r = hs.feed(std::string_view(buffer.data(), n));
    if (r.status == ws::client_handshake::state::need_more) continue;
    if (r.status != ws::client_handshake::state::accepted) {
      std::fprintf(stderr, "ws_client: handshake failed: %s\n", hs.error().message().c_str());
      return 1;
    }
    at = r.consumed;  // frames the server sent right behind its 101
    size = n - r.consumed;
    break;
  }

  // RFC 7692 §7.1: check the server's permessage-deflate answer against the offer.
  ws::deflate_params params;
  bool compressed = false;
  if (s.deflate) {
    if (const auto ec = ws::accept_deflate_response(hs.extensions(), offer, params, compressed)) {
      std::fprintf(stderr, "ws_client: handshake failed: %s\n", ec.message().c_str());
      return 1;
    }
  }
  if (s.verbose) {
    std::string agreed = "off";
    for (const rtwire::http1::header_field& f : hs.response().headers.all())
      if (compressed && rtwire::ascii::equals_lower(f.name, "sec-websocket-extensions"))
        agreed = std::string(f.value);
    std::fprintf(stderr, "deflate: %s\n", agreed.c_str());
  }
  std::unique_ptr<ws::compression> codec;
#if RTWIRE_EXAMPLES_HAVE_DEFLATE
  if (compressed) codec = ws::make_deflate_codec(params, ws::role::client);
#endif
  ws::connection conn(ws::role::client, {.fragment_size = s.fragment, .keys = keys},
                      std::move(codec));
  std::size_t next_message = 0, expected = 0;
  bool close_sent = false;
  auto send_next = [&] {
    if (next_message < s.messages.size()) {
      const std::string& m = s.messages[next_message++];
      if (s.ping) {
        conn.send_ping(rtwire::as_bytes(std::string_view("ping")));
        ++expected;
      }
      if (s.binary)
        conn.send_binary(rtwire::as_bytes(m));
      else
        conn.send_text(m);
      ++expected;
    } else if (!close_sent) {
      conn.close(static_cast<ws::close_code>(s.close_code));
      close_sent = true;
    }
  };
  send_next();
  flush(socket, conn);
  for (;;) {
    conn.feed(buffer.data() + at, size);
    for (ws::event ev = conn.next(); ev.type != ws::event_type::need_more; ev = conn.next()) {
      switch (ev.type) {
        case ws::event_type::text:
          std::printf("text %.*s\n", static_cast<int>(ev.text().size()), ev.text().data());
          break;
        case ws::event_type::binary:
          std::printf("binary %s\n", hex(ev.data).c_str());
          break;
        case ws::event_type::pong:
          std::printf("pong %s\n", hex(ev.data).c_str());
          break;
        case ws::event_type::ping:
          continue;  // answered automatically
        case ws::event_type::close:
          std::printf("close %d %.*s\n", static_cast<int>(ev.code),
                      static_cast<int>(ev.reason().size()), ev.reason().data());
          continue;
        case ws::event_type::error:
          std::fprintf(stderr, "ws_client: %s (close %d)\n", conn.failure().message().c_str(),
                       static_cast<int>(conn.failure().close));
          flush(socket, conn);
          return 1;
        default:
          break;
      }
      // One reply counted; when all replies to this message arrived, send the next one.
      if (expected > 0 && --expected == 0) send_next();
    }
    std::fflush(stdout);
    flush(socket, conn);
    if (conn.state() == ws::connection_state::closed) break;
    asio::error_code ec;
    size = socket.read_some(asio::buffer(buffer), ec);
    at = 0;
    if (ec) {
      conn.receive_eof();
      break;
    }
  }
  // RFC 6455 §7.1.1: the client waits for the server to close TCP (bounded by the read above).
  return conn.closed_cleanly() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"ws_client: sends messages to a WebSocket server and prints what comes back"};
  rtwire_examples::listen_flags target;
  target.port = 9001;
  target.add_to(app);
  app.add_option("--path", s.path, "Request target")->capture_default_str();
  app.add_flag("--binary", s.binary, "Send binary messages");
  app.add_flag("--ping", s.ping, "Send a ping before each message");
  bool no_deflate = false;
  app.add_flag("--no-deflate", no_deflate, "Do not offer permessage-deflate (RFC 7692)");
  app.add_option("--deflate-window", s.deflate_window,
                 "permessage-deflate: largest LZ77 window, bits (9-15)")
      ->check(CLI::Range(9, 15))
      ->type_name("BITS")
      ->capture_default_str();
  app.add_flag("--verbose", s.verbose, "Print the agreed permessage-deflate on stderr");
  app.add_option("--fragment", s.fragment, "Split messages into frames of at most BYTES (0: no)")
      ->type_name("BYTES");
  app.add_option("--close", s.close_code, "Close code to send at the end")
      ->check(CLI::Range(1000, 4999))
      ->capture_default_str();
  app.add_option("messages", s.messages, "Messages to send (default: each line of stdin)");
  if (const auto code = rtwire_examples::parse_flags(app, argc, argv)) return *code;
  if (no_deflate) s.deflate = false;
  s.host = target.host;
  s.port = std::to_string(target.port);
  if (s.messages.empty()) {
    for (std::string line; std::getline(std::cin, line);)
      s.messages.push_back(line);
  }
  try {
    return run(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ws_client: %s\n", e.what());
    return 1;
  }
}
