// chat: the cluster room log — each room's history shared by every chat node through Redis, so a
// cursor means the same thing on every node (issue #16); chat_server --redis uses it through
// cluster_node.hpp.
//
//   auto commands = rtwire_examples::redis_client::create(io, {.port = 6379});
//   auto sub = rtwire_examples::redis_subscriber::create(io, {.port = 6379});
//   auto log = chat::cluster_log::create(io, commands, sub, {.history = 1000},
//       {.on_ready = [](const std::string& room, cursor head) { answer_pending_joins(); },
//        .on_event = [](const std::string& room, const chat::cluster_event& e) { deliver(e); },
//        .on_reset = [](const std::string& room, cursor head, std::error_code why) { reset(); }});
//   commands->start(); sub->start();
//   log->serve("lobby");                                   // this node has members in it
//   log->publish("lobby", "message", R"({"type":"message","room":"lobby","id":")",
//                R"(","text":"hi"})", [](const chat::publish_result& r) {
//                  if (!r) send_error(r.error);             // "unavailable": nothing published
//                });
//   log->read_after("lobby", client_cursor, [](const chat::read_result& r) { ... });
//
// Design:
// - Where the history lives: the Stream `rt:{<room>}:log`, whose entry IDs are `<offset>-0`
//   (explicit: the cursor text is never given to Redis as an ID), and the hash `rt:{<room>}:meta`
//   with `e` (the epoch, lowercase hex, exactly rtwire::log::to_string's form) and `s` (the top
//   offset). The braces are a Redis Cluster hash tag: both keys live in one slot, so one script
//   may touch both.
// - Publishing is one Lua script (EVALSHA, then EVAL on NOSCRIPT: a restarted Redis has an empty
//   script cache): read the epoch or create it from a random 64-bit value the node passes (never
//   a Redis counter: a counter restarts after FLUSHALL and would bring an old epoch back, so old
//   cursors would point into new history), take the next offset, XADD with MAXLEN ~ history, set
//   `s`, and PUBLISH the event. The offset is assigned inside Redis, so each room has one total
//   order whichever node publishes. The script refuses to run after a deadline measured on
//   Redis's clock (TIME): a publish the node already reported as failed (timeout, e.g. a paused
//   Redis that resumes later) can never take effect afterwards. The node measures Redis's clock
//   against its own steady clock with TIME (again every clock_resync), so node clocks need not
//   agree; a step of Redis's own clock larger than the deadline's slack would defeat it.
// - Fan-out: PUBLISH to `rt:{<room>}:ev`, one channel per room, SUBSCRIBEd by the nodes that
//   serve the room. Chosen over one XREAD BLOCK loop on a bus stream because PUBLISH is not a
//   key, so the script still touches one hash slot (cluster-friendly, no cross-slot bus), and a
//   node hears only the rooms it serves. Pub/Sub is at-most-once, so the stream is the truth:
//   every notification carries its offset, a gap (offset > last + 1) is filled with XRANGE from
//   last + 1, a duplicate (<= last) is dropped, and after every (re)subscription the room is
//   filled from the stream at once (no later publish needed). Catch-up is exact because the
//   stream holds every offset the notifications skipped.
// - Epochs: a notification or fill showing an epoch other than the known one means the history
//   was lost or replaced (FLUSHALL, a Redis restarted empty): on_reset(new head) comes before
//   any event of the new epoch, and the new epoch's events follow from its first kept entry (so
//   the first message after the loss still arrives live).
// - The local cache per served room is an rtwire::log::message_log positioned with restart_at()
//   and fed with append_at(), bounded by `history`. read_after() answers from it when it holds
//   the range; otherwise it asks Redis (the authority): a cursor older than the stream's first
//   entry, from another epoch or from the future gets a reset.
//
// The scripts and the parsing of Redis's answers are in cluster_redis.hpp.
//
// Outcomes are spelled out on each function. Lifetime: create() gives a shared_ptr; callbacks
// of commands in flight keep nothing alive (they are dropped once the log is destroyed).
// Single-threaded: use it only from the io_context's thread.
#pragma once

#include <rtwire/core/log.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "common/redis_client.hpp"
#include "common/redis_subscriber.hpp"

namespace chat {

using rtwire::log::cursor;

/// One logged room event, as the cluster ordered it: `json` is the publisher's prefix + the
/// cursor text of `at` + its suffix.
struct cluster_event {
  cursor at;
  std::string type;
  std::string json;
};

/// What publish() reports. Converts to true on success.
struct publish_result {
  /// Empty on success; "unavailable" (Redis unreachable, timed out, or refused, e.g. a corrupt
  /// epoch in meta: nothing was published and nothing will be) or "invalid" (a bad room or type).
  std::string error;
  /// Why, for logs.
  std::string detail;
  /// The assigned cursor (on success).
  cursor at;
  explicit operator bool() const noexcept { return error.empty(); }
};

/// What read_after() reports.
struct read_result {
  /// Empty when Redis answered (or the cache did); else "unavailable" or "invalid" as above.
  std::string error;
  std::string detail;
  /// Empty: `events` are the ones after the cursor. Else the reader must reset to `head`
  /// (rtwire::log::error::epoch_mismatch, cursor_too_old or cursor_from_future).
  std::error_code reset;
  /// The newest offset known when answering (from the cache or from Redis).
  cursor head;
  std::vector<cluster_event> events;
  /// True when `events` stopped at options::batch: read again after the last one.
  bool more = false;
  explicit operator bool() const noexcept { return error.empty() && !reset; }
};

class cluster_log : public std::enable_shared_from_this<cluster_log> {
 public:
  using millis = std::chrono::milliseconds;
  using redis_client = rtwire_examples::redis_client;
  using redis_subscriber = rtwire_examples::redis_subscriber;
  using redis_reply = rtwire_examples::redis_reply;

  struct options {
    /// `--history N`: each stream is trimmed with MAXLEN ~ N, and each served room's cache
    /// keeps the newest N events.
    std::size_t history = 1000;
    /// Most entries one XRANGE fetches (a fill, read_after()).
    std::size_t batch = 1000;
    /// Most notifications held per room while a fill is in flight; past it they are dropped and
    /// the next fill fetches them from the stream.
    std::size_t max_buffered = 10'000;
    /// Bytes of events each room's cache keeps at most.
    std::size_t cache_bytes = std::size_t{64} << 20;
    /// A publish is refused by the script once this much time (on Redis's clock) has passed
    /// since it was sent; keep it below the command timeout (redis_client's, 2 s by default).
    millis publish_deadline{1000};
    /// How long a measurement of Redis's clock (TIME) is trusted before it is taken again.
    millis clock_resync{30'000};
  };

  struct handlers {
    /// A served room's position became known (its first fill): events after `head` follow
    /// through on_event; what came before is history, readable with read_after().
    std::function<void(const std::string& room, cursor head)> on_ready;
    /// The next event of a served room, in offset order, each exactly once.
    std::function<void(const std::string& room, const cluster_event&)> on_event;
    /// The room's history continues at `head` and not where it was: epoch_mismatch (the
    /// history was lost or replaced) or cursor_too_old (the stream no longer holds what this
    /// node missed). Comes before any event after `head`.
    std::function<void(const std::string& room, cursor head, std::error_code why)> on_reset;
    /// A message on a channel that is no room's (the subscriber's home channel: a per-node one).
    std::function<void(const std::string& channel, const std::string& payload)> on_other;
  };

  /// Counters for logs and tests.
  struct counters {
    std::uint64_t notifications = 0;  // Pub/Sub messages received for served rooms
    std::uint64_t duplicates = 0;     // dropped: offset <= last
    std::uint64_t fills = 0;          // XRANGE fills sent (subscriptions, gaps, epochs)
    std::uint64_t resets = 0;         // on_reset calls
    std::uint64_t malformed = 0;      // notifications or entries that could not be parsed
    std::uint64_t dropped = 0;        // notifications past max_buffered
    std::uint64_t redis_reads = 0;    // read_after() calls the cache could not answer
  };

  /// `commands` and `subscriber` are started (and stopped) by the caller; the subscriber's
  /// on_message and on_subscribed handlers are taken by this log.
  static std::shared_ptr<cluster_log> create(asio::io_context& io,
                                             std::shared_ptr<redis_client> commands,
                                             std::shared_ptr<redis_subscriber> subscriber,
                                             options o, handlers h);
  ~cluster_log();
  cluster_log(const cluster_log&) = delete;
  cluster_log& operator=(const cluster_log&) = delete;

  /// The keys and the channel of a room (valid names only: chat::valid_room_name).
  static std::string meta_key(std::string_view room);
  static std::string log_key(std::string_view room);
  static std::string channel(std::string_view room);

  /// This node serves `room` (has members in it): subscribes to its channel; once Redis
  /// confirms, fills the cache from the stream and calls on_ready. False for an invalid name.
  bool serve(const std::string& room);
  /// No longer serves `room`: unsubscribes and drops its cache.
  void release(const std::string& room);
  bool serving(const std::string& room) const { return rooms_.count(room) != 0; }
  /// What the cache of a served room holds; nullopt before its first fill or when not served.
  std::optional<rtwire::log::held_range> held(const std::string& room) const;
  /// The cache of a served room (valid while it is served: reset restarts it in place); nullptr
  /// before its first fill or when not served.
  const rtwire::log::message_log* cache(const std::string& room) const;

  /// Appends one event to `room` (served or not): its text is prefix + cursor text + suffix.
  /// `done` runs exactly once: with the cursor Redis assigned, or failed ("invalid": room name
  /// not valid_room_name, type not [a-z0-9_-]{1,64}; "unavailable": see publish_result). The
  /// event itself reaches on_event like every other (on each node serving the room).
  void publish(const std::string& room, const std::string& type, std::string_view json_prefix,
               std::string_view json_suffix, std::function<void(const publish_result&)> done);

  /// The events of `room` after `after`, from the cache when it holds them (a served room whose
  /// cache has `after` in its range), else from Redis: at most options::batch of them, or a
  /// reset (see read_result). Reading a room that has no epoch yet creates one. Events read here
  /// may also come later through on_event (a caller delivers each offset once).
  void read_after(const std::string& room, cursor after,
                  std::function<void(const read_result&)> done);

  const counters& stats() const noexcept { return stats_; }

 private:
  struct room_state;
  cluster_log(asio::io_context& io, std::shared_ptr<redis_client> commands,
              std::shared_ptr<redis_subscriber> sub, options o, handlers h);

  /// Runs `then` with Redis's clock minus the steady clock (ms), measured with TIME at most
  /// options::clock_resync ago; nullopt and why when TIME failed.
  using clock_handler = std::function<void(std::optional<std::int64_t>, const std::string&)>;
  void with_clock(clock_handler then);

  room_state* find(const std::string& room, std::uint64_t generation);
  void notified(const std::string& channel, const std::string& payload);
  void handle(room_state& r, cluster_event ev, bool retried);
  void hold(room_state& r, cluster_event ev, bool retried);
  void fill(room_state& r);
  void filled(const std::string& room, std::uint64_t generation, const redis_reply& reply);
  /// These call a handler, which may release the room: false when it did.
  bool apply(room_state& r, const cluster_event& ev);
  bool restart(room_state& r, cursor head, std::error_code why);

  std::string new_epoch();
  static millis now();

  asio::io_context& io_;
  std::shared_ptr<redis_client> commands_;
  std::shared_ptr<redis_subscriber> sub_;
  options options_;
  handlers handlers_;
  std::map<std::string, std::unique_ptr<room_state>> rooms_;
  std::map<std::string, std::string> channel_rooms_;  // channel -> room
  std::uint64_t generation_ = 0;  // tells apart two servings of one room (release, serve)
  std::optional<std::int64_t> clock_offset_;
  std::chrono::steady_clock::time_point clock_taken_;
  std::vector<clock_handler> clock_waiters_;
  std::mt19937_64 rng_;
  counters stats_;
};

}  // namespace chat
