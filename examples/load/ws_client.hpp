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
#include "ws_client_base.hpp"

namespace rtwire_load {
// ---------------------------------------------------------------------------------------------
// 4. One echo connection: connect → handshake (4a–4c: ws_client_base.hpp) → send/echo → close.
// ---------------------------------------------------------------------------------------------

class ws_client : public ws_client_base<ws_client>, public std::enable_shared_from_this<ws_client> {
 public:
  explicit ws_client(run_state& run)
      : ws_client_base(run,
                       {.max_frame_payload = run.config.size + 1024,
                        .max_message_size = run.config.size + 1024,
                        .max_buffered_bytes = run.config.size + 2048},
                       std::clamp<std::size_t>(run.config.size + 64, 4096, 65536)),
        sent_at_(run.config.pipeline) {}

  /// `on_open(ok)` runs once, when the handshake succeeded or the connection failed.
  template <class F>
  void start(F on_open) {
    on_open_ = std::move(on_open);
    connect(run_.endpoint);
  }

  bool is_open() const { return open_; }
  std::size_t in_flight() const { return in_flight_; }
  bool can_send() const { return open_ && in_flight_ < sent_at_.size(); }

  /// Queues one message and, when `flush`, writes it out with whatever else is queued. A caller
  /// that sends several in a row (echoes read together, the first --pipeline messages) flushes
  /// once, so they leave in one write.
  void send(bool flush = true) {
    const rtwire::bytes_view payload = rtwire::as_bytes(std::string_view(run_.payload));
    const auto ec = run_.config.text ? conn_.send_text(run_.payload) : conn_.send_binary(payload);
    if (ec) return fail("send: " + ec.message());
    sent_at_[(head_ + in_flight_) % sent_at_.size()] = now_ns();
    ++in_flight_;
    ++run_.st.sent;
    if (flush) write();
  }

  /// Writes out what send(false) queued.
  void flush() { write(); }

  /// Starts the closing handshake (RFC 6455 §7.1.2); the server closes TCP (§7.1.1).
  void close() {
    if (!open_) return;
    conn_.close(ws::close_code::normal);
    write();
  }

  std::string on_open_error;

 private:
  friend class ws_client_base<ws_client>;

  // 4a. The opening handshake (RFC 6455 §4.1).
  void send_request() {
    ws_client_base::send_request(run_.url.host + ":" + run_.url.port, run_.url.target);
  }

  void on_read(asio::error_code ec, std::size_t n) {
    if (ec) {
      if (open_) conn_.receive_eof();
      if (!open_ || conn_.state() != ws::connection_state::closed) return fail(read_failure(ec));
      return finish();
    }
    std::size_t at = 0;
    if (!open_) {
      if (!take_reply(n, at)) return;
      on_open_(true);
    }
    on_frames(at, n - at);
  }

  // 4d. Echoes: each message received is the oldest one in flight.
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
        // (Written together after the loop: one write for all the echoes of this read.)
        if (run_.now == phase::running && run_.config.rate == 0) send(false);
      } else if (ev.type == ws::event_type::error) {
        run_.st.error("protocol: " + conn_.failure().message());
        break;  // the close frame is queued
      }
    }
    write();
    if (conn_.state() == ws::connection_state::closed && !writing_) return finish();
    read();
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

  std::function<void(bool)> on_open_;
  std::vector<std::int64_t> sent_at_;  // ring of send times, oldest at head_
  std::size_t head_ = 0;
  std::size_t in_flight_ = 0;
};

}  // namespace rtwire_load
