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
};

class hub {
 public:
  /// `epoch_base`: the first room's log epoch (a boot id, so that cursors of an earlier run are
  /// stale); `start`: now, for uptime_s.
  hub(config c, std::uint64_t epoch_base, millis start = millis{0})
      : config_(c), epoch_base_(epoch_base), started_(start) {}

  const config& settings() const noexcept { return config_; }

  /// A new session (not attached).
  session& create(transport kind);
  /// The session holding `token`, or nullptr (unknown or expired).
  session* find_by_token(std::string_view token);
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

  /// One client message (a WS text frame or a POST /send body).
  std::optional<error> handle(session& s, std::string_view text, millis now, std::int64_t wall_ms);

  /// join with a cursor text `since` (or none): replays the missed events (or a reset), joins if
  /// not a member yet (user-joined to everyone else), then delivers `joined`.
  /// `malformed_is_stale`: SSE treats a malformed Last-Event-ID as stale; others answer 400.
  join_result join(session& s, const std::string& room_name, const std::string& name,
                   const std::optional<std::string>& since, millis now, std::int64_t wall_ms,
                   bool malformed_is_stale = false);

  /// Reads the logged events of `room` after cursor text `after`: calls f(event) for each.
  /// Returns 0 (resumable), 1 (stale: reset), 2 (malformed).
  template <class F>
  int read_after(const std::string& room_name, std::string_view after, F&& f) const;

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
  std::optional<error> handle_checked(session& s, std::string_view text, millis now,
                                      std::int64_t wall_ms);
  room& get_room(const std::string& name, millis now);
  void publish(room& r, const std::string& type, json body, millis now);
  void leave(session& s, const std::string& room_name, millis now);
  std::optional<error> do_message(session& s, const input_json& m, millis now,
                                  std::int64_t wall_ms);
  std::optional<error> do_private(session& s, const input_json& m, std::int64_t wall_ms);
  std::optional<error> do_signal(session& s, const input_json& m);
  bool shares_room(const session& a, const session& b) const;

  config config_;
  std::uint64_t epoch_base_;
  std::uint64_t rooms_created_ = 0;
  std::map<std::string, std::unique_ptr<session>> sessions_;  // by clientId
  std::map<std::string, std::string> tokens_;                 // token -> clientId
  std::map<std::string, room> rooms_;
  std::random_device random_;
  std::uint64_t messages_in_ = 0, deliveries_ = 0;
  std::int64_t connections_[3] = {0, 0, 0};
  millis started_{0};
};

template <class F>
int hub::read_after(const std::string& room_name, std::string_view after, F&& f) const {
  const auto it = rooms_.find(room_name);
  if (it == rooms_.end()) return rtwire::log::parse_cursor(after) ? 1 : 2;
  const auto& log = it->second.log();
  const auto r = log.resume(after);
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
