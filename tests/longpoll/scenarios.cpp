// Scenario tests for rtwire/longpoll/queue.hpp: the reconnect stories long-poll engines get
// wrong (lost responses, retries overlapping a parked poll, retention past the cursor, restarts,
// cursors from the future), retention edges and timeouts.
#include <rtwire/longpoll.hpp>

#include <string>
#include <vector>

#include "catch.hpp"
#include "support/longpoll_model.hpp"

using namespace std::chrono_literals;
namespace lp = rtwire::longpoll;
namespace lg = rtwire::log;

using rtwire_test::longpoll::texts;

TEST_CASE("reconnect: a response lost after delivery is delivered again, identically",
          "[longpoll][scenario]") {
  lp::queue q;
  const auto t = *q.add_topic(0xab);
  std::vector<lp::completion> out;
  const auto parked = q.poll({.topic = t, .token = 1, .session = 5}, 0ms);
  REQUIRE(parked.status == lp::poll_status::parked);
  REQUIRE(q.publish(t, "one", 1ms, out));
  REQUIRE(out.size() == 1);
  const lp::completion first = out[0];
  // The HTTP response carrying `first` never reaches the client; it retries with its old cursor.
  const auto again =
      q.poll({.topic = t, .from = lp::position::after(parked.next), .session = 5}, 2ms);
  REQUIRE(again.status == lp::poll_status::ready);
  REQUIRE(texts(again.messages) == texts(first.messages));
  CHECK(again.messages[0].offset() == first.messages[0].offset());
  CHECK(again.next == first.next);
  CHECK(lg::to_string(again.next) == "ab-1");
}

TEST_CASE("reconnect: a retry supersedes the parked poll, nothing is lost",
          "[longpoll][scenario]") {
  lp::queue q;
  const auto t = *q.add_topic(1);
  std::vector<lp::completion> out;
  const auto old_poll = q.poll({.topic = t, .token = 1, .session = 5}, 0ms);
  // The client's connection stalls; it opens a new one and retries while the old is parked.
  const auto retry = q.poll(
      {.topic = t, .from = lp::position::after(old_poll.next), .token = 2, .session = 5}, 1ms);
  REQUIRE(retry.status == lp::poll_status::parked);
  REQUIRE(retry.superseded);
  CHECK(retry.superseded->token == 1);
  CHECK(retry.superseded->messages.empty());  // the old connection answers 200 with nothing
  REQUIRE(q.publish(t, "m", 2ms, out));
  REQUIRE(out.size() == 1);  // only the retry gets the message
  CHECK(out[0].token == 2);
  CHECK(texts(out[0].messages) == std::vector<std::string>{"m"});
}

TEST_CASE("reconnect: retention moved past the cursor is announced", "[longpoll][scenario]") {
  lp::queue q;
  const auto t = *q.add_topic(1, {.max_messages = 3});
  std::vector<lp::completion> out;
  REQUIRE(q.publish(t, "a", 0ms, out));
  const lg::cursor client{1, 1};
  for (const char* m : {"b", "c", "d"})
    REQUIRE(q.publish(t, m, 0ms, out));  // retained: b, c, d — the client still has only a
  auto r = q.poll({.topic = t, .from = lp::position::after(client)}, 0ms);
  CHECK(r.status == lp::poll_status::ready);  // exactly at the edge: b is the oldest retained
  REQUIRE(q.publish(t, "e", 0ms, out));       // b is gone
  r = q.poll({.topic = t, .from = lp::position::after(client)}, 0ms);
  REQUIRE(r.status == lp::poll_status::reset);
  CHECK(r.error == lg::error::cursor_too_old);
  CHECK(r.next == lg::cursor{1, 5});
  CHECK(r.messages.empty());  // never a partial batch that looks complete
  // The client resyncs from the head and continues.
  r = q.poll({.topic = t, .from = lp::position::after(r.next)}, 0ms);
  CHECK(r.status == lp::poll_status::parked);
}

TEST_CASE("reconnect: a restart with a new epoch resets old cursors", "[longpoll][scenario]") {
  lg::cursor client;
  {
    lp::queue before;
    const auto t = *before.add_topic(100);
    std::vector<lp::completion> out;
    REQUIRE(before.publish(t, "x", 0ms, out));
    client = before.head(t);
  }
  lp::queue after;  // the process restarted: same offsets, different history
  const auto t = *after.add_topic(101);
  std::vector<lp::completion> out;
  REQUIRE(after.publish(t, "y", 0ms, out));
  const auto r = after.poll({.topic = t, .from = lp::position::after(client)}, 0ms);
  REQUIRE(r.status == lp::poll_status::reset);
  CHECK(r.error == lg::error::epoch_mismatch);
  CHECK(r.next == lg::cursor{101, 1});
}

TEST_CASE("reconnect: a cursor from the future resets", "[longpoll][scenario]") {
  lp::queue q;
  const auto t = *q.add_topic(1);
  std::vector<lp::completion> out;
  REQUIRE(q.publish(t, "x", 0ms, out));
  const auto r = q.poll({.topic = t, .from = lp::position::from_text("1-2")}, 0ms);
  REQUIRE(r.status == lp::poll_status::reset);
  CHECK(r.error == lg::error::cursor_from_future);
  CHECK(r.next == lg::cursor{1, 1});
  CHECK(q.waiters() == 0);
}

TEST_CASE("retention edges: exactly at the count, bytes and age limits", "[longpoll][retention]") {
  std::vector<lp::completion> out;
  SECTION("count") {
    lp::queue q;
    const auto t = *q.add_topic(1, {.max_messages = 4});
    for (int i = 0; i < 4; ++i)
      REQUIRE(q.publish(t, "m", 0ms, out));
    CHECK(q.topic_log(t)->size() == 4);
    CHECK(q.poll({.topic = t, .from = lp::position::after({1, 0})}, 0ms).messages.size() == 4);
    const auto p = q.publish(t, "m", 0ms, out);
    CHECK(p.evicted == 1);
    CHECK(q.poll({.topic = t, .from = lp::position::after({1, 0})}, 0ms).status ==
          lp::poll_status::reset);
  }
  SECTION("bytes") {
    lp::queue q;
    const auto t = *q.add_topic(1, {.max_bytes = 6});
    REQUIRE(q.publish(t, "abc", 0ms, out));
    REQUIRE(q.publish(t, "def", 0ms, out));
    CHECK(q.topic_log(t)->bytes() == 6);
    CHECK(q.poll({.topic = t, .from = lp::position::after({1, 0})}, 0ms).messages.size() == 2);
    CHECK(q.publish(t, "g", 0ms, out).evicted == 1);
    CHECK(q.poll({.topic = t, .from = lp::position::after({1, 0})}, 0ms).error ==
          lg::error::cursor_too_old);
  }
  SECTION("age") {
    lp::queue q;
    const auto t = *q.add_topic(1, {.max_age = 1000ms});
    REQUIRE(q.publish(t, "a", 0ms, out));
    CHECK(q.expire(1000ms, out) == 0);
    CHECK(q.poll({.topic = t, .from = lp::position::after({1, 0})}, 1000ms).status ==
          lp::poll_status::ready);
    (void)q.expire(1001ms, out);
    CHECK(q.poll({.topic = t, .from = lp::position::after({1, 0})}, 1001ms).error ==
          lg::error::cursor_too_old);
    CHECK(q.poll({.topic = t, .from = lp::position::after({1, 1})}, 1001ms).status ==
          lp::poll_status::parked);
  }
}

TEST_CASE("retention edges: a message larger than the batch limit is delivered alone",
          "[longpoll][retention]") {
  lp::queue q({.max_batch_bytes = 8});
  const auto t = *q.add_topic(1);
  std::vector<lp::completion> out;
  const auto w = q.poll({.topic = t, .token = 1}, 0ms);
  REQUIRE(q.publish(t, std::string(100, 'x'), 0ms, out));
  REQUIRE(out.size() == 1);
  CHECK(out[0].messages.size() == 1);
  CHECK(out[0].messages.bytes() == 100);
  REQUIRE(q.publish(t, "y", 0ms, out));
  const auto r = q.poll({.topic = t, .from = lp::position::after(w.next)}, 0ms);
  CHECK(r.messages.size() == 1);  // the big one alone, "y" next time
  CHECK(r.next == lg::cursor{1, 1});
}

TEST_CASE("memory stays bounded under 10^6 publishes with stalled consumers",
          "[longpoll][memory]") {
  lp::queue q({.max_waiters = 1000});
  const lg::retention keep{.max_messages = 1000, .max_bytes = 64 << 10};
  const auto t = *q.add_topic(1, keep);
  std::vector<lp::completion> out;
  // 500 consumers park, get woken once and never come back (stalled); 500 park on an idle topic.
  const auto idle = *q.add_topic(1, keep);
  for (std::uint64_t i = 0; i < 500; ++i) {
    REQUIRE(q.poll({.topic = t, .token = i, .timeout = 60'000ms}, 0ms).status ==
            lp::poll_status::parked);
    REQUIRE(q.poll({.topic = idle, .token = i, .timeout = 60'000ms}, 0ms).status ==
            lp::poll_status::parked);
  }
  const std::string payload(48, 'p');
  std::size_t peak = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    REQUIRE(q.publish(t, payload, lg::millis{i / 100}, out).error == std::error_code());
    out.clear();  // the stalled consumers' responses are dropped by the I/O layer
    if (i % 1000 == 0) peak = std::max(peak, q.memory_usage());
  }
  CHECK(q.topic_log(t)->size() == 1000);
  CHECK(q.waiters() == 500);
  // Bound: 1000 retained blocks, their ring and byte ring (both <= 2048 slots), 1000 waiter
  // slots and their heap entries, plus the two topics.
  const std::size_t bound =
      1000 * (sizeof(lg::message_ref) + 48 + 64) + 2048 * (16 + 8) + 1000 * 128 + 2 * 512 + 4096;
  CHECK(peak <= bound);
  CHECK(q.memory_usage() <= bound);
}

TEST_CASE("timeouts: no waiter waits past the max timeout", "[longpoll][timeout]") {
  lp::queue q({.max_timeout = 250ms});
  const auto t = *q.add_topic(1);
  std::vector<lp::completion> out;
  for (int i = 0; i < 100; ++i) {
    const auto r =
        q.poll({.topic = t, .token = static_cast<std::uint64_t>(i), .timeout = lg::millis{i * 10}},
               lg::millis{i});
    REQUIRE(r.status == lp::poll_status::parked);
    CHECK(r.deadline <= lg::millis{i} + 250ms);
  }
  // Walk time forward 1 ms at a time: each expire() completes exactly the waiters now due.
  std::size_t completed = 0;
  for (int now = 99, prev = -1; now <= 99 + 250; prev = now++) {
    out.clear();
    const std::size_t n = q.expire(lg::millis{now}, out);
    completed += n;
    for (const auto& c : out) {
      const int i = static_cast<int>(c.token);
      const int deadline = std::min(i * 10, 250) + i;
      CHECK(deadline <= now);
      CHECK(deadline > prev);
      CHECK(c.reason == lp::completion_reason::timed_out);
    }
    if (const auto next = q.next_deadline()) CHECK(*next > lg::millis{now});
  }
  CHECK(completed == 100);
  CHECK(q.waiters() == 0);
}
