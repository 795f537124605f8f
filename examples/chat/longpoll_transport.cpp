// chat: the long-polling transport.
//
//   GET /poll?room=R&name=N[&token=T | &resume=T][&cursor=C][&timeout=MS]
//   -> 200 {"clientId","token","cursor","events":[...]}
//
// The first call (no token) creates the session, joins R and returns at once with `joined`.
// Later calls return the events after `cursor` in R's log (or after the cursor the previous
// answer returned) plus the session's direct events (private, signal, joined/reset, other
// rooms' events); with none they park until one arrives or `timeout` (default 25000, max 60000)
// passes. A stale cursor -> 409 {"reset":true,"cursor":HEAD}; text that is not a cursor -> 400;
// an unknown or expired token -> 401. A session lives --grace-ms after its last poll ended.
#include <charconv>

#include "server.hpp"

namespace chat {

/// One long-poll session's transport state; attached to the hub for the session's whole life.
class longpoll_state : public sink {
 public:
  longpoll_state(server& srv, std::string client, std::string room_name)
      : srv_(srv), client_(std::move(client)), room_(std::move(room_name)), timer_(srv.io()) {}

  void deliver(const event& ev) override {
    // Room R's logged events are read from the log by cursor; everything else waits here (and
    // R's events replayed by join(): they are older than the cursor join() leaves).
    if (replaying_ || !(ev.room == room_ && !ev.id.empty())) {
      if (pending_.size() >= srv_.config().room.max_mailbox) pending_.erase(pending_.begin());
      pending_.emplace_back(std::string(ev.type), std::string(ev.json));
    }
    wake();
  }

  void evicted() override {
    // Resumed on another transport: hand the undelivered direct events to the session, each
    // with its own type (SSE writes it as `event:`).
    if (session* s = srv_.rooms().find(client_))
      for (const auto& [type, text] : pending_)
        srv_.rooms().send_to(*s, type, {}, text);
    pending_.clear();
    answer_parked();
  }

  /// Joins R for a session's first poll on this transport: the events after `since` (or a
  /// `reset`) and `joined` wait here; the cursor moves to the head, right after the joiner's own
  /// user-joined (which it does not receive).
  /// In a cluster the join completes later: polls park until it has (`joining_`).
  std::optional<error> join(session& s, const std::string& name,
                            const std::optional<std::string>& since) {
    replaying_ = joining_ = true;
    auto r =
        srv_.rooms().join(s, room_, name, since, mono_now(), wall_now_ms(), false,
                          [this, alive = std::weak_ptr<bool>(alive_)](const join_result& done) {
                            if (alive.expired()) return;
                            replaying_ = joining_ = false;
                            if (done.err)
                              join_error_ = done.err;
                            else
                              cursor_ = done.cursor;
                            wake();
                          });
    if (r.err) replaying_ = joining_ = false;
    return r.err;
  }

  /// A poll arrived. `cursor`: the client's, or empty for "where the last answer ended".
  void poll(const session_ptr& http, const std::string& cursor, millis timeout) {
    if (parked_) answer_parked();  // a newer poll supersedes the parked one
    if (!joining_) {
      if (!cursor.empty()) cursor_ = cursor;
      if (cursor_.empty()) {
        const room* r = srv_.rooms().find_room(room_);
        cursor_ = r && r->ready() ? r->head_id() : std::string();
      }
      // Validate the cursor before parking: 400 malformed, 409 stale (3: a cluster's node has
      // not heard of it yet: park, see answer_parked()).
      const int st = srv_.rooms().read_after(room_, cursor_, [](const event&) {});
      if (st == 2 && !cursor_.empty()) {
        cursor_.clear();
        return respond_error(http, {"bad-request", "cursor is not <epoch hex>-<offset>", 400});
      }
      if (st == 1) return respond_stale(http);
    }
    parked_ = http;
    if (!answer_if_ready()) {
      // Park: answer on the next event or at the timeout; forget it if the client goes away.
      http->on_close = [this, weak = std::weak_ptr<http_session>(http)] {
        if (parked_ && parked_ == weak.lock()) {
          parked_.reset();
          timer_.cancel();
          last_end_ = mono_now();
        }
      };
      http->watch_for_close();
      timer_.expires_after(timeout);
      timer_.async_wait([this, weak = std::weak_ptr<http_session>(http)](asio::error_code ec) {
        if (!ec && parked_ && parked_ == weak.lock()) answer_parked();
      });
    }
  }

  bool idle_since(millis now, millis grace) const { return !parked_ && now - last_end_ >= grace; }
  ~longpoll_state() override { end_now(); }

  void end_now() {
    timer_.cancel();
    if (parked_) answer_parked();
  }

 private:
  /// Answers the parked poll if there is something to say; true if it did.
  bool answer_if_ready() {
    if (!parked_) return true;
    if (joining_) return false;  // `joined` and the replay come together
    if (join_error_) {
      session_ptr http = std::move(parked_);
      parked_.reset();
      timer_.cancel();
      http->on_close = nullptr;
      respond_error(http, *join_error_);
      join_error_.reset();
      return true;
    }
    bool any = !pending_.empty();
    srv_.rooms().read_after(room_, cursor_, [&](const event&) { any = true; });
    if (!any) return false;
    answer_parked();
    return true;
  }

  void wake() {
    if (parked_) answer_if_ready();
  }

  /// 409: the cursor cannot be resumed; the client restarts from the head.
  void respond_stale(const session_ptr& http) {
    const room* r = srv_.rooms().find_room(room_);
    const std::string head = r && r->ready() ? r->head_id() : std::string();
    cursor_ = head;
    http->respond(409, "application/json", json{{"reset", true}, {"cursor", head}}.dump());
  }

  /// Answers the parked poll with whatever there is (maybe nothing).
  void answer_parked() {
    if (!parked_) return;
    session_ptr http = std::move(parked_);
    parked_.reset();
    timer_.cancel();
    http->on_close = nullptr;
    // A cursor this cluster node has still not heard of when the poll ends: from the future.
    if (!joining_ && pending_.empty() &&
        srv_.rooms().read_after(room_, cursor_, [](const event&) {}) == 3) {
      if (const room* r = srv_.rooms().find_room(room_); r && r->ready()) {
        last_end_ = mono_now();
        return respond_stale(http);
      }
    }
    std::string events;
    std::uint64_t n = 0;
    for (const auto& [type, text] : pending_) {
      events += n++ ? "," : "";
      events += text;
    }
    pending_.clear();
    std::string next = cursor_;
    srv_.rooms().read_after(room_, cursor_, [&](const event& ev) {
      events += n++ ? "," : "";
      events.append(ev.json);
      next = std::string(ev.id);
    });
    cursor_ = next;
    srv_.rooms().count_delivery(n);
    session* s = srv_.rooms().find(client_);
    const std::string body = json{
        {"clientId", client_},
        {"token", s ? s->token : std::string()},
        {"cursor", cursor_},
        {"events",
         json::array()}}.dump();
    // Splice the events (already JSON text) into the empty array: no re-parse.
    const std::size_t at = body.rfind("[]");
    http->respond(200, "application/json", body.substr(0, at + 1) + events + body.substr(at + 1));
    last_end_ = mono_now();
  }

  server& srv_;
  std::string client_;
  std::string room_;
  asio::steady_timer timer_;
  std::vector<std::pair<std::string, std::string>> pending_;  // {type, json}
  std::string cursor_;
  session_ptr parked_;
  millis last_end_ = mono_now();
  bool replaying_ = false;
  bool joining_ = false;
  std::optional<error> join_error_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for the join's callback
};

/// Every long-poll session's state, by clientId; swept for expiry.
class longpoll_sessions {
 public:
  explicit longpoll_sessions(server& srv) : srv_(srv) {}

  longpoll_state* find(const std::string& client) {
    const auto it = states_.find(client);
    return it == states_.end() ? nullptr : it->second.get();
  }

  longpoll_state& open(session& s, const std::string& room_name) {
    auto& slot = states_[s.id];
    if (slot && s.out == slot.get()) s.out = nullptr;  // replaced, not evicted
    if (slot) slot->end_now();
    slot = std::make_unique<longpoll_state>(srv_, s.id, room_name);
    return *slot;
  }

  /// Ends sessions whose last poll ended more than the grace period ago; forgets states whose
  /// session resumed elsewhere or is gone.
  void sweep(millis now) {
    hub& h = srv_.rooms();
    for (auto it = states_.begin(); it != states_.end();) {
      session* s = h.find(it->first);
      const bool ours = s && s->out == it->second.get();
      if (ours && it->second->idle_since(now, h.settings().grace)) {
        h.detach(*s, now);
        h.end(*s, now, wall_now_ms());
        it = states_.erase(it);
      } else if (!ours) {
        it->second->end_now();
        it = states_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  server& srv_;
  std::map<std::string, std::unique_ptr<longpoll_state>> states_;
};

std::shared_ptr<longpoll_sessions> make_longpoll_sessions(server& srv) {
  return std::make_shared<longpoll_sessions>(srv);
}
void sweep_longpoll(longpoll_sessions& p, millis now) {
  p.sweep(now);
}

void server::serve_poll(const session_ptr& http) {
  const auto& req = http->req();
  auto join = read_join_query(http);
  if (!join) return;
  const std::string room_name = join->room;
  const std::string name = join->name;
  millis timeout{25'000};
  if (const auto t = req.query("timeout"); t.value) {
    std::uint64_t ms = 0;
    const char* b = t.value->data();
    const char* e = b + t.value->size();
    const auto [end, err] = std::from_chars(b, e, ms);
    if (err != std::errc() || end != e)
      return respond_error(http, {"bad-request", "timeout is a number of milliseconds", 400});
    timeout = millis{static_cast<std::int64_t>(std::min<std::uint64_t>(ms, 60'000))};
  }
  std::string token = req.query("token").value.value_or("");
  if (token.empty()) token = req.query("resume").value.value_or("");
  const std::string cursor = req.query("cursor").value.value_or("");
  hub& h = rooms();
  const millis now = mono_now();
  if (token.empty()) {
    // First call: a new session, joined, answered at once with `joined`.
    if (h.full()) return respond_error(http, {"server-busy", "too many sessions", 503});
    session& s = h.create(transport::long_poll);
    longpoll_state& st = polls_->open(s, room_name);
    h.attach(s, &st, transport::long_poll, /*send_connected=*/false);
    // A `cursor` replays R's events after it (or a reset) before `joined`, like SSE's
    // Last-Event-ID and WS's `since`; one that is not a cursor -> 400.
    std::optional<std::string> since;
    if (!cursor.empty()) since = cursor;
    if (auto err = st.join(s, name, since)) {
      h.end(s, now, wall_now_ms());
      return respond_error(http, *err);
    }
    return st.poll(http, {}, timeout);
  }
  h.find_by_token(token, transport::long_poll,
                  [this, http, room_name, name, cursor, timeout](session* s) {
                    poll_session(http, s, room_name, name, cursor, timeout);
                  });
}

void server::poll_session(const session_ptr& http, session* s, const std::string& room_name,
                          const std::string& name, const std::string& cursor, millis timeout) {
  hub& h = rooms();
  if (!s) return respond_error(http, {"unauthorized", "unknown or expired token", 401});
  longpoll_state* st = polls_->find(s->id);
  if (!st || s->out != st) {
    // The session's first poll on this transport (new, or resumed from WS/SSE): it joins R if
    // it is not a member. Later polls never re-join: a `leave` sent by POST /send sticks.
    st = &polls_->open(*s, room_name);
    h.attach(*s, st, transport::long_poll, /*send_connected=*/false);
    if (!s->rooms.count(room_name)) {
      if (auto err = st->join(*s, name, std::nullopt)) return respond_error(http, *err);
      return st->poll(http, {}, timeout);
    }
  }
  st->poll(http, cursor, timeout);
}

}  // namespace chat
