// The chat room model without sockets: sessions, joins, cursors, resume, grace, limits.
#include "hub.hpp"

#include <string>
#include <vector>

#include "catch.hpp"
#include "chat/recorder.hpp"

using chat_test::recorder;

namespace {

using chat::millis;
using json = chat::json;

chat::config small() {
  chat::config c;
  c.max_text = 10;
  c.rate = 2;  // burst 4
  c.grace = millis{1000};
  c.history = 3;
  return c;
}

std::string join_msg(const std::string& room, const std::string& name) {
  return json{{"type", "join"}, {"room", room}, {"name", name}}.dump();
}

}  // namespace

TEST_CASE("join: members include the joiner, cursor follows the own user-joined") {
  chat::hub h(small(), 0x10);
  recorder ra, rb;
  auto& a = h.create(chat::transport::websocket);
  auto& b = h.create(chat::transport::websocket);
  h.attach(a, &ra, chat::transport::websocket);
  h.attach(b, &rb, chat::transport::websocket);
  REQUIRE(ra.events.at(0)["type"] == "connected");
  REQUIRE(ra.events.at(0)["token"] == a.token);
  REQUIRE_FALSE(h.handle(a, join_msg("r", "ann"), millis{0}, 1));
  REQUIRE_FALSE(h.handle(b, join_msg("r", "bob"), millis{0}, 1));
  const auto jb = rb.of("joined").at(0);
  CHECK(jb["members"].size() == 2);
  CHECK(rb.of("user-joined").empty());
  const auto uj = ra.of("user-joined").at(0);
  CHECK(uj["clientId"] == b.id);
  CHECK(uj["id"] == jb["cursor"]);
  CHECK(jb["cursor"] == "10-2");  // the room's epoch in hex, offset 2
}

TEST_CASE("message, private, errors") {
  chat::hub h(small(), 1);
  recorder ra, rb, rc;
  auto& a = h.create(chat::transport::websocket);
  auto& b = h.create(chat::transport::sse);
  auto& c = h.create(chat::transport::long_poll);
  h.attach(a, &ra, a.kind);
  h.attach(b, &rb, b.kind);
  h.attach(c, &rc, c.kind);
  REQUIRE_FALSE(h.handle(a, join_msg("r", "ann"), millis{0}, 1));
  REQUIRE_FALSE(h.handle(b, join_msg("r", "bob"), millis{0}, 1));
  REQUIRE_FALSE(h.handle(c, join_msg("other", "cy"), millis{0}, 1));
  REQUIRE_FALSE(h.handle(a, R"({"type":"message","room":"r","text":"hi"})", millis{0}, 42));
  const auto m = rb.of("message").at(0);
  CHECK(m["text"] == "hi");
  CHECK(m["ts"] == 42);
  CHECK(m["from"] == a.id);
  CHECK(h.find_room("r")->messages() == 1);

  const auto err = [&](const std::string& text) {
    auto e = h.handle(a, text, millis{0}, 1);
    REQUIRE(e);
    return *e;
  };
  CHECK(err("{bad").code == "bad-request");
  // Deep nesting is refused before parsing (copying and dumping a value recurse).
  CHECK(err(R"({"type":"signal","to":"x","data":)" + std::string(100000, '[') + "1" +
            std::string(100000, ']') + "}")
            .message.find("deeper") != std::string::npos);
  CHECK(err(R"({"type":"message","room":"r","text":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})")
            .code == "too-large");  // brackets inside a string are not nesting
  CHECK(err(R"({"type":"message","room":"r","text":"12345678901"})").status == 413);
  CHECK(err(R"({"type":"join","room":"a b","name":"x"})").code == "bad-request");
  CHECK(err(R"({"type":"join","room":"r","name":"123456789012345678901234567890123"})").code ==
        "bad-request");
  // c shares no room with a: unknown-client, exactly as for a client that does not exist.
  CHECK(err(json{{"type", "private"}, {"to", c.id}, {"text", "x"}}.dump()).status == 404);
  CHECK(err(R"({"type":"private","to":"ghost","text":"x"})").code == "unknown-client");
  CHECK(err(R"({"type":"signal","to":"ghost","data":{"candidate":{"candidate":"bad"}}})").code ==
        "bad-signal");
  // Rate limit: burst 4; a used it above (one message, two privates, one signal: each counted
  // whether or not it was then refused).
  CHECK(err(R"({"type":"message","room":"r","text":"x"})").code == "rate-limited");
  CHECK_FALSE(h.handle(a, R"({"type":"message","room":"r","text":"x"})", millis{1000}, 1));
}

TEST_CASE("resume by cursor: replay, reset for stale and evicted cursors") {
  chat::hub h(small(), 7);
  recorder ra, rb;
  auto& a = h.create(chat::transport::websocket);
  h.attach(a, &ra, a.kind);
  REQUIRE_FALSE(h.handle(a, join_msg("r", "ann"), millis{0}, 1));
  const std::string after_join = ra.of("joined").at(0)["cursor"];
  for (int i = 0; i < 2; ++i)
    REQUIRE_FALSE(h.handle(a, R"({"type":"message","room":"r","text":"m"})", millis{0}, 1));
  auto& b = h.create(chat::transport::websocket);
  h.attach(b, &rb, b.kind);
  auto r = h.join(b, "r", "bob", after_join, millis{0}, 1);
  CHECK_FALSE(r.err);
  CHECK_FALSE(r.reset);
  CHECK(rb.of("message").size() == 2);
  // history 3: after more events the first cursor is evicted -> reset.
  for (int i = 0; i < 3; ++i)
    REQUIRE_FALSE(h.handle(a, R"({"type":"message","room":"r","text":"m"})", millis{5000}, 1));
  recorder rc;
  auto& c = h.create(chat::transport::sse);
  h.attach(c, &rc, c.kind);
  CHECK(h.join(c, "r", "cy", after_join, millis{5000}, 1).reset);
  CHECK(rc.of("reset").size() == 1);
  CHECK(h.join(c, "r", "cy", std::string("1-1"), millis{5000}, 1).reset);    // another epoch
  CHECK(h.join(c, "r", "cy", std::string("garbage"), millis{5000}, 1).err);  // 400 on WS/poll
  CHECK(h.join(c, "r", "cy", std::string("garbage"), millis{5000}, 1, true).reset);  // SSE
}

TEST_CASE("grace: detach keeps the session; expiry leaves the rooms; resume evicts") {
  chat::hub h(small(), 1);
  recorder ra, rb, rb2;
  auto& a = h.create(chat::transport::websocket);
  auto& b = h.create(chat::transport::websocket);
  h.attach(a, &ra, a.kind);
  h.attach(b, &rb, b.kind);
  REQUIRE_FALSE(h.handle(a, join_msg("r", "ann"), millis{0}, 1));
  REQUIRE_FALSE(h.handle(b, join_msg("r", "bob"), millis{0}, 1));
  h.detach(b, millis{100});
  // A private message while detached waits in the mailbox.
  REQUIRE_FALSE(h.handle(a, json{{"type", "private"}, {"to", b.id}, {"text", "later"}}.dump(),
                         millis{200}, 1));
  h.expire(millis{1000}, 1);  // 900 ms < grace
  REQUIRE(h.find_by_token(b.token) == &b);
  h.attach(b, &rb2, chat::transport::sse);
  CHECK(rb2.of("connected").at(0)["clientId"] == b.id);
  CHECK(rb2.of("private").at(0)["text"] == "later");
  CHECK(ra.of("user-left").empty());
  // Resumed again elsewhere: the attached sink is evicted.
  recorder rb3;
  h.attach(b, &rb3, chat::transport::long_poll);
  CHECK(rb2.evictions == 1);
  const std::string b_id = b.id, b_token = b.token;
  h.detach(b, millis{2000});
  h.expire(millis{3000}, 1);  // `b` is gone
  CHECK(h.find_by_token(b_token) == nullptr);
  CHECK(ra.of("user-left").at(0)["clientId"] == b_id);
  CHECK(h.find_room("r")->members().size() == 1);
  const json st = h.stats(millis{5000});
  CHECK(st["rooms"]["r"]["members"] == 1);
  CHECK(st["uptime_s"] == 5);
}
