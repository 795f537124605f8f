// chat: the hub's rules (see hub.hpp and issue #11 §1, §3).
#include "hub.hpp"

#include <algorithm>
#include <cstdio>

#include "signal.hpp"

namespace chat {

std::string error::to_json() const {
  return json{{"type", "error"}, {"code", code}, {"message", message}}.dump();
}

namespace {

error bad_request(std::string message) {
  return {"bad-request", std::move(message), 400};
}

std::string random_hex(std::random_device& rd, int words) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (int w = 0; w < words; ++w) {
    std::uint32_t v = rd();
    for (int i = 0; i < 8; ++i, v >>= 4)
      out += digits[v & 0xf];
  }
  return out;
}

/// The deepest nesting of arrays and objects in JSON text (strings skipped). Checked before
/// parsing: copying and serialising a value recurse, so a deep one must never get in.
std::size_t json_depth(std::string_view text) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

/// A string member of `m`, or nullptr.
const std::string* string_member(const input_json& m, const char* key) {
  const auto it = m.find(key);
  if (it == m.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

}  // namespace

session& hub::create(transport kind) {
  auto s = std::make_unique<session>(config_.rate);
  do {
    s->id = random_hex(random_, 2);
  } while (sessions_.count(s->id) != 0);
  s->token = random_hex(random_, 4);  // 128 random bits: unguessable
  s->kind = kind;
  session& ref = *s;
  tokens_[s->token] = s->id;
  sessions_[s->id] = std::move(s);
  if (cluster_) cluster_->claim(ref);
  return ref;
}

session* hub::find_by_token(std::string_view token) {
  const auto it = tokens_.find(std::string(token));
  return it == tokens_.end() ? nullptr : find(it->second);
}

session* hub::find(const std::string& client_id) {
  const auto it = sessions_.find(client_id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

room* hub::find_room(const std::string& name) {
  const auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : &it->second;
}

room& hub::get_room(const std::string& name, millis now) {
  (void)now;
  auto it = rooms_.find(name);
  if (it == rooms_.end()) {
    rtwire::log::retention keep;
    keep.max_messages = cluster_ ? 1 : config_.history;  // a cluster's room reads the mirror
    keep.max_bytes = std::size_t{64} << 20;
    // A new epoch per room incarnation: cursors of a room that emptied and was forgotten (or of
    // an earlier run) are stale, never silently pointing into new history.
    it = rooms_.emplace(name, room(name, epoch_base_ + rooms_created_++, keep)).first;
    if (cluster_) {
      it->second.await_history();
      cluster_->serve(name);
      it->second.use_history(cluster_->history(name));
    }
  }
  return it->second;
}

void hub::drop_room_if_empty(const std::string& name) {
  const auto it = rooms_.find(name);
  if (it == rooms_.end() || !it->second.members().empty()) return;
  if (const auto f = feeds_.find(name); f != feeds_.end() && !f->second.empty()) return;
  if (const auto w = waiting_.find(name); w != waiting_.end() && !w->second.empty()) return;
  rooms_.erase(it);
  feeds_.erase(name);
  waiting_.erase(name);
  if (cluster_) cluster_->release(name);
}

void hub::count_connection(transport kind, int delta) noexcept {
  connections_[static_cast<int>(kind)] += delta;
}

void hub::attach(session& s, sink* out, transport kind, bool send_connected) {
  if (s.out && s.out != out) {
    sink* old = s.out;
    s.out = nullptr;
    old->evicted();
  }
  s.out = out;
  s.kind = kind;
  if (send_connected) {
    const std::string text =
        json{{"type", "connected"}, {"clientId", s.id}, {"token", s.token}}.dump();
    out->deliver({"connected", {}, {}, text});
  }
  // A sink that overflows while these are delivered detaches and puts the event at hand back
  // into the (emptied) mailbox: the rest follow it there, in order.
  auto waiting = std::move(s.mailbox);
  s.mailbox.clear();
  while (!waiting.empty()) {
    if (s.out != out) {
      for (auto& ev : waiting)
        s.mailbox.push_back(std::move(ev));
      break;
    }
    auto [type, text] = std::move(waiting.front());
    waiting.pop_front();
    out->deliver({type, {}, {}, text});
  }
}

void hub::detach(session& s, millis now) {
  s.out = nullptr;
  s.detached_at = now;
}

void hub::expire(millis now, std::int64_t wall_ms) {
  std::vector<session*> gone;
  for (auto& [id, s] : sessions_)
    if (!s->out && now - s->detached_at >= config_.grace) gone.push_back(s.get());
  for (session* s : gone)
    end(*s, now, wall_ms);
  if (cluster_) {
    // Joins waiting for a room's history, for a cursor, or for the cluster's answer to arrive.
    std::set<std::string> rooms;
    for (const auto& [name, w] : waiting_)
      if (!w.empty()) rooms.insert(name);
    for (const auto& [name, feeds] : feeds_)
      for (const auto& [client, f] : feeds)
        if (f.answered) rooms.insert(name);
    for (const auto& name : rooms)
      retry_waiting(name, /*tick=*/true);
  }
}

void hub::end(session& s, millis now, std::int64_t wall_ms) {
  (void)wall_ms;
  const std::set<std::string> rooms = s.rooms;
  for (const std::string& r : rooms)
    leave(s, r, now, /*asked=*/false);
  if (cluster_) {
    // Feeds of joins still in flight.
    std::vector<std::string> joining;
    for (auto& [name, feeds] : feeds_)
      if (feeds.erase(s.id) != 0) joining.push_back(name);
    cluster_->ended(s);
    for (const auto& name : joining)
      drop_room_if_empty(name);
  }
  tokens_.erase(s.token);
  const std::string id = s.id;
  sessions_.erase(id);  // `s` is gone
}

void hub::send_to(session& s, std::string_view type, std::string_view room_name,
                  const std::string& text) {
  if (s.out) return s.out->deliver({type, room_name, {}, text});
  // Detached: keep direct events for the resume (bounded); room events come back by cursor.
  if (s.mailbox.size() >= config_.max_mailbox) s.mailbox.pop_front();
  s.mailbox.emplace_back(std::string(type), text);
}

void hub::publish(room& r, const std::string& type, json body, millis now, reply_fn& reply) {
  const std::string id = cluster_ ? std::string() : r.next_id();
  // The id goes right after "type" and "room": { "type", "room", "id", ... }.
  json ev{{"type", type}, {"room", r.name()}, {"id", id}};
  for (auto& [k, v] : body.items())
    ev[k] = std::move(v);
  const std::string text = ev.dump();
  if (cluster_) {
    // The cluster assigns the cursor: the text goes as the parts around the empty id.
    const std::size_t at = text.find(R"("id":"")") + 6;
    cluster_->publish(r.name(), type, text.substr(0, at), text.substr(at), std::move(reply));
    reply = nullptr;
    return;
  }
  if (!r.append(type, text, now)) {
    std::fprintf(stderr, "chat: room %s refused an event of %zu bytes\n", r.name().c_str(),
                 text.size());
    return;
  }
  for (const auto& [client, name] : r.members()) {
    session* m = find(client);
    if (m && m->out) m->out->deliver({type, r.name(), id, text});
  }
}

void hub::leave(session& s, const std::string& room_name, millis now, bool asked) {
  room* r = find_room(room_name);
  s.rooms.erase(room_name);
  if (!r || !r->has(s.id)) return;
  if (cluster_) {
    // The cluster logs user-left (once, whichever node); a client that asked gets it as its
    // acknowledgement through its feed, which ends there.
    r->remove(s.id);
    auto& feeds = feeds_[room_name];
    if (asked && feeds.count(s.id) && !feeds[s.id].paused)
      feeds[s.id].leaving = true;
    else
      feeds.erase(s.id);
    cluster_->leave(room_name, s, asked, [this, room_name, client = s.id](bool logged) {
      if (logged) return;  // the feed ends with the user-left
      if (const auto f = feeds_.find(room_name); f != feeds_.end()) {
        if (const auto it = f->second.find(client); it != f->second.end() && it->second.leaving)
          f->second.erase(it);
      }
      drop_room_if_empty(room_name);
    });
    cluster_->store(s);
    return drop_room_if_empty(room_name);
  }
  const std::string name = r->members().at(s.id);
  // The leaver receives its own user-left too (its acknowledgement), then is removed.
  reply_fn none;
  publish(*r, "user-left", json{{"clientId", s.id}, {"name", name}}, now, none);
  r->remove(s.id);
  if (r->members().empty()) rooms_.erase(room_name);
}

join_result hub::join(session& s, const std::string& room_name, const std::string& name,
                      const std::optional<std::string>& since, millis now, std::int64_t wall_ms,
                      bool malformed_is_stale, join_fn done) {
  (void)wall_ms;
  if (!valid_room_name(room_name))
    return {bad_request("room must match [A-Za-z0-9_-]{1,64}"), false, {}};
  if (!valid_user_name(name))
    return {bad_request("name must be 1-32 characters of UTF-8"), false, {}};
  if (since && !malformed_is_stale && !rtwire::log::parse_cursor(*since))
    return {bad_request("since is not a cursor (<epoch hex>-<offset>)"), false, {}};
  if (!s.rooms.count(room_name) && s.rooms.size() >= config_.max_rooms_per_session)
    return {bad_request("too many rooms"), false, {}};
  if (cluster_) {
    if (const auto f = feeds_.find(room_name);
        f != feeds_.end() && f->second.count(s.id) && f->second.at(s.id).joining)
      return {bad_request("a join of room " + room_name + " is already in progress"), false, {}};
    s.name = name;
    cluster_join(s, room_name, since, malformed_is_stale, std::move(done));
    return {};
  }
  join_result result;
  room& r = get_room(room_name, now);
  // 1. The missed events (or a reset), before anything new.
  if (since) {
    const int st = read_after(room_name, *since, [&](const event& ev) {
      if (s.out) s.out->deliver(ev);
    });
    if (st != 0) {
      result.reset = true;
      const std::string text =
          json{{"type", "reset"}, {"room", room_name}, {"cursor", r.head_id()}}.dump();
      send_to(s, "reset", room_name, text);
    }
  }
  // 2. Join (a member already, e.g. after a resume: no user-joined).
  s.name = name;
  if (!r.has(s.id)) {
    s.rooms.insert(room_name);
    // Everyone else sees user-joined; the joiner gets `joined` whose cursor follows it.
    reply_fn none;
    publish(r, "user-joined", json{{"clientId", s.id}, {"name", name}}, now, none);
    r.add(s.id, name);
  }
  s.rooms.insert(room_name);
  // 3. joined: every member (the joiner included) and the position after the joiner's own
  // user-joined (the head).
  json members = json::array();
  for (const auto& [client, display] : r.members())
    members.push_back({{"clientId", client}, {"name", display}});
  result.cursor = r.head_id();
  deliver_joined(s, room_name, std::move(members), result.cursor);
  if (done) done(result);
  return result;
}

void hub::deliver_joined(session& s, const std::string& room_name, json members,
                         const std::string& cursor) {
  const std::string text = json{
      {"type", "joined"},
      {"room", room_name},
      {"members", std::move(members)},
      {"cursor", cursor}}.dump();
  send_to(s, "joined", room_name, text);
}

bool hub::shares_room(const session& a, const session& b) const {
  for (const std::string& r : a.rooms)
    if (b.rooms.count(r)) return true;
  return false;
}

std::optional<error> hub::do_message(session& s, const input_json& m, millis now,
                                     std::int64_t wall_ms, reply_fn& reply) {
  const std::string* room_name = string_member(m, "room");
  const std::string* text = string_member(m, "text");
  if (!room_name || !text) return bad_request("message needs room and text strings");
  if (!valid_room_name(*room_name)) return bad_request("room must match [A-Za-z0-9_-]{1,64}");
  room* r = find_room(*room_name);
  if (!r || !r->has(s.id)) return bad_request("not a member of room " + *room_name);
  if (text->size() > config_.max_text)
    return error{"too-large",
                 "text is " + std::to_string(text->size()) + " bytes, more than " +
                     std::to_string(config_.max_text),
                 413};
  if (!s.rate.take(now)) return error{"rate-limited", "too many messages: slow down", 429};
  publish(*r, "message",
          json{{"from", s.id}, {"name", r->members().at(s.id)}, {"text", *text}, {"ts", wall_ms}},
          now, reply);
  return std::nullopt;
}

std::optional<error> hub::do_private(session& s, const input_json& m, std::int64_t wall_ms,
                                     reply_fn& reply) {
  const std::string* to = string_member(m, "to");
  const std::string* text = string_member(m, "text");
  if (!to || !text) return bad_request("private needs to and text strings");
  if (text->size() > config_.max_text)
    return error{"too-large",
                 "text is " + std::to_string(text->size()) + " bytes, more than " +
                     std::to_string(config_.max_text),
                 413};
  const std::string out = json{{"type", "private"}, {"from", s.id},  {"name", s.name},
                               {"to", *to},         {"text", *text}, {"ts", wall_ms}}
                              .dump();
  return send_direct(s, *to, "private", out, /*echo=*/true, reply);
}

std::optional<error> hub::send_direct(session& s, const std::string& to, std::string_view type,
                                      const std::string& text, bool echo, reply_fn& reply) {
  const error unknown{"unknown-client", "no such client in your rooms", 404};
  session* target = find(to);
  if (target) {
    // Presence is not leaked: unknown and "shares no room" read the same.
    if (!shares_room(s, *target)) return unknown;
    send_to(*target, type, {}, text);
    if (echo && target != &s) send_to(s, type, {}, text);
    return std::nullopt;
  }
  if (!cluster_) return unknown;
  // Held by another node (or by none): the cluster checks the shared room and forwards it.
  cluster_->direct(s, to, type, text,
                   [this, client = s.id, type = std::string(type), text, echo,
                    reply = std::move(reply)](std::optional<error> err) {
                     if (!err && echo)
                       if (session* me = find(client)) send_to(*me, type, {}, text);
                     reply(std::move(err));
                   });
  reply = nullptr;
  return std::nullopt;
}

std::optional<error> hub::do_signal(session& s, const input_json& m, reply_fn& reply) {
  const std::string* to = string_member(m, "to");
  const auto data = m.find("data");
  if (!to || data == m.end()) return bad_request("signal needs to and data");
  if (const auto bad = validate_signal(*data, config_.max_sdp))
    return error{"bad-signal", *bad, 400};
  if (*to == s.id) return error{"unknown-client", "no such client in your rooms", 404};
  // `data` is relayed as the client's value, spliced in as text: converting it to ordered_json
  // would bring back the quadratic insert (see input_json).
  std::string out = json{{"type", "signal"}, {"from", s.id}, {"to", *to}}.dump();
  out.pop_back();  // the closing '}'
  out += ",\"data\":" + data->dump() + "}";
  return send_direct(s, *to, "signal", out, /*echo=*/false, reply);
}

void hub::handle(session& s, std::string_view text, millis now, std::int64_t wall_ms,
                 reply_fn reply) {
  // nlohmann::json validates UTF-8 when it parses, so dump() cannot throw on what got in; this
  // is the last line of defence: a bug must answer an error, never end the io_context.
  std::optional<error> err;
  try {
    err = handle_checked(s, text, now, wall_ms, reply);
  } catch (const std::exception& e) {
    err = error{"bad-request", std::string("cannot handle this message: ") + e.what(), 400};
  }
  if (reply) reply(std::move(err));  // else the answer comes later
}

std::optional<error> hub::handle(session& s, std::string_view text, millis now,
                                 std::int64_t wall_ms) {
  auto answer = std::make_shared<std::optional<error>>();
  handle(s, text, now, wall_ms, [answer](std::optional<error> e) { *answer = std::move(e); });
  return *answer;
}

std::optional<error> hub::handle_checked(session& s, std::string_view text, millis now,
                                         std::int64_t wall_ms, reply_fn& reply) {
  if (json_depth(text) > 32) return bad_request("JSON nested deeper than 32 levels");
  const input_json m = input_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (m.is_discarded()) return bad_request("malformed JSON");
  if (!m.is_object()) return bad_request("a message is a JSON object");
  const std::string* type = string_member(m, "type");
  if (!type) return bad_request("missing type");
  ++messages_in_;
  if (*type == "join") {
    const std::string* room_name = string_member(m, "room");
    const std::string* name = string_member(m, "name");
    if (!room_name || !name) return bad_request("join needs room and name strings");
    std::optional<std::string> since;
    if (const auto it = m.find("since"); it != m.end() && !it->is_null()) {
      if (!it->is_string()) return bad_request("since is not a cursor string");
      since = it->get<std::string>();
    }
    auto refused = join(s, *room_name, *name, since, now, wall_ms, false,
                        [reply](const join_result& r) mutable {
                          if (reply) reply(r.err);
                        });
    if (refused.err) return refused.err;  // the join never started: `done` will not run
    reply = nullptr;
    return std::nullopt;
  }
  if (*type == "leave") {
    const std::string* room_name = string_member(m, "room");
    if (!room_name || !valid_room_name(*room_name)) return bad_request("leave needs a room");
    if (!s.rooms.count(*room_name)) return bad_request("not a member of room " + *room_name);
    leave(s, *room_name, now, /*asked=*/true);
    return std::nullopt;
  }
  if (*type == "message") return do_message(s, m, now, wall_ms, reply);
  // The rate limit counts message, private and signal.
  if (*type == "private" || *type == "signal") {
    if (!s.rate.take(now)) return error{"rate-limited", "too many messages: slow down", 429};
    return *type == "private" ? do_private(s, m, wall_ms, reply) : do_signal(s, m, reply);
  }
  if (*type == "stats") {
    stats(now, [this, client = s.id](json st) {
      session* me = find(client);
      if (!me) return;
      json ev{{"type", "stats"}};
      for (auto& [k, v] : st.items())
        ev[k] = std::move(v);
      send_to(*me, "stats", {}, ev.dump());
    });
    return std::nullopt;
  }
  --messages_in_;
  return bad_request("unknown type " + *type);
}

json hub::stats(millis now) const {
  json rooms = json::object();
  for (const auto& [name, r] : rooms_)
    rooms[name] = {{"members", r.members().size()}, {"messages", r.messages()}};
  std::int64_t long_poll = 0;
  for (const auto& [id, s] : sessions_)
    if (s->kind == transport::long_poll) ++long_poll;
  return json{
      {"connections",
       {{"websocket", connections_[0]}, {"sse", connections_[1]}, {"long_poll", long_poll}}},
      {"rooms", std::move(rooms)},
      {"messages_in", messages_in_},
      {"deliveries", deliveries_},
      {"uptime_s", (now - started_).count() / 1000}};
}

void hub::stats(millis now, std::function<void(json)> done) const {
  json local = stats(now);
  if (!cluster_) return done(std::move(local));
  cluster_->stats([local = std::move(local), node = cluster_->node_id(),
                   done = std::move(done)](json rooms) mutable {
    // This node's connections, the cluster's rooms.
    json out{{"node", node}};
    for (auto& [k, v] : local.items())
      out[k] = k == "rooms" ? std::move(rooms) : std::move(v);
    done(std::move(out));
  });
}

}  // namespace chat
