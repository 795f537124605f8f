// stun_server: a STUN server (RFC 8489 Binding) on standalone Asio, UDP and TCP on the same
// port, driving rtwire's sans-IO Binding responder. Enough for browsers' `stun:HOST:PORT` ICE
// servers, `turnutils_stunclient` and the classic `stun` client (RFC 3489).
//
//   stun_server --host 127.0.0.1 --port 3478 [--software TEXT] [--max-connections N]
//
// 1. UDP: each datagram goes to binding_responder::respond(); a non-empty answer is sent back
//    to the datagram's source. Anything else is discarded silently (RFC 8489 §6.3) and counted.
// 2. TCP: rtwire's stream_framer cuts the byte stream into STUN messages (and ChannelData,
//    which this server has no use for) at any segmentation (RFC 8489 §6.2.2); each message is
//    answered like a datagram. A framing error closes the connection.
// 3. Limits: at most --max-connections TCP clients, 64 KiB of unsent answers per client, and an
//    idle TCP connection is closed after 30 s.
// On SIGINT/SIGTERM the counters are printed to stderr and the server exits.
#include <rtwire/stun/binding.hpp>
#include <rtwire/stun/framer.hpp>

#include <asio.hpp>

#include "../common/cli.hpp"
#include "../common/http_server.hpp"
#include "../common/stun_udp.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

namespace {

using asio::ip::tcp;
namespace stun = rtwire::stun;

struct settings {
  std::string host = "127.0.0.1";
  unsigned short port = 3478;
  std::string software;
  std::size_t max_connections = 256;
};

constexpr std::size_t max_pending_output = 64 * 1024;
constexpr std::chrono::seconds idle_timeout{30};

// 1. UDP: examples/common/stun_udp.hpp (shared with chat_server --stun-port).

// 2. TCP: one session per connection: read → framer → responder → queued write.
class tcp_session : public std::enable_shared_from_this<tcp_session> {
 public:
  tcp_session(tcp::socket socket, stun::binding_responder& responder, std::size_t& live)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        responder_(responder),
        live_(live) {
    ++live_;
  }
  ~tcp_session() { --live_; }

  void start() {
    asio::error_code ec;
    peer_ = rtwire_examples::to_stun_address(socket_.remote_endpoint(ec));
    read();
  }

 private:
  void read() {
    timer_.expires_after(idle_timeout);
    timer_.async_wait([self = shared_from_this()](asio::error_code ec) {
      if (!ec) self->close();
    });
    socket_.async_read_some(asio::buffer(in_),
                            [self = shared_from_this()](asio::error_code ec, std::size_t n) {
                              self->timer_.cancel();
                              if (ec) return;  // peer closed or error: the last reference goes
                              if (self->on_bytes(n)) self->read();
                            });
  }

  bool on_bytes(std::size_t n) {
    rtwire::bytes_view in(in_.data(), n);
    for (;;) {
      const auto r = framer_.next(in);
      in = in.subspan(r.consumed);
      if (r.status == stun::stream_framer::status::need_more) return true;
      if (r.status == stun::stream_framer::status::failed) {
        std::fprintf(stderr, "tcp: closing: %s at byte %zu\n", framer_.error().message().c_str(),
                     framer_.error().offset);
        close();
        return false;
      }
      if (r.kind != stun::frame_kind::stun) continue;  // ChannelData: no TURN here
      std::array<std::byte, 1024> out{};
      const std::size_t size = responder_.respond(r.frame, peer_, out);
      if (size == 0) continue;
      if (pending_.size() + size > max_pending_output) {
        close();  // the client does not read its answers
        return false;
      }
      pending_.append(reinterpret_cast<const char*>(out.data()), size);
      write();
    }
  }

  void write() {
    if (writing_ || pending_.empty()) return;
    writing_ = true;
    sending_.swap(pending_);
    asio::async_write(socket_, asio::buffer(sending_),
                      [self = shared_from_this()](asio::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->sending_.clear();
                        if (!ec) self->write();
                      });
  }

  void close() {
    asio::error_code ignored;
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  stun::binding_responder& responder_;
  std::size_t& live_;
  stun::address peer_;
  stun::stream_framer framer_;
  std::array<std::byte, 16384> in_{};
  std::string pending_;
  std::string sending_;
  bool writing_ = false;
};

void accept(tcp::acceptor& acceptor, stun::binding_responder& responder, std::size_t& live,
            const settings& config) {
  acceptor.async_accept([&](asio::error_code ec, tcp::socket socket) {
    // 3. The connection limit: refuse (close at once) beyond it.
    if (!ec && live < config.max_connections) {
      std::make_shared<tcp_session>(std::move(socket), responder, live)->start();
    }
    accept(acceptor, responder, live, config);
  });
}

}  // namespace

int main(int argc, char** argv) {
  settings config;
  CLI::App app{"stun_server: STUN Binding (RFC 8489) over UDP and TCP on one port"};
  rtwire_examples::listen_flags listen;
  listen.port = 3478;
  listen.add_to(app);
  app.add_option("--software", config.software, "SOFTWARE attribute to send (off when empty)")
      ->check([](const std::string& v) {
        return v.size() <= 509 ? std::string() : std::string("at most 509 bytes (RFC 8489 §14.14)");
      });
  app.add_option("--max-connections", config.max_connections, "Most TCP clients at once")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->capture_default_str();
  if (const auto code = rtwire_examples::parse_flags(app, argc, argv)) return *code;
  config.host = listen.host;
  config.port = listen.port;
  try {
    asio::io_context io;
    stun::binding_responder responder({.software = config.software});
    const auto address = rtwire_examples::resolve_listen(io, config.host, config.port).address();
    rtwire_examples::stun_udp_server udp_side(io, {address, config.port}, responder);
    // Port 0: the UDP socket picks a port and TCP takes the same one.
    const unsigned short port = udp_side.port();
    tcp::acceptor acceptor(io, {address, port});
    std::size_t live = 0;
    std::fprintf(stderr, "listening on %s:%u (udp+tcp)\n", config.host.c_str(),
                 static_cast<unsigned>(port));
    udp_side.start();
    accept(acceptor, responder, live, config);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](asio::error_code, int) { io.stop(); });
    io.run();
    const auto& c = responder.counters();
    std::fprintf(stderr,
                 "success=%llu errors=%llu malformed=%llu not_request=%llu bad_fingerprint=%llu\n",
                 static_cast<unsigned long long>(c.success),
                 static_cast<unsigned long long>(c.error_responses),
                 static_cast<unsigned long long>(c.malformed),
                 static_cast<unsigned long long>(c.not_request),
                 static_cast<unsigned long long>(c.bad_fingerprint));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stun_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
