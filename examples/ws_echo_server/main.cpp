// ws_echo_server: a WebSocket echo server on standalone Asio, driving rtwire's sans-IO
// handshake and connection. Every text and binary message is sent back as it came; pings are
// answered (rtwire queues the pong); the closing handshake is echoed. One line per connection
// on stderr when it ends.
//
//   ws_echo_server --host 127.0.0.1 --port 9001 [--max-message BYTES] [--protocol NAME]...
//                  [--no-deflate] [--deflate-window BITS]
//
// permessage-deflate (RFC 7692) is negotiated by default when the client offers it (every
// browser does) and rtwire::deflate (zlib) was available at build time: --no-deflate turns it
// off, --deflate-window BITS (9-15) bounds the LZ77 window of both directions (the server's
// compressor, and the client's when its offer lets the server choose).
//
// --protocol NAME (repeatable): the subprotocols the server speaks; the first one the client
// offers, in the client's order, is selected (RFC 6455 §4.2.2 /5.5.3), so that a browser's
// `new WebSocket(url, ['chat'])` connects. Without a match none is selected.
//
// The I/O glue is the whole story: read bytes, feed() them, act on next()'s events, write
// output(). One session object per connection on a single-threaded io_context (plain completion
// handlers, so it builds with every compiler Asio supports) serves many clients at once.
//
// Memory: an idle connection holds no read buffer. A session waits for readiness
// (async_wait), then reads into the one buffer of the io_context's thread and handles all it
// read before it returns; what must outlive that (a partial frame, a partial request head) the
// connection and the handshake copy into their own storage. The handshake parser is freed at the
// upgrade. (An async_read_some per session would need a buffer per session: the reactor reads
// for every ready socket before it runs their handlers.)
#include <rtwire/ws/connection.hpp>
#include <rtwire/ws/deflate.hpp>
#include <rtwire/ws/handshake.hpp>
#if RTWIRE_EXAMPLES_HAVE_DEFLATE
#include <rtwire/ws/deflate_codec.hpp>
#endif

#include <asio.hpp>

#include "../common/cli.hpp"
#include "../common/http_server.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using asio::ip::tcp;
namespace ws = rtwire::ws;

struct settings {
  std::string host = "127.0.0.1";
  unsigned short port = 9001;
  std::size_t max_message = 16u << 20;  // Autobahn section 9 sends 16 MiB messages
  std::vector<std::string> protocols;
  bool deflate = RTWIRE_EXAMPLES_HAVE_DEFLATE != 0;  // permessage-deflate when zlib is linked
  unsigned deflate_window = 15;
  rtwire_examples::http_limits http{};

  ws::connection_options connection() const {
    return {.limit = {.max_frame_payload = max_message,
                      .max_message_size = max_message,
                      .max_buffered_bytes = max_message}};
  }
};

/// One client: read → feed → act on events → write output → read again. Owned by the shared_ptr
/// its pending operation holds; it ends (and logs its line) when no operation is pending.
class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, const settings& config)
      : socket_(std::move(socket)), config_(config), conn_(ws::role::server, config.connection()) {}

  ~session() {
    std::fprintf(stderr, "%s: %s, %zu messages echoed\n", peer_.c_str(), outcome().c_str(),
                 messages_);
  }

  void start() {
    asio::error_code ec;
    const auto ep = socket_.remote_endpoint(ec);
    if (!ec) peer_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    socket_.set_option(tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);  // read_some after readiness must never block the thread
    // Slowloris: the whole handshake must arrive within the head timeout.
    timer_.expires_after(config_.http.head_timeout);
    timer_.async_wait([self = shared_from_this()](asio::error_code e) {
      if (!e && !self->upgraded_ && !self->answered_) {
        asio::error_code ignored;
        self->socket_.close(ignored);
      }
    });
    read();
  }

 private:
  /// The read buffer every session of this thread shares (see the top comment).
  static std::array<char, 64 * 1024>& read_buffer() {
    thread_local std::array<char, 64 * 1024> buffer;
    return buffer;
  }

  /// Waits until the socket is readable, reads into read_buffer(), and calls
  /// f(ec, data, n); a spurious wake-up (nothing to read after all) waits again.
  template <class F>
  void read_when_ready(F f) {
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this(), f = std::move(f)](asio::error_code ec) mutable {
                         auto& buffer = read_buffer();
                         std::size_t n = 0;
                         if (!ec) n = self->socket_.read_some(asio::buffer(buffer), ec);
                         if (ec == asio::error::would_block || ec == asio::error::try_again)
                           return self->read_when_ready(std::move(f));
                         f(ec, buffer.data(), n);
                       });
  }

  void read() {
    read_when_ready(
        [this](asio::error_code ec, char* data, std::size_t n) { on_read(ec, data, n); });
  }

  void on_read(asio::error_code ec, char* data, std::size_t n) {
    if (ec) {
      if (upgraded_) conn_.receive_eof();
      if (!upgraded_) transport_error_ = ec.message();
      return;  // the last reference goes: the socket closes
    }
    if (!upgraded_) return on_handshake_bytes(data, n);
    on_frames(data, n);
  }

  // 1. The opening handshake (RFC 6455 §4.2).
  void on_handshake_bytes(char* data, std::size_t n) {
    ws::server_handshake& handshake = *handshake_;
    const auto r = handshake.feed(std::string_view(data, n));
    if (r.status == ws::server_handshake::state::need_more) return read();
    std::string reply;
    answered_ = true;
    timer_.cancel();
    if (r.status == ws::server_handshake::state::request_ready) {
      // The first offered subprotocol that we speak (the offer's views live in the handshake).
      std::string_view chosen;
      for (const std::string_view offered : handshake.request().protocols) {
        for (const std::string& p : config_.protocols)
          if (offered == p && chosen.empty()) chosen = offered;
      }
      // permessage-deflate (RFC 7692 §7.1): answer the first acceptable offer, if any.
      const auto bits = static_cast<std::uint8_t>(config_.deflate_window);
      const ws::deflate_answer deflate =
          ws::negotiate_deflate(handshake.request().extensions, {.enabled = config_.deflate,
                                                                 .server_max_window_bits = bits,
                                                                 .client_max_window_bits = bits});
      if (const auto e =
              handshake.accept(reply, {.protocol = chosen, .extensions = deflate.response()})) {
        std::fprintf(stderr, "accept failed: %s\n", e.message().c_str());
        return;
      }
#if RTWIRE_EXAMPLES_HAVE_DEFLATE
      if (deflate.accepted)
        conn_ = ws::connection(ws::role::server, config_.connection(),
                               ws::make_deflate_codec(deflate.params, ws::role::server));
#endif
      upgraded_ = true;
      handshake_.reset();  // `handshake` is gone: nothing above points into it any more
    } else {
      handshake.write_rejection(reply);
    }
    // Frames the client sent right behind its request: fed after the 101 is written, so they
    // move out of the shared buffer first (rare: clients wait for the 101).
    std::shared_ptr<std::string> early;
    if (r.consumed < n) early = std::make_shared<std::string>(data + r.consumed, n - r.consumed);
    auto out = std::make_shared<std::string>(std::move(reply));
    asio::async_write(socket_, asio::buffer(*out),
                      [self = shared_from_this(), out, early](asio::error_code ec, std::size_t) {
                        if (ec || !self->upgraded_) return;  // rejected: close
                        if (early) return self->on_frames(early->data(), early->size());
                        self->write();  // the queue is empty: reads next
                      });
  }

  // 2. Frames. `data` stays untouched until next() says need_more: events point into it.
  void on_frames(char* data, std::size_t n) {
    conn_.feed(data, n);
    for (ws::event ev = conn_.next(); ev.type != ws::event_type::need_more; ev = conn_.next()) {
      if (ev.type == ws::event_type::text) {
        conn_.send_text(ev.text());
        ++messages_;
      } else if (ev.type == ws::event_type::binary) {
        conn_.send_binary(ev.data);
        ++messages_;
      } else if (ev.type == ws::event_type::error) {
        break;  // a close frame with the right code is queued
      }
    }
    write();
  }

  // 3. Output. The socket is non-blocking: write now, as much as the kernel takes (an echo
  // usually fits whole, so no trip through the reactor), and wait for writability only for the
  // rest.
  void write() {
    while (!conn_.output().empty()) {
      const rtwire::bytes_view out = conn_.output();
      asio::error_code ec;
      const std::size_t written = socket_.write_some(asio::buffer(out.data(), out.size()), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        socket_.async_wait(tcp::socket::wait_write,
                           [self = shared_from_this()](asio::error_code e) {
                             if (!e) self->write();
                           });
        return;
      }
      if (ec) return;  // the peer is gone: the last reference goes, the socket closes
      conn_.consume_output(written);
    }
    if (conn_.state() != ws::connection_state::closed) return read();
    linger();
  }

  // RFC 6455 §7.1.1: the server closes the TCP connection first. It stops sending, then reads
  // and discards what the client still sends until the client closes too (or 5 s pass): closing
  // with unread input would reset the connection and could destroy our close frame in flight.
  void linger() {
    asio::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    timer_.expires_after(std::chrono::seconds(5));
    timer_.async_wait([self = shared_from_this()](asio::error_code ec) {
      if (!ec) self->socket_.close();
    });
    discard();
  }

  void discard() {
    read_when_ready([this](asio::error_code ec, char*, std::size_t) {
      if (ec) {
        timer_.cancel();  // EOF: done
        return;
      }
      discard();
    });
  }

  std::string outcome() const {
    if (!upgraded_) {
      if (handshake_->current() == ws::server_handshake::state::rejected)
        return "handshake rejected (" + std::to_string(handshake_->rejection_status()) +
               "): " + handshake_->error().message();
      return "closed before the handshake" +
             (transport_error_.empty() ? std::string() : ": " + transport_error_);
    }
    if (conn_.closed_cleanly())
      return "closed cleanly (" + std::to_string(static_cast<int>(conn_.peer_close_code())) + ")";
    if (conn_.failure())
      return "failed: " + conn_.failure().message() + " (close " +
             std::to_string(static_cast<int>(conn_.failure().close)) + ", offset " +
             std::to_string(conn_.failure().offset) + ")";
    return "transport closed";
  }

  tcp::socket socket_;
  const settings& config_;
  asio::steady_timer timer_{socket_.get_executor()};
  std::unique_ptr<ws::server_handshake> handshake_ = std::make_unique<ws::server_handshake>();
  ws::connection conn_;
  bool upgraded_ = false;
  bool answered_ = false;
  std::size_t messages_ = 0;
  std::string peer_ = "?";
  std::string transport_error_;
};

}  // namespace

int main(int argc, char** argv) {
  settings config;
  CLI::App app{"ws_echo_server: a WebSocket echo server (rtwire + Asio)"};
  rtwire_examples::listen_flags listen;
  listen.port = 9001;
  listen.add_to(app);
  app.add_option("--max-message", config.max_message, "Largest message, bytes")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  bool no_deflate = false;
  app.add_flag("--no-deflate", no_deflate, "Do not negotiate permessage-deflate (RFC 7692)");
  app.add_option("--deflate-window", config.deflate_window,
                 "permessage-deflate: largest LZ77 window, bits (9-15)")
      ->check(CLI::Range(9, 15))
      ->type_name("BITS")
      ->capture_default_str();
  app.add_option("--protocol", config.protocols,
                 "Subprotocol to select when the client offers it (repeatable)")
      ->type_name("NAME")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->expected(1);
  rtwire_examples::add_http_limit_flags(app, config.http);
  if (const auto code = rtwire_examples::parse_flags(app, argc, argv)) return *code;
  if (no_deflate) config.deflate = false;
  try {
    asio::io_context io;
    rtwire_examples::listener acceptor(
        io, rtwire_examples::resolve_listen(io, listen.host, listen.port),
        [&config](tcp::socket socket) {
          std::make_shared<session>(std::move(socket), config)->start();
        });
    std::fprintf(stderr, "listening on %s:%u\n", listen.host.c_str(),
                 static_cast<unsigned>(acceptor.local_endpoint().port()));
    acceptor.start();
    io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ws_echo_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
