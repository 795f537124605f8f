// rtwire_load: one WebSocket connection of a chat client (chat_server's GET /ws): connect,
// handshake, text frames in and out, a drop (the reconnect storm) or a closing handshake. Part
// of examples/load (see main.cpp); not part of the library.
#pragma once

#include <rtwire/ws/connection.hpp>
#include <rtwire/ws/handshake.hpp>

#include <asio.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "run_state.hpp"

namespace rtwire_load {
// ---------------------------------------------------------------------------------------------
// 8. One chat connection: connect → handshake → text frames → drop or close.
// ---------------------------------------------------------------------------------------------

/// Where a chat connection goes: a resolved endpoint, the Host header and the request target
/// (`/ws` or `/ws?resume=TOKEN`).
struct chat_target {
  tcp::endpoint endpoint;
  std::string host;
  std::string target;
};

/// What a chat connection reports to its owner (the chat driver). Every call names the
/// connection, so a dropped connection's late reports can be told apart from the current one's.
class chat_events {
 public:
  virtual ~chat_events() = default;
  /// The handshake succeeded (ok) or the connection failed before it (why).
  virtual void on_ws_open(std::size_t member, std::uint64_t conn_id, bool ok,
                          const std::string& why) = 0;
  /// One text message from the server.
  virtual void on_ws_text(std::size_t member, std::uint64_t conn_id, std::string_view text) = 0;
  /// The open connection ended without close() or drop() (why).
  virtual void on_ws_lost(std::size_t member, std::uint64_t conn_id, const std::string& why) = 0;
};

class chat_conn : public std::enable_shared_from_this<chat_conn> {
 public:
  chat_conn(run_state& run, chat_events& owner, std::size_t member, std::uint64_t conn_id,
            chat_target target)
      : run_(run),
        owner_(owner),
        member_(member),
        id_(conn_id),
        target_(std::move(target)),
        socket_(run.io),
        // A `joined` lists every member of the room: up to 1 MiB of text per message.
        conn_(ws::role::client, {.limit = {.max_frame_payload = 1 << 20,
                                           .max_message_size = 1 << 20,
                                           .max_buffered_bytes = 2 << 20},
                                 .keys = keys_}) {}

  void start() {
    socket_.async_connect(target_.endpoint, [self = shared_from_this()](asio::error_code ec) {
      if (ec) return self->fail("connect: " + ec.message());
      asio::error_code ignored;
      self->socket_.set_option(tcp::no_delay(true), ignored);
      self->send_request();
    });
  }

  std::uint64_t id() const { return id_; }
  bool is_open() const { return open_; }
  bool is_finished() const { return finished_ || failed_; }

  /// Queues one text message and writes it out.
  void send_text(std::string_view text) {
    if (!open_ || dropped_) return;
    if (const auto ec = conn_.send_text(text)) return fail("send: " + ec.message());
    write();
  }

  /// The reconnect storm: the client goes away without a closing handshake. What was queued is
  /// written out, then a FIN (shutdown(send): the server reads every byte sent, then EOF); what
  /// arrives afterwards is read and thrown away until the server closes. Nothing is reported.
  void drop() {
    if (dropped_ || finished_ || failed_) return;
    dropped_ = true;
    if (!writing_) write();  // what is queued, then the FIN
  }

  /// The end of the run: the closing handshake (RFC 6455 §7.1.2); the server closes TCP.
  void close() {
    if (dropped_ || !open_) return;
    closing_ = true;
    conn_.close(ws::close_code::normal);
    write();
  }

  /// Closes the socket now (the last stragglers at exit).
  void abort() {
    finished_ = true;
    open_ = false;
    asio::error_code ignored;
    socket_.close(ignored);
  }

 private:
  struct fast_keys {  // RFC 6455 §5.3 wants unpredictable keys: seeded from random_device
    std::mt19937 engine{std::random_device{}()};
    ws::masking_key operator()() {
      const auto v = static_cast<std::uint32_t>(engine());
      return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
              static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
    }
  };

  // 8a. The opening handshake (RFC 6455 §4.1).
  void send_request() {
    std::array<std::byte, 16> nonce;
    for (std::size_t i = 0; i < nonce.size(); i += 8) {
      const std::uint64_t v = run_.random();
      for (std::size_t j = 0; j < 8; ++j)
        nonce[i + j] = static_cast<std::byte>(v >> (8 * j));
    }
    handshake_.emplace();
    if (const auto ec = handshake_->write_request(
            wbuf_, {.host = target_.host, .target = target_.target}, nonce))
      return fail("handshake request: " + ec.message());
    writing_ = true;
    asio::async_write(socket_, asio::buffer(wbuf_),
                      [self = shared_from_this()](asio::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->wbuf_.clear();
                        if (ec) return self->fail("write: " + ec.message());
                        self->write();
                      });
    read();
  }

  void read() {
    if (rbuf_.empty()) rbuf_.resize(16384);
    socket_.async_read_some(
        asio::buffer(rbuf_),
        [self = shared_from_this()](asio::error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(asio::error_code ec, std::size_t n) {
    if (finished_ || failed_) return;
    if (ec) {
      if (dropped_ || (closing_ && open_)) return finish();
      if (open_) conn_.receive_eof();
      return fail("read: " +
                  (ec == asio::error::eof ? std::string("server closed") : ec.message()));
    }
    if (dropped_) return read();  // a dropped connection's bytes are not looked at
    std::size_t at = 0;
    if (!open_) {
      const auto r = handshake_->feed(std::string_view(rbuf_.data(), n));
      if (r.status == ws::client_handshake::state::need_more) return read();
      if (r.status != ws::client_handshake::state::accepted)
        return fail("handshake: " + handshake_->error().message());
      handshake_.reset();
      open_ = true;
      owner_.on_ws_open(member_, id_, true, {});
      at = r.consumed;
      if (finished_ || failed_ || dropped_) return;
    }
    on_frames(at, n - at);
  }

  // 8b. Each text message goes to the owner as it is decoded.
  void on_frames(std::size_t at, std::size_t n) {
    conn_.feed(rbuf_.data() + at, n);
    for (ws::event ev = conn_.next(); ev.type != ws::event_type::need_more; ev = conn_.next()) {
      if (ev.type == ws::event_type::text) {
        owner_.on_ws_text(member_, id_, rtwire::as_chars(ev.data));
        if (finished_ || failed_ || dropped_) return;
      } else if (ev.type == ws::event_type::binary) {
        run_.st.error("chat: unexpected binary message");
      } else if (ev.type == ws::event_type::error) {
        run_.st.error("protocol: " + conn_.failure().message());
        break;  // the close frame is queued
      }
    }
    write();
    if (conn_.state() == ws::connection_state::closed && !writing_) {
      if (closing_) return finish();
      return fail("the server closed the WebSocket");
    }
    read();
  }

  // Writes what the connection queued, moved to wbuf_ first (its buffer never moves under an
  // async_write).
  void write() {
    if (writing_ || !socket_.is_open()) return;
    if (conn_.output().empty()) {
      if (dropped_) shutdown_send();  // the storm's drop: every queued byte went out
      return;
    }
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

  void shutdown_send() {
    asio::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
  }

  void fail(std::string what) {
    if (failed_ || finished_) return;
    failed_ = true;
    const bool was_open = open_;
    open_ = false;
    asio::error_code ignored;
    socket_.close(ignored);
    if (dropped_) return;  // the storm dropped it: nobody waits for news
    if (!was_open) return owner_.on_ws_open(member_, id_, false, what);
    if (!closing_) owner_.on_ws_lost(member_, id_, what);
  }

  void finish() {
    finished_ = true;
    open_ = false;
    asio::error_code ignored;
    socket_.close(ignored);
  }

  run_state& run_;
  chat_events& owner_;
  std::size_t member_;
  std::uint64_t id_;
  chat_target target_;
  tcp::socket socket_;
  fast_keys keys_;
  std::optional<ws::client_handshake> handshake_;
  ws::connection conn_;
  std::vector<char> rbuf_;
  std::string wbuf_;
  bool writing_ = false;
  bool open_ = false;
  bool closing_ = false;
  bool dropped_ = false;
  bool failed_ = false;
  bool finished_ = false;
};

}  // namespace rtwire_load
