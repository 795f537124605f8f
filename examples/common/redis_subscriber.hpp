// Shared by the examples: Redis Pub/Sub on a dedicated connection (a redis_client in Pub/Sub
// mode), keeping a set of channels subscribed across reconnects. Not part of the library.
//
//   auto sub = rtwire_examples::redis_subscriber::create(io, {.port = 6379});
//   sub->on_message([](const std::string& channel, const std::string& payload) { ... });
//   sub->on_subscribed([](const std::string& channel) { fill_what_was_missed(channel); });
//   sub->on_state([](bool up, const std::string& why) { ... });
//   sub->subscribe("rt:{lobby}:ev");   // now or at the next connect
//   sub->start();
//
// What it guarantees:
// - The wanted set survives the connection: after every (re)connect each wanted channel is
//   subscribed again, and on_subscribed(channel) runs when Redis confirms it. Pub/Sub delivers
//   at most once and nothing sent while a channel was not subscribed, so a caller that must not
//   miss anything reads what it missed (e.g. from a stream) *after* on_subscribed: from then on
//   every message reaches on_message, in the order Redis published them.
// - unsubscribe() then subscribe() of the same channel never loses it: hiredis 0.14 forgets a
//   channel's callback when the UNSUBSCRIBE confirmation arrives, even if a SUBSCRIBE for it was
//   sent meanwhile, so the SUBSCRIBE waits for that confirmation.
// - A home channel (options::home_channel, default `rt:sub:<random hex>`) stays subscribed for
//   the connection's life, so the subscription count never returns to zero: hiredis 0.14 leaves
//   subscribed mode at zero and asserts if a SUBSCRIBE confirmation arrives after that. Messages
//   published to it reach on_message like any other (a per-node channel).
// - Reconnection and backoff are redis_client's (capped at options::max_backoff).
// - Lifetime: create() gives a shared_ptr; stop() closes the connection and stops reconnecting.
//   Single-threaded: call it only from the io_context's thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/redis_client.hpp"

namespace rtwire_examples {

class redis_subscriber : public std::enable_shared_from_this<redis_subscriber> {
 public:
  using millis = redis_client::millis;
  using message_handler = std::function<void(const std::string& channel, const std::string&)>;
  using subscribed_handler = std::function<void(const std::string& channel)>;
  using state_handler = redis_client::state_handler;

  struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    millis connect_timeout{2000};
    millis max_backoff{2000};
    /// Empty: `rt:sub:<16 random hex digits>`.
    std::string home_channel{};
  };

  static std::shared_ptr<redis_subscriber> create(asio::io_context& io, options o) {
    return std::shared_ptr<redis_subscriber>(new redis_subscriber(io, std::move(o)));
  }
  redis_subscriber(const redis_subscriber&) = delete;
  redis_subscriber& operator=(const redis_subscriber&) = delete;
  ~redis_subscriber() {
    conn_->on_state(nullptr);
    conn_->on_push(nullptr);
    conn_->stop();
  }

  void on_message(message_handler h) { on_message_ = std::move(h); }
  void on_subscribed(subscribed_handler h) { on_subscribed_ = std::move(h); }
  /// (true, "") once connected (before the resubscriptions are confirmed); (false, why) when a
  /// connect fails or the connection is lost.
  void on_state(state_handler h) { on_state_ = std::move(h); }

  void start() {
    std::weak_ptr<redis_subscriber> weak = weak_from_this();
    conn_->on_state([weak](bool up, const std::string& why) {
      if (auto self = weak.lock()) self->connection_changed(up, why);
    });
    conn_->on_push([weak](const redis_reply& r) {
      if (auto self = weak.lock()) self->push(r);
    });
    conn_->start();
  }
  void stop() { conn_->stop(); }

  bool connected() const noexcept { return conn_->connected(); }
  const std::string& home_channel() const noexcept { return home_; }

  /// Wants `channel`: subscribes now if connected, else at the next connect.
  void subscribe(const std::string& channel) {
    auto& c = channels_[channel];
    if (c.wanted) return;
    c.wanted = true;
    // While an UNSUBSCRIBE is on its way, the SUBSCRIBE waits for its confirmation (see above).
    if (!c.unsubscribing && !c.confirmed) (void)conn_->send_pubsub({"SUBSCRIBE", channel});
  }

  /// No longer wants `channel`; its messages stop once Redis confirms.
  void unsubscribe(const std::string& channel) {
    const auto it = channels_.find(channel);
    if (it == channels_.end() || !it->second.wanted || channel == home_) return;
    it->second.wanted = false;
    if (it->second.unsubscribing) return;
    if (conn_->send_pubsub({"UNSUBSCRIBE", channel}))
      it->second.unsubscribing = true, it->second.confirmed = false;
    else
      channels_.erase(it);  // not connected: nothing to undo on the server
  }

  /// True when Redis has confirmed the subscription on the current connection (and no
  /// UNSUBSCRIBE is still on its way).
  bool subscribed(const std::string& channel) const {
    const auto it = channels_.find(channel);
    return it != channels_.end() && it->second.wanted && it->second.confirmed &&
           !it->second.unsubscribing;
  }

 private:
  struct channel_state {
    bool wanted = false;
    bool confirmed = false;      // Redis confirmed SUBSCRIBE on this connection
    bool unsubscribing = false;  // UNSUBSCRIBE sent, confirmation not yet seen
  };

  redis_subscriber(asio::io_context& io, options o) : home_(std::move(o.home_channel)) {
    if (home_.empty()) {
      std::random_device rd;
      const std::uint64_t r = (std::uint64_t{rd()} << 32) ^ rd();
      static constexpr char hex[] = "0123456789abcdef";
      home_ = "rt:sub:";
      for (int shift = 60; shift >= 0; shift -= 4)
        home_ += hex[(r >> shift) & 0xf];
    }
    channels_[home_].wanted = true;
    conn_ = redis_client::create(io, {.host = std::move(o.host),
                                      .port = o.port,
                                      .connect_timeout = o.connect_timeout,
                                      .command_timeout = o.connect_timeout,
                                      .max_backoff = o.max_backoff,
                                      .pubsub = true});
  }

  void connection_changed(bool up, const std::string& why) {
    for (auto it = channels_.begin(); it != channels_.end();) {
      it->second.confirmed = it->second.unsubscribing = false;
      it = it->second.wanted ? std::next(it) : channels_.erase(it);
    }
    if (up) {
      // The home channel first: the count is never zero after this command.
      std::vector<std::string> args{"SUBSCRIBE", home_};
      for (const auto& [name, c] : channels_)
        if (name != home_) args.push_back(name);
      (void)conn_->send_pubsub(args);
    }
    if (on_state_) on_state_(up, why);
  }

  void push(const redis_reply& r) {
    if (r.type != redis_reply::kind::array || r.elements.size() < 3) return;
    const std::string& kind = r.elements[0].text;
    const std::string& channel = r.elements[1].text;
    const auto it = channels_.find(channel);
    if (it == channels_.end()) return;
    if (kind == "message") {
      // Not after unsubscribe(), even before Redis confirms it.
      if (it->second.wanted && on_message_) on_message_(channel, r.elements[2].text);
      return;
    }
    if (kind == "subscribe") {
      it->second.confirmed = true;
      // Not for the home channel, nor for a channel whose UNSUBSCRIBE is still to come back.
      if (it->second.wanted && !it->second.unsubscribing && channel != home_ && on_subscribed_)
        on_subscribed_(channel);
    } else if (kind == "unsubscribe") {
      it->second.confirmed = it->second.unsubscribing = false;
      if (!it->second.wanted)
        channels_.erase(it);
      else
        (void)conn_->send_pubsub({"SUBSCRIBE", channel});  // wanted again meanwhile
    }
  }

  std::string home_;
  std::shared_ptr<redis_client> conn_;
  std::map<std::string, channel_state> channels_;
  message_handler on_message_;
  subscribed_handler on_subscribed_;
  state_handler on_state_;
};

}  // namespace rtwire_examples
