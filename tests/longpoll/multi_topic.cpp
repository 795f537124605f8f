// Unit tests for multi-topic polls of rtwire/longpoll/queue.hpp (poll_request::also): every
// outcome, how completions describe each topic, limits and error reporting, and the queue's
// bookkeeping when one waiter sits on several topics.
#include <rtwire/longpoll.hpp>

#include <array>
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
using rtwire::longpoll::options;
using rtwire::longpoll::poll_request;
using rtwire::longpoll::poll_status;
using rtwire::longpoll::position;
using rtwire::longpoll::queue;
using rtwire::longpoll::topic_id;
using rtwire::longpoll::topic_position;
namespace lg = rtwire::log;
using rtwire_test::longpoll::texts;

namespace {

// Three topics with epochs 1, 2, 3.
struct fixture {
  explicit fixture(options o = {}, lg::retention keep = {}) : q(o) {
    for (std::uint64_t e = 1; e <= 3; ++e)
      t.push_back(*q.add_topic(e, keep));
  }
  void publish(std::size_t topic, std::string_view text) {
    REQUIRE(q.publish(t[topic], text, 0ms, out));
  }
  queue q;
  std::vector<topic_id> t;
  std::vector<completion> out;
};

}  // namespace

TEST_CASE("multi-topic: error codes and their category", "[longpoll][multi][error]") {
  CHECK(std::error_code(error::too_many_poll_topics) == rtwire::condition::limit_exceeded);
  CHECK(std::error_code(error::duplicate_topic) == rtwire::condition::bad_input);
  CHECK(std::error_code(error::duplicate_topic).message() == "a poll names the same topic twice");
  CHECK(std::error_code(error::too_many_poll_topics).message() ==
        "a poll names more topics than the queue allows");
}

TEST_CASE("multi-topic: malformed requests are rejected and change nothing",
          "[longpoll][multi][error]") {
  fixture f({.max_poll_topics = 2});
  f.publish(0, "a");
  const auto before = f.q.memory_usage();

  SECTION("more topics than max_poll_topics") {
    const std::array also{topic_position{f.t[1]}, topic_position{f.t[2]}};
    const auto r = f.q.poll({.topic = f.t[0], .also = also}, 0ms);
    CHECK(r.status == poll_status::rejected);
    CHECK(r.error == error::too_many_poll_topics);
  }
  SECTION("the first topic repeated in also") {
    const std::array also{topic_position{f.t[0]}};
    const auto r = f.q.poll({.topic = f.t[0], .also = also}, 0ms);
    CHECK(r.status == poll_status::rejected);
    CHECK(r.error == error::duplicate_topic);
  }
  SECTION("a topic repeated within also") {
    fixture g;
    const std::array also{topic_position{g.t[1]}, topic_position{g.t[1]}};
    const auto r = g.q.poll({.topic = g.t[0], .also = also}, 0ms);
    CHECK(r.error == error::duplicate_topic);
    CHECK(g.q.waiters() == 0);
  }
  SECTION("an unknown topic in also") {
    const std::array also{topic_position{topic_id{99}}};
    const auto r = f.q.poll({.topic = f.t[0], .also = also}, 0ms);
    CHECK(r.error == error::unknown_topic);
  }
  SECTION("a malformed cursor in also, even when the first topic is ready") {
    const std::array also{topic_position{f.t[1], position::from_text("2-x")}};
    const auto r = f.q.poll({.topic = f.t[0], .from = position::oldest(), .also = also}, 0ms);
    CHECK(r.status == poll_status::rejected);
    CHECK(r.error == lg::error::malformed_cursor);
    CHECK(r.messages.empty());
    CHECK(r.also.empty());
  }
  CHECK(f.q.waiters() == 0);
  CHECK(f.q.memory_usage() == before);
}

TEST_CASE("multi-topic: max_poll_topics is clamped to [1, limit]", "[longpoll][multi]") {
  CHECK(queue({.max_poll_topics = 0}).config().max_poll_topics == 1);
  CHECK(queue({.max_poll_topics = 1000}).config().max_poll_topics == queue::max_poll_topics_limit);
  fixture f({.max_poll_topics = 1});
  const std::array also{topic_position{f.t[1]}};
  CHECK(f.q.poll({.topic = f.t[0], .also = also}, 0ms).error == error::too_many_poll_topics);
  CHECK(f.q.poll({.topic = f.t[0]}, 0ms).status == poll_status::parked);
}

TEST_CASE("multi-topic: ready with every topic's batch and cursor", "[longpoll][multi]") {
  fixture f({.max_batch_messages = 2});
  f.publish(1, "b1");
  f.publish(1, "b2");
  f.publish(1, "b3");
  f.publish(2, "c1");

  const std::array also{topic_position{f.t[1], position::after({2, 0})},
                        topic_position{f.t[2], position::oldest()}};
  const auto r = f.q.poll({.topic = f.t[0], .from = position::newest(), .also = also}, 0ms);
  REQUIRE(r.status == poll_status::ready);
  CHECK(r.topic == f.t[0]);
  CHECK(r.messages.empty());      // nothing on the first topic
  CHECK(r.next == cursor{1, 0});  // its resolved, unchanged cursor
  REQUIRE(r.also.size() == 2);
  CHECK(r.also[0].topic == f.t[1]);                                          // request order
  CHECK(texts(r.also[0].messages) == std::vector<std::string>{"b1", "b2"});  // per-topic limit
  CHECK(r.also[0].next == cursor{2, 2});
  CHECK(r.also[1].topic == f.t[2]);
  CHECK(texts(r.also[1].messages) == std::vector<std::string>{"c1"});
  CHECK(r.also[1].next == cursor{3, 1});
  CHECK(f.q.waiters() == 0);

  // Resuming from the returned cursors delivers the rest exactly once.
  const std::array again{topic_position{f.t[1], position::after(r.also[0].next)},
                         topic_position{f.t[2], position::after(r.also[1].next)}};
  const auto r2 = f.q.poll({.topic = f.t[0], .from = position::after(r.next), .also = again}, 0ms);
  REQUIRE(r2.status == poll_status::ready);
  CHECK(texts(r2.also[0].messages) == std::vector<std::string>{"b3"});
  CHECK(r2.also[1].messages.empty());
  CHECK(r2.also[1].next == cursor{3, 1});
}

TEST_CASE("multi-topic: a reset names the first failing topic and delivers nothing",
          "[longpoll][multi]") {
  fixture f;
  f.publish(0, "a1");  // the first topic has a message ready
  f.publish(2, "c1");

  SECTION("wrong epoch on a further topic") {
    const std::array also{topic_position{f.t[1], position::after({2, 0})},
                          topic_position{f.t[2], position::after({9, 0})}};
    const auto r = f.q.poll({.topic = f.t[0], .from = position::oldest(), .also = also}, 0ms);
    CHECK(r.status == poll_status::reset);
    CHECK(r.error == lg::error::epoch_mismatch);
    CHECK(r.topic == f.t[2]);
    CHECK(r.next == cursor{3, 1});  // that topic's head
    CHECK(r.messages.empty());
    CHECK(r.also.empty());
  }
  SECTION("two failing topics: the first in request order") {
    const std::array also{topic_position{f.t[1], position::after({2, 5})},
                          topic_position{f.t[2], position::after({9, 0})}};
    const auto r = f.q.poll({.topic = f.t[0], .also = also}, 0ms);
    CHECK(r.error == lg::error::cursor_from_future);
    CHECK(r.topic == f.t[1]);
    CHECK(r.next == cursor{2, 0});
  }
  SECTION("the first topic failing") {
    const std::array also{topic_position{f.t[2], position::oldest()}};
    const auto r = f.q.poll({.topic = f.t[0], .from = position::after({1, 7}), .also = also}, 0ms);
    CHECK(r.status == poll_status::reset);
    CHECK(r.topic == f.t[0]);
    CHECK(r.next == cursor{1, 1});
    CHECK(r.also.empty());
  }
  CHECK(f.q.waiters() == 0);
}

TEST_CASE("multi-topic: a session's backlog on any topic is checked", "[longpoll][multi][slow]") {
  fixture f({.max_session_backlog_bytes = 3});
  f.publish(1, "xyzw");
  const std::array also{topic_position{f.t[1], position::oldest()}};
  const auto r = f.q.poll({.topic = f.t[0], .also = also, .session = 5}, 0ms);
  CHECK(r.status == poll_status::reset);
  CHECK(r.error == error::slow_consumer);
  CHECK(r.topic == f.t[1]);
  CHECK(r.next == cursor{2, 1});
}

TEST_CASE("multi-topic: a parked poll waits on every topic; the first publish answers it",
          "[longpoll][multi]") {
  fixture f;
  f.publish(1, "old");
  const std::array also{topic_position{f.t[1]}, topic_position{f.t[2]}};
  const auto p = f.q.poll({.topic = f.t[0], .also = also, .token = 42, .timeout = 1000ms}, 0ms);
  REQUIRE(p.status == poll_status::parked);
  CHECK(p.next == cursor{1, 0});
  REQUIRE(p.also.size() == 2);
  CHECK(p.also[0].next == cursor{2, 1});  // newest, resolved
  CHECK(p.also[1].next == cursor{3, 0});
  CHECK(f.q.waiters() == 1);
  for (const auto t : f.t)
    CHECK(f.q.waiters(t) == 1);

  f.publish(2, "c1");
  REQUIRE(f.out.size() == 1);
  const completion& c = f.out[0];
  CHECK(c.waiter == p.waiter);
  CHECK(c.token == 42);
  CHECK(c.reason == completion_reason::delivered);
  CHECK(c.topic == f.t[0]);
  CHECK(c.messages.empty());
  CHECK(c.next == cursor{1, 0});
  REQUIRE(c.also.size() == 2);
  CHECK(c.also[0].topic == f.t[1]);
  CHECK(c.also[0].messages.empty());
  CHECK(c.also[0].next == cursor{2, 1});
  CHECK(c.also[1].topic == f.t[2]);
  CHECK(texts(c.also[1].messages) == std::vector<std::string>{"c1"});
  CHECK(c.also[1].next == cursor{3, 1});

  // Unparked from every topic: later publishes answer nothing.
  CHECK(f.q.waiters() == 0);
  for (const auto t : f.t)
    CHECK(f.q.waiters(t) == 0);
  CHECK_FALSE(f.q.is_parked(p.waiter));
  f.publish(0, "a1");
  f.publish(1, "b2");
  CHECK(f.out.size() == 1);
}

TEST_CASE("multi-topic: a publish to the first topic fills the first entry", "[longpoll][multi]") {
  fixture f;
  const std::array also{topic_position{f.t[2]}};
  const auto p = f.q.poll({.topic = f.t[1], .also = also}, 0ms);
  REQUIRE(p.status == poll_status::parked);
  f.publish(1, "b1");
  REQUIRE(f.out.size() == 1);
  CHECK(f.out[0].topic == f.t[1]);
  CHECK(texts(f.out[0].messages) == std::vector<std::string>{"b1"});
  CHECK(f.out[0].next == cursor{2, 1});
  REQUIRE(f.out[0].also.size() == 1);
  CHECK(f.out[0].also[0].messages.empty());
  CHECK(f.out[0].also[0].next == cursor{3, 0});
}

TEST_CASE("multi-topic: waiters of one topic wake in park order, whatever their other topics",
          "[longpoll][multi]") {
  fixture f;
  const std::array with1{topic_position{f.t[1]}};
  const std::array with2{topic_position{f.t[2]}};
  const auto a = f.q.poll({.topic = f.t[0], .also = with1, .token = 1}, 0ms);
  const auto b = f.q.poll({.topic = f.t[2], .token = 2}, 0ms);
  const auto c = f.q.poll({.topic = f.t[1], .also = with2, .token = 3}, 0ms);
  const auto d = f.q.poll({.topic = f.t[0], .token = 4}, 0ms);
  CHECK(f.q.waiters(f.t[0]) == 2);
  CHECK(f.q.waiters(f.t[1]) == 2);
  CHECK(f.q.waiters(f.t[2]) == 2);

  f.publish(1, "b1");  // wakes a and c (park order), not b or d
  REQUIRE(f.out.size() == 2);
  CHECK(f.out[0].token == 1);
  CHECK(f.out[1].token == 3);
  CHECK(texts(f.out[0].also[0].messages) == std::vector<std::string>{"b1"});
  CHECK(texts(f.out[1].messages) == std::vector<std::string>{"b1"});
  CHECK(f.q.is_parked(b.waiter));
  CHECK(f.q.is_parked(d.waiter));
  CHECK_FALSE(f.q.is_parked(a.waiter));
  CHECK_FALSE(f.q.is_parked(c.waiter));
  CHECK(f.q.waiters(f.t[0]) == 1);
  CHECK(f.q.waiters(f.t[1]) == 0);
  CHECK(f.q.waiters(f.t[2]) == 1);

  f.out.clear();
  f.publish(2, "c1");
  REQUIRE(f.out.size() == 1);
  CHECK(f.out[0].token == 2);
}

TEST_CASE("multi-topic: timeouts and cancels", "[longpoll][multi]") {
  fixture f;
  f.publish(0, "a1");
  const std::array also{topic_position{f.t[1], position::after({2, 0})}, topic_position{f.t[2]}};
  const auto p = f.q.poll(
      {.topic = f.t[0], .from = position::after({1, 1}), .also = also, .timeout = 50ms}, 0ms);
  REQUIRE(p.status == poll_status::parked);

  SECTION("expire returns every cursor unchanged") {
    CHECK(f.q.next_deadline() == 50ms);
    CHECK(f.q.expire(49ms, f.out) == 0);
    CHECK(f.q.expire(50ms, f.out) == 1);
    REQUIRE(f.out.size() == 1);
    const completion& c = f.out[0];
    CHECK(c.reason == completion_reason::timed_out);
    CHECK(c.next == cursor{1, 1});
    REQUIRE(c.also.size() == 2);
    CHECK(c.also[0].next == cursor{2, 0});
    CHECK(c.also[1].next == cursor{3, 0});
    CHECK(c.messages.empty());
    CHECK(c.also[0].messages.empty());
    CHECK(c.also[1].messages.empty());
  }
  SECTION("cancel unparks it from every topic and completes nothing") {
    CHECK(f.q.cancel(p.waiter));
    CHECK_FALSE(f.q.cancel(p.waiter));
    for (const auto t : f.t)
      CHECK(f.q.waiters(t) == 0);
    f.publish(1, "b1");
    f.publish(2, "c1");
    CHECK(f.out.empty());
    CHECK(f.q.expire(1000ms, f.out) == 0);
  }
  CHECK(f.q.waiters() == 0);
}

TEST_CASE("multi-topic: a newer poll of the same session supersedes the older",
          "[longpoll][multi][session]") {
  fixture f({.on_duplicate = duplicate_poll::supersede});
  const std::array also{topic_position{f.t[1]}, topic_position{f.t[2]}};
  const auto old = f.q.poll({.topic = f.t[0], .also = also, .token = 1, .session = 9}, 0ms);
  REQUIRE(old.status == poll_status::parked);
  const std::array fewer{topic_position{f.t[2]}};
  const auto neu = f.q.poll({.topic = f.t[1], .also = fewer, .token = 2, .session = 9}, 0ms);
  REQUIRE(neu.status == poll_status::parked);
  REQUIRE(neu.superseded);
  const completion& s = *neu.superseded;
  CHECK(s.token == 1);
  CHECK(s.reason == completion_reason::superseded);
  CHECK(s.topic == f.t[0]);
  CHECK(s.next == cursor{1, 0});
  REQUIRE(s.also.size() == 2);
  CHECK(s.also[1].next == cursor{3, 0});
  CHECK(f.q.sessions() == 1);
  CHECK(f.q.waiters(f.t[0]) == 0);
  CHECK(f.q.waiters(f.t[1]) == 1);
  CHECK(f.q.waiters(f.t[2]) == 1);
}

TEST_CASE("multi-topic: a new epoch on one topic resets the waiter, naming that topic",
          "[longpoll][multi][epoch]") {
  fixture f;
  const std::array also{topic_position{f.t[1]}};
  const auto p = f.q.poll({.topic = f.t[0], .also = also}, 0ms);
  REQUIRE(p.status == poll_status::parked);
  REQUIRE_FALSE(f.q.reset_topic(f.t[1], 20, f.out));
  REQUIRE(f.out.size() == 1);
  CHECK(f.out[0].reason == completion_reason::reset);
  CHECK(f.out[0].reset == lg::error::epoch_mismatch);
  CHECK(f.out[0].topic == f.t[1]);
  CHECK(f.out[0].next == cursor{20, 0});
  CHECK(f.out[0].also.empty());
  CHECK(f.q.waiters(f.t[0]) == 0);
  CHECK(f.q.waiters() == 0);
}

TEST_CASE("multi-topic: a message retention drops at once resets the waiter",
          "[longpoll][multi][retention]") {
  queue q;
  const auto a = *q.add_topic(1);
  const auto none_kept = *q.add_topic(2, {.max_messages = 0});
  std::vector<completion> out;
  const std::array also{topic_position{none_kept}};
  REQUIRE(q.poll({.topic = a, .also = also}, 0ms).status == poll_status::parked);
  REQUIRE(q.publish(none_kept, "gone", 0ms, out));
  REQUIRE(out.size() == 1);
  CHECK(out[0].reason == completion_reason::reset);
  CHECK(out[0].reset == lg::error::cursor_too_old);
  CHECK(out[0].topic == none_kept);
  CHECK(out[0].next == cursor{2, 1});
  CHECK(out[0].also.empty());
  CHECK(q.waiters() == 0);
}

TEST_CASE("multi-topic: limits on parked polls", "[longpoll][multi][limits]") {
  fixture f({.max_waiters = 2});
  const std::array also{topic_position{f.t[1]}, topic_position{f.t[2]}};
  CHECK(f.q.poll({.topic = f.t[0], .also = also}, 0ms).status == poll_status::parked);
  CHECK(f.q.poll({.topic = f.t[0], .also = also}, 0ms).status == poll_status::parked);
  const auto r = f.q.poll({.topic = f.t[0], .also = also}, 0ms);
  CHECK(r.status == poll_status::rejected);
  CHECK(r.error == error::too_many_waiters);
  CHECK(f.q.waiters() == 2);
  CHECK(f.q.waiters(f.t[2]) == 2);
}

TEST_CASE("multi-topic: links are recycled, so memory returns to its baseline",
          "[longpoll][multi][memory]") {
  fixture f;
  const std::array also{topic_position{f.t[1]}, topic_position{f.t[2]}};
  std::vector<rtwire::longpoll::waiter_id> ids;
  const auto park_all = [&](std::size_t n, std::span<const topic_position> more) {
    ids.clear();
    for (std::size_t i = 0; i < n; ++i) {
      const auto r = f.q.poll({.topic = f.t[0], .also = more, .session = i}, 0ms);
      REQUIRE(r.status == poll_status::parked);
      ids.push_back(r.waiter);
    }
    CHECK(f.q.waiters() == n);
    CHECK(f.q.sessions() == n);
  };
  // The first round grows the tables (the deadline heap keeps up to 2 x waiters + 64 stale
  // entries between rebuilds); every later round must reuse them exactly.
  std::size_t baseline = 0;
  for (int round = 0; round < 20; ++round) {
    park_all(64, round % 2 == 0 ? std::span<const topic_position>(also)
                                : std::span<const topic_position>(also).first(1));
    // Half leave by cancel, half by a superseding poll of their session that expire() answers.
    for (std::size_t i = 0; i < ids.size(); i += 2)
      REQUIRE(f.q.cancel(ids[i]));
    for (std::size_t i = 1; i < ids.size(); i += 2)
      REQUIRE(f.q.poll({.topic = f.t[2], .session = i, .timeout = 0ms}, 0ms).superseded);
    CHECK(f.q.expire(0ms, f.out) == 32);
    CHECK(f.q.waiters() == 0);
    CHECK(f.q.sessions() == 0);
    for (const auto t : f.t)
      CHECK(f.q.waiters(t) == 0);
    if (round == 0) baseline = f.q.memory_usage();
    CHECK(f.q.memory_usage() == baseline);
  }
}
