// chat: the SSE transport. GET /sse?room=R&name=N[&resume=TOKEN][&lastEventId=C] (or the
// Last-Event-ID header): an event stream through rtwire::sse's encoder. Room R's logged events
// carry `id:` (their cursor) and `event:` (their type); other events carry only `event:`; the
// `error` type is sent as `event: chat-error` (EventSource reserves `error`). Heartbeat comments
// every --heartbeat-ms. The client sends with POST /send.
#include <rtwire/sse.hpp>

#include "server.hpp"

namespace chat {

class sse_stream : public sink, public std::enable_shared_from_this<sse_stream> {
 public:
  sse_stream(server& srv, session_ptr http, std::string room_name)
      : srv_(srv), http_(std::move(http)), room_(std::move(room_name)), timer_(srv.io()) {}

  ~sse_stream() override { end(); }

  void start(session& s, const std::string& name, const std::optional<std::string>& last_id) {
    client_ = s.id;
    std::string head;
    namespace h = rtwire::http1;
    (void)h::write_status_line(head, 200);
    for (const auto& f : rtwire::sse::response_fields)
      (void)h::write_field(head, f.name, f.value);
    if (const auto origin = http_->allowed_origin()) {
      (void)h::write_field(head, "Access-Control-Allow-Origin", *origin);
      (void)h::write_field(head, "Vary", "Origin");
    }
    h::write_end(head);
    // How long an EventSource waits before reconnecting by itself.
    (void)rtwire::sse::write_event(head, {.retry = 1000});
    http_->begin_stream();
    http_->send(head);
    // No hard backlog limit in the HTTP session (it would drop what is queued): deliver() bounds
    // the backlog by --max-buffered and then flushes and closes (overflow()).
    open_ = true;
    srv_.rooms().count_connection(transport::sse, +1);
    // The HTTP session owns the stream until it closes (then end() breaks the cycle).
    http_->on_close = [self = shared_from_this()] { self->end(); };
    hub& hb = srv_.rooms();
    hb.attach(s, this, transport::sse);
    // A malformed Last-Event-ID is stale: reset, then live events.
    (void)hb.join(s, room_, name, last_id, mono_now(), wall_now_ms(), /*malformed_is_stale=*/true);
    http_->watch_for_close();
  }

  void deliver(const event& ev) override {
    if (!open_ || overflowed_) return;
    std::string out;
    const bool logged = !ev.id.empty() && ev.room == room_;
    rtwire::sse::outgoing_event e;
    if (logged) e.id = ev.id;
    e.type = ev.type == "error" ? std::string_view("chat-error") : ev.type;
    e.data = ev.json;
    if (rtwire::sse::write_event(out, e)) return;  // JSON text holds no line break
    // One event always fits in an empty backlog (else a large event could never be sent).
    const std::size_t queued = http_->backlog();
    if (queued != 0 && queued + out.size() > srv_.config().max_buffered) {
      // This event is not lost: one of R's log comes back by Last-Event-ID; any other waits in
      // the session's mailbox for the resume.
      session* s = mine();
      overflow();  // detaches `s`: send_to() now keeps the event in its mailbox
      if (s && !logged) srv_.rooms().send_to(*s, ev.type, ev.room, std::string(ev.json));
      return;
    }
    srv_.rooms().count_delivery();
    http_->send(out);
  }
  void evicted() override {
    client_.clear();
    http_->close();
  }

  void heartbeat() {
    if (!open_ || overflowed_) return;
    if (http_->backlog() > srv_.config().max_buffered) return overflow();
    std::string out;
    rtwire::sse::write_heartbeat(out);
    http_->send(out);
  }

 private:
  session* mine() {
    if (client_.empty()) return nullptr;
    session* s = srv_.rooms().find(client_);
    return s && s->out == this ? s : nullptr;
  }

  /// Too slow (over --max-buffered): like WS's 1008, the session is detached now (its events
  /// wait in the mailbox or the log), what is queued is still written, then the stream closes.
  /// A client that reads nothing more is cut 15 s later.
  void overflow() {
    const auto keep = shared_from_this();  // closing may drop the last other owner
    overflowed_ = true;
    if (session* s = mine()) srv_.rooms().detach(*s, mono_now());
    client_.clear();
    http_->close_after_send();
    timer_.expires_after(std::chrono::seconds(15));
    timer_.async_wait([weak = weak_from_this()](asio::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->http_->close();
    });
  }

  void end() {
    if (!open_) return;
    open_ = false;
    timer_.cancel();
    srv_.rooms().count_connection(transport::sse, -1);
    if (session* s = mine()) srv_.rooms().detach(*s, mono_now());
    client_.clear();
    http_->on_close = nullptr;
    http_->close();
  }

  server& srv_;
  session_ptr http_;
  std::string room_;
  std::string client_;
  asio::steady_timer timer_;
  bool open_ = false;
  bool overflowed_ = false;
};

void heartbeat_streams(std::vector<std::weak_ptr<sse_stream>>& streams) {
  std::erase_if(streams, [](const auto& w) { return w.expired(); });
  for (const auto& w : streams)
    if (auto s = w.lock()) s->heartbeat();
}

void server::serve_sse(const session_ptr& http) {
  const auto& req = http->req();
  auto join = read_join_query(http);
  if (!join) return;
  const std::string room_name = join->room;
  const std::string name = join->name;
  std::optional<std::string> last_id;
  if (const auto h = req.header("Last-Event-ID"); h && !h->empty()) last_id = std::string(*h);
  if (const auto q = req.query("lastEventId"); !last_id && q.value && !q.value->empty())
    last_id = *q.value;
  const std::string token = req.query("resume").value.value_or("");
  rooms().find_by_token(token, transport::sse, [this, http, room_name, name, last_id](session* s) {
    hub& hb = rooms();
    if (!s && hb.full()) return respond_error(http, {"server-busy", "too many sessions", 503});
    if (!s) s = &hb.create(transport::sse);
    auto stream = std::make_shared<sse_stream>(*this, http, room_name);
    sse_streams_.push_back(stream);
    stream->start(*s, name, last_id);
  });
}

}  // namespace chat
