// chat: the cluster room log (see cluster_log.hpp for the design).
#include "cluster_log.hpp"

#include <rtwire/core/log_error.hpp>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <random>
#include <utility>

#include "cluster_redis.hpp"
#include "room.hpp"

namespace chat {

namespace {

using rtwire::log::error;
using namespace cluster_redis;

}  // namespace

/// A served room: its cache (a mirror of the stream's tail) and the fill state.
struct cluster_log::room_state {
  room_state(std::string n, std::uint64_t g, asio::io_context& io, rtwire::log::retention keep)
      : name(std::move(n)), generation(g), cache(0, keep), retry(io) {}
  std::string name;
  std::uint64_t generation;
  rtwire::log::message_log cache;  // its epoch and offsets are the shared log's, once known
  bool known = false;              // the first fill completed
  bool filling = false;            // a fill is in flight
  bool refill = false;             // fill again when it returns
  struct held_event {
    cluster_event ev;
    bool retried;  // survived a fill already (an epoch nobody confirms is then dropped)
  };
  std::vector<held_event> buffered;  // notifications received while filling or after a gap
  std::vector<std::uint64_t> past_epochs;
  asio::steady_timer retry;  // a failed fill tries again
};

std::shared_ptr<cluster_log> cluster_log::create(asio::io_context& io,
                                                 std::shared_ptr<redis_client> commands,
                                                 std::shared_ptr<redis_subscriber> subscriber,
                                                 options o, handlers h) {
  std::shared_ptr<cluster_log> log(
      new cluster_log(io, std::move(commands), std::move(subscriber), o, std::move(h)));
  std::weak_ptr<cluster_log> weak = log;
  log->sub_->on_message([weak](const std::string& channel, const std::string& payload) {
    if (auto self = weak.lock()) self->notified(channel, payload);
  });
  log->sub_->on_subscribed([weak](const std::string& channel) {
    auto self = weak.lock();
    if (!self) return;
    // (Re)subscribed: what was published meanwhile is in the stream; fill from it now.
    const auto name = self->channel_rooms_.find(channel);
    if (name == self->channel_rooms_.end()) return;
    if (auto it = self->rooms_.find(name->second); it != self->rooms_.end())
      self->fill(*it->second);
  });
  return log;
}

cluster_log::cluster_log(asio::io_context& io, std::shared_ptr<redis_client> commands,
                         std::shared_ptr<redis_subscriber> sub, options o, handlers h)
    : io_(io),
      commands_(std::move(commands)),
      sub_(std::move(sub)),
      options_(o),
      handlers_(std::move(h)) {
  std::random_device rd;
  rng_.seed((std::uint64_t{rd()} << 32) ^ rd());
}

cluster_log::~cluster_log() {
  sub_->on_message(nullptr);
  sub_->on_subscribed(nullptr);
  for (const auto& [name, r] : rooms_)
    sub_->unsubscribe(channel(name));
}

std::string cluster_log::meta_key(std::string_view room) {
  return "rt:{" + std::string(room) + "}:meta";
}
std::string cluster_log::log_key(std::string_view room) {
  return "rt:{" + std::string(room) + "}:log";
}
std::string cluster_log::channel(std::string_view room) {
  return "rt:{" + std::string(room) + "}:ev";
}

std::string cluster_log::new_epoch() {
  std::uint64_t e = 0;
  while (e == 0)
    e = rng_();
  return epoch_hex(e);
}

cluster_log::millis cluster_log::now() {
  return std::chrono::duration_cast<millis>(std::chrono::steady_clock::now().time_since_epoch());
}

// -- Serving rooms ------------------------------------------------------------------------------

bool cluster_log::serve(const std::string& room) {
  if (!valid_room_name(room)) return false;
  if (rooms_.count(room) != 0) return true;
  rooms_.emplace(room, std::make_unique<room_state>(
                           room, ++generation_, io_,
                           rtwire::log::retention{.max_messages = options_.history,
                                                  .max_bytes = options_.cache_bytes}));
  channel_rooms_[channel(room)] = room;
  sub_->subscribe(channel(room));  // on_subscribed fills it
  // Already subscribed (the subscriber is shared, or kept the channel): no confirmation comes.
  if (sub_->subscribed(channel(room))) fill(*rooms_.at(room));
  return true;
}

void cluster_log::release(const std::string& room) {
  if (rooms_.erase(room) == 0) return;
  channel_rooms_.erase(channel(room));
  sub_->unsubscribe(channel(room));
}

std::optional<rtwire::log::held_range> cluster_log::held(const std::string& room) const {
  const auto it = rooms_.find(room);
  if (it == rooms_.end() || !it->second->known) return std::nullopt;
  return it->second->cache.held();
}

const rtwire::log::message_log* cluster_log::cache(const std::string& room) const {
  const auto it = rooms_.find(room);
  if (it == rooms_.end() || !it->second->known) return nullptr;
  return &it->second->cache;
}

cluster_log::room_state* cluster_log::find(const std::string& room, std::uint64_t generation) {
  const auto it = rooms_.find(room);
  return it != rooms_.end() && it->second->generation == generation ? it->second.get() : nullptr;
}

// -- Notifications and fills --------------------------------------------------------------------

void cluster_log::notified(const std::string& ch, const std::string& payload) {
  const auto name = channel_rooms_.find(ch);
  if (name == channel_rooms_.end()) {
    if (handlers_.on_other) handlers_.on_other(ch, payload);
    return;
  }
  const auto it = rooms_.find(name->second);
  if (it == rooms_.end()) return;
  ++stats_.notifications;
  // "<epoch hex> <offset> <type> <json>" (the publish script's PUBLISH).
  const std::string_view p(payload);
  const std::size_t a = p.find(' ');
  const std::size_t b = a == std::string_view::npos ? a : p.find(' ', a + 1);
  const std::size_t c = b == std::string_view::npos ? b : p.find(' ', b + 1);
  const auto at = c == std::string_view::npos
                      ? std::nullopt
                      : parse_position(p.substr(0, a), p.substr(a + 1, b - a - 1));
  if (!at || at->offset == 0 || !valid_type(p.substr(b + 1, c - b - 1))) {
    ++stats_.malformed;
    return;
  }
  handle(*it->second, {*at, std::string(p.substr(b + 1, c - b - 1)), std::string(p.substr(c + 1))},
         false);
}

void cluster_log::hold(room_state& r, cluster_event ev, bool retried) {
  if (r.buffered.size() >= options_.max_buffered) {
    ++stats_.dropped;
    r.refill = true;  // the stream has it: the next fill fetches it
    return;
  }
  r.buffered.push_back({std::move(ev), retried});
}

void cluster_log::handle(room_state& r, cluster_event ev, bool retried) {
  if (r.filling) return hold(r, std::move(ev), retried);  // handled when the fill returns
  if (!r.known) {
    hold(r, std::move(ev), retried);
    return fill(r);
  }
  if (ev.at.epoch != r.cache.epoch()) {
    if (std::find(r.past_epochs.begin(), r.past_epochs.end(), ev.at.epoch) != r.past_epochs.end()) {
      ++stats_.duplicates;  // a late notification of a history already left behind
      return;
    }
    if (retried) {  // a fill sent after it arrived did not find that epoch in Redis
      ++stats_.malformed;
      return;
    }
    hold(r, std::move(ev), true);  // a new epoch: the fill reports the reset first
    return fill(r);
  }
  const std::uint64_t last = r.cache.last_offset();
  if (ev.at.offset <= last) {
    ++stats_.duplicates;
    return;
  }
  if (ev.at.offset > last + 1) {  // a gap: the stream has what is missing
    hold(r, std::move(ev), retried);
    return fill(r);
  }
  apply(r, std::move(ev));
}

void cluster_log::fill(room_state& r) {
  if (r.filling) {
    r.refill = true;
    return;
  }
  r.filling = true;
  r.refill = false;
  r.retry.cancel();
  ++stats_.fills;
  const std::string known = r.known ? epoch_hex(r.cache.epoch()) : std::string();
  const std::string from = "(" + std::to_string(r.cache.last_offset()) + "-0";
  run_script(
      *commands_, read_script(), {meta_key(r.name), log_key(r.name)},
      {new_epoch(), known, from, std::to_string(options_.batch)},
      [weak = weak_from_this(), name = r.name, gen = r.generation](const redis_reply& reply) {
        if (auto self = weak.lock()) self->filled(name, gen, reply);
      });
}

void cluster_log::filled(const std::string& room, std::uint64_t gen, const redis_reply& reply) {
  room_state* r = find(room, gen);
  if (r == nullptr) return;  // released meanwhile
  r->filling = false;
  const auto view = parse_read(reply);
  if (!view) {
    if (!reply.failed()) ++stats_.malformed;
    // Redis is down or answered nonsense: try again later (the subscriber's reconnect also
    // fills); the notifications held meanwhile stay held.
    r->retry.expires_after(millis{500});
    r->retry.async_wait([weak = weak_from_this(), room, gen](const std::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      if (room_state* again = self->find(room, gen)) self->fill(*again);
    });
    return;
  }
  stats_.malformed += view->skipped;
  const cursor top = view->top;
  const auto& entries = view->entries;
  const bool first_sight = !r->known;
  if (first_sight || top.epoch != r->cache.epoch()) {
    // Start at the newest entries this fill brought (the tail of that epoch's stream).
    const std::uint64_t base = entries.empty() ? top.offset : entries.front().at.offset - 1;
    if (first_sight) {
      (void)r->cache.restart_at({top.epoch, base});
      for (const auto& ev : entries)  // history, not news: no on_event
        if (r->cache.append_at(ev.at.offset, ev.json, ev.type, now()).error)
          (void)r->cache.restart_at(ev.at);  // a skipped entry or an oversized event
      r->known = true;
      if (handlers_.on_ready) handlers_.on_ready(room, r->cache.head());
      if ((r = find(room, gen)) == nullptr) return;
    } else {
      if (r->past_epochs.size() == 8) r->past_epochs.erase(r->past_epochs.begin());
      r->past_epochs.push_back(r->cache.epoch());
      if (!restart(*r, {top.epoch, base}, error::epoch_mismatch)) return;
    }
  }
  if (!first_sight) {
    for (const auto& ev : entries) {
      if (ev.at.offset <= r->cache.last_offset()) continue;
      if (ev.at.offset > r->cache.last_offset() + 1 &&
          !restart(*r, {top.epoch, ev.at.offset - 1}, error::cursor_too_old))
        return;  // trimmed before this node read it
      if (!apply(*r, ev)) return;
    }
    if (r->cache.last_offset() < top.offset) {
      if (entries.size() + view->skipped >= options_.batch) return fill(*r);  // more to fetch
      // The stream lacks the offsets up to the top: nothing can bring them back.
      if (!restart(*r, top, error::cursor_too_old)) return;
    }
  }
  // Then what arrived meanwhile, in arrival order.
  auto held = std::move(r->buffered);
  r->buffered.clear();
  for (auto& h : held) {
    if ((r = find(room, gen)) == nullptr) return;
    handle(*r, std::move(h.ev), h.retried);
  }
  if ((r = find(room, gen)) != nullptr && r->refill && !r->filling) fill(*r);
}

bool cluster_log::apply(room_state& r, const cluster_event& ev) {
  if (r.cache.append_at(ev.at.offset, ev.json, ev.type, now()).error)
    (void)r.cache.restart_at(ev.at);  // larger than cache_bytes: delivered, not cached
  const std::string room = r.name;
  const std::uint64_t gen = r.generation;
  if (handlers_.on_event) handlers_.on_event(room, ev);
  return find(room, gen) != nullptr;
}

bool cluster_log::restart(room_state& r, cursor head, std::error_code why) {
  (void)r.cache.restart_at(head);  // a new epoch, or the same one further on: never refused
  ++stats_.resets;
  const std::string room = r.name;
  const std::uint64_t gen = r.generation;
  if (handlers_.on_reset) handlers_.on_reset(room, head, why);
  return find(room, gen) != nullptr;
}

// -- Scripts, the clock and publishing ----------------------------------------------------------

void cluster_log::with_clock(clock_handler then) {
  const auto t0 = std::chrono::steady_clock::now();
  if (clock_offset_ && t0 - clock_taken_ < options_.clock_resync) return then(clock_offset_, {});
  clock_waiters_.push_back(std::move(then));
  if (clock_waiters_.size() > 1) return;  // a TIME is already on its way
  commands_->command({"TIME"}, [weak = weak_from_this(), t0](const redis_reply& r) {
    auto self = weak.lock();
    if (!self) return;
    const auto t1 = std::chrono::steady_clock::now();
    std::optional<std::int64_t> offset;
    if (r.type == kind::array && r.elements.size() == 2) {
      const std::int64_t redis_ms = std::atoll(r.elements[0].text.c_str()) * 1000 +
                                    std::atoll(r.elements[1].text.c_str()) / 1000;
      const auto mid = std::chrono::duration_cast<millis>((t0 + (t1 - t0) / 2).time_since_epoch());
      if (redis_ms > 0) offset = redis_ms - mid.count();
    }
    if (offset) {
      self->clock_offset_ = offset;
      self->clock_taken_ = t1;
    }
    auto waiters = std::move(self->clock_waiters_);
    self->clock_waiters_.clear();
    const std::string why = offset ? std::string() : "cannot read Redis's clock: " + why_failed(r);
    for (auto& w : waiters)
      w(offset, why);
  });
}

void cluster_log::publish(const std::string& room, const std::string& type,
                          std::string_view json_prefix, std::string_view json_suffix,
                          std::function<void(const publish_result&)> done) {
  if (!valid_room_name(room))
    return done({"invalid", "the room name is not [A-Za-z0-9_-]{1,64}", {}});
  if (!valid_type(type)) return done({"invalid", "the type is not [a-z0-9_-]{1,64}", {}});
  const auto since = std::chrono::steady_clock::now();
  with_clock([weak = weak_from_this(), room, type, prefix = std::string(json_prefix),
              suffix = std::string(json_suffix), since, done = std::move(done)](
                 std::optional<std::int64_t> offset, const std::string& why) mutable {
    auto self = weak.lock();
    if (!self) return;
    if (!offset) return done({"unavailable", why, {}});
    const auto& o = self->options_;
    const auto sent = std::chrono::duration_cast<millis>(since.time_since_epoch());
    const std::int64_t deadline = *offset + (sent + o.publish_deadline).count();
    // The reply may take as long as the deadline again (slack for the TIME round trip).
    const auto spent = std::chrono::duration_cast<millis>(std::chrono::steady_clock::now() - since);
    const millis timeout = std::max(millis{200}, o.publish_deadline * 2 - spent);
    run_script(
        *self->commands_, publish_script(), {meta_key(room), log_key(room)},
        {self->new_epoch(), std::to_string(o.history), channel(room), std::to_string(deadline),
         type, prefix, suffix},
        [done = std::move(done)](const redis_reply& r) {
          std::optional<cursor> at;
          if (r.type == kind::array && r.elements.size() == 2 &&
              r.elements[1].type == kind::integer && r.elements[1].integer > 0)
            at = parse_position(r.elements[0].text, std::to_string(r.elements[1].integer));
          if (!at) return done({"unavailable", why_failed(r), {}});
          done({{}, {}, *at});
        },
        timeout);
  });
}

// -- Reading ------------------------------------------------------------------------------------

void cluster_log::read_after(const std::string& room, cursor after,
                             std::function<void(const read_result&)> done) {
  read_result out;
  if (!valid_room_name(room)) {
    out.error = "invalid";
    out.detail = "the room name is not [A-Za-z0-9_-]{1,64}";
    return done(out);
  }
  const auto it = rooms_.find(room);
  if (it != rooms_.end() && it->second->known && !it->second->filling) {
    const auto& cache = it->second->cache;
    const auto r = cache.resume(after);
    // Only a range the cache holds; a cursor it cannot place may still be valid in Redis (a
    // newer epoch or offset this node has not heard of yet, or older than the cache).
    if (r) {
      out.head = cache.head();
      const std::uint64_t last = r.count() > options_.batch ? r.first + options_.batch - 1 : r.last;
      for (const auto& m : cache.range(r.first, last))
        out.events.push_back(
            {{cache.epoch(), m.offset}, std::string(m.type), std::string(m.payload)});
      out.more = last < r.last;
      return done(out);
    }
  }
  ++stats_.redis_reads;
  run_script(*commands_, read_script(), {meta_key(room), log_key(room)},
             {new_epoch(), epoch_hex(after.epoch), "(" + std::to_string(after.offset) + "-0",
              std::to_string(options_.batch)},
             [after, done = std::move(done)](const redis_reply& reply) {
               read_result res;
               auto view = parse_read(reply);
               if (!view) {
                 res.error = "unavailable";
                 res.detail = why_failed(reply);
                 return done(res);
               }
               res.head = view->top;
               auto& entries = view->entries;
               if (view->top.epoch != after.epoch) {
                 res.reset = error::epoch_mismatch;
               } else if (after.offset > view->top.offset) {
                 res.reset = error::cursor_from_future;
               } else if (after.offset < view->top.offset &&
                          (entries.empty() || entries.front().at.offset != after.offset + 1)) {
                 res.reset = error::cursor_too_old;  // trimmed (MAXLEN ~ history)
               } else {
                 // Contiguous only: an entry that did not parse ends the batch (the next read
                 // starting there gets cursor_too_old rather than a silent gap).
                 std::uint64_t next = after.offset + 1;
                 for (auto& ev : entries) {
                   if (ev.at.offset != next++) break;
                   res.events.push_back(std::move(ev));
                 }
                 const std::uint64_t got = after.offset + res.events.size();
                 res.more = got < view->top.offset;
               }
               done(res);
             });
}

}  // namespace chat
