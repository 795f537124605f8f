// The hub's cluster mode (hub_cluster.cpp and hub.cpp's cluster branches) without Redis: a fake
// cluster_link records every call and holds its callbacks, so each test answers them when it
// chooses, and it owns the mirror of each ready room (what cluster_log's cache is), which the test
// feeds with append_at() before calling hub::room_event(), the way cluster_log does.
#include <rtwire/core/log.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "catch.hpp"
#include "chat/recorder.hpp"
#include "hub.hpp"

using chat_test::recorder;

namespace {

using chat::millis;
using json = chat::json;
using rtwire::log::cursor;

constexpr std::uint64_t E = 0xe1;   // the cluster's epoch of room "r"
constexpr std::uint64_t E2 = 0xe2;  // after a reset

std::string cur(std::uint64_t epoch, std::uint64_t offset) {
  return rtwire::log::to_string({epoch, offset});
}

/// The cluster, faked: every call recorded, every callback held for the test to answer.
struct fake_link : chat::cluster_link {
  std::string id = "node-a";
  std::vector<std::string> calls;  // "serve r", "release r", "claim <id>", "store <id>", ...
  std::map<std::string, std::unique_ptr<rtwire::log::message_log>> mirrors;

  struct publish_call {
    std::string room, type, prefix, suffix;
    chat::reply_fn done;
  };
  struct join_call {
    std::string room, client, name;
    std::function<void(joined_info)> done;
  };
  struct leave_call {
    std::string room, client;
    bool asked;
    std::function<void(bool)> done;
  };
  struct direct_call {
    std::string from, to, type, text;
    chat::reply_fn done;
  };
  struct load_call {
    std::string token;
    std::function<void(std::optional<chat::stored_session>)> done;
  };
  std::vector<publish_call> publishes;
  std::vector<join_call> joins;
  std::vector<leave_call> leaves;
  std::vector<direct_call> directs;
  std::vector<load_call> loads;
  std::vector<std::function<void(json)>> stats_calls;

  void serve(const std::string& room) override { calls.push_back("serve " + room); }
  void release(const std::string& room) override {
    calls.push_back("release " + room);
    mirrors.erase(room);
  }
  const rtwire::log::message_log* history(const std::string& room) const override {
    const auto it = mirrors.find(room);
    return it == mirrors.end() ? nullptr : it->second.get();
  }
  void publish(const std::string& room, const std::string& type, std::string prefix,
               std::string suffix, chat::reply_fn done) override {
    publishes.push_back({room, type, std::move(prefix), std::move(suffix), std::move(done)});
  }
  void join(const std::string& room, const chat::session& s,
            std::function<void(joined_info)> done) override {
    joins.push_back({room, s.id, s.name, std::move(done)});
  }
  void leave(const std::string& room, const chat::session& s, bool asked,
             std::function<void(bool)> done) override {
    leaves.push_back({room, s.id, asked, std::move(done)});
  }
  void direct(const chat::session& from, const std::string& to, std::string_view type,
              const std::string& text, chat::reply_fn done) override {
    directs.push_back({from.id, to, std::string(type), text, std::move(done)});
  }
  void load_session(const std::string& token,
                    std::function<void(std::optional<chat::stored_session>)> done) override {
    loads.push_back({token, std::move(done)});
  }
  void claim(const chat::session& s) override { calls.push_back("claim " + s.id); }
  void store(const chat::session& s) override { calls.push_back("store " + s.id); }
  void ended(const chat::session& s) override { calls.push_back("ended " + s.id); }
  void stats(std::function<void(json rooms)> done) override {
    stats_calls.push_back(std::move(done));
  }
  const std::string& node_id() const override { return id; }

  std::size_t count(const std::string& call) const {
    return static_cast<std::size_t>(std::count(calls.begin(), calls.end(), call));
  }

  /// The room's history arrives: a mirror positioned at `head`, then hub::room_ready.
  rtwire::log::message_log& ready(chat::hub& h, const std::string& room, cursor head) {
    auto log = std::make_unique<rtwire::log::message_log>(head.epoch);
    REQUIRE_FALSE(log->restart_at(head));
    auto& ref = *log;
    mirrors[room] = std::move(log);
    h.room_ready(room, millis{0});
    return ref;
  }
  rtwire::log::message_log& mirror(const std::string& room) {
    REQUIRE(mirrors.count(room));
    return *mirrors.at(room);
  }
  /// A logged event reaches this node: into the mirror at its offset, then to the hub.
  void event(chat::hub& h, const std::string& room, std::uint64_t offset, const std::string& type,
             json body) {
    auto& m = mirror(room);
    json ev{{"type", type}, {"room", room}, {"id", cur(m.epoch(), offset)}};
    for (auto& [k, v] : body.items())
      ev[k] = std::move(v);
    const std::string text = ev.dump();
    REQUIRE(m.append_at(offset, text, type, millis{0}));
    h.room_event(room, {m.epoch(), offset}, type, text);
  }
  void message(chat::hub& h, const std::string& room, std::uint64_t offset) {
    event(h, room, offset, "message",
          {{"from", "0000aaaa"}, {"name", "zed"}, {"text", "m" + std::to_string(offset)}});
  }
  void user_joined(chat::hub& h, const std::string& room, std::uint64_t offset,
                   const std::string& client, const std::string& name) {
    event(h, room, offset, "user-joined", {{"clientId", client}, {"name", name}});
  }
  void user_left(chat::hub& h, const std::string& room, std::uint64_t offset,
                 const std::string& client, const std::string& name) {
    event(h, room, offset, "user-left", {{"clientId", client}, {"name", name}});
  }

  /// Answers the oldest unanswered join.
  join_call take_join() {
    REQUIRE_FALSE(joins.empty());
    auto j = std::move(joins.front());
    joins.erase(joins.begin());
    return j;
  }
};

chat::cluster_link::joined_info joined_at(cursor at, bool added, json members) {
  chat::cluster_link::joined_info info;
  info.at = at;
  info.added = added;
  info.members = std::move(members);
  return info;
}

json member(const std::string& id, const std::string& name) {
  return json{{"clientId", id}, {"name", name}};
}

chat::error unavailable() {
  return {"unavailable", "the chat's storage (Redis) is unreachable: test", 503};
}

std::string join_msg(const std::string& room, const std::string& name,
                     std::optional<std::string> since = std::nullopt) {
  json j{{"type", "join"}, {"room", room}, {"name", name}};
  if (since) j["since"] = *since;
  return j.dump();
}

/// A hub in cluster mode with the fake link, and a reply recorder.
struct fixture {
  fake_link link;
  chat::hub h{chat::config{}, 0x10};
  fixture() { h.use_cluster(&link); }

  using answer = chat_test::answer;
  static chat::reply_fn reply_to(answer& a) { return chat_test::reply_to(a); }
  /// Ticks of the sweep (every 100 ms in the server).
  void ticks(int n) {
    for (int i = 0; i < n; ++i)
      h.expire(millis{0}, 0);
  }
  chat::session& client(recorder& out) {
    auto& s = h.create(chat::transport::websocket);
    h.attach(s, &out, chat::transport::websocket);
    out.clear();
    return s;
  }
  /// A client fully joined to "r" (the room ready at the mirror's head), its events cleared.
  chat::session& member_of_r(recorder& out, const std::string& name) {
    auto& s = client(out);
    answer a;
    h.handle(s, join_msg("r", name), millis{0}, 0, reply_to(a));
    if (!link.mirrors.count("r")) link.ready(h, "r", {E, 0});
    auto j = link.take_join();
    auto& m = link.mirror("r");
    const std::uint64_t at = m.last_offset() + 1;
    j.done(joined_at({E, at}, true, json::array({member(s.id, name)})));
    link.user_joined(h, "r", at, s.id, name);
    REQUIRE(a.calls == 1);
    REQUIRE_FALSE(a.err);
    REQUIRE(out.of("joined").size() == 1);
    out.clear();
    return s;
  }
};

}  // namespace

TEST_CASE("cluster join: waits for room_ready, joined carries the cluster's members and cursor") {
  fixture f;
  recorder ra;
  auto& a = f.client(ra);
  fixture::answer ans;
  f.h.handle(a, join_msg("r", "ann"), millis{0}, 0, f.reply_to(ans));
  CHECK(f.link.calls.back() == "serve r");
  CHECK(f.link.joins.empty());  // the history is not here yet
  CHECK(ans.calls == 0);
  CHECK(ra.events.empty());
  f.link.ready(f.h, "r", {E, 4});
  auto j = f.link.take_join();
  CHECK(j.room == "r");
  CHECK(j.client == a.id);
  CHECK(j.name == "ann");
  CHECK(ra.events.empty());
  // The cluster answers: added at offset 5, two members (one on another node).
  j.done(joined_at({E, 5}, true, json::array({member("0000bbbb", "bob"), member(a.id, "ann")})));
  CHECK(ra.events.empty());  // this node has not heard of 5 yet
  CHECK(ans.calls == 0);
  f.link.user_joined(f.h, "r", 5, a.id, "ann");
  REQUIRE(ra.trace() == std::vector<std::string>{"joined " + cur(E, 5)});
  const json joined = ra.events.at(0);
  CHECK(joined["room"] == "r");
  CHECK(joined["members"] == json::array({member("0000bbbb", "bob"), member(a.id, "ann")}));
  CHECK(ans.calls == 1);
  CHECK_FALSE(ans.err);
  CHECK(a.rooms == std::set<std::string>{"r"});
  CHECK(f.h.find_room("r")->has(a.id));
  CHECK(f.link.count("store " + a.id) >= 1);
  // Live from now on, each event once.
  f.link.message(f.h, "r", 6);
  f.h.room_event("r", {E, 6}, "message", f.link.mirror("r").find(6)->payload);  // duplicate
  CHECK(ra.trace() == std::vector<std::string>{"joined " + cur(E, 5), "message " + cur(E, 6)});
}

TEST_CASE("cluster join: the mirror already at the answered cursor completes at once") {
  fixture f;
  recorder ra;
  auto& a = f.client(ra);
  f.link.ready(f.h, "r", {E, 0});  // not served yet: ignored
  CHECK(f.h.find_room("r") == nullptr);
  f.link.mirrors.clear();
  fixture::answer ans;
  f.h.handle(a, join_msg("r", "ann"), millis{0}, 0, f.reply_to(ans));
  f.link.ready(f.h, "r", {E, 9});
  f.link.take_join().done(joined_at({E, 9}, false, json::array({member(a.id, "ann")})));
  CHECK(ra.trace() == std::vector<std::string>{"joined " + cur(E, 9)});
  CHECK(ans.calls == 1);
}

// A join the cluster answered with a cursor this node has not heard of completes after
// max_answered_ticks (20) sweeps anyway (a lost notification is found only at the next one).
TEST_CASE("cluster join: completes after ~20 ticks when the cursor never arrives") {
  fixture f;
  recorder ra;
  auto& a = f.client(ra);
  fixture::answer ans;
  f.h.handle(a, join_msg("r", "ann"), millis{0}, 0, f.reply_to(ans));
  f.link.ready(f.h, "r", {E, 2});
  f.link.take_join().done(joined_at({E, 3}, true, json::array({member(a.id, "ann")})));
  f.ticks(10);
  CHECK(ra.events.empty());  // still waiting (a notification may be late)
  f.ticks(15);
  CHECK(ra.trace() == std::vector<std::string>{"joined " + cur(E, 3)});
  CHECK(ans.calls == 1);
  // Later events still come once each, after the join point.
  f.link.user_joined(f.h, "r", 3, a.id, "ann");
  f.link.message(f.h, "r", 4);
  CHECK(ra.trace() == std::vector<std::string>{"joined " + cur(E, 3), "message " + cur(E, 4)});
}

TEST_CASE("cluster join with since: missed events replay before joined") {
  fixture f;
  recorder ra, rb;
  f.member_of_r(ra, "ann");  // offset 1
  for (std::uint64_t o = 2; o <= 4; ++o)
    f.link.message(f.h, "r", o);
  auto& b = f.client(rb);
  fixture::answer ans;
  f.h.handle(b, join_msg("r", "bob", cur(E, 2)), millis{0}, 0, f.reply_to(ans));
  // Replayed at once (the room is ready), before the cluster is even asked to add the member.
  CHECK(rb.trace() == std::vector<std::string>{"message " + cur(E, 3), "message " + cur(E, 4)});
  f.link.take_join().done(joined_at({E, 5}, true, json::array({member(b.id, "bob")})));
  f.link.user_joined(f.h, "r", 5, b.id, "bob");
  CHECK(rb.trace() == std::vector<std::string>{"message " + cur(E, 3), "message " + cur(E, 4),
                                               "joined " + cur(E, 5)});
  CHECK(ans.calls == 1);
  CHECK_FALSE(ans.err);
  CHECK(rb.of("reset").empty());
}

// A `since` the mirror cannot honour gets `reset` with the mirror's head (the cluster's), and
// long polling answers 409 with that same head, which the next poll accepts.
TEST_CASE("cluster join: a stale since gets a reset with the cluster's head") {
  fixture f;
  recorder ra, rb;
  f.member_of_r(ra, "ann");  // e1-1
  f.link.message(f.h, "r", 2);
  f.link.message(f.h, "r", 3);
  auto& b = f.client(rb);
  f.h.handle(b, join_msg("r", "bob", cur(E2, 1)), millis{0}, 0, [](auto) {});  // another epoch
  REQUIRE(rb.of("reset").size() == 1);
  CHECK(rb.of("reset").at(0)["cursor"] == cur(E, 3));
  CHECK(f.h.find_room("r")->head_id() == cur(E, 3));  // what the long-poll transport answers
}

TEST_CASE("cluster join: stale or malformed since gets reset, then joined") {
  fixture f;
  recorder ra;
  f.member_of_r(ra, "ann");  // e1-1
  for (std::uint64_t o = 2; o <= 4; ++o)
    f.link.message(f.h, "r", o);
  f.link.mirror("r").set_retention({.max_messages = 2});
  f.link.message(f.h, "r", 5);  // the mirror holds 4..5 now
  REQUIRE(f.link.mirror("r").first_offset() == 4);

  struct outcome {
    const char* what;
    std::string since;
    bool malformed_is_stale;
  };
  for (const auto& o : {outcome{"another epoch", cur(E2, 1), false},
                        outcome{"older than the mirror", cur(E, 1), false},
                        outcome{"malformed (SSE)", "garbage", true}}) {
    SECTION(o.what) {
      recorder rb;
      auto& b = f.client(rb);
      std::optional<chat::join_result> done;
      const auto started = f.h.join(b, "r", "bob", o.since, millis{0}, 0, o.malformed_is_stale,
                                    [&](const chat::join_result& r) { done = r; });
      CHECK_FALSE(started.err);
      REQUIRE(rb.trace().size() == 1);
      CHECK(rb.events.at(0)["type"] == "reset");
      CHECK(rb.events.at(0)["room"] == "r");
      f.link.take_join().done(joined_at({E, 6}, true, json::array({member(b.id, "bob")})));
      f.link.user_joined(f.h, "r", 6, b.id, "bob");
      REQUIRE(done);
      CHECK(done->reset);
      CHECK_FALSE(done->err);
      CHECK(done->cursor == cur(E, 6));
      CHECK(rb.trace().back() == "joined " + cur(E, 6));
      CHECK(rb.of("message").empty());
    }
  }
  SECTION("malformed (WS, long poll): refused at once, nothing asked") {
    recorder rb;
    auto& b = f.client(rb);
    fixture::answer ans;
    f.h.handle(b, join_msg("r", "bob", "garbage"), millis{0}, 0, f.reply_to(ans));
    CHECK(ans.calls == 1);
    REQUIRE(ans.err);
    CHECK(ans.err->code == "bad-request");
    CHECK(f.link.joins.empty());
    CHECK(rb.events.empty());
  }
}

TEST_CASE("cluster join: a since ahead of the mirror waits for it") {
  fixture f;
  recorder ra, rb;
  f.member_of_r(ra, "ann");  // e1-1
  f.link.message(f.h, "r", 2);
  auto& b = f.client(rb);
  fixture::answer ans;
  f.h.handle(b, join_msg("r", "bob", cur(E, 4)), millis{0}, 0, f.reply_to(ans));
  f.ticks(5);
  CHECK(f.link.joins.empty());
  CHECK(rb.events.empty());
  f.link.message(f.h, "r", 3);
  CHECK(f.link.joins.empty());
  f.link.message(f.h, "r", 4);  // the mirror reached `since`: nothing missed, the join goes on
  REQUIRE(f.link.joins.size() == 1);
  CHECK(rb.events.empty());
  f.link.take_join().done(joined_at({E, 5}, true, json::array({member(b.id, "bob")})));
  f.link.user_joined(f.h, "r", 5, b.id, "bob");
  f.link.message(f.h, "r", 6);
  CHECK(rb.trace() == std::vector<std::string>{"joined " + cur(E, 5), "message " + cur(E, 6)});
  CHECK(ans.calls == 1);
  CHECK_FALSE(ans.err);
}

TEST_CASE("cluster join: a since ahead of the mirror becomes a reset after ~20 ticks") {
  fixture f;
  recorder ra, rb;
  f.member_of_r(ra, "ann");  // e1-1
  auto& b = f.client(rb);
  std::optional<chat::join_result> done;
  f.h.join(b, "r", "bob", cur(E, 7), millis{0}, 0, false,
           [&](const chat::join_result& r) { done = r; });
  f.ticks(15);
  CHECK(f.link.joins.empty());
  CHECK(rb.events.empty());
  f.ticks(6);
  REQUIRE(f.link.joins.size() == 1);
  REQUIRE(rb.of("reset").size() == 1);
  CHECK(rb.events.size() == 1);
  f.link.take_join().done(joined_at({E, 2}, true, json::array({member(b.id, "bob")})));
  f.link.user_joined(f.h, "r", 2, b.id, "bob");
  REQUIRE(done);
  CHECK(done->reset);
  CHECK(rb.trace().back() == "joined " + cur(E, 2));
}

TEST_CASE("cluster join: events while joining are held, each delivered once") {
  fixture f;
  recorder ra, rb;
  f.member_of_r(ra, "ann");  // e1-1
  f.link.message(f.h, "r", 2);
  auto& b = f.client(rb);
  const bool resuming = GENERATE(true, false);
  const bool answer_first = GENERATE(true, false);
  CAPTURE(resuming, answer_first);
  fixture::answer ans;
  f.h.handle(b, resuming ? join_msg("r", "bob", cur(E, 1)) : join_msg("r", "bob"), millis{0}, 0,
             f.reply_to(ans));
  std::vector<std::string> want;
  if (resuming) want.push_back("message " + cur(E, 2));  // the replay
  CHECK(rb.trace() == want);
  auto j = f.link.take_join();
  // 3 and 4 (someone else's user-joined) come before the join point (5, bob's user-joined).
  if (answer_first) j.done(joined_at({E, 5}, true, json::array({member(b.id, "bob")})));
  f.link.message(f.h, "r", 3);
  f.h.room_event("r", {E, 3}, "message", f.link.mirror("r").find(3)->payload);  // duplicate
  f.link.user_joined(f.h, "r", 4, "0000cccc", "cy");
  f.link.user_joined(f.h, "r", 5, b.id, "bob");
  if (!answer_first) {
    f.link.message(f.h, "r", 6);
    f.link.message(f.h, "r", 7);
    CHECK(rb.trace() == want);  // all held
    j.done(joined_at({E, 5}, true, json::array({member(b.id, "bob")})));
  }
  if (resuming) {
    want.push_back("message " + cur(E, 3));
    want.push_back("user-joined " + cur(E, 4));
  }
  want.push_back("joined " + cur(E, 5));
  if (!answer_first) {
    want.push_back("message " + cur(E, 6));
    want.push_back("message " + cur(E, 7));
  } else {
    f.link.message(f.h, "r", 6);
    f.link.message(f.h, "r", 7);
    want.push_back("message " + cur(E, 6));
    want.push_back("message " + cur(E, 7));
  }
  f.h.room_event("r", {E, 6}, "message", f.link.mirror("r").find(6)->payload);  // duplicate
  CHECK(rb.trace() == want);
  CHECK(ans.calls == 1);
  // ann saw everything live, once.
  CHECK(ra.trace() == std::vector<std::string>{"message " + cur(E, 2), "message " + cur(E, 3),
                                               "user-joined " + cur(E, 4),
                                               "user-joined " + cur(E, 5), "message " + cur(E, 6),
                                               "message " + cur(E, 7)});
}

TEST_CASE("cluster message: published through the cluster, its answer is the reply") {
  fixture f;
  recorder ra;
  auto& a = f.member_of_r(ra, "ann");
  fixture::answer ans;
  f.h.handle(a, R"({"type":"message","room":"r","text":"hi"})", millis{0}, 1234, f.reply_to(ans));
  REQUIRE(f.link.publishes.size() == 1);
  CHECK(ans.calls == 0);  // answered once the cluster has
  auto p = std::move(f.link.publishes.at(0));
  CHECK(p.room == "r");
  CHECK(p.type == "message");
  CHECK(p.prefix == R"({"type":"message","room":"r","id":")");
  const json ev = json::parse(p.prefix + cur(E, 2) + p.suffix);
  CHECK(ev == json{{"type", "message"},
                   {"room", "r"},
                   {"id", cur(E, 2)},
                   {"from", a.id},
                   {"name", "ann"},
                   {"text", "hi"},
                   {"ts", 1234}});
  CHECK(ra.events.empty());  // nothing delivered until the event comes back from the cluster
  p.done(std::nullopt);
  CHECK(ans.calls == 1);
  CHECK_FALSE(ans.err);

  f.h.handle(a, R"({"type":"message","room":"r","text":"no"})", millis{0}, 1, f.reply_to(ans));
  REQUIRE(f.link.publishes.size() == 2);
  f.link.publishes.at(1).done(unavailable());
  CHECK(ans.calls == 2);
  REQUIRE(ans.err);
  CHECK(ans.err->code == "unavailable");
  CHECK(ans.err->status == 503);
  CHECK(ra.events.empty());
  // The single-node checks still come first, answered at once.
  f.h.handle(a, R"({"type":"message","room":"elsewhere","text":"x"})", millis{0}, 1,
             f.reply_to(ans));
  CHECK(ans.calls == 3);
  REQUIRE(ans.err);
  CHECK(ans.err->code == "bad-request");
  CHECK(f.link.publishes.size() == 2);
}

TEST_CASE("cluster join fails: the error is the reply, the room released") {
  fixture f;
  recorder ra;
  auto& a = f.client(ra);
  fixture::answer ans;
  f.h.handle(a, join_msg("r", "ann"), millis{0}, 0, f.reply_to(ans));
  f.link.ready(f.h, "r", {E, 0});
  chat::cluster_link::joined_info failed;
  failed.err = unavailable();
  f.link.take_join().done(failed);
  CHECK(ans.calls == 1);
  REQUIRE(ans.err);
  CHECK(ans.err->code == "unavailable");
  CHECK(ans.err->status == 503);
  CHECK(f.link.calls.back() == "release r");
  CHECK(f.h.find_room("r") == nullptr);
  CHECK(a.rooms.empty());
  CHECK(ra.events.empty());
}

TEST_CASE("cluster join fails for a member: it stays one with its events") {
  fixture f;
  recorder ra;
  auto& a = f.member_of_r(ra, "ann");  // e1-1
  fixture::answer ans;
  f.h.handle(a, join_msg("r", "ann", cur(E, 1)), millis{0}, 0, f.reply_to(ans));
  f.link.message(f.h, "r", 2);
  CHECK(ra.events.empty());  // held
  chat::cluster_link::joined_info failed;
  failed.err = unavailable();
  f.link.take_join().done(failed);
  CHECK(ans.err);
  CHECK(f.h.find_room("r")->has(a.id));
  CHECK(ra.trace() == std::vector<std::string>{"message " + cur(E, 2)});
  f.link.message(f.h, "r", 3);
  CHECK(ra.trace().back() == "message " + cur(E, 3));
  CHECK(f.link.count("release r") == 0);
}

TEST_CASE("cluster join: history never ready -> unavailable after ~30 ticks") {
  fixture f;
  recorder ra;
  auto& a = f.client(ra);
  fixture::answer ans;
  f.h.handle(a, join_msg("r", "ann"), millis{0}, 0, f.reply_to(ans));
  f.ticks(20);
  CHECK(ans.calls == 0);
  CHECK(f.link.count("release r") == 0);
  f.ticks(10);  // 3 s: the contract's bound
  CHECK(ans.calls == 1);
  REQUIRE(ans.err);
  CHECK(ans.err->code == "unavailable");
  CHECK(ans.err->status == 503);
  CHECK(f.link.count("release r") == 1);
  CHECK(f.h.find_room("r") == nullptr);
  CHECK(f.link.joins.empty());
  f.ticks(40);
  CHECK(ans.calls == 1);
  CHECK(ra.events.empty());
}

TEST_CASE("cluster room_reset: members get reset, a joining member's held events are dropped") {
  fixture f;
  recorder ra, rb;
  f.member_of_r(ra, "ann");  // e1-1
  auto& b = f.client(rb);
  fixture::answer ans;
  f.h.handle(b, join_msg("r", "bob"), millis{0}, 0, f.reply_to(ans));
  auto j = f.link.take_join();
  f.link.message(f.h, "r", 2);  // held for bob
  CHECK(ra.trace() == std::vector<std::string>{"message " + cur(E, 2)});
  // The history is lost: the mirror continues in epoch E2 at 0.
  REQUIRE_FALSE(f.link.mirror("r").restart_at({E2, 0}));
  f.h.room_reset("r", {E2, 0});
  REQUIRE(ra.of("reset").size() == 1);
  CHECK(ra.of("reset").at(0) == json{{"type", "reset"}, {"room", "r"}, {"cursor", cur(E2, 0)}});
  CHECK(rb.events.empty());
  // bob's join is answered in the new epoch.
  j.done(joined_at({E2, 1}, true, json::array({member(b.id, "bob")})));
  f.link.user_joined(f.h, "r", 1, b.id, "bob");
  f.link.message(f.h, "r", 2);
  CHECK(rb.trace() == std::vector<std::string>{"joined " + cur(E2, 1), "message " + cur(E2, 2)});
  CHECK(ra.trace() == std::vector<std::string>{"message " + cur(E, 2), "reset " + cur(E2, 0),
                                               "user-joined " + cur(E2, 1),
                                               "message " + cur(E2, 2)});
}

TEST_CASE("cluster leave asked: the leaver gets its own user-left, then nothing") {
  fixture f;
  recorder ra, rb;
  auto& a = f.member_of_r(ra, "ann");  // e1-1
  auto& b = f.member_of_r(rb, "bob");  // e1-2
  ra.clear();
  fixture::answer ans;
  f.h.handle(a, R"({"type":"leave","room":"r"})", millis{0}, 0, f.reply_to(ans));
  CHECK(ans.calls == 1);
  CHECK_FALSE(ans.err);
  REQUIRE(f.link.leaves.size() == 1);
  CHECK(f.link.leaves.at(0).room == "r");
  CHECK(f.link.leaves.at(0).client == a.id);
  CHECK(f.link.leaves.at(0).asked);
  CHECK(a.rooms.empty());
  CHECK_FALSE(f.h.find_room("r")->has(a.id));
  f.link.message(f.h, "r", 3);  // logged before the user-left: still for ann
  f.link.leaves.at(0).done(true);
  f.link.user_left(f.h, "r", 4, a.id, "ann");
  f.link.message(f.h, "r", 5);
  CHECK(ra.trace() == std::vector<std::string>{"message " + cur(E, 3), "user-left " + cur(E, 4)});
  CHECK(rb.trace() == std::vector<std::string>{"message " + cur(E, 3), "user-left " + cur(E, 4),
                                               "message " + cur(E, 5)});
  (void)b;
  CHECK(f.link.count("release r") == 0);
}

TEST_CASE("cluster leave asked by the last member: its user-left, then the room released") {
  fixture f;
  recorder ra;
  auto& a = f.member_of_r(ra, "ann");  // e1-1
  f.h.handle(a, R"({"type":"leave","room":"r"})", millis{0}, 0, [](auto) {});
  CHECK(f.link.count("release r") == 0);  // its feed waits for the user-left
  f.link.user_left(f.h, "r", 2, a.id, "ann");
  CHECK(ra.trace() == std::vector<std::string>{"user-left " + cur(E, 2)});
  CHECK(f.link.count("release r") == 1);
  CHECK(f.h.find_room("r") == nullptr);
  f.link.leaves.at(0).done(true);
  CHECK(f.link.count("release r") == 1);
}

TEST_CASE("cluster leave not logged: the feed ends, the room released") {
  fixture f;
  recorder ra;
  auto& a = f.member_of_r(ra, "ann");  // e1-1
  f.h.handle(a, R"({"type":"leave","room":"r"})", millis{0}, 0, [](auto) {});
  f.link.message(f.h, "r", 2);
  CHECK(ra.trace() == std::vector<std::string>{"message " + cur(E, 2)});
  CHECK(f.link.count("release r") == 0);
  f.link.leaves.at(0).done(false);  // Redis unreachable: the member's entry expires
  CHECK(f.link.count("release r") == 1);
  CHECK(f.h.find_room("r") == nullptr);
  ra.clear();
  f.h.room_event("r", {E, 3}, "message", R"({"type":"message","room":"r","id":"e1-3"})");
  CHECK(ra.events.empty());
}

TEST_CASE("cluster private and signal to a client on another node") {
  fixture f;
  recorder ra;
  auto& a = f.member_of_r(ra, "ann");
  fixture::answer ans;
  const std::string other = "0000bbbb";
  f.h.handle(a, json{{"type", "private"}, {"to", other}, {"text", "psst"}}.dump(), millis{0}, 7,
             f.reply_to(ans));
  REQUIRE(f.link.directs.size() == 1);
  CHECK(ans.calls == 0);
  auto d = std::move(f.link.directs.at(0));
  CHECK(d.from == a.id);
  CHECK(d.to == other);
  CHECK(d.type == "private");
  CHECK(json::parse(d.text) == json{{"type", "private"},
                                    {"from", a.id},
                                    {"name", "ann"},
                                    {"to", other},
                                    {"text", "psst"},
                                    {"ts", 7}});
  CHECK(ra.events.empty());
  d.done(std::nullopt);
  CHECK(ans.calls == 1);
  CHECK_FALSE(ans.err);
  REQUIRE(ra.of("private").size() == 1);  // the echo, on success only
  CHECK(ra.of("private").at(0)["text"] == "psst");

  f.h.handle(a, json{{"type", "private"}, {"to", other}, {"text", "again"}}.dump(), millis{0}, 7,
             f.reply_to(ans));
  f.link.directs.at(1).done(chat::error{"unknown-client", "no such client in your rooms", 404});
  CHECK(ans.calls == 2);
  REQUIRE(ans.err);
  CHECK(ans.err->code == "unknown-client");
  CHECK(ra.of("private").size() == 1);

  f.h.handle(a, json{{"type", "private"}, {"to", other}, {"text", "down"}}.dump(), millis{0}, 7,
             f.reply_to(ans));
  f.link.directs.at(2).done(unavailable());
  REQUIRE(ans.err);
  CHECK(ans.err->code == "unavailable");
  CHECK(ra.of("private").size() == 1);

  const chat::input_json offer{{"candidate", {{"candidate", ""}}}};  // end of candidates
  f.h.handle(a, chat::input_json{{"type", "signal"}, {"to", other}, {"data", offer}}.dump(),
             millis{1000}, 7, f.reply_to(ans));
  REQUIRE(f.link.directs.size() == 4);
  CHECK(f.link.directs.at(3).type == "signal");
  const auto sig = chat::input_json::parse(f.link.directs.at(3).text);
  CHECK(sig["from"] == a.id);
  CHECK(sig["to"] == other);
  CHECK(sig["data"] == offer);
  f.link.directs.at(3).done(std::nullopt);
  CHECK(ans.calls == 4);
  CHECK_FALSE(ans.err);
  CHECK(ra.of("signal").empty());  // a signal is never echoed
}

TEST_CASE("cluster private to a local client stays local") {
  fixture f;
  recorder ra, rb;
  auto& a = f.member_of_r(ra, "ann");
  auto& b = f.member_of_r(rb, "bob");
  CHECK_FALSE(
      f.h.handle(a, json{{"type", "private"}, {"to", b.id}, {"text", "hi"}}.dump(), millis{0}, 1));
  CHECK(f.link.directs.empty());
  CHECK(rb.of("private").size() == 1);
}

TEST_CASE("cluster find_by_token: a stored session is loaded, claimed and paused") {
  fixture f;
  recorder ra;
  f.member_of_r(ra, "ann");  // e1-1
  const std::string id = "00001111", token = "0123456789abcdef0123456789abcdef";
  chat::session* found = nullptr;
  int calls = 0;
  f.h.find_by_token(token, chat::transport::sse, [&](chat::session* s) {
    ++calls;
    found = s;
  });
  REQUIRE(f.link.loads.size() == 1);
  CHECK(f.link.loads.at(0).token == token);
  CHECK(calls == 0);
  f.link.loads.at(0).done(chat::stored_session{id, token, "bob", {"r", "bad room!"}});
  REQUIRE(calls == 1);
  REQUIRE(found != nullptr);
  CHECK(found->id == id);
  CHECK(found->token == token);
  CHECK(found->name == "bob");
  CHECK(found->kind == chat::transport::sse);
  CHECK(found->rooms == std::set<std::string>{"r"});
  CHECK(f.h.find_room("r")->has(id));
  CHECK(f.link.count("claim " + id) == 1);
  CHECK(f.h.find_by_token(token) == found);
  CHECK(f.h.find(id) == found);
  // Known here now: found at once, nothing loaded.
  chat::session* again = nullptr;
  f.h.find_by_token(token, chat::transport::sse, [&](chat::session* s) { again = s; });
  CHECK(again == found);
  CHECK(f.link.loads.size() == 1);

  // Paused: no live events until it joins again.
  recorder rb;
  f.h.attach(*found, &rb, chat::transport::sse, false);
  f.link.message(f.h, "r", 2);
  CHECK(rb.events.empty());
  CHECK(ra.trace() == std::vector<std::string>{"message " + cur(E, 2)});
  // Its join (a member already: no user-joined) replays what it missed.
  fixture::answer ans;
  f.h.handle(*found, join_msg("r", "bob", cur(E, 1)), millis{0}, 0, f.reply_to(ans));
  CHECK(rb.trace() == std::vector<std::string>{"message " + cur(E, 2)});
  f.link.take_join().done(joined_at({E, 2}, false, json::array({member(id, "bob")})));
  f.link.message(f.h, "r", 3);
  CHECK(rb.trace() == std::vector<std::string>{"message " + cur(E, 2), "joined " + cur(E, 2),
                                               "message " + cur(E, 3)});
  CHECK(ans.calls == 1);
}

TEST_CASE("cluster find_by_token: nothing found") {
  fixture f;
  recorder ra;
  auto& a = f.client(ra);
  std::vector<chat::session*> got;
  const auto cb = [&](chat::session* s) { got.push_back(s); };
  f.h.find_by_token("", chat::transport::websocket, cb);  // no token: not asked
  CHECK(f.link.loads.empty());
  REQUIRE(got.size() == 1);
  CHECK(got.at(0) == nullptr);

  const std::string token = "0123456789abcdef0123456789abcdef";
  f.h.find_by_token(token, chat::transport::websocket, cb);  // none stored
  f.link.loads.at(0).done(std::nullopt);
  f.h.find_by_token(token, chat::transport::websocket, cb);  // another token's session
  f.link.loads.at(1).done(chat::stored_session{"00002222", "ffff", "bob", {}});
  f.h.find_by_token(token, chat::transport::websocket, cb);  // a session held here already
  f.link.loads.at(2).done(chat::stored_session{a.id, token, "ann", {}});
  REQUIRE(got.size() == 4);
  CHECK(got.at(1) == nullptr);
  CHECK(got.at(2) == nullptr);
  CHECK(got.at(3) == nullptr);
  CHECK(f.h.session_count() == 1);
  CHECK(f.h.find_by_token(token) == nullptr);
}

TEST_CASE("cluster forget: the sink evicted, no leave, the room released") {
  fixture f;
  recorder ra;
  auto& a = f.member_of_r(ra, "ann");
  const std::string id = a.id, token = a.token;
  f.h.forget(id);
  CHECK(ra.evictions == 1);
  CHECK(f.link.leaves.empty());
  CHECK(f.link.count("ended " + id) == 0);
  CHECK(f.h.find(id) == nullptr);
  CHECK(f.h.find_by_token(token) == nullptr);
  CHECK(f.link.count("release r") == 1);
  CHECK(f.h.find_room("r") == nullptr);
  f.h.forget(id);  // unknown: nothing
  CHECK(ra.evictions == 1);
}

TEST_CASE("cluster forget keeps the room for the other members") {
  fixture f;
  recorder ra, rb;
  auto& a = f.member_of_r(ra, "ann");  // e1-1
  f.member_of_r(rb, "bob");            // e1-2
  ra.clear();
  f.h.forget(a.id);
  f.link.message(f.h, "r", 3);
  CHECK(ra.events.empty());
  CHECK(rb.trace() == std::vector<std::string>{"message " + cur(E, 3)});
  CHECK(f.link.count("release r") == 0);
  CHECK(f.h.find_room("r")->members().size() == 1);
}

TEST_CASE("cluster stats: node first, the cluster's rooms") {
  fixture f;
  recorder ra;
  auto& a = f.member_of_r(ra, "ann");
  f.h.count_connection(chat::transport::websocket, 1);
  std::optional<json> st;
  f.h.stats(millis{3000}, [&](json j) { st = std::move(j); });
  REQUIRE(f.link.stats_calls.size() == 1);
  CHECK_FALSE(st);
  f.link.stats_calls.at(0)(json{{"r", {{"members", 5}, {"messages", 9}}}});
  REQUIRE(st);
  REQUIRE(st->is_object());
  CHECK(st->begin().key() == "node");
  CHECK((*st)["node"] == "node-a");
  CHECK((*st)["rooms"] == json{{"r", {{"members", 5}, {"messages", 9}}}});
  CHECK((*st)["connections"]["websocket"] == 1);
  CHECK((*st)["uptime_s"] == 3);
  CHECK(st->contains("messages_in"));
  CHECK(st->contains("deliveries"));
  // The WS stats event: the same object with "type" first.
  f.h.handle(a, R"({"type":"stats"})", millis{0}, 0, [](auto) {});
  f.link.stats_calls.at(1)(json::object());
  REQUIRE(ra.of("stats").size() == 1);
  const json ev = ra.of("stats").at(0);
  auto it = ev.begin();
  CHECK(it.key() == "type");
  CHECK((++it).key() == "node");
  CHECK(ev["rooms"] == json::object());
}

TEST_CASE("cluster end: leave (not asked) for each room, then ended") {
  fixture f;
  recorder ra;
  auto& a = f.member_of_r(ra, "ann");
  f.h.handle(a, join_msg("s", "ann"), millis{0}, 0, [](auto) {});
  f.link.ready(f.h, "s", {E, 0});
  f.link.take_join().done(joined_at({E, 1}, true, json::array({member(a.id, "ann")})));
  REQUIRE(a.rooms == std::set<std::string>{"r", "s"});
  const std::string id = a.id;
  f.h.detach(a, millis{0});
  f.h.expire(millis{60'000}, 0);  // past the grace: end()
  CHECK(f.h.find(id) == nullptr);
  REQUIRE(f.link.leaves.size() == 2);
  std::set<std::string> rooms;
  for (const auto& l : f.link.leaves) {
    CHECK(l.client == id);
    CHECK_FALSE(l.asked);
    rooms.insert(l.room);
  }
  CHECK(rooms == std::set<std::string>{"r", "s"});
  CHECK(f.link.count("ended " + id) == 1);
  CHECK(f.link.count("release r") == 1);
  CHECK(f.link.count("release s") == 1);
  for (auto& l : f.link.leaves)
    l.done(true);  // late answers: nothing breaks
  CHECK(f.h.session_count() == 0);
}

// Every client message is answered exactly once (hub.hpp, reply_fn): a second join of a room
// while the first is with the cluster is refused at once, and the first is answered when the
// cluster answers.
TEST_CASE("cluster join twice in flight: the second is refused, each answered once") {
  fixture f;
  recorder ra;
  auto& a = f.client(ra);
  f.h.handle(a, join_msg("r", "ann"), millis{0}, 0, [](auto) {});
  f.link.ready(f.h, "r", {E, 0});
  fixture::answer first, second;
  f.link.take_join().done(joined_at({E, 1}, true, json::array({member(a.id, "ann")})));
  f.link.user_joined(f.h, "r", 1, a.id, "ann");
  f.h.handle(a, join_msg("r", "ann", cur(E, 1)), millis{0}, 0, f.reply_to(first));
  f.h.handle(a, join_msg("r", "ann", cur(E, 1)), millis{0}, 0, f.reply_to(second));
  REQUIRE(f.link.joins.size() == 1);
  CHECK(first.calls == 0);
  REQUIRE(second.calls == 1);
  REQUIRE(second.err);
  CHECK(second.err->code == "bad-request");
  CHECK(second.err->message.find("already in progress") != std::string::npos);
  f.link.take_join().done(joined_at({E, 1}, false, json::array({member(a.id, "ann")})));
  CHECK(first.calls == 1);
  CHECK_FALSE(first.err);
  CHECK(second.calls == 1);
}

// A session that ends (grace over) while its join of a room is with the cluster: the room goes at
// once, and the cluster's late answer changes nothing.
TEST_CASE("cluster: a session ending while its join is in flight: the room goes at once") {
  fixture f;
  recorder ra;
  auto& a = f.client(ra);
  f.h.handle(a, join_msg("r", "ann"), millis{0}, 0, [](auto) {});
  f.link.ready(f.h, "r", {E, 0});
  auto j = f.link.take_join();
  const std::string id = a.id;
  f.h.detach(a, millis{0});
  f.h.expire(millis{60'000}, 0);
  REQUIRE(f.h.session_count() == 0);
  CHECK(f.link.count("ended " + id) == 1);
  CHECK(f.link.count("release r") == 1);
  CHECK(f.h.find_room("r") == nullptr);
  j.done(joined_at({E, 1}, true, json::array({member(id, "ann")})));
  CHECK(f.link.count("release r") == 1);
  CHECK(f.h.find_room("r") == nullptr);
  CHECK(ra.events.empty());
}

// The same when no event of the room follows (the join failed, or the room is quiet): the room
// is released once the session ended and its join was answered.
TEST_CASE("cluster: a session ending while its join is in flight releases the room") {
  fixture f;
  recorder ra;
  auto& a = f.client(ra);
  f.h.handle(a, join_msg("r", "ann"), millis{0}, 0, [](auto) {});
  f.link.ready(f.h, "r", {E, 0});
  auto j = f.link.take_join();
  const bool forgotten = GENERATE(false, true);
  CAPTURE(forgotten);
  if (forgotten) {
    f.h.forget(a.id);  // resumed on another node
  } else {
    f.h.detach(a, millis{0});
    f.h.expire(millis{60'000}, 0);  // grace over
  }
  REQUIRE(f.h.session_count() == 0);
  chat::cluster_link::joined_info failed;
  failed.err = unavailable();
  j.done(failed);
  f.ticks(35);
  CHECK(f.link.count("release r") == 1);
  CHECK(f.h.find_room("r") == nullptr);
}

// A session ending while its join waits for the room's history: the room goes when that wait ends.
TEST_CASE("cluster: a session ending while its join waits for the history releases the room") {
  fixture f;
  recorder ra;
  auto& a = f.client(ra);
  f.h.handle(a, join_msg("r", "ann"), millis{0}, 0, [](auto) {});
  f.h.detach(a, millis{0});
  f.h.expire(millis{60'000}, 0);
  f.ticks(35);
  CHECK(f.link.count("release r") == 1);
  CHECK(f.h.find_room("r") == nullptr);
  CHECK(f.link.joins.empty());
}

// The history is lost (room_reset to a new epoch) while a join is with the cluster, which answers
// it at a cursor of the old epoch: `joined` (old cursor), then `reset` to the new head, then the
// new epoch's events that arrived meanwhile, none lost.
TEST_CASE("cluster room_reset during a join answered in the old epoch loses no event", ) {
  fixture f;
  recorder ra, rb;
  f.member_of_r(ra, "ann");  // e1-1
  auto& b = f.client(rb);
  f.h.handle(b, join_msg("r", "bob"), millis{0}, 0, [](auto) {});
  auto j = f.link.take_join();
  REQUIRE_FALSE(f.link.mirror("r").restart_at({E2, 0}));
  f.h.room_reset("r", {E2, 0});
  f.link.message(f.h, "r", 1);  // e2-1: held for bob
  j.done(joined_at({E, 2}, true, json::array({member(b.id, "bob")})));
  f.link.message(f.h, "r", 2);  // e2-2
  const auto t = rb.trace();
  CHECK(std::count(t.begin(), t.end(), "message " + cur(E2, 1)) == 1);
  CHECK(std::count(t.begin(), t.end(), "message " + cur(E2, 2)) == 1);
  // joined (at the old cursor), then reset to the new head, then the new epoch's events.
  CHECK(t == std::vector<std::string>{"joined " + cur(E, 2), "reset " + cur(E2, 0),
                                      "message " + cur(E2, 1), "message " + cur(E2, 2)});
}

// Ending an attached session is not the client leaving: leave(asked=false) (the cluster then
// checks that no other node holds the session).
TEST_CASE("cluster end of an attached session: leave is not 'asked'") {
  fixture f;
  recorder ra;
  auto& a = f.member_of_r(ra, "ann");
  f.h.end(a, millis{0}, 0);
  REQUIRE(f.link.leaves.size() == 1);
  CHECK_FALSE(f.link.leaves.at(0).asked);
}

TEST_CASE("cluster direct_event: a direct event from another node for a local session") {
  fixture f;
  recorder ra;
  auto& a = f.client(ra);
  const std::string text = R"({"type":"private","from":"0000bbbb","text":"hi"})";
  f.h.direct_event(a.id, "private", text);
  REQUIRE(ra.of("private").size() == 1);
  CHECK(ra.of("private").at(0)["text"] == "hi");
  // Detached: kept for the resume, delivered on attach.
  f.h.detach(a, millis{0});
  f.h.direct_event(a.id, "signal", R"({"type":"signal","from":"0000bbbb","data":{}})");
  recorder again;
  f.h.attach(a, &again, chat::transport::websocket);
  REQUIRE(again.of("signal").size() == 1);
  CHECK(again.of("signal").at(0)["from"] == "0000bbbb");
  // For nobody here: dropped.
  f.h.direct_event("00009999", "private", text);
  CHECK(again.of("private").empty());
  CHECK(ra.of("private").size() == 1);
}

TEST_CASE("cluster join refused at once: nothing served, nothing asked") {
  fixture f;
  recorder ra;
  auto& a = f.client(ra);
  for (const std::string& bad :
       {join_msg("a b", "ann"), join_msg("r", ""), std::string(R"({"type":"join","room":"r"})"),
        std::string(R"({"type":"join","room":"r","name":"ann","since":5})")}) {
    CAPTURE(bad);
    fixture::answer ans;
    f.h.handle(a, bad, millis{0}, 0, f.reply_to(ans));
    CHECK(ans.calls == 1);
    REQUIRE(ans.err);
    CHECK(ans.err->code == "bad-request");
  }
  CHECK(f.link.calls.size() == 1);  // the create's claim only
  CHECK(f.link.calls.at(0) == "claim " + a.id);
  CHECK(f.link.joins.empty());
  CHECK(f.h.find_room("r") == nullptr);
  // leave and message of a room it is not in: refused at once too.
  fixture::answer ans;
  f.h.handle(a, R"({"type":"leave","room":"r"})", millis{0}, 0, f.reply_to(ans));
  CHECK(ans.err);
  CHECK(f.link.leaves.empty());
  f.h.handle(a, R"({"type":"message","room":"r","text":"x"})", millis{0}, 0, f.reply_to(ans));
  CHECK(ans.err);
  CHECK(f.link.publishes.empty());
}

TEST_CASE("cluster: a resumed (paused) member that leaves ends its feed at once") {
  fixture f;
  recorder ra;
  f.member_of_r(ra, "ann");  // e1-1
  const std::string id = "00001111", token = "0123456789abcdef0123456789abcdef";
  chat::session* s = nullptr;
  f.h.find_by_token(token, chat::transport::websocket, [&](chat::session* x) { s = x; });
  f.link.loads.at(0).done(chat::stored_session{id, token, "bob", {"r", "quiet"}});
  REQUIRE(s != nullptr);
  CHECK(f.link.count("serve quiet") == 1);
  recorder rb;
  f.h.attach(*s, &rb, chat::transport::websocket, false);
  fixture::answer ans;
  f.h.handle(*s, R"({"type":"leave","room":"quiet"})", millis{0}, 0, f.reply_to(ans));
  CHECK_FALSE(ans.err);
  REQUIRE(f.link.leaves.size() == 1);
  CHECK(f.link.leaves.at(0).room == "quiet");
  CHECK(f.link.count("release quiet") == 1);  // no feed left waiting for the user-left
  CHECK(s->rooms == std::set<std::string>{"r"});
  f.link.leaves.at(0).done(true);
  // Still paused in r.
  f.link.message(f.h, "r", 2);
  CHECK(rb.events.empty());
}

// More than max_held (10 000) events held for one join: the oldest go, and the member is told
// (`reset` right after `joined`) rather than missing them silently.
TEST_CASE("cluster join: more held events than the bound is no silent gap") {
  fixture f;
  recorder ra, rb;
  f.member_of_r(ra, "ann");  // e1-1
  auto& b = f.client(rb);
  f.h.handle(b, join_msg("r", "bob"), millis{0}, 0, [](auto) {});
  auto j = f.link.take_join();
  f.link.user_joined(f.h, "r", 2, b.id, "bob");
  const std::uint64_t last = 2 + 10'005;
  for (std::uint64_t o = 3; o <= last; ++o)
    f.link.message(f.h, "r", o);
  j.done(joined_at({E, 2}, true, json::array({member(b.id, "bob")})));
  REQUIRE_FALSE(rb.events.empty());
  CHECK(rb.events.at(0)["type"] == "joined");
  if (rb.of("reset").empty()) {
    REQUIRE(rb.events.size() >= 2);
    CHECK(rb.events.at(1)["id"] == cur(E, 3));
    CHECK(rb.events.size() == 1 + (last - 2));
  }
  CHECK(rb.events.back()["id"] == cur(E, last));
}
