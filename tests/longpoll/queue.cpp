// Unit tests for rtwire/longpoll/queue.hpp: every poll outcome, publish, expire, cancel,
// sessions, slow consumers, epoch changes, limits and error reporting.
#include <rtwire/longpoll.hpp>

#include <string>
#include <vector>

#include "catch.hpp"
#include "support/longpoll_model.hpp"

using namespace std::chrono_literals;
using rtwire::longpoll::batch;
using rtwire::longpoll::completion;
using rtwire::longpoll::completion_reason;
using rtwire::longpoll::cursor;
using rtwire::longpoll::duplicate_poll;
using rtwire::longpoll::error;
using rtwire::longpoll::millis;
using rtwire::longpoll::options;
using rtwire::longpoll::poll_request;
using rtwire::longpoll::poll_status;
using rtwire::longpoll::position;
using rtwire::longpoll::queue;
using rtwire::longpoll::slow_consumer_policy;
using rtwire::longpoll::topic_id;
using rtwire::longpoll::waiter_id;
namespace lg = rtwire::log;
using rtwire_test::longpoll::offsets;
using rtwire_test::longpoll::texts;

namespace {

struct fixture {
  explicit fixture(options o = {}, lg::retention keep = {}) : q(o) { t = *q.add_topic(7, keep); }
  void publish(std::string_view text, millis now = 0ms) {
    const auto r = q.publish(t, text, now, out);
    REQUIRE(r);
  }
  queue q;
  topic_id t;
  std::vector<completion> out;
};

}  // namespace

TEST_CASE("error category: names, messages, conditions", "[longpoll][error]") {
  const std::error_code ec = error::session_busy;
  CHECK(std::string(ec.category().name()) == "rtwire.longpoll");
  CHECK(ec.message() == "a poll of this session is already parked");
  CHECK(ec == rtwire::condition::protocol_violation);
  CHECK(std::error_code(lg::error::malformed_cursor) == rtwire::condition::bad_input);
  CHECK(std::error_code(error::unknown_topic) == rtwire::condition::api_misuse);
  CHECK(std::error_code(lg::error::same_epoch) == rtwire::condition::api_misuse);
  for (const auto e : {error::too_many_waiters, error::too_many_session_waiters,
                       error::slow_consumer, error::too_many_topics})
    CHECK(std::error_code(e) == rtwire::condition::limit_exceeded);
  for (const auto e : {lg::error::message_too_large})
    CHECK(std::error_code(e) == rtwire::condition::limit_exceeded);
  CHECK(std::error_code(static_cast<error>(99)).message() == "rtwire.longpoll: unknown error 99");
  CHECK(rtwire::is_error_enum_v<error>);
}

TEST_CASE("position: text, offset and named starts", "[longpoll][position]") {
  CHECK(position::from_text("7-3").type() == position::kind::after_cursor);
  CHECK(position::from_text("7-3").value() == cursor{7, 3});
  for (const char* bad : {"", "7", "7-", "-3", "07-3", "7-03", "7-+3", "7-3 ", "G-1", "A-1"})
    CHECK(position::from_text(bad).type() == position::kind::malformed);
  CHECK(position::from_offset(5).value().offset == 4);
  CHECK(position::from_offset(0).value().offset == 0);
  CHECK(position::oldest().type() == position::kind::oldest);
  CHECK(position::newest().type() == position::kind::newest);
}

TEST_CASE("poll: ready from a cursor, oldest, explicit offset", "[longpoll][poll]") {
  fixture f;
  for (const char* m : {"a", "b", "c"})
    f.publish(m);

  auto r = f.q.poll({.topic = f.t, .from = position::after({7, 1})}, 0ms);
  REQUIRE(r.status == poll_status::ready);
  CHECK_FALSE(r.error);
  CHECK(texts(r.messages) == std::vector<std::string>{"b", "c"});
  CHECK(offsets(r.messages) == std::vector<std::uint64_t>{2, 3});
  CHECK(r.next == cursor{7, 3});
  CHECK(r.messages.bytes() == 2);
  CHECK_FALSE(r.superseded);

  r = f.q.poll({.topic = f.t, .from = position::oldest()}, 0ms);
  REQUIRE(r.status == poll_status::ready);
  CHECK(texts(r.messages) == std::vector<std::string>{"a", "b", "c"});

  r = f.q.poll({.topic = f.t, .from = position::from_offset(3)}, 0ms);
  REQUIRE(r.status == poll_status::ready);
  CHECK(texts(r.messages) == std::vector<std::string>{"c"});

  r = f.q.poll({.topic = f.t, .from = position::from_text("7-0")}, 0ms);
  REQUIRE(r.status == poll_status::ready);
  CHECK(r.messages.size() == 3);
  CHECK(f.q.waiters() == 0);
}

TEST_CASE("poll: batches are bounded by messages and bytes, never empty", "[longpoll][poll]") {
  fixture f({.max_batch_messages = 2, .max_batch_bytes = 5});
  for (const char* m : {"ab", "cd", "e", "0123456789", "f"})
    f.publish(m);
  auto r = f.q.poll({.topic = f.t, .from = position::oldest()}, 0ms);
  CHECK(texts(r.messages) == std::vector<std::string>{"ab", "cd"});  // message limit
  r = f.q.poll({.topic = f.t, .from = position::after(r.next)}, 0ms);
  CHECK(texts(r.messages) == std::vector<std::string>{"e"});  // "e" + 10 bytes > 5
  r = f.q.poll({.topic = f.t, .from = position::after(r.next)}, 0ms);
  CHECK(texts(r.messages) == std::vector<std::string>{"0123456789"});  // larger than the limit
  CHECK(r.next == cursor{7, 4});
  r = f.q.poll({.topic = f.t, .from = position::after(r.next)}, 0ms);
  CHECK(texts(r.messages) == std::vector<std::string>{"f"});
  r = f.q.poll({.topic = f.t, .from = position::after(r.next)}, 0ms);
  CHECK(r.status == poll_status::parked);

  // Exactly at the byte limit fits.
  fixture g({.max_batch_bytes = 4});
  g.publish("ab");
  g.publish("cd");
  g.publish("e");
  r = g.q.poll({.topic = g.t, .from = position::oldest()}, 0ms);
  CHECK(texts(r.messages) == std::vector<std::string>{"ab", "cd"});
}

TEST_CASE("poll: reset outcomes carry the reason and the head", "[longpoll][poll][reset]") {
  fixture f({}, {.max_messages = 2});
  for (const char* m : {"a", "b", "c", "d"})
    f.publish(m);
  // Retained: 3, 4. A reader at 2 is fine; at 1 it missed message 2.
  auto r = f.q.poll({.topic = f.t, .from = position::after({7, 2})}, 0ms);
  CHECK(r.status == poll_status::ready);
  r = f.q.poll({.topic = f.t, .from = position::after({7, 1})}, 0ms);
  CHECK(r.status == poll_status::reset);
  CHECK(r.error == lg::error::cursor_too_old);
  CHECK(r.next == cursor{7, 4});
  CHECK(r.messages.empty());
  r = f.q.poll({.topic = f.t, .from = position::after({7, 5})}, 0ms);
  CHECK(r.status == poll_status::reset);
  CHECK(r.error == lg::error::cursor_from_future);
  CHECK(r.next == cursor{7, 4});
  r = f.q.poll({.topic = f.t, .from = position::after({8, 1})}, 0ms);
  CHECK(r.status == poll_status::reset);
  CHECK(r.error == lg::error::epoch_mismatch);
  r = f.q.poll({.topic = f.t, .from = position::from_offset(2)}, 0ms);
  CHECK(r.status == poll_status::reset);
  CHECK(r.error == lg::error::cursor_too_old);
  r = f.q.poll({.topic = f.t, .from = position::from_offset(6)}, 0ms);
  CHECK(r.status == poll_status::reset);
  CHECK(r.error == lg::error::cursor_from_future);
  // oldest starts at the oldest retained message.
  r = f.q.poll({.topic = f.t, .from = position::oldest()}, 0ms);
  CHECK(texts(r.messages) == std::vector<std::string>{"c", "d"});
  CHECK(f.q.waiters() == 0);
}

TEST_CASE("poll: rejections change nothing", "[longpoll][poll][rejected]") {
  fixture f({.max_waiters = 1});
  auto r = f.q.poll({.topic = topic_id{5}}, 0ms);
  CHECK(r.status == poll_status::rejected);
  CHECK(r.error == error::unknown_topic);
  r = f.q.poll({.topic = f.t, .from = position::from_text("7-x")}, 0ms);
  CHECK(r.status == poll_status::rejected);
  CHECK(r.error == lg::error::malformed_cursor);
  r = f.q.poll({.topic = f.t, .token = 1}, 0ms);
  CHECK(r.status == poll_status::parked);
  r = f.q.poll({.topic = f.t, .token = 2}, 0ms);
  CHECK(r.status == poll_status::rejected);
  CHECK(r.error == error::too_many_waiters);
  CHECK(f.q.waiters() == 1);
  // A ready poll needs no waiter slot, so it is not limited.
  f.publish("x");
  REQUIRE(f.out.size() == 1);
  CHECK(f.out[0].token == 1);
  r = f.q.poll({.topic = f.t, .from = position::oldest(), .token = 3}, 0ms);
  CHECK(r.status == poll_status::ready);
}

TEST_CASE("publish wakes every parked waiter in park order, sharing the payload",
          "[longpoll][publish]") {
  fixture f;
  std::vector<waiter_id> ids;
  for (std::uint64_t token = 10; token < 15; ++token) {
    const auto r = f.q.poll({.topic = f.t, .token = token, .timeout = 1000ms}, 0ms);
    REQUIRE(r.status == poll_status::parked);
    CHECK(r.next == cursor{7, 0});
    CHECK(r.deadline == 1000ms);
    CHECK(f.q.is_parked(r.waiter));
    ids.push_back(r.waiter);
  }
  CHECK(f.q.waiters(f.t) == 5);
  const auto p = f.q.publish(f.t, "hello", 5ms, f.out);
  REQUIRE(p);
  CHECK(p.at == cursor{7, 1});
  CHECK(p.woken == 5);
  CHECK(p.evicted == 0);
  REQUIRE(f.out.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    const completion& c = f.out[i];
    CHECK(c.waiter == ids[i]);
    CHECK(c.token == 10 + i);
    CHECK(c.topic == f.t);
    CHECK(c.reason == completion_reason::delivered);
    CHECK_FALSE(c.reset);
    CHECK(c.next == cursor{7, 1});
    REQUIRE(texts(c.messages) == std::vector<std::string>{"hello"});
    // No copy per waiter: every batch points at the one stored payload.
    CHECK(c.messages[0].payload().data() == f.out[0].messages[0].payload().data());
    CHECK_FALSE(f.q.is_parked(ids[i]));
    CHECK_FALSE(f.q.cancel(ids[i]));
  }
  CHECK(f.q.waiters() == 0);
  // Nothing left to expire.
  f.out.clear();
  CHECK(f.q.expire(5000ms, f.out) == 0);
  CHECK(f.out.empty());
  CHECK_FALSE(f.q.next_deadline());
}

TEST_CASE("publish: refusals", "[longpoll][publish]") {
  fixture f({.max_message_bytes = 4}, {.max_bytes = 3});
  auto p = f.q.publish(topic_id{3}, "x", 0ms, f.out);
  CHECK(p.error == error::unknown_topic);
  CHECK_FALSE(p);
  (void)f.q.poll({.topic = f.t}, 0ms);
  p = f.q.publish(f.t, "12345", 0ms, f.out);  // over max_message_bytes
  CHECK(p.error == lg::error::message_too_large);
  p = f.q.publish(f.t, "1234", 0ms, f.out);  // over the topic's retention::max_bytes
  CHECK(p.error == lg::error::message_too_large);
  CHECK(f.out.empty());
  CHECK(f.q.waiters() == 1);
  CHECK(f.q.head(f.t) == cursor{7, 0});
  p = f.q.publish(f.t, "123", 0ms, f.out);  // exactly at both limits
  CHECK(p);
  CHECK(f.out.size() == 1);
}

TEST_CASE("publish: a message retention drops at once resets its waiters", "[longpoll][publish]") {
  fixture f({}, {.max_messages = 0});
  (void)f.q.poll({.topic = f.t, .token = 1}, 0ms);
  const auto p = f.q.publish(f.t, "gone", 0ms, f.out);
  CHECK(p);
  CHECK(p.evicted == 1);
  REQUIRE(f.out.size() == 1);
  CHECK(f.out[0].reason == completion_reason::reset);
  CHECK(f.out[0].reset == lg::error::cursor_too_old);
  CHECK(f.out[0].next == cursor{7, 1});
  CHECK(f.out[0].messages.empty());
}

TEST_CASE("expire completes exactly the due waiters, in deadline then park order",
          "[longpoll][expire]") {
  fixture f({.max_timeout = 500ms});
  const auto a = f.q.poll({.topic = f.t, .token = 1, .timeout = 300ms}, 100ms);     // 400
  const auto b = f.q.poll({.topic = f.t, .token = 2, .timeout = 200ms}, 100ms);     // 300
  const auto c = f.q.poll({.topic = f.t, .token = 3, .timeout = 200ms}, 100ms);     // 300
  const auto d = f.q.poll({.topic = f.t, .token = 4, .timeout = 10'000ms}, 100ms);  // capped 600
  const auto e = f.q.poll({.topic = f.t, .token = 5, .timeout = -5ms}, 100ms);      // clamped: 100
  CHECK(d.deadline == 600ms);
  CHECK(e.deadline == 100ms);
  REQUIRE(f.q.next_deadline() == 100ms);
  CHECK(f.q.expire(100ms, f.out) == 1);
  CHECK(f.out.back().token == 5);
  CHECK(f.q.next_deadline() == 300ms);
  f.out.clear();
  CHECK(f.q.expire(299ms, f.out) == 0);
  CHECK(f.q.expire(300ms, f.out) == 2);
  REQUIRE(f.out.size() == 2);
  CHECK(f.out[0].waiter == b.waiter);  // same deadline: park order
  CHECK(f.out[1].waiter == c.waiter);
  for (const auto& x : f.out) {
    CHECK(x.reason == completion_reason::timed_out);
    CHECK(x.messages.empty());
    CHECK(x.next == cursor{7, 0});
  }
  CHECK(f.q.is_parked(a.waiter));
  CHECK(f.q.is_parked(d.waiter));
  // Time never goes backwards: a smaller now counts as the largest seen (300).
  f.out.clear();
  const auto g = f.q.poll({.topic = f.t, .token = 6, .timeout = 50ms}, 0ms);
  CHECK(g.deadline == 350ms);
  CHECK(f.q.expire(600ms, f.out) == 3);
  CHECK(f.q.waiters() == 0);
  CHECK_FALSE(f.q.next_deadline());
}

TEST_CASE("expire applies age retention; next_deadline announces it", "[longpoll][expire]") {
  fixture f({}, {.max_age = 100ms});
  f.publish("old", 0ms);
  f.publish("new", 50ms);
  CHECK(f.q.next_deadline() == 101ms);
  CHECK(f.q.expire(100ms, f.out) == 0);
  CHECK(f.q.topic_log(f.t)->size() == 2);  // exactly at the age limit: kept
  (void)f.q.expire(101ms, f.out);
  CHECK(f.q.topic_log(f.t)->size() == 1);
  CHECK(f.q.next_deadline() == 151ms);
  const auto r = f.q.poll({.topic = f.t, .from = position::after({7, 0})}, 101ms);
  CHECK(r.status == poll_status::reset);
  CHECK(r.error == lg::error::cursor_too_old);
}

TEST_CASE("cancel: no completion, nothing consumed", "[longpoll][cancel]") {
  fixture f;
  const auto r = f.q.poll({.topic = f.t, .token = 1}, 0ms);
  REQUIRE(r.status == poll_status::parked);
  CHECK(f.q.cancel(r.waiter));
  CHECK_FALSE(f.q.cancel(r.waiter));
  CHECK_FALSE(f.q.cancel(waiter_id{}));
  CHECK_FALSE(f.q.cancel(waiter_id{0, r.waiter.generation + 1}));
  f.publish("m");
  CHECK(f.out.empty());
  // The client retries with the same cursor and gets the message.
  const auto again = f.q.poll({.topic = f.t, .from = position::after(r.next), .token = 1}, 0ms);
  CHECK(texts(again.messages) == std::vector<std::string>{"m"});
  // A reused slot gets a new generation: the old id does not cancel the new waiter.
  const auto s = f.q.poll({.topic = f.t, .from = position::after(again.next)}, 0ms);
  REQUIRE(s.status == poll_status::parked);
  CHECK(s.waiter.slot == r.waiter.slot);
  CHECK_FALSE(f.q.cancel(r.waiter));
  CHECK(f.q.is_parked(s.waiter));
  // A cancelled waiter's deadline passes silently.
  CHECK(f.q.cancel(s.waiter));
  CHECK(f.q.expire(100'000ms, f.out) == 0);
  CHECK(f.out.empty());
}

TEST_CASE("sessions: supersede completes the older poll empty", "[longpoll][session]") {
  fixture f;
  const auto a = f.q.poll({.topic = f.t, .token = 1, .session = 42}, 0ms);
  REQUIRE(a.status == poll_status::parked);
  CHECK(f.q.sessions() == 1);
  const auto b = f.q.poll({.topic = f.t, .token = 2, .session = 42}, 10ms);
  REQUIRE(b.status == poll_status::parked);
  REQUIRE(b.superseded);
  CHECK(b.superseded->waiter == a.waiter);
  CHECK(b.superseded->token == 1);
  CHECK(b.superseded->reason == completion_reason::superseded);
  CHECK(b.superseded->messages.empty());
  CHECK(b.superseded->next == cursor{7, 0});
  CHECK_FALSE(f.q.is_parked(a.waiter));
  CHECK(f.q.waiters() == 1);
  CHECK(f.q.sessions() == 1);
  // Another session is independent.
  const auto c = f.q.poll({.topic = f.t, .token = 3, .session = 43}, 10ms);
  CHECK_FALSE(c.superseded);
  f.publish("m");
  REQUIRE(f.out.size() == 2);
  CHECK(f.out[0].token == 2);
  CHECK(f.out[1].token == 3);
  CHECK(f.q.sessions() == 0);
  // A retry that is answered at once still supersedes the parked one.
  const auto d = f.q.poll({.topic = f.t, .from = position::after({7, 1}), .session = 42}, 10ms);
  const auto e = f.q.poll({.topic = f.t, .from = position::after({7, 0}), .session = 42}, 10ms);
  CHECK(e.status == poll_status::ready);
  REQUIRE(e.superseded);
  CHECK(e.superseded->waiter == d.waiter);
  CHECK(f.q.sessions() == 0);
}

TEST_CASE("sessions: reject_new and allow_concurrent", "[longpoll][session]") {
  fixture f({.max_session_waiters = 2, .on_duplicate = duplicate_poll::reject_new});
  const auto a = f.q.poll({.topic = f.t, .token = 1, .session = 1}, 0ms);
  const auto b = f.q.poll({.topic = f.t, .token = 2, .session = 1}, 0ms);
  CHECK(b.status == poll_status::rejected);
  CHECK(b.error == error::session_busy);
  CHECK(f.q.is_parked(a.waiter));
  CHECK(f.q.cancel(a.waiter));
  CHECK(f.q.sessions() == 0);
  CHECK(f.q.poll({.topic = f.t, .session = 1}, 0ms).status == poll_status::parked);

  fixture g({.max_session_waiters = 2, .on_duplicate = duplicate_poll::allow_concurrent});
  CHECK(g.q.poll({.topic = g.t, .token = 1, .session = 1}, 0ms).status == poll_status::parked);
  CHECK(g.q.poll({.topic = g.t, .token = 2, .session = 1}, 0ms).status == poll_status::parked);
  const auto c = g.q.poll({.topic = g.t, .token = 3, .session = 1}, 0ms);
  CHECK(c.status == poll_status::rejected);
  CHECK(c.error == error::too_many_session_waiters);
  g.publish("m");
  CHECK(g.out.size() == 2);
  CHECK(g.q.sessions() == 0);
}

TEST_CASE("sessions: slow consumers are reset or rejected", "[longpoll][session]") {
  fixture f({.max_session_backlog_bytes = 4});
  for (const char* m : {"ab", "cd", "e"})
    f.publish(m);
  // Backlog after 0: 5 bytes > 4; after 1: 3 bytes.
  auto r = f.q.poll({.topic = f.t, .from = position::after({7, 0}), .session = 9}, 0ms);
  CHECK(r.status == poll_status::reset);
  CHECK(r.error == error::slow_consumer);
  CHECK(r.next == cursor{7, 3});
  r = f.q.poll({.topic = f.t, .from = position::after({7, 1}), .session = 9}, 0ms);
  CHECK(r.status == poll_status::ready);
  // Without a session there is no backlog limit.
  r = f.q.poll({.topic = f.t, .from = position::after({7, 0})}, 0ms);
  CHECK(r.status == poll_status::ready);

  fixture g({.max_session_backlog_bytes = 4, .on_slow_consumer = slow_consumer_policy::reject},
            {.max_messages = 2});
  for (const char* m : {"abc", "de", "fg", "h"})
    g.publish(m);
  // Retained 3 ("fg") and 4 ("h"): after 2 the backlog is 3 bytes, exactly after 1 it is gone.
  r = g.q.poll({.topic = g.t, .from = position::after({7, 2}), .session = 1}, 0ms);
  CHECK(r.status == poll_status::ready);
  g.publish("ijk");  // retained 4, 5: after 3 the backlog is 4 (at the limit), fine
  r = g.q.poll({.topic = g.t, .from = position::after({7, 3}), .session = 1}, 0ms);
  CHECK(r.status == poll_status::ready);
  g.publish("l");  // retained 5, 6: after 4 the backlog is 4; after 3 it is too old
  r = g.q.poll({.topic = g.t, .from = position::after({7, 4}), .session = 1}, 0ms);
  CHECK(r.status == poll_status::ready);
  g.publish("mnop");  // retained 6, 7: after 5 the backlog is 5
  r = g.q.poll({.topic = g.t, .from = position::after({7, 5}), .session = 1}, 0ms);
  CHECK(r.status == poll_status::rejected);
  CHECK(r.error == error::slow_consumer);
}

TEST_CASE("reset_topic completes parked waiters with a reset", "[longpoll][epoch]") {
  fixture f;
  f.publish("a");
  const auto w = f.q.poll({.topic = f.t, .from = position::after({7, 1}), .token = 4}, 0ms);
  REQUIRE(w.status == poll_status::parked);
  CHECK(f.q.reset_topic(f.t, 7, f.out) == lg::error::same_epoch);
  CHECK(f.q.reset_topic(topic_id{9}, 8, f.out) == error::unknown_topic);
  CHECK(f.out.empty());
  CHECK_FALSE(f.q.reset_topic(f.t, 8, f.out));
  REQUIRE(f.out.size() == 1);
  CHECK(f.out[0].token == 4);
  CHECK(f.out[0].reason == completion_reason::reset);
  CHECK(f.out[0].reset == lg::error::epoch_mismatch);
  CHECK(f.out[0].next == cursor{8, 0});
  CHECK(f.q.waiters() == 0);
  // Old cursors now reset; the new epoch starts at offset 1.
  const auto r = f.q.poll({.topic = f.t, .from = position::after({7, 1})}, 0ms);
  CHECK(r.error == lg::error::epoch_mismatch);
  f.publish("b");
  CHECK(f.q.head(f.t) == cursor{8, 1});
}

TEST_CASE("topics: limit and independence", "[longpoll][topic]") {
  queue q({.max_topics = 2});
  const auto a = q.add_topic(1);
  const auto b = q.add_topic(1);
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(q.add_topic(1));
  const auto refused = q.add_topic(1);
  CHECK(refused.error == error::too_many_topics);
  CHECK_FALSE(refused.has_value());
  CHECK(q.topic_count() == 2);
  CHECK(q.topic_log(topic_id{2}) == nullptr);
  CHECK(q.head(topic_id{2}) == cursor{});
  CHECK(q.waiters(topic_id{2}) == 0);
  std::vector<completion> out;
  (void)q.poll({.topic = *a, .token = 1}, 0ms);
  (void)q.poll({.topic = *b, .token = 2}, 0ms);
  REQUIRE(q.publish(*b, "x", 0ms, out));
  REQUIRE(out.size() == 1);
  CHECK(out[0].token == 2);
  CHECK(out[0].topic == *b);
  CHECK(q.waiters(*a) == 1);
}

TEST_CASE("batches keep payloads alive after eviction and queue destruction", "[longpoll][batch]") {
  std::vector<completion> out;
  batch kept;
  {
    queue q;
    const auto t = *q.add_topic(1, {.max_messages = 1});
    (void)q.poll({.topic = t}, 0ms);
    REQUIRE(q.publish(t, "survivor", 0ms, out));
    REQUIRE(q.publish(t, "evicts it", 0ms, out));
    kept = out.at(0).messages;
  }
  out.clear();
  CHECK(texts(kept) == std::vector<std::string>{"survivor"});
  batch b;
  CHECK(b.empty());
  CHECK(b.begin() == b.end());
}

TEST_CASE("queue moves keep working", "[longpoll][move]") {
  queue a;
  const auto t = *a.add_topic(1);
  std::vector<completion> out;
  (void)a.poll({.topic = t, .token = 5}, 0ms);
  const std::size_t mem = a.memory_usage();
  queue b(std::move(a));
  CHECK(b.memory_usage() == mem);
  queue c;
  (void)c.add_topic(2);
  c = std::move(b);
  CHECK(c.memory_usage() == mem);
  REQUIRE(c.publish(t, "m", 0ms, out));
  REQUIRE(out.size() == 1);
  CHECK(out[0].token == 5);
}

TEST_CASE("memory per parked poll stays within 128 bytes, session included, without reserve",
          "[longpoll][memory]") {
  // The bound, checked exactly (memory_usage() counts every byte the queue requests):
  // 56-byte slots and 16-byte deadline entries grown by a quarter at a time, and 4-byte session
  // buckets at a load factor of at most 1.
  for (const std::size_t n : {std::size_t{1'000}, std::size_t{10'000}, std::size_t{100'000}}) {
    for (const bool with_session : {false, true}) {
      fixture f({.max_waiters = n});
      const std::size_t before = f.q.memory_usage();
      for (std::size_t i = 0; i < n; ++i) {
        const auto r = f.q.poll(
            {.topic = f.t, .token = i, .session = with_session ? std::optional(i) : std::nullopt},
            0ms);
        REQUIRE(r.status == poll_status::parked);
      }
      const double per_waiter =
          static_cast<double>(f.q.memory_usage() - before) / static_cast<double>(n);
      INFO(n << " waiters, session " << with_session << ": " << per_waiter << " bytes each");
      CHECK(per_waiter <= 128.0);
      CHECK(per_waiter >= 72.0);  // a slot and a deadline entry at least: the count is real
      CHECK(f.q.sessions() == (with_session ? n : 0));
    }
  }
}
