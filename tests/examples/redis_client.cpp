// Tests for examples/common/redis_client.hpp, the Asio adapter for hiredis 0.14, against a real
// redis-server (started here on a free port, no persistence) and against a fake server that
// accepts and never answers.
#include "common/redis_client.hpp"

#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "support/redis_server.hpp"

using namespace std::chrono_literals;
using rtwire_examples::redis_client;
using rtwire_examples::redis_reply;
using kind = redis_reply::kind;
using rtwire_test::free_port;
using rtwire_test::redis_process;
using rtwire_test::run_until;

namespace {

/// Sends one command and runs the loop until its reply (or failure) arrives.
redis_reply call(asio::io_context& io, redis_client& c, const std::vector<std::string>& args,
                 std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
  std::optional<redis_reply> got;
  int calls = 0;
  c.command(
      args,
      [&](const redis_reply& r) {
        got = r;
        ++calls;
      },
      timeout);
  REQUIRE(run_until(
      io, [&] { return got.has_value(); }, 10'000ms));
  io.restart();
  io.run_for(20ms);
  CHECK(calls == 1);
  return *got;
}

struct state_log {
  std::vector<std::pair<bool, std::string>> changes;
  bool up() const { return !changes.empty() && changes.back().first; }
  bool down() const { return !changes.empty() && !changes.back().first; }
};

std::shared_ptr<redis_client> make_client(asio::io_context& io, std::uint16_t port, state_log& log,
                                          redis_client::options o = {}) {
  o.host = "127.0.0.1";
  o.port = port;
  auto c = redis_client::create(io, o);
  c->on_state([&log](bool up, const std::string& why) { log.changes.emplace_back(up, why); });
  return c;
}

}  // namespace

TEST_CASE("redis_client: every reply type, binary-safe", "[redis]") {
  const std::uint16_t port = free_port();
  redis_process server(port);
  asio::io_context io;
  state_log states;
  auto c = make_client(io, port, states);
  c->start();
  REQUIRE(run_until(io, [&] { return c->connected(); }));
  CHECK(states.changes.size() == 1);
  CHECK(states.up());

  const std::string binary("a\0b\r\n", 5);
  auto r = call(io, *c, {"SET", "k", binary});
  CHECK(r.type == kind::status);
  CHECK(r.text == "OK");
  r = call(io, *c, {"GET", "k"});
  CHECK(r.type == kind::string);
  CHECK(r.text == binary);
  CHECK(call(io, *c, {"GET", "missing"}).is_nil());
  r = call(io, *c, {"INCR", "n"});
  CHECK(r.type == kind::integer);
  CHECK(r.integer == 1);
  r = call(io, *c, {"HSET", "k", "f", "v"});  // k holds a string
  CHECK(r.is_error());
  CHECK(r.text.rfind("WRONGTYPE", 0) == 0);

  // Nested arrays: XRANGE gives [[id, [field, value]], ...].
  REQUIRE(call(io, *c, {"XADD", "s", "1-0", "f", "v1"}).text == "1-0");
  REQUIRE(call(io, *c, {"XADD", "s", "2-0", "f", "v2"}).text == "2-0");
  r = call(io, *c, {"XRANGE", "s", "-", "+"});
  REQUIRE(r.type == kind::array);
  REQUIRE(r.elements.size() == 2);
  CHECK(r.elements[1].elements[0].text == "2-0");
  CHECK(r.elements[1].elements[1].elements[1].text == "v2");

  // Many commands in flight at once: replies in order, each callback once.
  std::vector<long long> order;
  for (int i = 0; i < 100; ++i)
    c->command({"INCR", "counter"}, [&](const redis_reply& x) { order.push_back(x.integer); });
  REQUIRE(run_until(io, [&] { return order.size() == 100; }));
  for (std::size_t i = 0; i < order.size(); ++i)
    CHECK(order[i] == static_cast<long long>(i + 1));
  c->stop();
}

TEST_CASE("redis_client: refused commands and malformed use", "[redis]") {
  const std::uint16_t port = free_port();
  redis_process server(port);
  asio::io_context io;
  state_log states;
  auto c = make_client(io, port, states);
  c->start();
  REQUIRE(run_until(io, [&] { return c->connected(); }));
  for (const char* push : {"SUBSCRIBE", "psubscribe", "MONITOR"}) {
    const auto r = call(io, *c, {push, "x"});
    CHECK(r.failed());
    CHECK(r.text.find("not supported") == 0);
  }
  // Redis itself rejects an unknown command with an error reply, not a failure.
  const auto r = call(io, *c, {"NO-SUCH-COMMAND"});
  CHECK(r.is_error());
  CHECK(c->connected());
  c->stop();
}

TEST_CASE("redis_client: a command given while disconnected fails at once, never runs later",
          "[redis]") {
  const std::uint16_t port = free_port();  // nothing listens there yet
  asio::io_context io;
  state_log states;
  auto c = make_client(io, port, states);
  c->start();
  REQUIRE(run_until(io, [&] { return states.down(); }));
  CHECK(states.changes.front().second.find("connect to Redis failed") == 0);

  const auto r = call(io, *c, {"SET", "late", "1"});
  CHECK(r.failed());
  CHECK(r.text == "unavailable: not connected to Redis");

  // Redis comes up: the client reconnects by itself within the 2 s backoff cap, and the refused
  // SET was not queued.
  redis_process server(port);
  const auto since = std::chrono::steady_clock::now();
  REQUIRE(run_until(
      io, [&] { return c->connected(); }, 6000ms));
  // At most the 2 s backoff cap plus the connect itself (slack for a loaded CI machine).
  CHECK(std::chrono::steady_clock::now() - since < 3500ms);
  CHECK(states.up());
  CHECK(call(io, *c, {"GET", "late"}).is_nil());
  c->stop();
}

TEST_CASE("redis_client: a lost connection fails what is pending and reconnects", "[redis]") {
  const std::uint16_t port = free_port();
  std::optional<redis_process> server(std::in_place, port);
  asio::io_context io;
  state_log states;
  auto c = make_client(io, port, states);
  c->start();
  REQUIRE(run_until(io, [&] { return c->connected(); }));

  std::optional<redis_reply> blocked;
  c->command(
      {"BLPOP", "never", "30"}, [&](const redis_reply& r) { blocked = r; }, 40'000ms);
  io.restart();
  io.run_for(100ms);
  REQUIRE_FALSE(blocked);
  server->kill(SIGKILL);
  const auto since = std::chrono::steady_clock::now();
  REQUIRE(run_until(
      io, [&] { return blocked.has_value(); }, 3000ms));
  CHECK(std::chrono::steady_clock::now() - since < 2000ms);  // EOF, not a timeout (40 s)
  CHECK(blocked->failed());
  CHECK(blocked->text.find("unavailable: connection lost") == 0);
  REQUIRE(run_until(io, [&] { return states.down(); }));

  server.emplace(port);
  REQUIRE(run_until(
      io, [&] { return c->connected(); }, 6000ms));
  CHECK(call(io, *c, {"PING"}).text == "PONG");
  c->stop();
}

TEST_CASE("redis_client: a reply that does not come in time drops the connection", "[redis]") {
  // A server that accepts and reads but never answers.
  asio::io_context io;
  asio::ip::tcp::acceptor mute(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> held;
  std::function<void()> accept = [&] {
    mute.async_accept([&](const std::error_code& ec, asio::ip::tcp::socket s) {
      if (ec) return;
      held.push_back(std::make_shared<asio::ip::tcp::socket>(std::move(s)));
      accept();
    });
  };
  accept();
  state_log states;
  auto c = make_client(io, mute.local_endpoint().port(), states, {.command_timeout = 200ms});
  c->start();
  REQUIRE(run_until(io, [&] { return c->connected(); }));

  std::vector<redis_reply> replies;
  const auto since = std::chrono::steady_clock::now();
  c->command({"PING"}, [&](const redis_reply& r) { replies.push_back(r); });
  c->command({"PING"}, [&](const redis_reply& r) { replies.push_back(r); });
  REQUIRE(run_until(
      io, [&] { return replies.size() == 2; }, 3000ms));
  const auto took = std::chrono::steady_clock::now() - since;
  CHECK(took >= 190ms);
  CHECK(took < 3000ms);
  for (const auto& r : replies) {
    CHECK(r.failed());
    CHECK(r.text == "unavailable: timeout: Redis did not answer in time");
  }
  CHECK(states.down());

  SECTION("stop() fails what is pending and stops reconnecting") {
    REQUIRE(run_until(
        io, [&] { return c->connected(); }, 6000ms));
    std::optional<redis_reply> pending;
    c->command(
        {"PING"}, [&](const redis_reply& r) { pending = r; }, 10'000ms);
    c->stop();
    REQUIRE(pending.has_value());
    CHECK(pending->text == "unavailable: stopped");
    const std::size_t changes = states.changes.size();
    io.restart();
    io.run_for(500ms);
    CHECK_FALSE(c->connected());
    CHECK(states.changes.size() == changes);
  }
}

TEST_CASE("redis_client: a blocking command waits as long as its own timeout", "[redis]") {
  const std::uint16_t port = free_port();
  redis_process server(port);
  asio::io_context io;
  state_log states;
  auto c = make_client(io, port, states, {.command_timeout = 100ms});
  c->start();
  REQUIRE(run_until(io, [&] { return c->connected(); }));
  const auto since = std::chrono::steady_clock::now();
  const auto r = call(io, *c, {"XREAD", "BLOCK", "300", "STREAMS", "s", "$"}, 2000ms);
  CHECK(r.is_nil());
  CHECK(std::chrono::steady_clock::now() - since >= 290ms);
  CHECK(c->connected());
  c->stop();
}

TEST_CASE("redis_reply::copy bounds nesting", "[redis]") {
  std::vector<redisReply> levels(20);
  std::vector<redisReply*> children(20);
  for (std::size_t i = 0; i < levels.size(); ++i) {
    levels[i] = {};
    levels[i].type = REDIS_REPLY_ARRAY;
    if (i + 1 < levels.size()) {
      children[i] = &levels[i + 1];
      levels[i].elements = 1;
      levels[i].element = &children[i];
    }
  }
  CHECK(redis_reply::copy(&levels[0]).failed());
  CHECK(redis_reply::copy(&levels[0]).text == "reply nested too deeply");
  CHECK(redis_reply::copy(&levels[10]).type == kind::array);
  CHECK(redis_reply::copy(nullptr).failed());
}
