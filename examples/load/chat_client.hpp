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
#include "ws_client_base.hpp"

namespace rtwire_load {
// ---------------------------------------------------------------------------------------------
// 8. One chat connection: connect → handshake (ws_client_base.hpp) → text frames → drop or close.
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

class chat_conn : public ws_client_base<chat_conn>, public std::enable_shared_from_this<chat_conn> {
 public:
  chat_conn(run_state& run, chat_events& owner, std::size_t member, std::uint64_t conn_id,
            chat_target target)
      // A `joined` lists every member of the room: up to 1 MiB of text per message.
      : ws_client_base(run,
                       {.max_frame_payload = 1 << 20,
                        .max_message_size = 1 << 20,
                        .max_buffered_bytes = 2 << 20},
                       16384),
        owner_(owner),
        member_(member),
        id_(conn_id),
        target_(std::move(target)) {}

  void start() { connect(target_.endpoint); }

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
  void abort() { finish(); }

 private:
  friend class ws_client_base<chat_conn>;

  // 8a. The opening handshake (RFC 6455 §4.1; ws_client_base.hpp 4a).
  void send_request() { ws_client_base::send_request(target_.host, target_.target); }

  void on_read(asio::error_code ec, std::size_t n) {
    if (finished_ || failed_) return;
    if (ec) {
      if (dropped_ || (closing_ && open_)) return finish();
      if (open_) conn_.receive_eof();
      return fail(read_failure(ec));
    }
    if (dropped_) return read();  // a dropped connection's bytes are not looked at
    std::size_t at = 0;
    if (!open_) {
      if (!take_reply(n, at)) return;
      owner_.on_ws_open(member_, id_, true, {});
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

  // 8c. write() (ws_client_base.hpp 4c) found every queued byte written: after the storm's
  // drop, the FIN.
  void on_output_drained() {
    if (dropped_) shutdown_send();
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

  chat_events& owner_;
  std::size_t member_;
  std::uint64_t id_;
  chat_target target_;
  bool closing_ = false;
  bool dropped_ = false;
};

}  // namespace rtwire_load
