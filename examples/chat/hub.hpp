// chat: the hub — sessions, rooms, the client messages and every rule of the protocol, with no
// sockets. Transports (ws, sse, long poll) attach a `sink` to a session and feed client messages
// to handle(); the hub answers errors by return value and delivers everything else to sinks.
//
//   chat::hub h(chat::config{}, /*epoch_base=*/boot_id, now);
//   chat::session& s = h.create(chat::transport::websocket);
//   h.attach(s, &my_sink, chat::transport::websocket);   // my_sink.deliver(connected)
//   if (auto err = h.handle(s, R"({"type":"join","room":"r","name":"ann"})", now, wall_ms))
//     send_error(err->to_json());                         // or answer err->status
//   h.detach(s, now);                                     // transport gone: grace starts
//   h.expire(now, wall_ms);                               // past their grace: they leave
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "room.hpp"

namespace chat {

/// What the server writes: keys in the order the protocol shows them.
using json = nlohmann::ordered_json;
/// What clients send. Not ordered_json: its object inserts by a linear scan for duplicates, so
/// parsing one object of n keys is O(n²) (a 1 MiB message of 90k keys took 2 minutes); std::map
/// parses it in O(n log n).
using input_json = nlohmann::json;

enum class transport : std::uint8_t { websocket, sse, long_poll };

/// One event for a client. `json` is the whole object; for a logged room event `id` is its
/// cursor text (else empty); `room` is set for room events, `joined` and `reset`.
struct event {
  std::string_view type;
  std::string_view room;
  std::string_view id;
  std::string_view json;
};

/// Where a session's events go; implemented by each transport.
class sink {
 public:
  virtual ~sink() = default;
  /// An event for this client, in order.
  virtual void deliver(const event& ev) = 0;
  /// Another connection resumed this session: stop (close) without detaching.
  virtual void evicted() = 0;
};

/// A protocol error, answered to the sender only: WS `{"type":"error",...}`, or the HTTP status
/// and the same body on POST /send.
struct error {
  std::string code;
  std::string message;
  int status = 400;

  std::string to_json() const;
};

struct config {
  std::size_t max_text = 16 * 1024;  // --max-text, UTF-8 bytes
  double rate = 20;                  // --rate, messages per second (burst 2x)
  millis grace{10'000};              // --grace-ms
  std::size_t history = 1000;        // --history, events kept per room
  std::size_t max_sdp = 64 * 1024;   // signal: data.description.sdp bytes
  std::size_t max_mailbox = 1000;    // direct events kept while detached
  std::size_t max_rooms_per_session = 64;
  std::size_t max_sessions = 100'000;
};

struct session {
  std::string id, token, name;
  transport kind = transport::websocket;
  std::set<std::string> rooms;
  sink* out = nullptr;  // null while detached (grace)
  millis detached_at{0};
  rate_limiter rate;
  /// Direct (not logged) events that arrived while detached; delivered on attach.
  std::deque<std::pair<std::string, std::string>> mailbox;  // {type, json}

  session(double r) : rate(r, 2 * r) {}
};

/// What join() did (for the transports that join by URL: SSE, long poll).
struct join_result {
  std::optional<error> err;
  /// `since` was given but could not be honoured: a `reset` was delivered.
  bool reset = false;
  /// The cursor `joined` carried (empty on error).
  std::string cursor;
};

/// Answers a client message: nullopt (done) or the error, exactly once.
using reply_fn = std::function<void(std::optional<error>)>;

/// What a session looks like in the cluster's store (resume on any node).
struct stored_session {
  std::string id, token, name;
  std::set<std::string> rooms;
};

/// chat_server --redis (cluster_node.hpp): what the hub asks of the cluster. Rooms' logged events
/// go through it instead of the rooms' own logs and come back to every node serving the room,
/// this one included, through hub::room_event(). Every callback runs exactly once, on the hub's
/// thread, maybe later (never from inside the call when it says so below).
class cluster_link {
 public:
  virtual ~cluster_link() = default;

  /// This node has members in `room`: hub::room_ready() follows once its history is known.
  virtual void serve(const std::string& room) = 0;
  /// No members here any more.
  virtual void release(const std::string& room) = 0;
  /// The room's history (a mirror of the shared log's tail); nullptr before room_ready().
  virtual const rtwire::log::message_log* history(const std::string& room) const = 0;

  /// Logs one event, its text being prefix + cursor + suffix. done(nullopt) once logged.
  virtual void publish(const std::string& room, const std::string& type, std::string prefix,
                       std::string suffix, reply_fn done) = 0;

  struct joined_info {
    std::optional<error> err;
    rtwire::log::cursor at;  // the head after the join (the user-joined when added)
    bool added = false;      // a new member: its user-joined is at `at`
    json members = json::array();
  };
  /// Adds the session to the room's members (user-joined logged when it was not one anywhere).
  virtual void join(const std::string& room, const session& s,
                    std::function<void(joined_info)> done) = 0;
  /// The session leaves `room`: user-left logged if it was a member (exactly once cluster-wide).
  /// `asked`: the client left; else its session ended here, which removes it only when no other
  /// node holds the session now.
  /// done(true) once user-left was logged, done(false) when it was not (not a member, or Redis
  /// unreachable: the member's entry then expires).
  virtual void leave(const std::string& room, const session& s, bool asked,
                     std::function<void(bool)> done) = 0;
  /// A direct event for `to`, a client no session of this node is: delivered by the node holding
  /// it when `to` shares a room with `from`; else done(unknown-client).
  virtual void direct(const session& from, const std::string& to, std::string_view type,
                      const std::string& text, reply_fn done) = 0;
  /// The session stored under `token` by any node (nullopt: none, or Redis unreachable).
  virtual void load_session(const std::string& token,
                            std::function<void(std::optional<stored_session>)> done) = 0;
  /// This node holds `s` now (the node that held it forgets it).
  virtual void claim(const session& s) = 0;
  /// The session's rooms or name changed: store it.
  virtual void store(const session& s) = 0;
  /// The session ended here.
  virtual void ended(const session& s) = 0;
  /// GET /stats "rooms" for the whole cluster, and this node's id.
  virtual void stats(std::function<void(json rooms)> done) = 0;
  virtual const std::string& node_id() const = 0;
};

/// Cluster mode: a logged room event as it is delivered (views into the caller's strings).
struct room_event_ref {
  rtwire::log::cursor at;
  std::string_view id;  // the cursor's text
  std::string_view type, text;
};

/// Cluster mode: a logged event held (copied) for a member whose join is in flight.
struct held_event {
  rtwire::log::cursor at;
  std::string id, type, text;
  explicit held_event(const room_event_ref& e) : at(e.at), id(e.id), type(e.type), text(e.text) {}
  room_event_ref ref() const noexcept { return {at, id, type, text}; }
};

/// Cluster mode: what this node delivers to one local member of a room.
struct member_feed {
  /// The newest event delivered (or passed over as older than the member's join).
  rtwire::log::cursor delivered{};
  /// Its join is in flight: events wait in `held`, in order.
  bool joining = false;
  /// Resumed from another node: nothing live until the client joins the room again (its `since`
  /// replays what it missed).
  bool paused = false;
  /// The client left: its own user-left (its acknowledgement) is the last event it gets.
  bool leaving = false;
  /// The join's `since` could not be honoured (a reset was delivered).
  bool reset = false;
  /// While joining: the history moved on (room_reset) or held events were dropped (more than
  /// the bound): after `joined`, the member gets `reset` to this cursor.
  std::optional<rtwire::log::cursor> reset_after_join;
  std::deque<held_event> held;
  /// A join the cluster answered, waiting for this node to have heard of its cursor.
  std::optional<cluster_link::joined_info> answered;
  int answered_ticks = 0;
  bool resuming = false;
  std::function<void(const join_result&)> done;
};

class hub {
 public:
  /// `epoch_base`: the first room's log epoch (a boot id, so that cursors of an earlier run are
  /// stale); `start`: now, for uptime_s.
  hub(config c, std::uint64_t epoch_base, millis start = millis{0})
      : config_(c), epoch_base_(epoch_base), started_(start) {}

  const config& settings() const noexcept { return config_; }

  /// chat_server --redis: rooms live in the cluster (`link` outlives the hub's use of it).
  void use_cluster(cluster_link* link) noexcept { cluster_ = link; }
  bool clustered() const noexcept { return cluster_ != nullptr; }

  /// A new session (not attached).
  session& create(transport kind);
  /// The session holding `token`, or nullptr (unknown or expired).
  session* find_by_token(std::string_view token);
  /// The same, and in a cluster also a session another node holds or held (loaded from the
  /// cluster, held by this node from now on): done(nullptr) when there is none. May call `done`
  /// before returning.
  void find_by_token(const std::string& token, transport kind, std::function<void(session*)> done);
  session* find(const std::string& client_id);

  /// Attaches a transport: delivers `connected`, then any mailbox events. A sink already
  /// attached (the session resumed elsewhere) is evicted first.
  void attach(session& s, sink* out, transport kind, bool send_connected = true);
  /// The transport went away: the session keeps its rooms for the grace period.
  void detach(session& s, millis now);
  /// Ends sessions detached for longer than the grace period (they leave their rooms).
  void expire(millis now, std::int64_t wall_ms);
  /// Ends a session now (leaves its rooms, forgets its token).
  void end(session& s, millis now, std::int64_t wall_ms);

  /// One client message (a WS text frame or a POST /send body), answered through `reply`: at
  /// once, or in a cluster once Redis has answered (a `message` refused: "unavailable").
  void handle(session& s, std::string_view text, millis now, std::int64_t wall_ms, reply_fn reply);
  /// The same for a single node, where every answer comes at once.
  std::optional<error> handle(session& s, std::string_view text, millis now, std::int64_t wall_ms);

  /// join with a cursor text `since` (or none): replays the missed events (or a reset), joins if
  /// not a member yet (user-joined to everyone else), then delivers `joined`.
  /// `malformed_is_stale`: SSE treats a malformed Last-Event-ID as stale; others answer 400.
  /// The returned err is a refusal found at once; `done` (optional) gets the whole outcome once
  /// `joined` was delivered (at once on a single node; later in a cluster).
  using join_fn = std::function<void(const join_result&)>;
  join_result join(session& s, const std::string& room_name, const std::string& name,
                   const std::optional<std::string>& since, millis now, std::int64_t wall_ms,
                   bool malformed_is_stale = false, join_fn done = {});

  /// Reads the logged events of `room` after cursor text `after`: calls f(event) for each.
  /// Returns 0 (resumable), 1 (stale: reset), 2 (malformed), 3 (cluster: this node has not heard
  /// of that position yet, or the room's history is not here yet: ask again later).
  template <class F>
  int read_after(const std::string& room_name, std::string_view after, F&& f) const;

  // -- The cluster's side (cluster_node.cpp calls these) ----------------------------------------
  /// The room's history is here (hub::cluster_link::history): waiting joins go on.
  void room_ready(const std::string& room_name, millis now);
  /// A logged event of a served room, in offset order, each once.
  void room_event(const std::string& room_name, rtwire::log::cursor at, std::string_view type,
                  std::string_view text);
  /// The room's history continues at `head`: every member here gets `reset`.
  void room_reset(const std::string& room_name, rtwire::log::cursor head);
  /// A direct event from another node for local session `to`.
  void direct_event(const std::string& to, std::string_view type, const std::string& text);
  /// Another node holds session `client` now: forget it here (no user-left).
  void forget(const std::string& client);
  /// For the cluster's refresh, a slice at a time: up to `n` sessions held here, in clientId
  /// order, after clientId `after` ("" = from the first). Returns the last one visited ("" when
  /// the end was reached).
  template <class F>
  std::string for_each_session(const std::string& after, std::size_t n, F&& f) const {
    return visit_slice(sessions_, after, n, [&](const auto& entry) { f(*entry.second); });
  }
  /// The same for rooms with members here: f(room name, its members {clientId -> name}).
  template <class F>
  std::string for_each_room(const std::string& after, std::size_t n, F&& f) const {
    return visit_slice(rooms_, after, n,
                       [&](const auto& entry) { f(entry.first, entry.second.members()); });
  }
  std::size_t room_count() const noexcept { return rooms_.size(); }
  /// The stats object for GET /stats and the WS `stats` event (cluster: rooms of the cluster).
  void stats(millis now, std::function<void(json)> done) const;

  room* find_room(const std::string& name);
  /// Delivers a direct (not logged) event to `s`, or keeps it in its mailbox while detached.
  void send_to(session& s, std::string_view type, std::string_view room_name,
               const std::string& text);
  /// The GET /stats object (also the WS `stats` event's fields).
  json stats(millis now) const;

  /// Counts events written to clients (the transports call it).
  void count_delivery(std::uint64_t n = 1) noexcept { deliveries_ += n; }
  /// Open transport connections, by kind (the transports keep them).
  void count_connection(transport kind, int delta) noexcept;
  std::size_t session_count() const noexcept { return sessions_.size(); }
  /// True when config::max_sessions sessions exist: new ones are refused (503).
  bool full() const noexcept { return sessions_.size() >= config_.max_sessions; }

 private:
  template <class Map, class F>
  static std::string visit_slice(const Map& m, const std::string& after, std::size_t n, F&& f) {
    auto it = after.empty() ? m.begin() : m.upper_bound(after);
    for (; it != m.end() && n != 0; ++it, --n)
      f(*it);
    if (it == m.end()) return {};
    return std::prev(it)->first;
  }

  /// Cluster mode: a join waiting for the room's history.
  struct waiting_join {
    std::string client;
    std::optional<std::string> since;
    join_fn done;
    int ticks = 0;  // sweeps waited (see hub_cluster.cpp)
  };

  // Each of these either answers (returns the error or nullopt, `reply` untouched) or takes
  // `reply` for later (leaves it empty).
  std::optional<error> handle_checked(session& s, std::string_view text, millis now,
                                      std::int64_t wall_ms, reply_fn& reply);
  room& get_room(const std::string& name, millis now);
  void drop_room_if_empty(const std::string& name);
  void publish(room& r, const std::string& type, json body, millis now, reply_fn& reply);
  /// `asked`: the client left (else its session ended).
  void leave(session& s, const std::string& room_name, millis now, bool asked);
  std::optional<error> do_message(session& s, const input_json& m, millis now, std::int64_t wall_ms,
                                  reply_fn& reply);
  std::optional<error> do_private(session& s, const input_json& m, std::int64_t wall_ms,
                                  reply_fn& reply);
  std::optional<error> do_signal(session& s, const input_json& m, reply_fn& reply);
  std::optional<error> send_direct(session& s, const std::string& to, std::string_view type,
                                   const std::string& text, bool echo, reply_fn& reply);
  bool shares_room(const session& a, const session& b) const;
  void deliver_joined(session& s, const std::string& room_name, json members,
                      const std::string& cursor);
  // The cluster's join, in steps (hub_cluster.cpp).
  void cluster_join(session& s, const std::string& room_name, std::optional<std::string> since,
                    bool malformed_is_stale, join_fn done);
  void cluster_join_ready(waiting_join w, const std::string& room_name);
  void cluster_joined(const std::string& client, const std::string& room_name,
                      cluster_link::joined_info info);
  void complete_join(session& s, room& r, member_feed& f);
  void retry_waiting(const std::string& room_name, bool tick);
  void deliver_feed(const std::string& room_name, const std::string& client, member_feed& f,
                    const room_event_ref& ev);

  config config_;
  cluster_link* cluster_ = nullptr;
  std::uint64_t epoch_base_;
  std::uint64_t rooms_created_ = 0;
  std::map<std::string, std::unique_ptr<session>> sessions_;  // by clientId
  std::map<std::string, std::string> tokens_;                 // token -> clientId
  std::map<std::string, room> rooms_;
  // Cluster mode: each room's local members' feeds, and the joins waiting for a room's history.
  std::map<std::string, std::map<std::string, member_feed>> feeds_;
  std::map<std::string, std::vector<waiting_join>> waiting_;
  std::random_device random_;
  std::uint64_t messages_in_ = 0, deliveries_ = 0;
  std::int64_t connections_[3] = {0, 0, 0};
  millis started_{0};
};

template <class F>
int hub::read_after(const std::string& room_name, std::string_view after, F&& f) const {
  const auto it = rooms_.find(room_name);
  const auto at = rtwire::log::parse_cursor(after);
  if (it == rooms_.end()) return at ? 1 : 2;
  if (cluster_ && !it->second.ready()) return at ? 3 : 2;
  const auto& log = it->second.log();
  const auto r = log.resume(after);
  if (!r && cluster_ && at && at->epoch == log.epoch() && at->offset > log.last_offset())
    return 3;  // written on another node, not heard of here yet
  if (!r) return r.reset == rtwire::log::error::malformed_cursor ? 2 : 1;
  for (std::uint64_t off = r.first; off <= r.last; ++off) {
    const auto m = log.find(off);
    if (!m) continue;
    const std::string id = rtwire::log::to_string({log.epoch(), off});
    f(event{m->type, room_name, id, m->payload});
  }
  return 0;
}

}  // namespace chat
