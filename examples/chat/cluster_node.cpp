// chat: one chat node of a cluster (see cluster_node.hpp for the design).
#include "cluster_node.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "cluster_node_lua.hpp"
#include "cluster_redis.hpp"

namespace chat {

namespace {

using rtwire_examples::redis_client;
using rtwire_examples::redis_reply;
using rtwire_examples::redis_subscriber;
using kind = redis_reply::kind;
using cluster_redis::run_script;

constexpr std::string_view rooms_key = "rt:rooms";

std::string client_key(std::string_view id) {
  return "rt:client:" + std::string(id);
}
std::string session_key(std::string_view token) {
  return "rt:session:" + std::string(token);
}
std::string members_key(std::string_view room) {
  return "rt:{" + std::string(room) + "}:members";
}
std::string names_key(std::string_view room) {
  return "rt:{" + std::string(room) + "}:names";
}

/// Client ids and tokens are lowercase hex (hub::create); anything else never reaches a key.
bool valid_hex_id(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

error unavailable(const std::string& why) {
  return {"unavailable", "the chat's storage (Redis) is unreachable: " + why, 503};
}

/// Steps per refresh pass (a third of the member TTL).
constexpr std::size_t refresh_steps = 30;

}  // namespace

std::shared_ptr<cluster_node> cluster_node::create(asio::io_context& io, hub& h, options o) {
  return std::shared_ptr<cluster_node>(new cluster_node(io, h, std::move(o)));
}

cluster_node::cluster_node(asio::io_context& io, hub& h, options o)
    : io_(io), hub_(h), options_(std::move(o)), timer_(io) {
  std::random_device rd;
  rng_.seed((std::uint64_t{rd()} << 32) ^ rd());
  instance_ = cluster_redis::epoch_hex(rng_() | 1);
  commands_ = redis_client::create(io_, {.host = options_.host, .port = options_.port});
  sub_ = redis_subscriber::create(io_, {.host = options_.host,
                                        .port = options_.port,
                                        .home_channel = "rt:node:" + options_.node_id});
}

cluster_node::~cluster_node() {
  stop();
}

void cluster_node::stop() {
  running_ = false;
  timer_.cancel();
  log_.reset();
  commands_->stop();
  sub_->stop();
}

std::string cluster_node::new_epoch() {
  std::uint64_t e = 0;
  while (e == 0)
    e = rng_();
  return cluster_redis::epoch_hex(e);
}

std::vector<std::string> cluster_node::room_keys(const std::string& room) const {
  return {cluster_log::meta_key(room), cluster_log::log_key(room), members_key(room),
          names_key(room), std::string(rooms_key)};
}

// -- Starting and the refresh tick --------------------------------------------------------------

void cluster_node::start(std::function<void(const std::string& why)> done) {
  std::weak_ptr<cluster_node> weak = weak_from_this();
  log_ = cluster_log::create(io_, commands_, sub_,
                             {.history = options_.history, .batch = options_.history},
                             {.on_ready =
                                  [weak](const std::string& room, cursor) {
                                    if (auto self = weak.lock())
                                      self->hub_.room_ready(room, millis{0});
                                  },
                              .on_event =
                                  [weak](const std::string& room, const cluster_event& e) {
                                    if (auto self = weak.lock())
                                      self->hub_.room_event(room, e.at, e.type, e.json);
                                  },
                              .on_reset =
                                  [weak](const std::string& room, cursor head, std::error_code) {
                                    if (auto self = weak.lock()) self->hub_.room_reset(room, head);
                                  },
                              .on_other =
                                  [weak](const std::string&, const std::string& payload) {
                                    if (auto self = weak.lock()) self->on_node_message(payload);
                                  }});
  auto pending = std::make_shared<std::function<void(const std::string&)>>(std::move(done));
  commands_->on_state([weak, pending](bool up, const std::string& why) {
    auto self = weak.lock();
    if (!self) return;
    if (up && *pending) {
      auto d = std::move(*pending);
      *pending = nullptr;
      self->registered(std::move(d));
    }
    if (self->running_)
      std::fprintf(stderr, "chat: redis %s%s\n", up ? "up" : "down: ", why.c_str());
  });
  commands_->start();
  sub_->start();
  // Unreachable for 3 s: give up starting.
  timer_.expires_after(std::chrono::seconds(3));
  timer_.async_wait([weak, pending](const std::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || !*pending) return;
    auto d = std::move(*pending);
    *pending = nullptr;
    d("cannot reach Redis at " + self->options_.host + ":" + std::to_string(self->options_.port));
  });
}

void cluster_node::registered(std::function<void(const std::string&)> done) {
  run_script(*commands_, cluster_lua::node_script(), {"rt:node:" + options_.node_id},
             {instance_, std::to_string(options_.member_ttl.count())},
             [weak = weak_from_this(), done = std::move(done)](const redis_reply& r) {
               auto self = weak.lock();
               if (!self) return;
               self->timer_.cancel();
               if (r.type != kind::integer)
                 return done("cannot register the node id: " + cluster_redis::why_failed(r));
               if (r.integer != 1)
                 return done("node id " + self->options_.node_id +
                             " is in use by another running node (its registration expires " +
                             std::to_string(self->options_.member_ttl.count()) +
                             " ms after that node stops)");
               self->running_ = true;
               self->tick();
               done("");
             });
}

// The refresh runs in steps: a third of member_ttl is `refresh_steps` steps, each refreshing the
// next share of the sessions and rooms held here and sweeping the next share of the cluster's
// rooms, so that no step holds this node's thread (or Redis) long enough to delay deliveries.
void cluster_node::tick() {
  if (!running_) return;
  timer_.expires_after(
      std::max(millis{1}, options_.member_ttl / 3 / static_cast<millis::rep>(refresh_steps)));
  timer_.async_wait([weak = weak_from_this()](const std::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || !self->running_) return;
    self->step();
    self->tick();
  });
}

void cluster_node::step() {
  if (step_ == 0)
    run_script(*commands_, cluster_lua::node_script(), {"rt:node:" + options_.node_id},
               {instance_, std::to_string(options_.member_ttl.count())},
               [id = options_.node_id](const redis_reply& r) {
                 if (r.type == kind::integer && r.integer == 0)
                   std::fprintf(stderr, "chat: node id %s is held by another node now\n",
                                id.c_str());
               });
  step_ = (step_ + 1) % refresh_steps;
  refresh_sessions();
  refresh_members();
  sweep();
}

std::string cluster_node::session_json(const session& s) const {
  json rooms = json::array();
  for (const auto& r : s.rooms)
    rooms.push_back(r);
  return json{{"id", s.id}, {"token", s.token}, {"name", s.name}, {"rooms", std::move(rooms)}}
      .dump();
}

void cluster_node::refresh_sessions() {
  // This step's share (one more than an even split: a whole pass takes at most refresh_steps).
  const std::size_t share = hub_.session_count() / refresh_steps + 1;
  std::vector<std::string> keys,
      args{options_.node_id, std::to_string(options_.member_ttl.count()),
           std::to_string((options_.grace + options_.member_ttl).count())};
  std::vector<std::string> ids;
  session_cursor_ = hub_.for_each_session(session_cursor_, share, [&](const session& s) {
    keys.push_back(client_key(s.id));
    keys.push_back(session_key(s.token));
    args.push_back(session_json(s));
    ids.push_back(s.id);
  });
  if (ids.empty()) return;
  run_script(*commands_, cluster_lua::refresh_sessions_script(), std::move(keys), std::move(args),
             [weak = weak_from_this(), ids = std::move(ids)](const redis_reply& r) {
               auto self = weak.lock();
               if (!self || r.type != kind::array || r.elements.size() != ids.size()) return;
               // Held by another node now (its evict did not reach us): forget them here.
               for (std::size_t i = 0; i < ids.size(); ++i)
                 if (r.elements[i].type == kind::integer && r.elements[i].integer == 0)
                   self->hub_.forget(ids[i]);
             });
}

void cluster_node::refresh_members() {
  const std::size_t share = hub_.room_count() / refresh_steps + 1;
  room_cursor_ = hub_.for_each_room(
      room_cursor_, share,
      [&](const std::string& room, const std::map<std::string, std::string>& members) {
        if (members.empty()) return;
        std::vector<std::string> args{new_epoch(),
                                      std::to_string(options_.history),
                                      cluster_log::channel(room),
                                      std::to_string(options_.member_ttl.count()),
                                      room,
                                      "0"};
        for (const auto& [id, name] : members) {
          args.push_back(id);
          args.push_back(json(name).dump());
        }
        // A failed refresh is sent again at the next pass.
        run_script(*commands_, cluster_lua::join_script(), room_keys(room), std::move(args),
                   [](const redis_reply&) {});
      });
}

void cluster_node::sweep() {
  if (sweep_next_ >= sweep_rooms_.size()) {
    // A new pass: the cluster's rooms now (they are swept from the next step on).
    sweep_rooms_.clear();
    sweep_next_ = 0;
    commands_->command({"SMEMBERS", std::string(rooms_key)},
                       [weak = weak_from_this()](const redis_reply& r) {
                         auto self = weak.lock();
                         if (!self || r.type != kind::array) return;
                         self->sweep_rooms_.clear();
                         for (const auto& e : r.elements)
                           if (valid_room_name(e.text)) self->sweep_rooms_.push_back(e.text);
                         self->sweep_next_ = 0;
                       });
    return;
  }
  const std::size_t share = sweep_rooms_.size() / refresh_steps + 1;
  for (std::size_t n = 0; n < share && sweep_next_ < sweep_rooms_.size(); ++n) {
    const std::string& room = sweep_rooms_[sweep_next_++];
    run_script(*commands_, cluster_lua::expire_script(), room_keys(room),
               {new_epoch(), std::to_string(options_.history), cluster_log::channel(room), room},
               [](const redis_reply&) {});
  }
}

void cluster_node::on_node_message(const std::string& payload) {
  // "dm <to> <type> <json>" or "evict <clientId>".
  const std::string_view p(payload);
  const auto a = p.find(' ');
  if (a == std::string_view::npos) return;
  const std::string_view verb = p.substr(0, a);
  if (verb == "evict") return hub_.forget(std::string(p.substr(a + 1)));
  if (verb != "dm") return;
  const auto b = p.find(' ', a + 1);
  const auto c = b == std::string_view::npos ? b : p.find(' ', b + 1);
  if (c == std::string_view::npos) return;
  hub_.direct_event(std::string(p.substr(a + 1, b - a - 1)), p.substr(b + 1, c - b - 1),
                    std::string(p.substr(c + 1)));
}

// -- cluster_link -------------------------------------------------------------------------------

void cluster_node::serve(const std::string& room) {
  if (log_) (void)log_->serve(room);
}

void cluster_node::release(const std::string& room) {
  if (log_) log_->release(room);
}

const rtwire::log::message_log* cluster_node::history(const std::string& room) const {
  return log_ ? log_->cache(room) : nullptr;
}

void cluster_node::publish(const std::string& room, const std::string& type, std::string prefix,
                           std::string suffix, reply_fn done) {
  if (!log_) return done(unavailable("not started"));
  log_->publish(room, type, prefix, suffix, [done = std::move(done)](const publish_result& r) {
    if (r) return done(std::nullopt);
    if (r.error == "unavailable") return done(unavailable(r.detail));
    done(error{"bad-request", r.detail, 400});
  });
}

void cluster_node::join(const std::string& room, const session& s,
                        std::function<void(joined_info)> done) {
  run_script(*commands_, cluster_lua::join_script(), room_keys(room),
             {new_epoch(), std::to_string(options_.history), cluster_log::channel(room),
              std::to_string(options_.member_ttl.count()), room, "1", s.id, json(s.name).dump()},
             [done = std::move(done)](const redis_reply& r) {
               joined_info info;
               std::optional<cursor> at;
               if (r.type == kind::array && r.elements.size() == 4 &&
                   r.elements[1].type == kind::integer && r.elements[2].type == kind::integer &&
                   r.elements[3].type == kind::array)
                 at = cluster_redis::parse_position(r.elements[0].text,
                                                    std::to_string(r.elements[1].integer));
               if (!at) {
                 info.err = unavailable(cluster_redis::why_failed(r));
                 return done(std::move(info));
               }
               info.at = *at;
               info.added = r.elements[2].integer > 0;
               // {clientId, name} by clientId, as a single node lists them.
               std::map<std::string, json> members;
               const auto& flat = r.elements[3].elements;
               for (std::size_t i = 0; i + 1 < flat.size(); i += 2) {
                 json name = json::parse(flat[i + 1].text, nullptr, false);
                 if (!name.is_string()) continue;  // not what a node wrote: not listed
                 members[flat[i].text] = std::move(name);
               }
               for (auto& [id, name] : members)
                 info.members.push_back({{"clientId", id}, {"name", std::move(name)}});
               done(std::move(info));
             });
}

void cluster_node::leave(const std::string& room, const session& s, bool asked,
                         std::function<void(bool)> done) {
  auto keys = room_keys(room);
  keys.push_back(client_key(s.id));
  run_script(*commands_, cluster_lua::leave_script(), std::move(keys),
             {new_epoch(), std::to_string(options_.history), cluster_log::channel(room), room, s.id,
              asked ? std::string() : options_.node_id},
             [done = std::move(done)](const redis_reply& r) {
               done(r.type == kind::array && r.elements.size() == 3 &&
                    r.elements[2].type == kind::integer && r.elements[2].integer == 1);
             });
}

void cluster_node::direct(const session& from, const std::string& to, std::string_view type,
                          const std::string& text, reply_fn done) {
  const error unknown{"unknown-client", "no such client in your rooms", 404};
  if (!valid_hex_id(to) || from.rooms.empty()) return done(unknown);
  std::vector<std::string> keys{client_key(to)};
  for (const auto& r : from.rooms)
    keys.push_back(members_key(r));
  run_script(*commands_, cluster_lua::direct_script(), std::move(keys),
             {to, std::string(type) + " " + text},
             [done = std::move(done), unknown](const redis_reply& r) {
               if (r.type != kind::integer) return done(unavailable(cluster_redis::why_failed(r)));
               done(r.integer == 1 ? std::nullopt : std::optional<error>(unknown));
             });
}

void cluster_node::load_session(const std::string& token,
                                std::function<void(std::optional<stored_session>)> done) {
  if (!valid_hex_id(token)) return done(std::nullopt);
  commands_->command({"GET", session_key(token)}, [done = std::move(done)](const redis_reply& r) {
    if (r.type != kind::string) return done(std::nullopt);
    const json j = json::parse(r.text, nullptr, false);
    if (!j.is_object() || !j.contains("id") || !j["id"].is_string() || !j.contains("token") ||
        !j["token"].is_string() || !j.contains("name") || !j["name"].is_string() ||
        !j.contains("rooms") || !j["rooms"].is_array() || !valid_hex_id(j["id"].get<std::string>()))
      return done(std::nullopt);
    stored_session s{j["id"].get<std::string>(),
                     j["token"].get<std::string>(),
                     j["name"].get<std::string>(),
                     {}};
    for (const auto& room : j["rooms"])
      if (room.is_string() && valid_room_name(room.get<std::string>()))
        s.rooms.insert(room.get<std::string>());
    done(std::move(s));
  });
}

void cluster_node::claim(const session& s) {
  run_script(*commands_, cluster_lua::claim_script(), {client_key(s.id)},
             {options_.node_id, std::to_string(options_.member_ttl.count()), s.id},
             [](const redis_reply&) {});
  store(s);
}

void cluster_node::store(const session& s) {
  const auto ttl = options_.grace + options_.member_ttl;
  commands_->command(
      {"SET", session_key(s.token), session_json(s), "PX", std::to_string(ttl.count())},
      [](const redis_reply&) {});
}

void cluster_node::ended(const session& s) {
  commands_->command({"DEL", session_key(s.token)}, [](const redis_reply&) {});
}

void cluster_node::stats(std::function<void(json rooms)> done) {
  run_script(*commands_, cluster_lua::stats_script(), {std::string(rooms_key)}, {},
             [done = std::move(done)](const redis_reply& r) {
               json rooms = json::object();
               if (r.type == kind::array) {
                 for (std::size_t i = 0; i + 2 < r.elements.size(); i += 3)
                   rooms[r.elements[i].text] = {{"members", r.elements[i + 1].integer},
                                                {"messages", r.elements[i + 2].integer}};
               }
               done(std::move(rooms));
             });
}

}  // namespace chat
