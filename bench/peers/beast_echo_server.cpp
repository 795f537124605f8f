// beast_echo_server: the peer of examples/ws_echo_server for bench/e2e/run.sh — the same echo
// server written with Boost.Beast, asynchronous, on one thread (one io_context, plain
// completion handlers), as Beast's own websocket_server_async example does it. Every text and
// binary message is echoed with its kind; TCP_NODELAY is set as ws_echo_server sets it;
// permessage-deflate is off (Beast's default), as in ws_echo_server.
//
//   beast_echo_server [--host 127.0.0.1] [--port 9002]
//
// Prints "listening on HOST:PORT" on stderr (port 0: a free port). Not part of the library.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(tcp::socket socket) : ws_(std::move(socket)) {}

  void start() {
    beast::error_code ec;
    ws_.next_layer().set_option(tcp::no_delay(true), ec);
    ws_.read_message_max(16u << 20);  // as ws_echo_server's --max-message default
    ws_.async_accept([self = shared_from_this()](beast::error_code e) {
      if (!e) self->read();
    });
  }

 private:
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;  // closed (websocket::error::closed) or failed: the session ends
      self->ws_.text(self->ws_.got_text());
      self->ws_.async_write(self->buffer_.data(), [self](beast::error_code e, std::size_t) {
        if (e) return;
        self->buffer_.consume(self->buffer_.size());
        self->read();
      });
    });
  }

  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
};

class listener {
 public:
  listener(net::io_context& io, const tcp::endpoint& ep) : acceptor_(io) {
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (!ec) std::make_shared<session>(std::move(socket))->start();
      accept();  // out of descriptors: retried at once (this is a benchmark peer, not a server)
    });
  }

 private:
  tcp::acceptor acceptor_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  unsigned short port = 9002;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--host") {
      host = argv[i + 1];
    } else if (flag == "--port") {
      port = static_cast<unsigned short>(std::strtoul(argv[i + 1], nullptr, 10));
    } else {
      std::fprintf(stderr, "usage: beast_echo_server [--host H] [--port P]\n");
      return 2;
    }
  }
  net::io_context io(1);
  listener l(io, tcp::endpoint(net::ip::make_address(host), port));
  std::fprintf(stderr, "listening on %s:%u\n", host.c_str(),
               static_cast<unsigned>(l.local_endpoint().port()));
  l.accept();
  io.run();
  return 0;
}
