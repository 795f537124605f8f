// chat: the WebSocket transport. GET /ws[?resume=TOKEN]: the handshake and every frame through
// rtwire::ws; each text frame is one client message for the hub; every event is one text frame.
//
// A client whose unsent output exceeds --max-buffered is closed with 1008 after the bytes
// already queued (nothing queued is dropped; later events wait in the room log and the session's
// mailbox), and its session enters the grace period: it resumes with resume=TOKEN and `join`
// with `since`.
//
// A room event goes to every member with the same text: its frame is built once
// (rtwire/ws/prepared.hpp) by the first member's deliver() and queued by reference on the others.
#include <rtwire/ws/connection.hpp>
#include <rtwire/ws/handshake.hpp>
#include <rtwire/ws/prepared.hpp>

#include <array>
#include <cstdio>
#include <string_view>

#include "server.hpp"

namespace chat {
namespace ws = rtwire::ws;

namespace {

/// The frame of the room event being fanned out: hub::publish() delivers one event to every
/// member in one loop, so the last one prepared is the one the next member needs (same text:
/// compared, not assumed). Only logged room events (with an id) are prepared; direct ones are
/// sent as they come. thread_local: one per thread that runs deliveries (main.cpp runs one).
const ws::prepared_message* prepared_room_event(const event& ev) {
  thread_local ws::prepared_message last;
  if (ev.id.empty()) return nullptr;
  if (last.empty() || rtwire::as_chars(last.payload()) != ev.json) {
    if (ws::prepare_text(last, ev.json)) return nullptr;  // not UTF-8: send_text as before
  }
  return &last;
}

class ws_session : public sink, public std::enable_shared_from_this<ws_session> {
 public:
  ws_session(server& srv, tcp::socket socket)
      : srv_(srv),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        conn_(ws::role::server, {.limit = {.max_frame_payload = srv.config().max_message,
                                           .max_message_size = srv.config().max_message,
                                           .max_buffered_bytes = srv.config().max_message}}) {}

  ~ws_session() override { end(); }

  /// 1. The opening handshake, from the head the HTTP layer already read.
  void start(const rtwire_examples::request& req) {
    const auto r = handshake_.feed(req.raw_head);
    std::string reply;
    if (r.status != ws::server_handshake::state::request_ready) {
      (void)handshake_.write_rejection(reply);
      return reject(std::move(reply));
    }
    const auto up = handshake_.request();
    // Cross-site WebSocket hijacking: a browser page of another origin gets 403.
    if (!srv_.origin_allowed(up.origin, up.host)) {
      (void)handshake_.reject(reply, 403);
      return reject(std::move(reply));
    }
    // A session to resume (in a cluster maybe one another node held): then the upgrade.
    const std::string token = req.query("resume").value.value_or("");
    srv_.rooms().find_by_token(
        token, transport::websocket,
        [self = shared_from_this(), early = req.leftover](session* s) { self->open(s, early); });
  }

  void open(session* s, const std::string& early) {
    hub& h = srv_.rooms();
    std::string reply;
    if (!s && h.full()) {
      (void)handshake_.reject(reply, 503);
      return reject(std::move(reply));
    }
    if (const auto ec = handshake_.accept(reply, {})) {
      std::fprintf(stderr, "chat: ws accept: %s\n", ec.message().c_str());
      return;
    }
    pending_ = early;
    if (!s) s = &h.create(transport::websocket);
    client_ = s->id;
    open_ = true;
    h.count_connection(transport::websocket, +1);
    send_raw(reply);
    h.attach(*s, this, transport::websocket);
    // Frames the client sent right behind its request.
    asio::error_code ignored;
    socket_.non_blocking(true, ignored);  // read_some after readiness must never block
    if (!pending_.empty()) {
      std::string early_frames = std::move(pending_);
      pending_.clear();
      on_frames(early_frames.data(), early_frames.size());
    } else {
      read();
    }
    write();
  }

  void deliver(const event& ev) override {
    if (!open_ || overflowed_) return;
    if (conn_.state() != ws::connection_state::open) return;
    // One event always fits in an empty buffer (else a large event could never be sent).
    const std::size_t queued = unsent();
    if (queued != 0 && queued + ev.json.size() > srv_.config().max_buffered) {
      // Too slow: close 1008 after what is queued; the session resumes from its cursor.
      overflowed_ = true;
      if (session* s = mine()) {
        srv_.rooms().detach(*s, mono_now());
        // This event is not lost: a room event is in the log; a direct one waits in the mailbox.
        if (ev.id.empty()) srv_.rooms().send_to(*s, ev.type, ev.room, std::string(ev.json));
      }
      (void)conn_.close(ws::close_code::policy_violation, "too slow: resume from your cursor");
      arm_close_timer();
      return write();
    }
    if (const ws::prepared_message* frame = prepared_room_event(ev))
      (void)conn_.send(*frame);
    else
      (void)conn_.send_text(ev.json);
    srv_.rooms().count_delivery();
    write();
  }

  void evicted() override {
    client_.clear();  // resumed elsewhere: not ours any more
    if (conn_.state() == ws::connection_state::open)
      (void)conn_.close(ws::close_code::policy_violation, "resumed on another connection");
    arm_close_timer();
    write();
  }

 private:
  /// Bytes queued for the client and not yet written (in flight included).
  std::size_t unsent() const noexcept { return conn_.pending_output() + sending_.size(); }

  session* mine() {
    if (client_.empty()) return nullptr;
    session* s = srv_.rooms().find(client_);
    return s && s->out == this ? s : nullptr;
  }

  /// The transport is finished for us: detach (grace period starts).
  void end() {
    if (!open_) return;
    open_ = false;
    srv_.rooms().count_connection(transport::websocket, -1);
    if (session* s = mine()) srv_.rooms().detach(*s, mono_now());
    client_.clear();
  }

  void reject(std::string reply) {
    auto out = std::make_shared<std::string>(std::move(reply));
    asio::async_write(socket_, asio::buffer(*out),
                      [self = shared_from_this(), out](asio::error_code, std::size_t) {
                        asio::error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
                      });
  }

  void send_raw(const std::string& bytes) { handshake_reply_ = bytes; }

  /// The read buffer of the io_context's thread: a connection waits for readiness (no buffer of
  /// its own while idle), reads into this one and handles everything before returning; what must
  /// outlive that (a partial frame) the connection copies into its own storage.
  static std::array<char, 64 * 1024>& read_buffer() {
    thread_local std::array<char, 64 * 1024> buffer;
    return buffer;
  }

  void read() {
    if (reading_) return;
    reading_ = true;
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](asio::error_code ec) {
      auto& buffer = read_buffer();
      std::size_t n = 0;
      if (!ec) n = self->socket_.read_some(asio::buffer(buffer), ec);
      self->reading_ = false;
      if (ec == asio::error::would_block || ec == asio::error::try_again) return self->read();
      if (ec) {
        self->conn_.receive_eof();
        self->end();
        return self->finish();
      }
      self->on_frames(buffer.data(), n);
    });
  }

  // 2. Frames: `data` stays untouched until next() says need_more (events point into it).
  void on_frames(char* data, std::size_t n) {
    (void)conn_.feed(data, n);
    hub& h = srv_.rooms();
    for (ws::event ev = conn_.next(); ev.type != ws::event_type::need_more; ev = conn_.next()) {
      if (ev.type == ws::event_type::text) {
        session* s = mine();
        if (!s) continue;
        // The answer may come later (a cluster's publish): an error goes to this connection.
        h.handle(*s, ev.text(), mono_now(), wall_now_ms(),
                 [weak = weak_from_this()](std::optional<error> err) {
                   const auto self = weak.lock();
                   if (!self || !err) return;
                   const std::string text = err->to_json();
                   self->deliver({"error", {}, {}, text});
                   self->write();
                 });
      } else if (ev.type == ws::event_type::binary) {
        const std::string text = error{"bad-request", "send JSON in text frames", 400}.to_json();
        deliver({"error", {}, {}, text});
      } else if (ev.type == ws::event_type::close || ev.type == ws::event_type::error) {
        end();
        break;
      }
    }
    write();
    if (conn_.state() == ws::connection_state::closed) return;
    // Backpressure: a client that sends faster than it reads (its own echoes pile up) is not
    // read until its output drains below half of --max-buffered.
    if (unsent() > srv_.config().max_buffered / 2) {
      read_paused_ = true;
      return;
    }
    read();
  }

  void write() {
    if (writing_) return;
    if (!handshake_reply_.empty()) {
      writing_ = true;
      auto out = std::make_shared<std::string>(std::move(handshake_reply_));
      handshake_reply_.clear();
      asio::async_write(socket_, asio::buffer(*out),
                        [self = shared_from_this(), out](asio::error_code ec, std::size_t) {
                          self->writing_ = false;
                          if (ec) return self->fail();
                          self->write();
                        });
      return;
    }
    if (conn_.pending_output() == 0) {
      if (conn_.state() == ws::connection_state::closed) finish();
      return;
    }
    // Copy out: deliver() appends to the connection's output (which may reallocate) while this
    // write is in flight. Its pieces (own frames, prepared room events) in order.
    writing_ = true;
    sending_.clear();
    std::array<rtwire::bytes_view, 16> pieces;
    while (conn_.pending_output() != 0) {
      const std::size_t n = conn_.gather_output(pieces);
      std::size_t taken = 0;
      for (std::size_t i = 0; i < n; ++i) {
        sending_.append(reinterpret_cast<const char*>(pieces[i].data()), pieces[i].size());
        taken += pieces[i].size();
      }
      conn_.consume_output(taken);
    }
    asio::async_write(socket_, asio::buffer(sending_),
                      [self = shared_from_this()](asio::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->sending_.clear();
                        if (ec) return self->fail();
                        self->write();
                        self->resume_reading();
                      });
  }

  void resume_reading() {
    if (!read_paused_ || conn_.state() == ws::connection_state::closed) return;
    if (unsent() > srv_.config().max_buffered / 2) return;
    read_paused_ = false;
    read();
  }

  void fail() {
    end();
    asio::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
  }

  // RFC 6455 §7.1.1: the server closes the TCP connection first, once the closing handshake is
  // done and the output drained.
  void finish() {
    end();
    asio::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    arm_close_timer();
  }

  // A peer that never drains its input or never answers our close is cut after 15 s.
  void arm_close_timer() {
    if (close_timer_armed_) return;
    close_timer_armed_ = true;
    timer_.expires_after(std::chrono::seconds(15));
    timer_.async_wait([self = shared_from_this()](asio::error_code ec) {
      if (ec) return;
      self->end();
      asio::error_code ignored;
      self->socket_.close(ignored);
    });
  }

  server& srv_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  ws::server_handshake handshake_;
  ws::connection conn_;
  std::string client_;
  std::string pending_, handshake_reply_, sending_;
  bool open_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool overflowed_ = false;
  bool read_paused_ = false;
  bool close_timer_armed_ = false;
};

}  // namespace

void server::serve_websocket(const session_ptr& http) {
  rtwire_examples::request req = http->req();
  if (req.leftover.size() > 64 * 1024) return http->respond_text(400, "too much early data");
  auto s = std::make_shared<ws_session>(*this, http->take_socket());
  s->start(req);
}

}  // namespace chat
