// Tests for examples/chat/cluster_log (the cluster room log on Redis Streams): two "nodes" (each
// its own redis_client, redis_subscriber and cluster_log) on one io_context and one real
// redis-server, started here on a free port without persistence.
#include "cluster_log.hpp"

#include <rtwire/core/log_error.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/redis_server.hpp"

using namespace std::chrono_literals;
using chat::cluster_event;
using chat::cluster_log;
using chat::cursor;
using rtwire_examples::redis_client;
using rtwire_examples::redis_reply;
using rtwire_examples::redis_subscriber;
using rtwire_test::redis_process;
using rtwire_test::run_until;
namespace logerr = rtwire::log;

namespace {

/// What a node's handlers saw, in order.
struct record {
  enum kind_t { ready, event, reset } kind;
  std::string room;
  cursor at;
  std::string type, json;
  std::error_code why;
};

struct node {
  std::shared_ptr<redis_client> commands;
  std::shared_ptr<redis_subscriber> sub;
  std::shared_ptr<cluster_log> log;
  std::vector<record> seen;

  node(asio::io_context& io, std::uint16_t port, cluster_log::options o = {}) {
    commands = redis_client::create(io, {.port = port});
    sub = redis_subscriber::create(io, {.port = port});
    log = cluster_log::create(io, commands, sub, o,
                              {.on_ready =
                                   [this](const std::string& r, cursor head) {
                                     seen.push_back({record::ready, r, head, {}, {}, {}});
                                   },
                               .on_event =
                                   [this](const std::string& r, const cluster_event& e) {
                                     seen.push_back({record::event, r, e.at, e.type, e.json, {}});
                                   },
                               .on_reset =
                                   [this](const std::string& r, cursor head, std::error_code why) {
                                     seen.push_back({record::reset, r, head, {}, {}, why});
                                   },
                               .on_other = {}});
    commands->start();
    sub->start();
  }
  ~node() {
    log.reset();
    commands->stop();
    sub->stop();
  }

  std::vector<record> of(const std::string& room, record::kind_t k) const {
    std::vector<record> out;
    for (const auto& r : seen)
      if (r.room == room && r.kind == k) out.push_back(r);
    return out;
  }
  std::size_t events(const std::string& room) const { return of(room, record::event).size(); }
  bool ready(const std::string& room) const { return !of(room, record::ready).empty(); }
};

struct cluster {
  redis_process server{rtwire_test::free_port()};
  asio::io_context io;
  std::shared_ptr<redis_client> admin = redis_client::create(io, {.port = server.port()});
  cluster() {
    admin->start();
    REQUIRE(run_until(io, [&] { return admin->connected(); }));
  }
  ~cluster() { admin->stop(); }

  redis_reply call(const std::vector<std::string>& args) {
    std::optional<redis_reply> r;
    REQUIRE(run_until(
        io, [&] { return admin->connected(); }, 6000ms));
    admin->command(args, [&](const redis_reply& x) { r = x; });
    REQUIRE(run_until(io, [&] { return r.has_value(); }));
    return *r;
  }

  chat::publish_result publish(node& n, const std::string& room, const std::string& body) {
    std::optional<chat::publish_result> r;
    int calls = 0;
    n.log->publish(room, "message", R"({"id":")", "\"," + body + "}",
                   [&](const chat::publish_result& x) {
                     r = x;
                     ++calls;
                   });
    REQUIRE(run_until(
        io, [&] { return r.has_value(); }, 6000ms));
    CHECK(calls == 1);
    return *r;
  }

  chat::read_result read(node& n, const std::string& room, cursor after) {
    std::optional<chat::read_result> r;
    n.log->read_after(room, after, [&](const chat::read_result& x) { r = x; });
    REQUIRE(run_until(
        io, [&] { return r.has_value(); }, 6000ms));
    return *r;
  }

  void serve(node& n, const std::string& room) {
    REQUIRE(n.log->serve(room));
    REQUIRE(run_until(io, [&] { return n.ready(room); }));
  }
};

/// An epoch's text in meta field `e`: the cursor text's part before '-'.
std::string hex_of(std::uint64_t epoch) {
  std::string s = rtwire::log::to_string({epoch, 0});
  s.resize(s.size() - 2);
  return s;
}

std::string expected_json(cursor at, const std::string& body) {
  return R"({"id":")" + rtwire::log::to_string(at) + "\"," + body + "}";
}

/// The node saw exactly offsets first..last of `epoch` in `room`, in order, once each.
void check_events(const node& n, const std::string& room, std::uint64_t epoch, std::uint64_t first,
                  std::uint64_t last) {
  const auto events = n.of(room, record::event);
  REQUIRE(events.size() == last + 1 - first);
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].at == cursor{epoch, first + i});
    CHECK(events[i].type == "message");
    CHECK(events[i].json.find(R"({"id":")" + rtwire::log::to_string(events[i].at) + "\"") == 0);
  }
}

}  // namespace

TEST_CASE("cluster_log: two nodes, one total order per room, every event once", "[redis]") {
  cluster c;
  node a(c.io, c.server.port()), b(c.io, c.server.port());
  for (node* n : {&a, &b}) {
    c.serve(*n, "r1");
    c.serve(*n, "r2");
  }
  // A room with no history yet gets an epoch at its first fill, the same on both nodes.
  const auto head = a.of("r1", record::ready).front().at;
  CHECK(head.epoch != 0);
  CHECK(head.offset == 0);
  CHECK(b.of("r1", record::ready).front().at == head);
  const std::uint64_t e = head.epoch;

  // 60 publishes in flight at once from both nodes into two rooms.
  std::vector<chat::publish_result> results;
  for (int i = 0; i < 60; ++i) {
    node& from = i % 2 ? a : b;
    from.log->publish(i % 3 ? "r1" : "r2", "message", R"({"id":")",
                      "\",\"n\":" + std::to_string(i) + "}",
                      [&](const chat::publish_result& r) { results.push_back(r); });
  }
  REQUIRE(run_until(c.io, [&] { return results.size() == 60; }));
  for (const auto& r : results)
    REQUIRE(r);
  REQUIRE(run_until(c.io, [&] {
    return a.events("r1") == 40 && b.events("r1") == 40 && a.events("r2") == 20 &&
           b.events("r2") == 20;
  }));
  rtwire_test::run_for(c.io, 100ms);  // nothing more arrives
  for (node* n : {&a, &b}) {
    check_events(*n, "r1", e, 1, 40);
    check_events(*n, "r2", n->of("r2", record::ready).front().at.epoch, 1, 20);
    CHECK(n->of("r1", record::reset).empty());
    CHECK(n->log->stats().malformed == 0);
  }
  // The same text on both nodes; the one a publish result names.
  const auto ea = a.of("r1", record::event), eb = b.of("r1", record::event);
  for (std::size_t i = 0; i < ea.size(); ++i)
    CHECK(ea[i].json == eb[i].json);
  // In Redis: meta e (hex) and s, the stream with explicit IDs <offset>-0 and fields t, j.
  CHECK(c.call({"HGET", cluster_log::meta_key("r1"), "e"}).text == hex_of(e));
  CHECK(c.call({"HGET", cluster_log::meta_key("r1"), "s"}).text == "40");
  const auto stream = c.call({"XRANGE", cluster_log::log_key("r1"), "-", "+"});
  REQUIRE(stream.elements.size() == 40);
  CHECK(stream.elements[0].elements[0].text == "1-0");
  CHECK(stream.elements[39].elements[0].text == "40-0");
  CHECK(stream.elements[0].elements[1].elements[0].text == "t");
  CHECK(stream.elements[0].elements[1].elements[3].text == ea[0].json);
  CHECK(a.log->held("r1") == rtwire::log::held_range{e, 1, 40});

  // A sequential publish: the result names the event both nodes get.
  const auto r = c.publish(b, "r1", R"("text":"x")");
  REQUIRE(r);
  CHECK(r.at == cursor{e, 41});
  REQUIRE(run_until(c.io, [&] { return a.events("r1") == 41; }));
  CHECK(a.of("r1", record::event).back().json == expected_json(r.at, R"("text":"x")"));
}

TEST_CASE("cluster_log: a node whose subscriber was cut off catches up from the stream",
          "[redis]") {
  cluster c;
  node a(c.io, c.server.port()), b(c.io, c.server.port());
  c.serve(a, "r");
  c.serve(b, "r");
  const std::uint64_t e = a.of("r", record::ready).front().at.epoch;
  REQUIRE(c.publish(a, "r", "\"n\":1"));
  REQUIRE(run_until(c.io, [&] { return b.events("r") == 1; }));
  const auto fills = b.log->stats().fills;

  // Every subscriber is dropped; events published before they resubscribe reach nobody by
  // Pub/Sub, and no publish comes after: the fill on resubscription alone must bring them.
  REQUIRE(c.call({"CLIENT", "KILL", "TYPE", "pubsub"}).integer == 2);
  for (int i = 2; i <= 6; ++i)
    REQUIRE(c.publish(a, "r", "\"n\":" + std::to_string(i)));
  REQUIRE(run_until(
      c.io, [&] { return a.events("r") == 6 && b.events("r") == 6; }, 6000ms));
  rtwire_test::run_for(c.io, 200ms);
  check_events(a, "r", e, 1, 6);
  check_events(b, "r", e, 1, 6);
  CHECK(b.log->stats().fills > fills);
  CHECK(b.of("r", record::reset).empty());
}

TEST_CASE("cluster_log: gaps are filled from the stream, duplicates and junk dropped", "[redis]") {
  cluster c;
  node a(c.io, c.server.port());
  c.serve(a, "r");
  const std::uint64_t e = a.of("r", record::ready).front().at.epoch;
  const std::string eh = hex_of(e);
  REQUIRE(c.publish(a, "r", "\"n\":1"));
  REQUIRE(run_until(c.io, [&] { return a.events("r") == 1; }));

  // Offsets 2 and 3 written behind the node's back; only 3 is announced: a gap of one.
  const auto text = [&](int n) { return expected_json({e, std::uint64_t(n)}, "\"n\":0"); };
  for (int n = 2; n <= 3; ++n) {
    const std::string id = std::to_string(n);
    REQUIRE(
        c.call({"XADD", cluster_log::log_key("r"), id + "-0", "t", "message", "j", text(n)}).text ==
        id + "-0");
    REQUIRE(c.call({"HSET", cluster_log::meta_key("r"), "s", id}).type ==
            redis_reply::kind::integer);
  }
  c.call({"PUBLISH", cluster_log::channel("r"), eh + " 3 message " + text(3)});
  REQUIRE(run_until(c.io, [&] { return a.events("r") == 3; }));
  check_events(a, "r", e, 1, 3);
  CHECK(a.of("r", record::event)[1].json == text(2));

  // A duplicate, and notifications that do not parse: dropped, counted, nothing delivered.
  // (The notification of 3, held during the fill, was one already: the fill brought 3.)
  const auto duplicates = a.log->stats().duplicates;
  CHECK(duplicates == 1);
  c.call({"PUBLISH", cluster_log::channel("r"), eh + " 2 message " + text(2)});
  for (const std::string& junk :
       std::vector<std::string>{"", "garbage", eh + " x message {}", eh + " 4 Bad! {}",
                                eh + " 4 message", "XY 4 message {}", eh + " 0 message {}"})
    c.call({"PUBLISH", cluster_log::channel("r"), junk});
  REQUIRE(run_until(c.io, [&] { return a.log->stats().malformed == 7; }));
  CHECK(a.log->stats().duplicates == duplicates + 1);
  CHECK(a.events("r") == 3);
  // A well-formed notification of an epoch Redis does not have: one fill, then dropped.
  const auto fills = a.log->stats().fills;
  c.call({"PUBLISH", cluster_log::channel("r"), "abc 9 message {}"});
  REQUIRE(run_until(c.io, [&] { return a.log->stats().malformed == 8; }));
  CHECK(a.log->stats().fills == fills + 1);
  CHECK(a.of("r", record::reset).empty());
  CHECK(a.events("r") == 3);

  // A stream entry that does not parse is skipped: the node cannot deliver it, so it resets
  // past it (cursor_too_old), never a silent gap.
  REQUIRE(c.call({"XADD", cluster_log::log_key("r"), "4-0", "x", "y"}).text == "4-0");
  REQUIRE(c.call({"XADD", cluster_log::log_key("r"), "5-0", "t", "message", "j", text(5)}).text ==
          "5-0");
  c.call({"HSET", cluster_log::meta_key("r"), "s", "5"});
  c.call({"PUBLISH", cluster_log::channel("r"), eh + " 5 message " + text(5)});
  REQUIRE(run_until(c.io, [&] { return a.events("r") == 4; }));
  const auto resets = a.of("r", record::reset);
  REQUIRE(resets.size() == 1);
  CHECK(resets[0].at == cursor{e, 4});
  CHECK(resets[0].why == logerr::error::cursor_too_old);
  CHECK(a.of("r", record::event).back().at == cursor{e, 5});
  CHECK(a.log->stats().malformed == 9);
  // The reset came before the event after it.
  CHECK(a.seen[a.seen.size() - 2].kind == record::reset);
}

TEST_CASE("cluster_log: FLUSHALL makes a new epoch, reported before its events", "[redis]") {
  cluster c;
  node a(c.io, c.server.port()), b(c.io, c.server.port());
  c.serve(a, "r");
  c.serve(b, "r");
  for (int i = 1; i <= 3; ++i)
    REQUIRE(c.publish(a, "r", "\"n\":" + std::to_string(i)));
  REQUIRE(run_until(c.io, [&] { return b.events("r") == 3; }));
  const std::uint64_t old = a.of("r", record::ready).front().at.epoch;

  REQUIRE(c.call({"FLUSHALL"}).text == "OK");
  const auto r = c.publish(b, "r", R"("text":"first after the loss")");
  REQUIRE(r);
  CHECK(r.at.epoch != old);
  CHECK(r.at.offset == 1);  // a new history, not offset 4 of the old one
  REQUIRE(run_until(c.io, [&] { return a.events("r") == 4 && b.events("r") == 4; }));
  for (node* n : {&a, &b}) {
    const auto resets = n->of("r", record::reset);
    REQUIRE(resets.size() == 1);
    CHECK(resets[0].at == cursor{r.at.epoch, 0});
    CHECK(resets[0].why == logerr::error::epoch_mismatch);
    // reset, then the first message of the new epoch (live), in that order
    const auto& last = n->seen.back();
    CHECK(last.kind == record::event);
    CHECK(last.at == r.at);
    CHECK(n->seen[n->seen.size() - 2].kind == record::reset);
    CHECK(n->log->held("r") == rtwire::log::held_range{r.at.epoch, 1, 1});
  }

  // Old cursors: reset to the new head, from the cache or from Redis.
  for (const cursor old_cursor : {cursor{old, 3}, cursor{old, 0}}) {
    const auto read = c.read(a, "r", old_cursor);
    CHECK(read.error.empty());
    CHECK(read.reset == logerr::error::epoch_mismatch);
    CHECK(read.head == r.at);
    CHECK(read.events.empty());
  }
  // A late notification of the old epoch is dropped.
  c.call({"PUBLISH", cluster_log::channel("r"), hex_of(old) + " 4 message {}"});
  REQUIRE(c.publish(a, "r", "\"n\":2"));
  REQUIRE(run_until(c.io, [&] { return a.events("r") == 5; }));
  CHECK(a.of("r", record::reset).size() == 1);
  CHECK(a.log->stats().duplicates >= 1);
}

TEST_CASE("cluster_log: read_after from the cache and from Redis", "[redis]") {
  cluster c;
  node a(c.io, c.server.port()), b(c.io, c.server.port(), {.batch = 4});
  c.serve(a, "r");
  const std::uint64_t e = a.of("r", record::ready).front().at.epoch;
  for (int i = 1; i <= 10; ++i)
    REQUIRE(c.publish(a, "r", "\"n\":" + std::to_string(i)));
  REQUIRE(run_until(c.io, [&] { return a.events("r") == 10; }));

  const auto reads = a.log->stats().redis_reads;
  auto r = c.read(a, "r", {e, 5});  // a serves r: from its cache
  REQUIRE(r);
  CHECK(a.log->stats().redis_reads == reads);
  CHECK(r.head == cursor{e, 10});
  REQUIRE(r.events.size() == 5);
  CHECK_FALSE(r.more);
  const auto cached = a.of("r", record::event);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(r.events[i].at == cursor{e, 6 + i});
    CHECK(r.events[i].json == cached[5 + i].json);
  }
  // b does not serve r: from Redis, at most its batch of 4 at a time.
  r = c.read(b, "r", {e, 5});
  REQUIRE(r);
  REQUIRE(r.events.size() == 4);
  CHECK(r.more);
  CHECK(r.events[0].json == cached[5].json);
  r = c.read(b, "r", r.events.back().at);
  REQUIRE(r.events.size() == 1);
  CHECK_FALSE(r.more);
  CHECK(r.events[0].at == cursor{e, 10});
  for (node* n : {&a, &b}) {
    r = c.read(*n, "r", {e, 10});  // up to date
    CHECK(r);
    CHECK(r.events.empty());
    r = c.read(*n, "r", {e, 11});
    CHECK(r.reset == logerr::error::cursor_from_future);
    CHECK(r.head == cursor{e, 10});
    r = c.read(*n, "r", {e + 1, 3});
    CHECK(r.reset == logerr::error::epoch_mismatch);
    CHECK(r.head == cursor{e, 10});
    r = c.read(*n, "r", {e, ~std::uint64_t{0}});
    CHECK(r.reset == logerr::error::cursor_from_future);
    r = c.read(*n, "bad room!", {e, 1});
    CHECK(r.error == "invalid");
  }
  CHECK(b.log->stats().redis_reads == 6);  // all but the invalid room
  CHECK_FALSE(b.log->serving("r"));
  CHECK_FALSE(b.log->held("r"));
}

TEST_CASE("cluster_log: MAXLEN trims the stream; an old cursor gets a reset", "[redis]") {
  cluster c;
  node a(c.io, c.server.port(), {.history = 10}), b(c.io, c.server.port(), {.history = 10});
  c.serve(a, "r");
  const std::uint64_t e = a.of("r", record::ready).front().at.epoch;
  std::size_t published = 0;
  for (int i = 1; i <= 300; ++i)  // all in flight at once
    a.log->publish("r", "message", "{\"id\":\"", "\"}", [&](const chat::publish_result& r) {
      CHECK(r);
      ++published;
    });
  REQUIRE(run_until(c.io, [&] { return published == 300 && a.events("r") == 300; }));
  const auto len = c.call({"XLEN", cluster_log::log_key("r")}).integer;
  CHECK(len >= 10);
  CHECK(len < 300);  // MAXLEN ~ trims whole nodes of the stream
  CHECK(a.log->held("r") == rtwire::log::held_range{e, 291, 300});
  for (node* n : {&a, &b}) {
    auto r = c.read(*n, "r", {e, 1});
    CHECK(r.reset == logerr::error::cursor_too_old);
    CHECK(r.head == cursor{e, 300});
    r = c.read(*n, "r", {e, 295});
    REQUIRE(r);
    CHECK(r.events.size() == 5);
  }
  // Within the stream but older than a's cache: Redis answers.
  const auto first = c.call({"XRANGE", cluster_log::log_key("r"), "-", "+", "COUNT", "1"});
  const std::uint64_t oldest = std::stoull(first.elements[0].elements[0].text);
  if (oldest < 290) {
    const auto r = c.read(a, "r", {e, oldest});
    REQUIRE(r);
    CHECK(r.events.front().at == cursor{e, oldest + 1});
  }
}

TEST_CASE("cluster_log: Redis unreachable, publishes fail with unavailable", "[redis]") {
  cluster c;
  // The publish deadline (and with it the reply's timeout, twice as long) kept short.
  node a(c.io, c.server.port(), {.publish_deadline = 300ms});
  c.serve(a, "r");
  REQUIRE(c.publish(a, "r", "\"n\":1"));
  REQUIRE(run_until(c.io, [&] { return a.events("r") == 1; }));

  SECTION("never reached: Redis's clock cannot be read, nothing is sent") {
    node z(c.io, rtwire_test::free_port());  // nothing listens there
    const auto r = c.publish(z, "r", "\"n\":2");
    CHECK(r.error == "unavailable");
    CHECK(r.detail == "cannot read Redis's clock: unavailable: not connected to Redis");
    CHECK(c.read(z, "r", {1, 0}).error == "unavailable");
    CHECK(z.log->serve("r"));
    rtwire_test::run_for(c.io, 100ms);
    CHECK_FALSE(z.log->held("r"));
    CHECK(c.call({"HGET", cluster_log::meta_key("r"), "s"}).text == "1");
  }
  SECTION("paused: the publish times out, and is refused when Redis resumes") {
    c.server.kill(SIGSTOP);
    const auto since = std::chrono::steady_clock::now();
    const auto r = c.publish(a, "r", "\"n\":2");
    CHECK(std::chrono::steady_clock::now() - since < 3000ms);
    CHECK(r.error == "unavailable");
    CHECK(r.detail.find("timeout") != std::string::npos);
    c.server.kill(SIGCONT);
    // Redis runs the script it had received: past its deadline, it changes nothing.
    REQUIRE(run_until(
        c.io, [&] { return a.commands->connected(); }, 6000ms));
    rtwire_test::run_for(c.io, 300ms);
    CHECK(c.call({"HGET", cluster_log::meta_key("r"), "s"}).text == "1");
    CHECK(c.call({"XLEN", cluster_log::log_key("r")}).integer == 1);
    CHECK(a.events("r") == 1);
    const auto again = c.publish(a, "r", "\"n\":3");
    REQUIRE(again);
    CHECK(again.at.offset == 2);
  }
  SECTION("killed: at once; back empty: a new epoch, a reset, then its events") {
    const std::uint64_t old = a.of("r", record::ready).front().at.epoch;
    c.server.kill(SIGKILL);
    REQUIRE(run_until(c.io, [&] { return !a.commands->connected(); }));
    const auto since = std::chrono::steady_clock::now();
    const auto r = c.publish(a, "r", "\"n\":2");
    CHECK(std::chrono::steady_clock::now() - since < 3000ms);
    CHECK(r.error == "unavailable");
    const auto read = c.read(a, "other", {old, 0});
    CHECK(read.error == "unavailable");
    c.server.start();
    REQUIRE(run_until(
        c.io,
        [&] { return a.commands->connected() && a.sub->subscribed(cluster_log::channel("r")); },
        6000ms));
    // The resubscription fill already found the empty Redis and made the new epoch.
    REQUIRE(run_until(c.io, [&] { return !a.of("r", record::reset).empty(); }));
    const auto reset = a.of("r", record::reset).front();
    CHECK(reset.at.epoch != old);
    CHECK(reset.at.offset == 0);
    const auto after = c.publish(a, "r", "\"n\":3");  // the script cache is empty: EVAL
    REQUIRE(after);
    CHECK(after.at == cursor{reset.at.epoch, 1});
    REQUIRE(run_until(c.io, [&] { return a.events("r") == 2; }));
    CHECK(a.seen.back().at == after.at);
  }
}

TEST_CASE("cluster_log: refused input and corrupt Redis data", "[redis]") {
  cluster c;
  node a(c.io, c.server.port());
  for (const auto& [room, type] :
       std::vector<std::pair<std::string, std::string>>{{"", "message"},
                                                        {"a}b", "message"},
                                                        {std::string(65, 'r'), "message"},
                                                        {"r", ""},
                                                        {"r", "has space"},
                                                        {"r", "Upper"},
                                                        {"r", std::string(65, 't')}}) {
    std::optional<chat::publish_result> r;
    a.log->publish(room, type, "{", "}", [&](const chat::publish_result& x) { r = x; });
    REQUIRE(r.has_value());  // at once
    CHECK(r->error == "invalid");
  }
  CHECK_FALSE(a.log->serve("a{b}"));
  CHECK_FALSE(a.log->serving("a{b}"));

  // The script cache flushed: EVALSHA answers NOSCRIPT, the publish sends the body.
  REQUIRE(run_until(c.io, [&] { return a.commands->connected(); }));
  REQUIRE(c.publish(a, "r", "\"n\":1"));
  REQUIRE(c.call({"SCRIPT", "FLUSH"}).text == "OK");
  const auto second = c.publish(a, "r", "\"n\":2");
  REQUIRE(second);
  CHECK(second.at.offset == 2);

  // An epoch that is not lowercase hex: nothing delivered, the publish is reported failed.
  c.serve(a, "r");
  REQUIRE(c.call({"HSET", cluster_log::meta_key("r"), "e", "NOT-HEX"}).type ==
          redis_reply::kind::integer);
  const auto bad = c.publish(a, "r", "\"n\":3");
  CHECK(bad.error == "unavailable");
  CHECK(bad.detail.find("Redis refused: RTCORRUPT") == 0);
  CHECK(c.call({"XLEN", cluster_log::log_key("r")}).integer == 2);  // nothing written
  const auto read = c.read(a, "r", {1, 0});
  CHECK(read.error == "unavailable");
  // A top offset that is not a number (HINCRBY would fail after XADD): refused before writing.
  c.call({"HSET", cluster_log::meta_key("r"), "e", hex_of(second.at.epoch), "s", "x"});
  const auto bad_top = c.publish(a, "r", "\"n\":3");
  CHECK(bad_top.error == "unavailable");
  CHECK(bad_top.detail.find("Redis refused: RTCORRUPT the top offset") == 0);
  CHECK(c.call({"XLEN", cluster_log::log_key("r")}).integer == 2);
  rtwire_test::run_for(c.io, 100ms);
  CHECK(a.events("r") == 0);

  // Released: its notifications are no longer heard.
  a.log->release("r");
  CHECK_FALSE(a.log->serving("r"));
  c.call({"DEL", cluster_log::meta_key("r"), cluster_log::log_key("r")});
  const auto unheard = c.publish(a, "r", "\"n\":4");
  REQUIRE(unheard);
  rtwire_test::run_for(c.io, 200ms);
  CHECK(a.events("r") == 0);
  CHECK_FALSE(a.log->held("r"));
  // Served again: ready at the current head, and it hears the room again.
  REQUIRE(a.log->serve("r"));
  REQUIRE(run_until(c.io, [&] { return a.of("r", record::ready).size() == 2; }));
  CHECK(a.of("r", record::ready).back().at == unheard.at);
  REQUIRE(c.publish(a, "r", "\"n\":5"));
  REQUIRE(run_until(c.io, [&] { return a.events("r") == 1; }));
  CHECK(a.of("r", record::event).back().at == cursor{unheard.at.epoch, 2});
}

TEST_CASE("cluster_log: a node that missed more than the stream keeps resets, then goes on",
          "[redis]") {
  cluster c;
  node a(c.io, c.server.port(), {.history = 10}), b(c.io, c.server.port(), {.history = 10});
  c.serve(a, "r");
  c.serve(b, "r");
  const std::uint64_t e = a.of("r", record::ready).front().at.epoch;
  REQUIRE(c.publish(a, "r", "\"n\":1"));
  REQUIRE(run_until(c.io, [&] { return b.events("r") == 1; }));

  b.sub->stop();  // b hears nothing while 300 events come and MAXLEN ~ 10 trims most
  std::size_t published = 0;
  for (int i = 2; i <= 301; ++i)
    a.log->publish("r", "message", "{\"id\":\"", "\"}", [&](const chat::publish_result& r) {
      CHECK(r);
      ++published;
    });
  REQUIRE(run_until(c.io, [&] { return published == 300 && a.events("r") == 301; }));
  const auto first = c.call({"XRANGE", cluster_log::log_key("r"), "-", "+", "COUNT", "1"});
  const std::uint64_t oldest = std::stoull(first.elements[0].elements[0].text);
  REQUIRE(oldest > 2);

  b.sub->start();  // resubscribed: the fill finds offsets 2..oldest-1 gone
  REQUIRE(run_until(c.io, [&] { return b.events("r") == 1 + (301 - oldest + 1); }));
  const auto resets = b.of("r", record::reset);
  REQUIRE(resets.size() == 1);
  CHECK(resets[0].at == cursor{e, oldest - 1});
  CHECK(resets[0].why == logerr::error::cursor_too_old);
  const auto events = b.of("r", record::event);
  CHECK(events[0].at == cursor{e, 1});
  for (std::size_t i = 1; i < events.size(); ++i)
    CHECK(events[i].at == cursor{e, oldest + i - 1});
  CHECK(b.log->held("r") == rtwire::log::held_range{e, 292, 301});
}

TEST_CASE("cluster_log: notifications past max_buffered are fetched from the stream", "[redis]") {
  cluster c;
  node a(c.io, c.server.port(), {.max_buffered = 2});
  c.serve(a, "r");
  const std::uint64_t e = a.of("r", record::ready).front().at.epoch;
  REQUIRE(c.publish(a, "r", "\"n\":1"));
  REQUIRE(run_until(c.io, [&] { return a.events("r") == 1; }));
  // Offsets 2..7 in the stream; 3..7 announced back to back (one write from Redis): 3 is held
  // and starts a fill, 4 is held while it is in flight, 5, 6 and 7 are dropped (the stream has
  // them: the fill brings them all).
  const auto text = [&](int n) { return expected_json({e, std::uint64_t(n)}, "\"n\":0"); };
  for (int n = 2; n <= 7; ++n)
    c.call({"XADD", cluster_log::log_key("r"), std::to_string(n) + "-0", "t", "message", "j",
            text(n)});
  c.call({"HSET", cluster_log::meta_key("r"), "s", "7"});
  int answered = 0;
  for (int n = 3; n <= 7; ++n)
    c.admin->command({"PUBLISH", cluster_log::channel("r"),
                      hex_of(e) + " " + std::to_string(n) + " message " + text(n)},
                     [&](const redis_reply&) { ++answered; });
  REQUIRE(run_until(c.io, [&] { return answered == 5 && a.events("r") == 7; }));
  rtwire_test::run_for(c.io, 200ms);
  check_events(a, "r", e, 1, 7);
  CHECK(a.log->stats().dropped == 3);
  CHECK(a.of("r", record::reset).empty());
}
