// Tests for examples/common/redis_subscriber.hpp (Redis Pub/Sub on its own connection) against a
// real redis-server started here on a free port, without persistence.
#include "common/redis_subscriber.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "support/redis_server.hpp"

using namespace std::chrono_literals;
using rtwire_examples::redis_client;
using rtwire_examples::redis_reply;
using rtwire_examples::redis_subscriber;
using rtwire_test::free_port;
using rtwire_test::redis_process;
using rtwire_test::run_until;

namespace {

struct recorder {
  std::vector<std::pair<std::string, std::string>> messages;
  std::vector<std::string> confirmed;
  std::vector<std::pair<bool, std::string>> states;
  std::size_t confirmations(const std::string& channel) const {
    std::size_t n = 0;
    for (const auto& c : confirmed)
      n += c == channel;
    return n;
  }
  bool got(const std::string& channel, const std::string& payload) const {
    for (const auto& m : messages)
      if (m.first == channel && m.second == payload) return true;
    return false;
  }
};

struct fixture {
  explicit fixture(std::uint16_t p) : port(p) {}
  std::uint16_t port;
  asio::io_context io;
  recorder rec;
  std::shared_ptr<redis_client> pub;
  std::shared_ptr<redis_subscriber> sub;

  void start(redis_subscriber::options o = {}, const std::vector<std::string>& first = {}) {
    o.port = port;
    sub = redis_subscriber::create(io, o);
    sub->on_message(
        [this](const std::string& c, const std::string& p) { rec.messages.emplace_back(c, p); });
    sub->on_subscribed([this](const std::string& c) { rec.confirmed.push_back(c); });
    sub->on_state([this](bool up, const std::string& why) { rec.states.emplace_back(up, why); });
    for (const auto& channel : first)
      sub->subscribe(channel);  // before start(): subscribed at the connect
    sub->start();
    pub = redis_client::create(io, {.port = port});
    pub->start();
  }

  /// PUBLISH through the ordinary client; returns the number of receivers.
  long long publish(const std::string& channel, const std::string& payload) {
    std::optional<redis_reply> r;
    REQUIRE(run_until(
        io, [&] { return pub->connected(); }, 6000ms));
    pub->command({"PUBLISH", channel, payload}, [&](const redis_reply& x) { r = x; });
    REQUIRE(run_until(io, [&] { return r.has_value(); }));
    REQUIRE(r->type == redis_reply::kind::integer);
    return r->integer;
  }
};

}  // namespace

TEST_CASE("redis_subscriber: messages of wanted channels, in order", "[redis]") {
  redis_process server(free_port());
  fixture f(server.port());
  f.start({.home_channel = "home"}, {"a"});
  CHECK(f.sub->home_channel() == "home");
  REQUIRE(run_until(f.io, [&] { return f.sub->subscribed("a"); }));
  CHECK(f.rec.confirmations("a") == 1);
  CHECK(f.rec.confirmations("home") == 0);  // the home channel is not reported
  f.sub->subscribe("b");
  f.sub->subscribe("b");  // twice: one subscription
  REQUIRE(run_until(f.io, [&] { return f.sub->subscribed("b"); }));
  CHECK(f.rec.confirmations("b") == 1);

  const std::string binary("x\0y\r\n", 5);
  for (int i = 0; i < 50; ++i)
    f.publish(i % 2 ? "a" : "b", std::to_string(i));
  CHECK(f.publish("a", binary) == 1);
  CHECK(f.publish("home", "to the node") == 1);
  CHECK(f.publish("c", "nobody") == 0);
  REQUIRE(run_until(f.io, [&] { return f.rec.messages.size() == 52; }));
  for (int i = 0; i < 50; ++i) {
    CHECK(f.rec.messages[static_cast<std::size_t>(i)].first == (i % 2 ? "a" : "b"));
    CHECK(f.rec.messages[static_cast<std::size_t>(i)].second == std::to_string(i));
  }
  CHECK(f.rec.messages[50].second == binary);
  CHECK(f.rec.messages[51] == std::make_pair(std::string("home"), std::string("to the node")));

  // Unsubscribed: no message, even one already on its way; the home channel cannot be dropped.
  f.sub->unsubscribe("a");
  f.sub->unsubscribe("home");
  CHECK_FALSE(f.sub->subscribed("a"));
  f.publish("a", "late");
  REQUIRE(run_until(f.io, [&] { return f.publish("a", "later") == 0; }));
  f.publish("home", "still");
  REQUIRE(run_until(f.io, [&] { return f.rec.got("home", "still"); }));
  CHECK_FALSE(f.rec.got("a", "late"));
  CHECK_FALSE(f.rec.got("a", "later"));
  f.sub->stop();
}

TEST_CASE("redis_subscriber: unsubscribe then subscribe at once keeps the channel", "[redis]") {
  redis_process server(free_port());
  fixture f(server.port());
  f.start();
  f.sub->subscribe("a");
  REQUIRE(run_until(f.io, [&] { return f.sub->subscribed("a"); }));
  // Both commands leave before either confirmation arrives (hiredis 0.14 would drop the
  // channel's callback on the UNSUBSCRIBE confirmation).
  f.sub->unsubscribe("a");
  f.sub->subscribe("a");
  REQUIRE(run_until(f.io, [&] { return f.sub->subscribed("a"); }));
  CHECK(f.rec.confirmations("a") == 2);
  CHECK(f.publish("a", "kept") == 1);
  REQUIRE(run_until(f.io, [&] { return f.rec.got("a", "kept"); }));

  // Every user channel dropped and one subscribed again: the home channel keeps hiredis in
  // subscribed mode (it would assert on the confirmation otherwise).
  f.sub->unsubscribe("a");
  REQUIRE(run_until(f.io, [&] { return f.publish("a", "x") == 0; }));
  f.sub->subscribe("b");
  REQUIRE(run_until(f.io, [&] { return f.sub->subscribed("b"); }));
  CHECK(f.publish("b", "y") == 1);
  REQUIRE(run_until(f.io, [&] { return f.rec.got("b", "y"); }));
  f.sub->stop();
}

TEST_CASE("redis_subscriber: resubscribes everything after a lost connection", "[redis]") {
  std::optional<redis_process> server(std::in_place, free_port());
  fixture f(server->port());
  f.start();
  f.sub->subscribe("a");
  f.sub->subscribe("b");
  REQUIRE(run_until(f.io, [&] { return f.sub->subscribed("a") && f.sub->subscribed("b"); }));
  CHECK(f.rec.states.size() == 1);

  SECTION("CLIENT KILL TYPE pubsub") {
    std::optional<redis_reply> killed;
    f.pub->command({"CLIENT", "KILL", "TYPE", "pubsub"}, [&](const redis_reply& r) { killed = r; });
    REQUIRE(run_until(f.io, [&] { return killed.has_value(); }));
    CHECK(killed->integer == 1);
  }
  SECTION("redis-server restarted") {
    server.reset();
    REQUIRE(run_until(f.io, [&] { return !f.rec.states.back().first; }));
    CHECK_FALSE(f.sub->subscribed("a"));
    f.sub->subscribe("c");  // while disconnected: at the next connect
    f.sub->unsubscribe("b");
    server.emplace(f.port);
  }
  REQUIRE(run_until(
      f.io, [&] { return f.sub->subscribed("a") && f.rec.confirmations("a") == 2; }, 6000ms));
  CHECK(f.rec.states.size() == 3);
  CHECK_FALSE(f.rec.states[1].first);
  CHECK(f.rec.states[1].second.find("connection lost") == 0);
  CHECK(f.rec.states[2] == std::make_pair(true, std::string()));
  CHECK(f.publish("a", "again") == 1);
  REQUIRE(run_until(f.io, [&] { return f.rec.got("a", "again"); }));
  if (f.rec.confirmations("c") == 1) {  // the restart section
    CHECK(f.sub->subscribed("c"));
    CHECK_FALSE(f.sub->subscribed("b"));
    CHECK(f.publish("b", "gone") == 0);
  } else {
    CHECK(f.rec.confirmations("b") == 2);
  }

  // stop(): no more messages and no more state changes.
  const std::size_t states = f.rec.states.size(), messages = f.rec.messages.size();
  f.sub->stop();
  CHECK(f.publish("a", "after stop") == 0);
  rtwire_test::run_for(f.io, 300ms);
  CHECK(f.rec.messages.size() == messages);
  REQUIRE(f.rec.states.size() == states + 1);
  CHECK(f.rec.states.back() == std::make_pair(false, std::string("stopped")));
  CHECK_FALSE(f.sub->connected());
}

TEST_CASE("redis_client in Pub/Sub mode refuses ordinary commands", "[redis]") {
  redis_process server(free_port());
  asio::io_context io;
  auto c = redis_client::create(io, {.port = server.port(), .pubsub = true});
  c->start();
  REQUIRE(run_until(io, [&] { return c->connected(); }));
  std::optional<redis_reply> r;
  c->command({"PING"}, [&](const redis_reply& x) { r = x; });
  REQUIRE(r.has_value());
  CHECK(r->text == "not supported: the connection is in Pub/Sub mode");
  CHECK_FALSE(c->send_pubsub({"PING"}));
  CHECK_FALSE(c->send_pubsub({}));
  CHECK_FALSE(c->send_pubsub({"UNSUBSCRIBE", "x"}));  // hiredis: nothing subscribed yet
  CHECK(c->send_pubsub({"subscribe", "x"}));
  auto plain = redis_client::create(io, {.port = server.port()});
  plain->start();
  REQUIRE(run_until(io, [&] { return plain->connected(); }));
  CHECK_FALSE(plain->send_pubsub({"SUBSCRIBE", "x"}));  // not in Pub/Sub mode
  c->stop();
  plain->stop();
}
