// rtwire_load: one WebSocket connection: connect, handshake, send and count echoes, close. Part of
// examples/load (see main.cpp); not part of the library.
#pragma once

#include <rtwire/core/http1.hpp>
#include <rtwire/sse/decoder.hpp>
#include <rtwire/ws/connection.hpp>
#include <rtwire/ws/handshake.hpp>

#include <sys/resource.h>
#include <asio.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "run_state.hpp"

namespace rtwire_load {
// ---------------------------------------------------------------------------------------------
// 4. One WebSocket connection: connect → handshake → send/echo → close.
// ---------------------------------------------------------------------------------------------

class ws_client : public std::enable_shared_from_this<ws_client> {
 public:
  explicit ws_client(run_state& run)
      : run_(run),
        socket_(run.io),
        conn_(ws::role::client, {.limit = {.max_frame_payload = run.config.size + 1024,
                                           .max_message_size = run.config.size + 1024,
                                           .max_buffered_bytes = run.config.size + 2048},
                                 .keys = keys_}),
        sent_at_(run.config.pipeline) {}

  /// `on_open(ok)` runs once, when the handshake succeeded or the connection failed.
  template <class F>
  void start(F on_open) {
    on_open_ = std::move(on_open);
    socket_.async_connect(run_.endpoint, [self = shared_from_this()](asio::error_code ec) {
      if (ec) return self->fail("connect: " + ec.message());
      asio::error_code ignored;
      self->socket_.set_option(tcp::no_delay(true), ignored);
      self->send_request();
    });
  }

  bool is_open() const { return open_; }
  std::size_t in_flight() const { return in_flight_; }
  bool can_send() const { return open_ && in_flight_ < sent_at_.size(); }

  /// Queues one message and writes it out (batched with whatever is already queued).
  void send() {
    const rtwire::bytes_view payload = rtwire::as_bytes(std::string_view(run_.payload));
    const auto ec = run_.config.text ? conn_.send_text(run_.payload) : conn_.send_binary(payload);
    if (ec) return fail("send: " + ec.message());
    sent_at_[(head_ + in_flight_) % sent_at_.size()] = now_ns();
    ++in_flight_;
    ++run_.st.sent;
    write();
  }

  /// Starts the closing handshake (RFC 6455 §7.1.2); the server closes TCP (§7.1.1).
  void close() {
    if (!open_) return;
    conn_.close(ws::close_code::normal);
    write();
  }

  std::string on_open_error;

 private:
  struct fast_keys {  // RFC 6455 §5.3 wants unpredictable keys: seeded from random_device
    std::mt19937 engine{std::random_device{}()};
    ws::masking_key operator()() {
      const auto v = static_cast<std::uint32_t>(engine());
      return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
              static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
    }
  };

  // 4a. The opening handshake (RFC 6455 §4.1).
  void send_request() {
    std::array<std::byte, 16> nonce;
    for (std::size_t i = 0; i < nonce.size(); i += 8) {
      const std::uint64_t v = run_.random();
      for (std::size_t j = 0; j < 8; ++j)
        nonce[i + j] = static_cast<std::byte>(v >> (8 * j));
    }
    handshake_.emplace();
    const std::string host = run_.url.host + ":" + run_.url.port;
    if (const auto ec =
            handshake_->write_request(wbuf_, {.host = host, .target = run_.url.target}, nonce))
      return fail("handshake request: " + ec.message());
    writing_ = true;
    asio::async_write(socket_, asio::buffer(wbuf_),
                      [self = shared_from_this()](asio::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->wbuf_.clear();
                        if (ec) return self->fail("write: " + ec.message());
                      });
    read();
  }

  void read() {
    if (rbuf_.empty()) rbuf_.resize(std::clamp<std::size_t>(run_.config.size + 64, 4096, 65536));
    socket_.async_read_some(
        asio::buffer(rbuf_),
        [self = shared_from_this()](asio::error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(asio::error_code ec, std::size_t n) {
    if (ec) {
      if (open_) conn_.receive_eof();
      if (!open_ || conn_.state() != ws::connection_state::closed)
        return fail("read: " +
                    (ec == asio::error::eof ? std::string("server closed") : ec.message()));
      return finish();
    }
    std::size_t at = 0;
    if (!open_) {
      const auto r = handshake_->feed(std::string_view(rbuf_.data(), n));
      if (r.status == ws::client_handshake::state::need_more) return read();
      if (r.status != ws::client_handshake::state::accepted)
        return fail("handshake: " + handshake_->error().message());
      handshake_.reset();  // its buffers are not needed any more
      open_ = true;
      on_open_(true);
      at = r.consumed;
    }
    on_frames(at, n - at);
  }

  // 4b. Echoes: each message received is the oldest one in flight.
  void on_frames(std::size_t at, std::size_t n) {
    conn_.feed(rbuf_.data() + at, n);
    for (ws::event ev = conn_.next(); ev.type != ws::event_type::need_more; ev = conn_.next()) {
      if (ev.type == ws::event_type::binary || ev.type == ws::event_type::text) {
        if (in_flight_ == 0 || ev.data.size() != run_.config.size) {
          fail("unexpected message of " + std::to_string(ev.data.size()) + " bytes");
          return;
        }
        const std::int64_t t = now_ns();
        run_.st.latency.record(t - sent_at_[head_]);
        head_ = (head_ + 1) % sent_at_.size();
        --in_flight_;
        ++run_.st.received;
        // Closed loop: one new message per echo while the run lasts.
        if (run_.now == phase::running && run_.config.rate == 0) send();
      } else if (ev.type == ws::event_type::error) {
        run_.st.error("protocol: " + conn_.failure().message());
        break;  // the close frame is queued
      }
    }
    write();
    if (conn_.state() == ws::connection_state::closed && !writing_) return finish();
    read();
  }

  // Writes what the connection queued. conn_.output() grows while a write is in flight (echoes
  // arrive and trigger sends), so the bytes are moved to wbuf_ first: the write's buffer never
  // moves under it.
  void write() {
    if (writing_ || conn_.output().empty() || !socket_.is_open()) return;
    const rtwire::bytes_view out = conn_.output();
    wbuf_.assign(reinterpret_cast<const char*>(out.data()), out.size());
    conn_.consume_output(out.size());
    writing_ = true;
    asio::async_write(socket_, asio::buffer(wbuf_),
                      [self = shared_from_this()](asio::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec) return self->fail("write: " + ec.message());
                        self->write();
                      });
  }

  void fail(std::string what) {
    if (failed_ || finished_) return;
    failed_ = true;
    asio::error_code ignored;
    socket_.close(ignored);
    if (run_.now != phase::closing) run_.st.error(what);
    if (!open_) {
      on_open_error = std::move(what);
      on_open_(false);
    } else {
      open_ = false;
    }
  }

  void finish() {
    finished_ = true;
    open_ = false;
    asio::error_code ignored;
    socket_.close(ignored);
  }

  run_state& run_;
  tcp::socket socket_;
  fast_keys keys_;
  std::optional<ws::client_handshake> handshake_;
  ws::connection conn_;
  std::vector<char> rbuf_;
  std::string wbuf_;
  bool writing_ = false;
  bool open_ = false;
  bool failed_ = false;
  bool finished_ = false;
  std::function<void(bool)> on_open_;
  std::vector<std::int64_t> sent_at_;  // ring of send times, oldest at head_
  std::size_t head_ = 0;
  std::size_t in_flight_ = 0;
};

}  // namespace rtwire_load
