// chat: one chat node of a cluster (chat_server --redis, issue #16) — the hub's cluster_link on
// Redis. Rooms' logs are cluster_log's (Redis Streams, one Pub/Sub channel per room); this adds
// what makes several nodes one chat:
//
//   auto node = chat::cluster_node::create(io, hub, {.host = "127.0.0.1", .port = 6379,
//                                                    .node_id = "a"});
//   hub.use_cluster(node.get());
//   node->start([&](const std::string& why) { if (why.empty()) serve(); else exit(1); });
//
// - Presence: each member of a room is an entry of rt:{<room>}:members whose score is its expiry
//   on Redis's clock; the member's node refreshes it every third of member_ttl (one pass spread
//   over 30 steps, so that no step holds the thread long enough to delay deliveries). Joining and
//   leaving are scripts that change the set and log user-joined / user-left in one step, and any
//   node sweeps the expired entries (a node that died): the script that removes a member is the
//   one that logs its user-left, so each departure is logged exactly once.
// - Sessions: every session this node holds is stored (rt:session:<token>, for grace + TTL) and
//   owned (rt:client:<clientId> -> node id, for the TTL), both refreshed with presence. A token
//   this node does not know is looked up there (resume on any node); the node that held the
//   session is told to forget it ("evict" on its channel), and a node that finds at a refresh
//   that another node owns one of its sessions forgets it too (the evict was lost).
// - Direct events (private, signal) for a client held elsewhere go through a script that checks
//   that the two share a room and publishes to the holding node's channel rt:node:<id>, which is
//   the home channel of that node's subscriber.
// - The node id is registered (rt:node:<id>, refreshed with presence): a second node starting
//   with a live id is refused.
//
// Every Redis failure is answered, never waited out: publishes and joins fail "unavailable"
// (within redis_client's command timeout), lookups find nothing, refreshes run again at the
// next tick; redis_client reconnects with backoff (≤ 2 s) and cluster_log fills every served
// room from its stream once the subscriber is back.
//
// Single-threaded: the io_context's thread only. create() gives a shared_ptr; stop() before the
// hub goes away.
#pragma once

#include <asio.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cluster_log.hpp"
#include "hub.hpp"

namespace chat {

class cluster_node : public cluster_link, public std::enable_shared_from_this<cluster_node> {
 public:
  struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::string node_id;
    /// --member-ttl-ms: a member whose node stops refreshing it leaves this long after the last
    /// refresh; refreshes come every third of it.
    millis member_ttl{15'000};
    /// --grace-ms: how long a stored session outlives its node's last refresh (plus member_ttl).
    millis grace{10'000};
    /// --history: events kept per room (MAXLEN ~ N, and each room's cache).
    std::size_t history = 1000;
  };

  static std::shared_ptr<cluster_node> create(asio::io_context& io, hub& h, options o);
  ~cluster_node() override;

  /// Connects to Redis (at most 3 s) and registers the node id, then refreshes every third of
  /// member_ttl. done("") when serving may start; done(why) when it may not (unreachable, or the
  /// id is held by another live node).
  void start(std::function<void(const std::string& why)> done);
  void stop();

  // cluster_link
  void serve(const std::string& room) override;
  void release(const std::string& room) override;
  const rtwire::log::message_log* history(const std::string& room) const override;
  void publish(const std::string& room, const std::string& type, std::string prefix,
               std::string suffix, reply_fn done) override;
  void join(const std::string& room, const session& s,
            std::function<void(joined_info)> done) override;
  void leave(const std::string& room, const session& s, bool asked,
             std::function<void(bool)> done) override;
  void direct(const session& from, const std::string& to, std::string_view type,
              const std::string& text, reply_fn done) override;
  void load_session(const std::string& token,
                    std::function<void(std::optional<stored_session>)> done) override;
  void claim(const session& s) override;
  void store(const session& s) override;
  void ended(const session& s) override;
  void stats(std::function<void(json rooms)> done) override;
  const std::string& node_id() const override { return options_.node_id; }

 private:
  cluster_node(asio::io_context& io, hub& h, options o);
  std::vector<std::string> room_keys(const std::string& room) const;
  std::string new_epoch();
  std::string session_json(const session& s) const;
  void registered(std::function<void(const std::string&)> done);
  void tick();
  void step();
  void refresh_sessions();
  void refresh_members();
  void sweep();
  void on_node_message(const std::string& payload);

  asio::io_context& io_;
  hub& hub_;
  options options_;
  std::string instance_;  // random: tells this run of the node from another with the same id
  std::shared_ptr<rtwire_examples::redis_client> commands_;
  std::shared_ptr<rtwire_examples::redis_subscriber> sub_;
  std::shared_ptr<cluster_log> log_;
  asio::steady_timer timer_;
  std::mt19937_64 rng_;
  bool running_ = false;
  // The refresh pass in steps (cluster_node.cpp, tick()).
  std::size_t step_ = 0;
  std::string session_cursor_, room_cursor_;  // where the next step goes on ("" = the first)
  std::vector<std::string> sweep_rooms_;
  std::size_t sweep_next_ = 0;
};

}  // namespace chat
