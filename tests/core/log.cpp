// Tests for rtwire/core/log.hpp: cursors, appends, retention, resume outcomes, lifetimes.
#include <rtwire/core/log.hpp>

#include <string>
#include <vector>

#include "catch.hpp"

using namespace std::chrono_literals;
using rtwire::log::cursor;
using rtwire::log::error;
using rtwire::log::message_log;
using rtwire::log::millis;
using rtwire::log::parse_cursor;
using rtwire::log::to_string;

namespace {

std::vector<std::string> payloads(const message_log& log, std::uint64_t first, std::uint64_t last) {
  std::vector<std::string> out;
  for (const auto& m : log.range(first, last))
    out.emplace_back(m.payload);
  return out;
}

}  // namespace

TEST_CASE("cursor text form: format", "[log][cursor]") {
  CHECK(to_string({0, 0}) == "0-0");
  CHECK(to_string({0x1f, 42}) == "1f-42");
  CHECK(to_string({0xdeadbeef, 1}) == "deadbeef-1");
  CHECK(to_string({~std::uint64_t{0}, ~std::uint64_t{0}}) ==
        "ffffffffffffffff-18446744073709551615");
  CHECK(to_string({~std::uint64_t{0}, ~std::uint64_t{0}}).size() == rtwire::log::max_cursor_chars);
  std::string buf = "id:";
  rtwire::log::append_cursor(buf, {10, 7});
  CHECK(buf == "id:a-7");
}

TEST_CASE("cursor text form: strict parse", "[log][cursor]") {
  CHECK(parse_cursor("0-0") == cursor{0, 0});
  CHECK(parse_cursor("1f-42") == cursor{0x1f, 42});
  CHECK(parse_cursor("ffffffffffffffff-18446744073709551615") ==
        cursor{~std::uint64_t{0}, ~std::uint64_t{0}});
  for (const char* bad : {"",
                          "-",
                          "1-",
                          "-1",
                          "1",
                          "01-1",
                          "1-01",
                          "00-0",
                          "0-00",
                          "1F-1",
                          "+1-1",
                          "1-+1",
                          " 1-1",
                          "1-1 ",
                          "1--1",
                          "1-1-1",
                          "g-1",
                          "1-a",
                          "1-18446744073709551616",
                          "1-99999999999999999999",
                          "10000000000000000-1",
                          "1-123456789012345678901",
                          "1_1",
                          "0x1-1"}) {
    INFO(bad);
    CHECK_FALSE(parse_cursor(bad).has_value());
  }
  // Every formatted cursor parses back to itself.
  for (const cursor c : {cursor{0, 0}, cursor{1, 1}, cursor{0xabc, 1000}, cursor{16, 10}}) {
    CHECK(parse_cursor(to_string(c)) == c);
  }
}

TEST_CASE("append assigns contiguous offsets from 1 and owns the bytes", "[log]") {
  message_log log(7);
  CHECK(log.empty());
  CHECK(log.head() == cursor{7, 0});
  CHECK(log.first_offset() == 1);
  std::string payload = "hello";
  const auto a = log.append(payload, "greeting", 5ms);
  REQUIRE(a);
  CHECK(a.offset == 1);
  CHECK(a.evicted == 0);
  payload = "XXXXX";  // the log copied the bytes
  const auto m = log.find(1);
  REQUIRE(m);
  CHECK(m->offset == 1);
  CHECK(m->payload == "hello");
  CHECK(m->type == "greeting");
  CHECK(m->time == 5ms);
  CHECK(log.append("", 6ms).offset == 2);
  CHECK(log.find(2)->payload.empty());
  CHECK(log.find(2)->type.empty());
  CHECK_FALSE(log.find(0));
  CHECK_FALSE(log.find(3));
  CHECK(log.head() == cursor{7, 2});
  CHECK(log.size() == 2);
  CHECK(log.bytes() == 5 + 8);
}

TEST_CASE("payload views survive appends that evict nothing, including ring growth", "[log]") {
  message_log log(1, {.max_messages = 1000});
  log.append("first", 0ms);
  const std::string_view view = log.find(1)->payload;
  for (int i = 0; i < 500; ++i)
    log.append(std::to_string(i), 0ms);  // grows the ring 5 times
  CHECK(view == "first");
  CHECK(log.find(1)->payload.data() == view.data());
  CHECK(log.find(501)->payload == "499");
}

TEST_CASE("retention by count evicts the oldest first", "[log][retention]") {
  message_log log(1, {.max_messages = 3});
  for (int i = 1; i <= 3; ++i)
    CHECK(log.append(std::to_string(i), 0ms).evicted == 0);
  const auto r = log.append("4", 0ms);
  CHECK(r.offset == 4);
  CHECK(r.evicted == 1);
  CHECK(log.first_offset() == 2);
  CHECK(log.size() == 3);
  CHECK_FALSE(log.find(1));
  CHECK(payloads(log, 0, 100) == std::vector<std::string>{"2", "3", "4"});
}

TEST_CASE("retention by bytes counts payload and type", "[log][retention]") {
  message_log log(1, {.max_messages = 100, .max_bytes = 10});
  CHECK(log.append("aaaa", "t", 0ms).evicted == 0);  // 5 bytes
  CHECK(log.append("bbbb", 0ms).evicted == 0);       // 9 bytes
  const auto r = log.append("cc", 0ms);              // 11 > 10: evict the first
  CHECK(r.evicted == 1);
  CHECK(log.bytes() == 6);
  CHECK(log.first_offset() == 2);
  // A message larger than the whole budget is refused, and nothing changes.
  const auto big = log.append("01234567890", 0ms);
  CHECK_FALSE(big);
  CHECK(big.error == error::message_too_large);
  CHECK(big.error == rtwire::condition::limit_exceeded);
  CHECK(big.offset == 0);
  CHECK(log.last_offset() == 3);
  CHECK(log.size() == 2);
  // Exactly the budget is fine and evicts everything else.
  const auto exact = log.append("0123456789", 0ms);
  CHECK(exact.offset == 4);
  CHECK(exact.evicted == 2);
  CHECK(log.size() == 1);
}

TEST_CASE("retention by age judges against the caller's now", "[log][retention]") {
  message_log log(1, {.max_messages = 100, .max_age = 1000ms});
  log.append("a", 0ms);
  log.append("b", 500ms);
  CHECK(log.trim(1000ms) == 0);  // age 1000 is not older than max_age
  CHECK(log.trim(1001ms) == 1);  // "a" is 1001 ms old
  CHECK(log.first_offset() == 2);
  const auto r = log.append("c", 1600ms);  // append applies age retention too: "b" is 1100 old
  CHECK(r.evicted == 1);
  CHECK(payloads(log, 0, 10) == std::vector<std::string>{"c"});
  CHECK(log.trim(100000ms) == 1);
  CHECK(log.empty());
  CHECK(log.first_offset() == 4);
  CHECK(log.last_offset() == 3);
  // Zero max_age means no age limit.
  message_log forever(1);
  forever.append("x", 0ms);
  CHECK(forever.trim(millis{1'000'000'000}) == 0);
}

TEST_CASE("max_messages 0 keeps nothing but offsets still advance", "[log][retention]") {
  message_log log(1, {.max_messages = 0});
  const auto r = log.append("x", 0ms);
  CHECK(r.offset == 1);
  CHECK(r.evicted == 1);
  CHECK(log.empty());
  CHECK(log.head() == cursor{1, 1});
  CHECK(log.resume(cursor{1, 1}));
  CHECK(log.resume(cursor{1, 0}).reset == error::cursor_too_old);
}

TEST_CASE("resume: exact ranges", "[log][resume]") {
  message_log log(0xab, {.max_messages = 5});
  // An empty log: a reader at 0 is up to date.
  auto r = log.resume(cursor{0xab, 0});
  REQUIRE(r);
  CHECK(r.count() == 0);
  CHECK(r.first == 1);
  CHECK(r.last == 0);
  for (int i = 1; i <= 4; ++i)
    log.append(std::to_string(i), 0ms);
  r = log.resume(cursor{0xab, 0});
  REQUIRE(r);
  CHECK(r.first == 1);
  CHECK(r.last == 4);
  CHECK(r.count() == 4);
  CHECK(r.head == cursor{0xab, 4});
  CHECK(payloads(log, r.first, r.last) == std::vector<std::string>{"1", "2", "3", "4"});
  r = log.resume("ab-2");
  REQUIRE(r);
  CHECK(payloads(log, r.first, r.last) == std::vector<std::string>{"3", "4"});
  r = log.resume("ab-4");
  REQUIRE(r);
  CHECK(r.count() == 0);
  CHECK(log.range(r.first, r.last).empty());
}

TEST_CASE("resume: every reset outcome, never a gap", "[log][resume]") {
  message_log log(0xab, {.max_messages = 3});
  for (int i = 1; i <= 5; ++i)
    log.append(std::to_string(i), 0ms);  // retains 3..5
  const cursor head{0xab, 5};

  auto r = log.resume("ab-1");  // message 2 was evicted: a gap
  CHECK_FALSE(r);
  CHECK(r.reset == error::cursor_too_old);
  CHECK(r.reset == rtwire::condition::limit_exceeded);
  CHECK(r.head == head);
  CHECK(r.count() == 0);
  CHECK(log.resume("ab-0").reset == error::cursor_too_old);
  CHECK(log.resume("ab-2"));  // 3..5 are all retained
  CHECK(log.resume("ab-2").count() == 3);

  r = log.resume("ab-6");
  CHECK(r.reset == error::cursor_from_future);
  CHECK(r.reset == rtwire::condition::bad_input);
  CHECK(r.head == head);
  CHECK(log.resume(cursor{0xab, ~std::uint64_t{0}}).reset == error::cursor_from_future);

  r = log.resume("ac-3");
  CHECK(r.reset == error::epoch_mismatch);
  CHECK(r.head == head);

  r = log.resume("AB-3");
  CHECK(r.reset == error::malformed_cursor);
  CHECK(r.reset == rtwire::condition::bad_input);
  CHECK(r.head == head);
  CHECK(log.resume("").reset == error::malformed_cursor);
}

TEST_CASE("reset starts a new epoch at offset 1", "[log][epoch]") {
  message_log log(1);
  log.append("a", 0ms);
  log.append("b", 0ms);
  CHECK(log.reset(1) == error::same_epoch);
  CHECK(log.reset(1) == rtwire::condition::api_misuse);
  CHECK(log.size() == 2);
  CHECK_FALSE(log.reset(2));
  CHECK(log.empty());
  CHECK(log.epoch() == 2);
  CHECK(log.head() == cursor{2, 0});
  CHECK(log.memory_usage() == 16 * (sizeof(void*) + sizeof(millis)));  // only the ring is left
  CHECK(log.resume("1-2").reset == error::epoch_mismatch);
  CHECK(log.append("c", 0ms).offset == 1);
  CHECK(log.resume("2-0").count() == 1);
}

TEST_CASE("memory_usage is exact for what the log owns", "[log][memory]") {
  message_log log(1, {.max_messages = 2});
  CHECK(log.memory_usage() == 0);
  log.append("12345", "ty", 0ms);
  const std::size_t ring = 16 * (sizeof(void*) + sizeof(millis));
  const std::size_t block = sizeof(rtwire::log::detail::block);
  CHECK(log.memory_usage() == ring + block + 7);
  log.append("", 0ms);
  CHECK(log.memory_usage() == ring + 2 * block + 7);
  log.append("abc", 0ms);  // evicts the first
  CHECK(log.memory_usage() == ring + 2 * block + 3);
  CHECK(log.bytes() == 3);
}

TEST_CASE("message_ref keeps a payload alive after eviction and after the log dies", "[log]") {
  rtwire::log::message_ref kept;
  {
    message_log log(1, {.max_messages = 1});
    log.append("precious", "t", 0ms);
    kept = log.ref(1);
    CHECK_FALSE(log.ref(2));
    log.append("next", 0ms);  // evicts offset 1
    CHECK_FALSE(log.find(1));
    CHECK(kept.payload() == "precious");
    CHECK(kept.type() == "t");
    const std::size_t usage = log.memory_usage();
    CHECK(usage == 16 * (sizeof(void*) + sizeof(millis)) + sizeof(rtwire::log::detail::block) +
                       4);  // the kept block is not counted
  }
  REQUIRE(kept);
  CHECK(kept.offset() == 1);
  CHECK(kept.payload() == "precious");
  auto copy = kept;
  kept = {};
  CHECK_FALSE(kept);
  CHECK(kept.payload().empty());
  CHECK(copy.payload() == "precious");
}

TEST_CASE("range clamps to what is retained", "[log]") {
  message_log log(1, {.max_messages = 3});
  for (int i = 1; i <= 5; ++i)
    log.append(std::to_string(i), 0ms);
  CHECK(payloads(log, 1, 4) == std::vector<std::string>{"3", "4"});
  CHECK(payloads(log, 4, 100) == std::vector<std::string>{"4", "5"});
  CHECK(payloads(log, 6, 100).empty());
  CHECK(log.range(5, 3).empty());
  CHECK(log.range(3, 5).size() == 3);
}

TEST_CASE("move keeps the history", "[log]") {
  message_log a(3);
  a.append("x", 0ms);
  message_log b(std::move(a));
  CHECK(b.find(1)->payload == "x");
  CHECK(b.epoch() == 3);
  message_log c(9);
  c = std::move(b);
  CHECK(c.head() == cursor{3, 1});
}

TEST_CASE("log error category", "[log][error]") {
  const std::error_code ec = error::epoch_mismatch;
  CHECK(std::string(ec.category().name()) == "rtwire.log");
  CHECK(ec.message() == "cursor is from another epoch of the log");
  CHECK(std::error_code(error::malformed_cursor) == rtwire::condition::bad_input);
}

// -- Mirroring a log kept elsewhere (restart_at, append_at, held) ------------------------------

TEST_CASE("restart_at positions an empty log at another log's head", "[log][mirror]") {
  message_log log(7);
  REQUIRE_FALSE(log.restart_at({7, 41}));
  CHECK(log.held() == rtwire::log::held_range{7, 42, 41});
  CHECK(log.held().empty());
  CHECK(log.held().size() == 0);
  CHECK(log.head() == cursor{7, 41});
  // A reader at the head misses nothing; an older cursor of the epoch is not held here; a newer
  // one was never written.
  const auto at_head = log.resume(cursor{7, 41});
  REQUIRE(at_head);
  CHECK(at_head.count() == 0);
  CHECK(log.resume(cursor{7, 40}).reset == error::cursor_too_old);
  CHECK(log.resume(cursor{7, 0}).reset == error::cursor_too_old);
  CHECK(log.resume(cursor{7, 42}).reset == error::cursor_from_future);
  CHECK(log.resume(cursor{8, 41}).reset == error::epoch_mismatch);
}

TEST_CASE("append_at keeps the mirrored offsets and refuses gaps and repeats", "[log][mirror]") {
  message_log log(7, {.max_messages = 3});
  REQUIRE_FALSE(log.restart_at({7, 100}));
  const auto a = log.append_at(101, "a", "t", 5ms);
  REQUIRE(a);
  CHECK(a.offset == 101);
  CHECK(log.find(101)->payload == "a");
  CHECK(log.find(101)->type == "t");
  CHECK(log.find(101)->time == 5ms);

  SECTION("a gap changes nothing") {
    const auto r = log.append_at(103, "c", "", 0ms);
    CHECK_FALSE(r);
    CHECK(r.error == error::offset_gap);
    CHECK(r.offset == 0);
    CHECK(log.held() == rtwire::log::held_range{7, 101, 101});
  }
  SECTION("a repeat (or an older offset) changes nothing") {
    CHECK(log.append_at(101, "again", "", 0ms).error == error::offset_repeated);
    CHECK(log.append_at(100, "old", "", 0ms).error == error::offset_repeated);
    CHECK(log.append_at(0, "zero", "", 0ms).error == error::offset_repeated);
    CHECK(log.find(101)->payload == "a");
    CHECK(log.size() == 1);
  }
  SECTION("in order it behaves as append, retention included") {
    for (std::uint64_t o = 102; o <= 105; ++o)
      REQUIRE(log.append_at(o, std::to_string(o), "", 0ms).offset == o);
    CHECK(log.held() == rtwire::log::held_range{7, 103, 105});
    CHECK(log.held().size() == 3);
    CHECK(payloads(log, 0, 200) == std::vector<std::string>{"103", "104", "105"});
    const auto r = log.resume(cursor{7, 103});
    REQUIRE(r);
    CHECK(r.first == 104);
    CHECK(r.last == 105);
    CHECK(log.resume(cursor{7, 101}).reset == error::cursor_too_old);
    // append() numbers after the mirrored offsets.
    CHECK(log.append("next", 0ms).offset == 106);
  }
  SECTION("message_too_large is still checked") {
    message_log small(1, {.max_bytes = 2});
    CHECK(small.append_at(1, "abc", "", 0ms).error == error::message_too_large);
    CHECK(small.last_offset() == 0);
  }
}

TEST_CASE("restart_at skips a gap or follows a new epoch, never renumbers", "[log][mirror]") {
  message_log log(7);
  for (int i = 0; i < 5; ++i)
    log.append("x", 0ms);
  REQUIRE(log.head() == cursor{7, 5});

  SECTION("same epoch, forward: history dropped, old cursors are too old") {
    REQUIRE_FALSE(log.restart_at({7, 9}));
    CHECK(log.held() == rtwire::log::held_range{7, 10, 9});
    CHECK(log.resume(cursor{7, 5}).reset == error::cursor_too_old);
    CHECK(log.append_at(10, "y", "", 0ms).offset == 10);
  }
  SECTION("same epoch, at the head: allowed (drops what is held)") {
    REQUIRE_FALSE(log.restart_at({7, 5}));
    CHECK(log.held() == rtwire::log::held_range{7, 6, 5});
    CHECK(log.resume(cursor{7, 5}));
  }
  SECTION("same epoch, backwards: refused, nothing changes") {
    CHECK(log.restart_at({7, 4}) == error::offset_repeated);
    CHECK(log.held() == rtwire::log::held_range{7, 1, 5});
  }
  SECTION("a new epoch at any offset") {
    REQUIRE_FALSE(log.restart_at({8, 2}));
    CHECK(log.held() == rtwire::log::held_range{8, 3, 2});
    CHECK(log.resume(cursor{7, 5}).reset == error::epoch_mismatch);
    CHECK(log.resume(cursor{8, 2}));
  }
  SECTION("the last offset has no successor") {
    CHECK(log.restart_at({8, ~std::uint64_t{0}}) == error::offset_gap);
    CHECK(log.held() == rtwire::log::held_range{7, 1, 5});
    REQUIRE_FALSE(log.restart_at({8, ~std::uint64_t{0} - 1}));
    CHECK(log.append_at(~std::uint64_t{0}, "last", "", 0ms).offset == ~std::uint64_t{0});
  }
}

TEST_CASE("mirror errors have messages and conditions", "[log][error]") {
  const std::error_code gap = error::offset_gap;
  const std::error_code repeated = error::offset_repeated;
  CHECK(gap.message() == "the offset is past the next offset of the log (messages are missing)");
  CHECK(repeated.message() == "the offset is not after the newest offset of the log");
  CHECK(gap == rtwire::condition::bad_input);
  CHECK(repeated == rtwire::condition::bad_input);
}
