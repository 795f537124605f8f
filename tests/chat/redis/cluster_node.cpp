// Tests for examples/chat/cluster_node (a chat node of a cluster: presence, sessions, direct
// events, node registration on Redis): several hubs, each with its cluster_node, on one
// io_context and one real redis-server started here on a free port without persistence.
#include "cluster_node.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "catch.hpp"
#include "chat/recorder.hpp"
#include "support/redis_server.hpp"

using namespace std::chrono_literals;
using chat::millis;
using json = chat::json;
using rtwire_test::redis_process;
using rtwire_test::run_until;

using chat_test::recorder;

namespace {

millis mono_now() {
  return std::chrono::duration_cast<millis>(std::chrono::steady_clock::now().time_since_epoch());
}

std::int64_t wall_now_ms() {
  return std::chrono::duration_cast<millis>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// One chat node: a hub, its cluster_node, and the 100 ms sweep chat_server runs.
struct chat_node {
  chat::hub h;
  std::shared_ptr<chat::cluster_node> node;
  asio::steady_timer sweep;
  std::optional<std::string> started;  // done(why) of start()

  chat_node(asio::io_context& io, std::uint16_t port, const std::string& id,
            millis ttl = millis{600}, chat::config settings = {})
      : h(settings, std::random_device{}()),
        node(chat::cluster_node::create(io, h,
                                        {.host = "127.0.0.1",
                                         .port = port,
                                         .node_id = id,
                                         .member_ttl = ttl,
                                         .grace = millis{10'000},
                                         .history = 1000})),
        sweep(io) {
    h.use_cluster(node.get());
  }
  ~chat_node() { halt(); }
  chat_node(const chat_node&) = delete;
  chat_node& operator=(const chat_node&) = delete;

  void start() {
    node->start([this](const std::string& why) {
      started = why;
      if (why.empty()) tick();
    });
  }
  /// The node stops: no more refreshes, sweeps or Redis traffic (as if it died).
  void halt() {
    sweep.cancel();
    node->stop();
  }
  void tick() {
    sweep.expires_after(100ms);
    sweep.async_wait([this](const std::error_code& ec) {
      if (ec) return;
      h.expire(mono_now(), wall_now_ms());
      tick();
    });
  }
};

struct cluster {
  redis_process server{rtwire_test::free_port()};
  asio::io_context io;
  std::vector<std::unique_ptr<chat_node>> nodes;
  std::shared_ptr<rtwire_examples::redis_client> admin =
      rtwire_examples::redis_client::create(io, {.port = server.port()});

  cluster() {
    admin->start();
    REQUIRE(run_until(io, [&] { return admin->connected(); }));
  }
  /// One command on a connection of the test's own.
  rtwire_examples::redis_reply call(const std::vector<std::string>& args) {
    std::optional<rtwire_examples::redis_reply> r;
    admin->command(args, [&](const rtwire_examples::redis_reply& x) { r = x; });
    REQUIRE(run_until(io, [&] { return r.has_value(); }));
    return *r;
  }

  chat_node& add(const std::string& id, millis ttl = millis{600}, chat::config settings = {}) {
    nodes.push_back(std::make_unique<chat_node>(io, server.port(), id, ttl, settings));
    return *nodes.back();
  }
  chat_node& started(const std::string& id, chat::config settings = {}) {
    chat_node& n = add(id, millis{600}, settings);
    n.start();
    REQUIRE(run_until(io, [&] { return n.started.has_value(); }));
    REQUIRE(*n.started == "");
    return n;
  }
  ~cluster() {
    admin->stop();
    for (auto& n : nodes)
      n->halt();
    rtwire_test::run_for(io, 20ms);  // the stopped clients' callbacks
    nodes.clear();
  }

  using answer = chat_test::answer;
  static chat::reply_fn reply_to(answer& a) { return chat_test::reply_to(a); }
  /// Sends `text` from `s` and waits for its answer.
  answer send(chat_node& n, chat::session& s, const std::string& text, millis limit = 5000ms) {
    answer a;
    n.h.handle(s, text, mono_now(), wall_now_ms(), reply_to(a));
    REQUIRE(run_until(
        io, [&] { return a.calls > 0; }, limit));
    CHECK(a.calls == 1);
    return a;
  }
  chat::session& connect(chat_node& n, recorder& out) {
    auto& s = n.h.create(chat::transport::websocket);
    n.h.attach(s, &out, chat::transport::websocket);
    return s;
  }
  /// Joins and waits for `joined`; returns it.
  json join(chat_node& n, chat::session& s, recorder& out, const std::string& room,
            const std::string& name, std::optional<std::string> since = std::nullopt) {
    json msg{{"type", "join"}, {"room", room}, {"name", name}};
    if (since) msg["since"] = *since;
    const std::size_t before = out.of("joined").size();
    const auto a = send(n, s, msg.dump());
    REQUIRE_FALSE(a.err);
    REQUIRE(out.of("joined").size() == before + 1);
    return out.of("joined").back();
  }
};

std::vector<std::string> ids_of(const json& members) {
  std::vector<std::string> out;
  for (const auto& m : members)
    out.push_back(m["clientId"]);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("cluster_node: a node id in use is refused at start; free again after the TTL",
          "[redis]") {
  cluster c;
  chat_node& a = c.started("a");
  chat_node& twin = c.add("a");
  twin.start();
  REQUIRE(run_until(c.io, [&] { return twin.started.has_value(); }));
  CHECK_FALSE(twin.started->empty());
  CHECK(twin.started->find("in use") != std::string::npos);
  // Another id is fine.
  c.started("b");
  // `a` stops refreshing its registration: the id is free once its TTL (600 ms) has passed.
  a.halt();
  rtwire_test::run_for(c.io, 800ms);
  chat_node& again = c.add("a");
  again.start();
  REQUIRE(run_until(c.io, [&] { return again.started.has_value(); }));
  CHECK(*again.started == "");
}

TEST_CASE("cluster_node: Redis unreachable at start -> done(why) within 3 s", "[redis]") {
  asio::io_context io;
  chat::hub h(chat::config{}, 1);
  auto node = chat::cluster_node::create(
      io, h, {.host = "127.0.0.1", .port = rtwire_test::free_port(), .node_id = "lonely"});
  h.use_cluster(node.get());
  std::optional<std::string> why;
  int calls = 0;
  const auto t0 = std::chrono::steady_clock::now();
  node->start([&](const std::string& w) {
    why = w;
    ++calls;
  });
  REQUIRE(run_until(
      io, [&] { return why.has_value(); }, 5000ms));
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took < 3500ms);
  CHECK_FALSE(why->empty());
  CHECK(why->find("cannot reach Redis") != std::string::npos);
  rtwire_test::run_for(io, 200ms);
  CHECK(calls == 1);
  node->stop();
}

TEST_CASE("cluster_node: members on both nodes are listed in joined; messages cross once",
          "[redis]") {
  cluster c;
  chat_node& a = c.started("a");
  chat_node& b = c.started("b");
  recorder ra, rb;
  auto& ann = c.connect(a, ra);
  auto& bob = c.connect(b, rb);
  const json ja = c.join(a, ann, ra, "r", "ann");
  CHECK(ids_of(ja["members"]) == std::vector<std::string>{ann.id});
  const json jb = c.join(b, bob, rb, "r", "bob");
  std::vector<std::string> both{ann.id, bob.id};
  std::sort(both.begin(), both.end());
  CHECK(ids_of(jb["members"]) == both);
  for (const auto& m : jb["members"])
    CHECK(m["name"] == (m["clientId"] == ann.id ? "ann" : "bob"));
  // ann (node a) hears bob's user-joined, at the cursor bob's joined carries.
  REQUIRE(run_until(c.io, [&] { return ra.about("user-joined", bob.id) == 1; }));
  CHECK(ra.of("user-joined").back()["id"] == jb["cursor"]);
  CHECK(rb.about("user-joined", bob.id) == 0);

  CHECK_FALSE(c.send(b, bob, R"({"type":"message","room":"r","text":"hello"})").err);
  REQUIRE(run_until(c.io,
                    [&] { return ra.of("message").size() == 1 && rb.of("message").size() == 1; }));
  rtwire_test::run_for(c.io, 100ms);
  REQUIRE(ra.of("message").size() == 1);
  REQUIRE(rb.of("message").size() == 1);
  CHECK(ra.of("message").at(0) == rb.of("message").at(0));
  CHECK(ra.of("message").at(0)["from"] == bob.id);
  CHECK(ra.of("message").at(0)["text"] == "hello");

  // GET /stats: this node first, the cluster's rooms.
  std::optional<json> st;
  a.h.stats(mono_now(), [&](json j) { st = std::move(j); });
  REQUIRE(run_until(c.io, [&] { return st.has_value(); }));
  CHECK(st->begin().key() == "node");
  CHECK((*st)["node"] == "a");
  CHECK((*st)["rooms"]["r"]["members"] == 2);
  CHECK((*st)["rooms"]["r"]["messages"] == 1);
}

TEST_CASE("cluster_node: a stopped node's member leaves within the TTL, exactly once", "[redis]") {
  cluster c;
  chat_node& a = c.started("a");
  chat_node& b = c.started("b");
  chat_node& d = c.started("d");  // sweeps too
  recorder ra, rb, rd;
  auto& ann = c.connect(a, ra);
  auto& bob = c.connect(b, rb);
  auto& dan = c.connect(d, rd);
  c.join(a, ann, ra, "r", "ann");
  c.join(b, bob, rb, "r", "bob");
  c.join(d, dan, rd, "r", "dan");
  const std::string ann_id = ann.id;
  // Alive: refreshed, nobody leaves over more than a TTL.
  rtwire_test::run_for(c.io, 900ms);
  CHECK(rb.of("user-left").empty());

  const auto t0 = std::chrono::steady_clock::now();
  a.halt();
  REQUIRE(run_until(
      c.io, [&] { return rb.about("user-left", ann_id) > 0 && rd.about("user-left", ann_id) > 0; },
      3000ms));
  // The last refresh was at most a third of the TTL before the stop; a sweep every third.
  CHECK(std::chrono::steady_clock::now() - t0 < 1200ms);
  rtwire_test::run_for(c.io, 800ms);  // both b and d keep sweeping
  CHECK(rb.about("user-left", ann_id) == 1);
  CHECK(rd.about("user-left", ann_id) == 1);
  CHECK(rb.of("user-left").size() == 1);  // bob and dan stay
  CHECK(rb.of("user-left").at(0)["id"] == rd.of("user-left").at(0)["id"]);
  CHECK(rb.of("user-left").at(0)["name"] == "ann");
}

TEST_CASE("cluster_node: private and signal cross nodes only to a client sharing a room",
          "[redis]") {
  cluster c;
  chat_node& a = c.started("a");
  chat_node& b = c.started("b");
  recorder ra, rb, rc;
  auto& ann = c.connect(a, ra);
  auto& bob = c.connect(b, rb);
  auto& cy = c.connect(b, rc);
  c.join(a, ann, ra, "r", "ann");
  c.join(b, bob, rb, "r", "bob");
  c.join(b, cy, rc, "other", "cy");

  auto ok = c.send(a, ann, json{{"type", "private"}, {"to", bob.id}, {"text", "psst"}}.dump());
  CHECK_FALSE(ok.err);
  REQUIRE(run_until(c.io, [&] { return rb.of("private").size() == 1; }));
  const json p = rb.of("private").at(0);
  CHECK(p["from"] == ann.id);
  CHECK(p["name"] == "ann");
  CHECK(p["to"] == bob.id);
  CHECK(p["text"] == "psst");
  REQUIRE(ra.of("private").size() == 1);  // the echo
  CHECK(ra.of("private").at(0) == p);

  // cy shares no room with ann: unknown-client, as for a client that does not exist.
  for (const std::string& to : {cy.id, std::string("0123abcd"), std::string("NOT-HEX")}) {
    auto no = c.send(a, ann, json{{"type", "private"}, {"to", to}, {"text", "x"}}.dump());
    REQUIRE(no.err);
    CHECK(no.err->code == "unknown-client");
    CHECK(no.err->status == 404);
  }
  const chat::input_json end_of_candidates{{"candidate", {{"candidate", ""}}}};
  auto sig = c.send(
      a, ann,
      chat::input_json{{"type", "signal"}, {"to", bob.id}, {"data", end_of_candidates}}.dump());
  CHECK_FALSE(sig.err);
  REQUIRE(run_until(c.io, [&] { return rb.of("signal").size() == 1; }));
  CHECK(rb.of("signal").at(0)["from"] == ann.id);
  auto no_sig = c.send(
      a, ann,
      chat::input_json{{"type", "signal"}, {"to", cy.id}, {"data", end_of_candidates}}.dump());
  REQUIRE(no_sig.err);
  CHECK(no_sig.err->code == "unknown-client");
  rtwire_test::run_for(c.io, 100ms);
  CHECK(rc.of("private").empty());
  CHECK(rc.of("signal").empty());
  CHECK(ra.of("signal").empty());
  CHECK(rb.of("private").size() == 1);
}

TEST_CASE("cluster_node: a session resumed on another node moves with its rooms, no churn",
          "[redis]") {
  cluster c;
  chat_node& a = c.started("a");
  chat_node& b = c.started("b");
  recorder ra, rb_a, rb_b;
  auto& ann = c.connect(a, ra);
  auto& bob = c.connect(a, rb_a);
  c.join(a, ann, ra, "r", "ann");
  const json jb = c.join(a, bob, rb_a, "r", "bob");
  const std::string bob_id = bob.id, token = bob.token;
  CHECK_FALSE(c.send(a, ann, R"({"type":"message","room":"r","text":"one"})").err);
  REQUIRE(run_until(c.io, [&] { return rb_a.of("message").size() == 1; }));
  const std::string seen = rb_a.of("message").at(0)["id"];
  // Bob's connection drops; the next message happens while he is away.
  a.h.detach(bob, mono_now());
  CHECK_FALSE(c.send(a, ann, R"({"type":"message","room":"r","text":"two"})").err);
  REQUIRE(run_until(c.io, [&] { return ra.of("message").size() == 2; }));

  // Bob resumes on node b with his token.
  chat::session* moved = nullptr;
  bool answered = false;
  b.h.find_by_token(token, chat::transport::websocket, [&](chat::session* s) {
    moved = s;
    answered = true;
  });
  REQUIRE(run_until(c.io, [&] { return answered; }));
  REQUIRE(moved != nullptr);
  CHECK(moved->id == bob_id);
  CHECK(moved->token == token);
  CHECK(moved->name == "bob");
  CHECK(moved->rooms == std::set<std::string>{"r"});
  // Node a forgets it (told through its channel).
  REQUIRE(run_until(c.io, [&] { return a.h.find(bob_id) == nullptr; }));
  CHECK(a.h.find_by_token(token) == nullptr);
  CHECK(a.h.find_room("r")->has(bob_id) == false);

  b.h.attach(*moved, &rb_b, chat::transport::websocket);
  CHECK(rb_b.of("connected").at(0)["clientId"] == bob_id);
  const json j = c.join(b, *moved, rb_b, "r", "bob", seen);
  std::vector<std::string> both{ann.id, bob_id};
  std::sort(both.begin(), both.end());
  CHECK(ids_of(j["members"]) == both);
  CHECK(rb_b.of("reset").empty());
  REQUIRE(rb_b.of("message").size() == 1);  // the one he missed, replayed before joined
  CHECK(rb_b.of("message").at(0)["text"] == "two");
  CHECK(rb_b.events.back()["type"] == "joined");
  CHECK(j["cursor"] == ra.of("message").back()["id"]);  // no user-joined: a member all along

  // Over two TTLs: b keeps bob's presence alive; ann sees no churn.
  rtwire_test::run_for(c.io, 1300ms);
  CHECK(ra.about("user-left", bob_id) == 0);
  CHECK(ra.about("user-joined", bob_id) == 1);  // his first join only
  CHECK_FALSE(c.send(a, ann, R"({"type":"message","room":"r","text":"three"})").err);
  REQUIRE(run_until(c.io, [&] { return rb_b.of("message").size() == 2; }));
  CHECK(rb_b.of("message").at(1)["text"] == "three");
  CHECK(jb["cursor"] != j["cursor"]);
}

TEST_CASE("cluster_node: a resumed session's old connection is evicted", "[redis]") {
  cluster c;
  chat_node& a = c.started("a");
  chat_node& b = c.started("b");
  recorder rb_a;
  auto& bob = c.connect(a, rb_a);
  c.join(a, bob, rb_a, "r", "bob");
  const std::string token = bob.token;
  bool answered = false;
  b.h.find_by_token(token, chat::transport::sse, [&](chat::session*) { answered = true; });
  REQUIRE(run_until(c.io, [&] { return answered && rb_a.evictions == 1; }));
  // An unknown token finds nothing.
  bool none = false;
  b.h.find_by_token("0123456789abcdef0123456789abcdef", chat::transport::sse,
                    [&](chat::session* s) { none = s == nullptr; });
  REQUIRE(run_until(c.io, [&] { return none; }));
}

// What Redis holds under rt:session:<token> is not trusted: anything but the session object a
// node stored finds no session (and a token that is not hex is never looked up).
TEST_CASE("cluster_node: a stored session that is not one a node wrote is not resumed", "[redis]") {
  cluster c;
  chat_node& b = c.started("b");
  const std::string token = "00112233445566778899aabbccddeeff";
  const std::string stored = GENERATE(
      std::string("not json"), std::string("[1,2]"),
      std::string(R"({"id":"abcd","token":"00112233445566778899aabbccddeeff","name":"x"})"),
      std::string(
          R"({"id":"NOT-HEX","token":"00112233445566778899aabbccddeeff","name":"x","rooms":[]})"),
      std::string(
          R"({"id":"abcd","token":"ffffffffffffffffffffffffffffffff","name":"x","rooms":[]})"),
      std::string(
          R"({"id":"abcd","token":"00112233445566778899aabbccddeeff","name":7,"rooms":[]})"));
  CAPTURE(stored);
  REQUIRE(c.call({"SET", "rt:session:" + token, stored}).text == "OK");
  std::optional<chat::session*> found;
  b.h.find_by_token(token, chat::transport::websocket, [&](chat::session* s) { found = s; });
  REQUIRE(run_until(c.io, [&] { return found.has_value(); }));
  CHECK(*found == nullptr);
  CHECK(b.h.session_count() == 0);
  // The well-formed object is resumed, rooms with invalid names dropped.
  REQUIRE(
      c.call({"SET", "rt:session:" + token,
              R"({"id":"abcd","token":")" + token + R"(","name":"x","rooms":["ok","bad room!"]})"})
          .text == "OK");
  found.reset();
  b.h.find_by_token(token, chat::transport::websocket, [&](chat::session* s) { found = s; });
  REQUIRE(run_until(c.io, [&] { return found.has_value(); }));
  REQUIRE(*found != nullptr);
  CHECK((*found)->id == "abcd");
  CHECK((*found)->rooms == std::set<std::string>{"ok"});
  // A token that is not lowercase hex is never a key.
  found.reset();
  b.h.find_by_token("rt:rooms", chat::transport::websocket, [&](chat::session* s) { found = s; });
  REQUIRE(run_until(c.io, [&] { return found.has_value(); }));
  CHECK(*found == nullptr);
}

TEST_CASE("cluster_node: a publish with Redis stopped answers unavailable within 3 s", "[redis]") {
  cluster c;
  chat_node& a = c.started("a");
  recorder ra;
  auto& ann = c.connect(a, ra);
  c.join(a, ann, ra, "r", "ann");
  c.server.kill(SIGSTOP);
  const auto t0 = std::chrono::steady_clock::now();
  const auto no = c.send(a, ann, R"({"type":"message","room":"r","text":"lost"})", 5000ms);
  CHECK(std::chrono::steady_clock::now() - t0 < 3000ms);
  REQUIRE(no.err);
  CHECK(no.err->code == "unavailable");
  CHECK(no.err->status == 503);
  // Redis comes back: the refused message is never published later; service resumes.
  c.server.kill(SIGCONT);
  bool sent = false;
  for (int i = 0; i < 30 && !sent; ++i) {
    sent = !c.send(a, ann, R"({"type":"message","room":"r","text":"back"})", 6000ms).err;
    if (!sent) rtwire_test::run_for(c.io, 200ms);  // reconnecting (backoff <= 2 s)
  }
  REQUIRE(sent);
  REQUIRE(run_until(c.io, [&] { return ra.of("message").size() == 1; }));
  rtwire_test::run_for(c.io, 300ms);
  REQUIRE(ra.of("message").size() == 1);
  CHECK(ra.of("message").at(0)["text"] == "back");
}

TEST_CASE("cluster_node: leaving and ending across nodes log one user-left each", "[redis]") {
  cluster c;
  chat::config short_grace;
  short_grace.grace = millis{200};
  chat_node& a = c.started("a", short_grace);
  chat_node& b = c.started("b");
  recorder ra, rb, rc;
  auto& ann = c.connect(a, ra);
  auto& cy = c.connect(a, rc);
  auto& bob = c.connect(b, rb);
  c.join(a, ann, ra, "r", "ann");
  c.join(a, cy, rc, "r", "cy");
  c.join(b, bob, rb, "r", "bob");
  const std::string ann_id = ann.id, cy_id = cy.id, cy_token = cy.token;

  // ann leaves: her own user-left is her acknowledgement, bob sees it once, then she hears nothing.
  CHECK_FALSE(c.send(a, ann, R"({"type":"leave","room":"r"})").err);
  REQUIRE(run_until(c.io, [&] {
    return ra.about("user-left", ann_id) == 1 && rb.about("user-left", ann_id) == 1;
  }));
  CHECK(ra.events.back()["type"] == "user-left");
  CHECK_FALSE(c.send(b, bob, R"({"type":"message","room":"r","text":"after"})").err);
  REQUIRE(run_until(c.io, [&] { return rc.of("message").size() == 1; }));
  CHECK(ra.of("message").empty());
  CHECK(ann.rooms.empty());

  // cy's connection goes and his grace (200 ms) passes on node a: one user-left, his session gone
  // from the cluster (not resumable on b).
  a.h.detach(cy, mono_now());
  REQUIRE(run_until(c.io, [&] { return rb.about("user-left", cy_id) == 1; }));
  CHECK(a.h.find(cy_id) == nullptr);
  rtwire_test::run_for(c.io, 900ms);  // over a TTL: sweeps find nothing more
  CHECK(rb.about("user-left", cy_id) == 1);
  CHECK(rb.about("user-left", ann_id) == 1);
  CHECK(rb.of("user-left").size() == 2);
  bool answered = false;
  chat::session* found = nullptr;
  b.h.find_by_token(cy_token, chat::transport::websocket, [&](chat::session* s) {
    found = s;
    answered = true;
  });
  REQUIRE(run_until(c.io, [&] { return answered; }));
  CHECK(found == nullptr);
  // The cluster's stats: bob alone in r.
  std::optional<json> st;
  b.h.stats(mono_now(), [&](json j) { st = std::move(j); });
  REQUIRE(run_until(c.io, [&] { return st.has_value(); }));
  CHECK((*st)["rooms"]["r"]["members"] == 1);
}

TEST_CASE("cluster_node: a session another node holds now is forgotten at the next refresh",
          "[redis]") {
  cluster c;
  chat_node& a = c.started("a");
  chat_node& b = c.started("b");
  recorder ra, rb;
  auto& bob = c.connect(a, rb);
  auto& ann = c.connect(b, ra);
  c.join(a, bob, rb, "r", "bob");
  c.join(b, ann, ra, "r", "ann");
  const std::string bob_id = bob.id;
  // Held by node a, in Redis: rt:client:<id> -> a.
  CHECK(c.call({"GET", "rt:client:" + bob_id}).text == "a");
  rtwire_test::run_for(c.io, 300ms);  // a refresh keeps it
  REQUIRE(a.h.find(bob_id) != nullptr);
  CHECK(rb.evictions == 0);
  // Node b took it, and its "evict" never reached a.
  REQUIRE(c.call({"SET", "rt:client:" + bob_id, "b", "PX", "5000"}).text == "OK");
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(run_until(
      c.io, [&] { return a.h.find(bob_id) == nullptr; }, 2000ms));
  CHECK(std::chrono::steady_clock::now() - t0 < 500ms);  // a refresh every 200 ms
  CHECK(rb.evictions == 1);
  CHECK(ra.about("user-left", bob_id) == 0);  // forgotten, not left
  CHECK(c.call({"GET", "rt:client:" + bob_id}).text == "b");
}
