// rtwire_load: what every client WebSocket connection of the load generator shares — the
// masking keys, the opening handshake, reading, and writing what the connection queued. The
// echo client (ws_client.hpp) and the chat client (chat_client.hpp) build on it. Part of
// examples/load (see main.cpp); not part of the library.
#pragma once

#include <rtwire/ws/connection.hpp>
#include <rtwire/ws/handshake.hpp>

#include <asio.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "run_state.hpp"

namespace rtwire_load {
// ---------------------------------------------------------------------------------------------
// 4. A client WebSocket connection: connect → handshake → frames in and out → close.
// ---------------------------------------------------------------------------------------------

/// The plumbing of one client WebSocket connection. `Derived` (CRTP) derives from
/// std::enable_shared_from_this<Derived>, makes this base a friend, and provides:
///   - `void send_request()`: calls send_request(host, target) (4a);
///   - `void on_read(asio::error_code, std::size_t)`: what a read brought (see take_reply, 4b);
///   - `void fail(std::string)`: the connection failed (close the socket, report);
///   - optionally `void on_output_drained()`: write() found nothing queued (default: nothing).
/// Everything runs on the run's one io_context thread.
template <class Derived>
class ws_client_base {
 protected:
  ws_client_base(run_state& run, ws::limits limit, std::size_t read_size)
      : run_(run),
        socket_(run.io),
        conn_(ws::role::client, {.limit = limit, .keys = keys_}),
        read_size_(read_size) {}

  Derived& derived() { return static_cast<Derived&>(*this); }

  /// Connects to `endpoint` with TCP_NODELAY, then the opening handshake (4a).
  void connect(const tcp::endpoint& endpoint) {
    socket_.async_connect(endpoint, [self = derived().shared_from_this()](asio::error_code ec) {
      if (ec) return self->fail("connect: " + ec.message());
      asio::error_code ignored;
      self->socket_.set_option(tcp::no_delay(true), ignored);
      self->send_request();
    });
  }

  // 4a. The opening handshake (RFC 6455 §4.1): a request with a fresh 16-byte nonce (§4.1: "a
  // randomly selected 16-byte value"), then reading starts.
  void send_request(const std::string& host, const std::string& target) {
    std::array<std::byte, 16> nonce;
    for (std::size_t i = 0; i < nonce.size(); i += 8) {
      const std::uint64_t v = run_.random();
      for (std::size_t j = 0; j < 8; ++j)
        nonce[i + j] = static_cast<std::byte>(v >> (8 * j));
    }
    handshake_.emplace();
    if (const auto ec = handshake_->write_request(wbuf_, {.host = host, .target = target}, nonce))
      return derived().fail("handshake request: " + ec.message());
    writing_ = true;
    asio::async_write(socket_, asio::buffer(wbuf_),
                      [self = derived().shared_from_this()](asio::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->wbuf_.clear();
                        if (ec) return self->fail("write: " + ec.message());
                        self->write();  // what was queued while the request went out
                      });
    read();
  }

  /// One read into rbuf_, then Derived::on_read.
  void read() {
    read_some(socket_, rbuf_, read_size_,
              [self = derived().shared_from_this()](asio::error_code ec, std::size_t n) {
                self->on_read(ec, n);
              });
  }

  // 4b. The server's reply to the opening handshake (RFC 6455 §4.2.2), in the first `n` bytes
  // of rbuf_. true: accepted, the connection is open and `at` is where its frames start (the
  // server may send them right behind the reply). false: more is being read, or fail() ran.
  bool take_reply(std::size_t n, std::size_t& at) {
    const auto r = handshake_->feed(std::string_view(rbuf_.data(), n));
    if (r.status == ws::client_handshake::state::need_more) {
      read();
      return false;
    }
    if (r.status != ws::client_handshake::state::accepted) {
      derived().fail("handshake: " + handshake_->error().message());
      return false;
    }
    handshake_.reset();  // its buffers are not needed any more
    open_ = true;
    at = r.consumed;
    return true;
  }

  // 4c. Writes what the connection queued. conn_.output() grows while a write is in flight
  // (sends queue more), so the bytes are moved to wbuf_ first: the write's buffer never moves
  // under it.
  void write() {
    if (writing_ || !socket_.is_open()) return;
    if (conn_.output().empty()) return derived().on_output_drained();
    if (socket_.non_blocking()) {
      // Most messages fit in the socket's send buffer: written now, no trip through the reactor.
      const rtwire::bytes_view out = conn_.output();
      asio::error_code ec;
      const std::size_t n = socket_.write_some(asio::buffer(out.data(), out.size()), ec);
      if (ec && ec != asio::error::would_block && ec != asio::error::try_again)
        return derived().fail("write: " + ec.message());
      conn_.consume_output(n);
      if (conn_.output().empty()) return derived().on_output_drained();
    }
    const rtwire::bytes_view out = conn_.output();
    wbuf_.assign(reinterpret_cast<const char*>(out.data()), out.size());
    conn_.consume_output(out.size());
    writing_ = true;
    asio::async_write(socket_, asio::buffer(wbuf_),
                      [self = derived().shared_from_this()](asio::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec) return self->fail("write: " + ec.message());
                        self->write();
                      });
  }

  void on_output_drained() {}

  /// The connection ended as expected: the socket closes now.
  void finish() {
    finished_ = true;
    open_ = false;
    asio::error_code ignored;
    socket_.close(ignored);
  }

  struct fast_keys {  // RFC 6455 §5.3 wants unpredictable keys: seeded from random_device
    std::mt19937 engine{std::random_device{}()};
    ws::masking_key operator()() {
      const auto v = static_cast<std::uint32_t>(engine());
      return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
              static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
    }
  };

  run_state& run_;
  tcp::socket socket_;
  fast_keys keys_;  // before conn_, which keeps a reference to it
  std::optional<ws::client_handshake> handshake_;
  ws::connection conn_;
  std::size_t read_size_;
  std::vector<char> rbuf_;
  std::string wbuf_;
  bool writing_ = false;
  bool open_ = false;
  bool failed_ = false;
  bool finished_ = false;
};

}  // namespace rtwire_load
