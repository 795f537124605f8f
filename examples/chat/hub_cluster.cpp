// chat: the hub's cluster mode (chat_server --redis, issue #16): rooms' events come from the
// shared log through room_event() on every node, this one included, and each local member has a
// feed that delivers each of them once, in order.
//
// A join, in steps:
//   1. cluster_join: the member's feed starts `joining` (events wait in it); the room is served.
//   2. cluster_join_ready, once the room's history is here: the events after `since` are
//      replayed (or a reset), then the cluster is asked to add the member (cluster_link::join).
//      A `since` ahead of this node's history (written on another node, not heard of here yet)
//      waits for it, then counts as stale.
//   3. cluster_joined: the member is added here; once this node has heard of the cursor the
//      cluster answered, complete_join delivers what waited before it (to a resuming client),
//      `joined`, and then what waited after it.
#include <rtwire/core/log.hpp>

#include "hub.hpp"

namespace chat {

namespace {

/// Sweeps (hub::expire, every 100 ms) a join waits, at most:
/// - for a `since` ahead of this node's history, which then counts as stale;
constexpr int max_ahead_ticks = 20;
/// - for the room's history (Redis unreachable), then it fails "unavailable";
constexpr int max_history_ticks = 30;
/// - for this node to hear of the cursor the cluster answered (a lost notification is found
///   only at the next one), then `joined` goes anyway.
constexpr int max_answered_ticks = 20;

/// Events waiting in a joining member's feed, at most (past it the oldest are dropped, and the
/// member gets `reset` right after `joined`).
constexpr std::size_t max_held = 10'000;

bool newer(const rtwire::log::cursor& ev, const rtwire::log::cursor& than) {
  return ev.epoch != than.epoch || ev.offset > than.offset;
}

}  // namespace

void hub::cluster_join(session& s, const std::string& room_name, std::optional<std::string> since,
                       bool malformed_is_stale, join_fn done) {
  (void)malformed_is_stale;  // join() already refused a malformed one when it is not stale
  room& r = get_room(room_name, millis{0});
  member_feed& f = feeds_[room_name][s.id];
  f.joining = true;
  f.paused = false;
  f.leaving = false;
  f.reset = false;
  f.reset_after_join.reset();
  f.answered.reset();
  waiting_join w{s.id, std::move(since), std::move(done)};
  if (!r.ready()) return waiting_[room_name].push_back(std::move(w));
  cluster_join_ready(std::move(w), room_name);
}

void hub::cluster_join_ready(waiting_join w, const std::string& room_name) {
  session* s = find(w.client);
  room* r = find_room(room_name);
  const auto feeds = feeds_.find(room_name);
  if (!s || !r || feeds == feeds_.end() || !feeds->second.count(w.client)) return;
  member_feed& f = feeds->second.at(w.client);
  const auto& log = r->log();
  f.delivered = log.head();
  if (w.since) {
    // 2. The missed events (or a reset), before anything new.
    const int st = read_after(room_name, *w.since, [&](const event& ev) {
      if (s->out) s->out->deliver(ev);
    });
    if (st == 3 && w.ticks < max_ahead_ticks) {
      return waiting_[room_name].push_back(std::move(w));  // retried as events come
    }
    if (st != 0) {
      f.reset = true;
      const std::string text =
          json{{"type", "reset"}, {"room", room_name}, {"cursor", r->head_id()}}.dump();
      send_to(*s, "reset", room_name, text);
    }
    f.delivered = log.head();
  }
  f.done = std::move(w.done);
  f.resuming = w.since.has_value();
  cluster_->join(room_name, *s,
                 [this, client = w.client, room_name](cluster_link::joined_info info) {
                   cluster_joined(client, room_name, std::move(info));
                 });
}

void hub::cluster_joined(const std::string& client, const std::string& room_name,
                         cluster_link::joined_info info) {
  session* s = find(client);
  room* r = find_room(room_name);
  const auto feeds = feeds_.find(room_name);
  if (!s || !r || feeds == feeds_.end() || !feeds->second.count(client))
    return drop_room_if_empty(room_name);  // the session ended meanwhile
  member_feed& f = feeds->second.at(client);
  if (info.err) {
    // Not joined (Redis unreachable): a member already stays one, with its events.
    auto done = std::move(f.done);
    if (r->has(client)) {
      f.joining = false;
      auto held = std::move(f.held);
      f.held.clear();
      for (const auto& ev : held)
        deliver_feed(room_name, client, f, ev.ref());
    } else {
      feeds->second.erase(client);
      drop_room_if_empty(room_name);
    }
    if (done) done({info.err, false, {}});
    return;
  }
  s->rooms.insert(room_name);
  r->add(client, s->name);
  cluster_->store(*s);
  f.answered = std::move(info);
  const auto& log = r->log();
  // 3. Complete once this node has heard of the cursor (room_event() completes it otherwise).
  if (f.answered->at.epoch != log.epoch() || log.last_offset() >= f.answered->at.offset)
    complete_join(*s, *r, f);
}

void hub::complete_join(session& s, room& r, member_feed& f) {
  const cluster_link::joined_info info = std::move(*f.answered);
  f.answered.reset();
  f.answered_ticks = 0;
  auto held = std::move(f.held);
  f.held.clear();
  // Before the join point: the events a resuming client missed (not its own user-joined).
  for (const auto& ev : held) {
    if (ev.at.epoch != info.at.epoch || ev.at.offset > info.at.offset) continue;
    if (info.added && ev.at.offset == info.at.offset) continue;
    if (f.resuming) deliver_feed(r.name(), s.id, f, ev.ref());
  }
  if (!newer(f.delivered, info.at) || f.delivered.epoch != info.at.epoch) f.delivered = info.at;
  json members = json::array();
  for (const auto& m : info.members)
    members.push_back(m);
  const std::string cursor = rtwire::log::to_string(info.at);
  deliver_joined(s, r.name(), std::move(members), cursor);
  f.joining = false;
  // (A reset to the answer's epoch at or before its cursor changes nothing for this member.)
  if (f.reset_after_join &&
      (f.reset_after_join->epoch != info.at.epoch || f.reset_after_join->offset > info.at.offset)) {
    // The history moved on while the join was in flight, or held events were dropped: the
    // member restarts from there rather than missing events silently.
    f.delivered = *f.reset_after_join;
    f.reset_after_join.reset();
    const std::string text =
        json{{"type", "reset"}, {"room", r.name()}, {"cursor", rtwire::log::to_string(f.delivered)}}
            .dump();
    send_to(s, "reset", r.name(), text);
  }
  f.reset_after_join.reset();
  const rtwire::log::cursor from = f.delivered;
  const std::string room_name = r.name(), client = s.id;
  if (auto done = std::move(f.done)) done({std::nullopt, f.reset, cursor});
  // `done` may have ended the session or the room.
  const auto feeds = feeds_.find(room_name);
  if (!find(client) || feeds == feeds_.end() || !feeds->second.count(client)) return;
  member_feed& again = feeds->second.at(client);
  for (const auto& ev : held)
    if (ev.at.epoch == from.epoch && ev.at.offset > from.offset)
      deliver_feed(room_name, client, again, ev.ref());
}

void hub::retry_waiting(const std::string& room_name, bool tick) {
  room* r = find_room(room_name);
  if (!r) return;
  if (tick) {
    // Joins answered by the cluster whose cursor this node has still not heard of.
    for (auto& [client, f] : feeds_[room_name])
      if (f.answered) ++f.answered_ticks;
    std::vector<std::string> late;
    for (const auto& [client, f] : feeds_[room_name])
      if (f.answered && f.answered_ticks >= max_answered_ticks) late.push_back(client);
    for (const auto& client : late) {
      if ((r = find_room(room_name)) == nullptr) return;
      session* s = find(client);
      auto& feeds = feeds_[room_name];
      if (s && feeds.count(client) && feeds.at(client).answered)
        complete_join(*s, *r, feeds.at(client));
    }
  }
  const auto it = waiting_.find(room_name);
  if (it == waiting_.end() || it->second.empty()) return;
  auto waiting = std::move(it->second);
  it->second.clear();
  for (auto& w : waiting) {
    if (tick) ++w.ticks;
    if ((r = find_room(room_name)) == nullptr) return;  // a callback ended it
    if (r->ready()) {
      cluster_join_ready(std::move(w), room_name);
    } else if (w.ticks >= max_history_ticks) {
      // The room's history never came (Redis unreachable): the join fails.
      auto& feeds = feeds_[room_name];
      if (const auto f = feeds.find(w.client); f != feeds.end() && !r->has(w.client))
        feeds.erase(f);
      if (w.done)
        w.done({error{"unavailable", "the chat's storage (Redis) is unreachable: try again", 503},
                false,
                {}});
    } else {
      waiting_[room_name].push_back(std::move(w));
    }
  }
  drop_room_if_empty(room_name);
}

void hub::deliver_feed(const std::string& room_name, const std::string& client, member_feed& f,
                       const room_event_ref& ev) {
  if (!newer(ev.at, f.delivered)) return;  // delivered already (a replay or a fill)
  f.delivered = ev.at;
  session* s = find(client);
  if (!s || !s->out) return;  // detached: the client resumes from its cursor
  s->out->deliver({ev.type, room_name, ev.id, ev.text});
}

// -- What the cluster calls ---------------------------------------------------------------------

void hub::room_ready(const std::string& room_name, millis now) {
  (void)now;
  room* r = find_room(room_name);
  if (!r) return;
  r->use_history(cluster_->history(room_name));
  retry_waiting(room_name, false);
}

void hub::room_event(const std::string& room_name, rtwire::log::cursor at, std::string_view type,
                     std::string_view text) {
  if (!find_room(room_name)) return;
  const std::string id = rtwire::log::to_string(at);
  const room_event_ref ev{at, id, type, text};
  std::vector<std::string> ready;
  // Delivering never changes the feeds (a sink that overflows only detaches its session), so the
  // loop walks them in place; the event is copied only for members whose join is in flight.
  auto& feeds = feeds_[room_name];
  for (auto it = feeds.begin(); it != feeds.end();) {
    const std::string& client = it->first;
    member_feed& f = it->second;
    if (f.paused) {
      ++it;
      continue;
    }
    if (f.joining) {
      if (f.held.size() >= max_held) {
        // Past the bound: the oldest go, and the member is told (reset) after `joined`.
        f.held.pop_front();
        f.reset_after_join = f.held.front().at;
        f.reset_after_join->offset -= 1;
      }
      f.held.emplace_back(ev);
      if (f.answered && f.answered->at.epoch == at.epoch && f.answered->at.offset <= at.offset)
        ready.push_back(client);
      ++it;
      continue;
    }
    deliver_feed(room_name, client, f, ev);
    // A client that left gets its own user-left, and nothing after it.
    const bool left = f.leaving && type == "user-left" &&
                      text.find(R"("clientId":")" + client + "\"") != std::string_view::npos;
    it = left ? feeds.erase(it) : std::next(it);
  }
  for (const std::string& client : ready) {
    session* s = find(client);
    room* r = find_room(room_name);
    auto& now_feeds = feeds_[room_name];  // a completed join's callback may have changed them
    const auto it = now_feeds.find(client);
    if (s && r && it != now_feeds.end() && it->second.answered) complete_join(*s, *r, it->second);
  }
  retry_waiting(room_name, false);
  drop_room_if_empty(room_name);
}

void hub::room_reset(const std::string& room_name, rtwire::log::cursor head) {
  if (!find_room(room_name)) return;
  const std::string text =
      json{{"type", "reset"}, {"room", room_name}, {"cursor", rtwire::log::to_string(head)}}.dump();
  std::vector<std::string> clients;
  for (const auto& [client, f] : feeds_[room_name])
    clients.push_back(client);
  for (const std::string& client : clients) {
    auto& feeds = feeds_[room_name];
    const auto it = feeds.find(client);
    if (it == feeds.end()) continue;
    member_feed& f = it->second;
    f.delivered = head;
    if (f.joining) {
      // The old history's events go; after `joined` the member gets this reset.
      f.held.clear();
      f.reset_after_join = head;
      continue;
    }
    if (f.paused) continue;
    if (session* s = find(client)) send_to(*s, "reset", room_name, text);
  }
}

void hub::direct_event(const std::string& to, std::string_view type, const std::string& text) {
  if (session* s = find(to)) send_to(*s, type, {}, text);
}

void hub::forget(const std::string& client) {
  session* s = find(client);
  if (!s) return;
  if (sink* out = s->out) {
    s->out = nullptr;
    out->evicted();
  }
  if ((s = find(client)) == nullptr) return;
  std::set<std::string> rooms = s->rooms;
  for (const std::string& name : rooms)
    if (room* r = find_room(name)) r->remove(client);
  for (auto& [name, feeds] : feeds_)
    if (feeds.erase(client) != 0) rooms.insert(name);  // joins in flight too
  tokens_.erase(s->token);
  sessions_.erase(client);
  for (const std::string& name : rooms)
    drop_room_if_empty(name);
}

void hub::find_by_token(const std::string& token, transport kind,
                        std::function<void(session*)> done) {
  if (session* s = find_by_token(token)) return done(s);
  if (!cluster_ || token.empty()) return done(nullptr);
  cluster_->load_session(
      token, [this, token, kind, done = std::move(done)](std::optional<stored_session> stored) {
        if (session* s = find_by_token(token)) return done(s);  // loaded twice at once
        if (!stored || stored->token != token || find(stored->id) || full()) return done(nullptr);
        auto owned = std::make_unique<session>(config_.rate);
        session& s = *owned;
        s.id = stored->id;
        s.token = token;
        s.name = stored->name;
        s.kind = kind;
        sessions_[s.id] = std::move(owned);
        tokens_[token] = s.id;
        cluster_->claim(s);  // the node that held it forgets it
        // Still a member of its rooms (their presence lives on); nothing live until it joins again.
        for (const std::string& name : stored->rooms) {
          if (!valid_room_name(name)) continue;
          room& r = get_room(name, millis{0});
          s.rooms.insert(name);
          r.add(s.id, s.name);
          feeds_[name][s.id].paused = true;
        }
        done(&s);
      });
}

}  // namespace chat
