// Tests for rtwire/sse/replay.hpp: resume on the message log through a real decoder, every reset
// outcome, and a simulated drop/reconnect loop that must neither lose nor duplicate an event.
#include <rtwire/sse/decoder.hpp>
#include <rtwire/sse/replay.hpp>

#include <string>
#include <vector>

#include "catch.hpp"

using namespace std::chrono_literals;
using rtwire::log::message_log;

namespace {

struct seen {
  std::string type, data, id;
  bool operator==(const seen&) const = default;
};

/// Decodes `stream` as a client that starts with `last_id`; returns the events and updates
/// `last_id` to the decoder's last event ID at the end.
std::vector<seen> receive(std::string_view stream, std::string& last_id) {
  rtwire::sse::decoder dec({.limit = {}, .last_event_id = last_id});
  std::vector<seen> out;
  REQUIRE_FALSE(dec.feed(stream));
  for (auto r = dec.next(); r.status != rtwire::sse::status::need_more; r = dec.next()) {
    REQUIRE(r.status == rtwire::sse::status::event);
    out.push_back(
        {std::string(r.event.type), std::string(r.event.data), std::string(r.event.last_event_id)});
  }
  last_id = std::string(dec.last_event_id());
  return out;
}

std::optional<std::string_view> header(const std::string& id) {
  if (id.empty()) return std::nullopt;
  return id;
}

}  // namespace

TEST_CASE("write_message: the id is the cursor, the type is the event", "[sse][replay]") {
  message_log log(0x2a);
  log.append("hello\nworld", "greeting", 0ms);
  log.append("plain", 0ms);
  std::string out;
  REQUIRE_FALSE(rtwire::sse::write_message(out, *log.find(1), log.epoch()));
  REQUIRE_FALSE(rtwire::sse::write_message(out, *log.find(2), log.epoch()));
  CHECK(out == "id: 2a-1\nevent: greeting\ndata: hello\ndata: world\n\nid: 2a-2\ndata: plain\n\n");
  message_log bad(1);
  bad.append("x", "a\nb", 0ms);
  std::string untouched;
  CHECK(rtwire::sse::write_message(untouched, *bad.find(1), 1) ==
        rtwire::sse::error::event_type_has_line_break);
  CHECK(untouched.empty());
}

TEST_CASE("replay: a new client gets the head as its last event ID", "[sse][replay]") {
  message_log log(7);
  log.append("old", 0ms);
  std::string out;
  const auto r = rtwire::sse::replay(out, log, std::nullopt);
  CHECK(out == "id: 7-1\n\n");
  CHECK_FALSE(r.had_cursor);
  CHECK(r.resume);
  CHECK(r.replayed == 0);
  CHECK(r.resume.head == rtwire::log::cursor{7, 1});
  std::string last;
  CHECK(receive(out, last).empty());  // nothing dispatched...
  CHECK(last == "7-1");               // ...but the client now knows where it is
}

TEST_CASE("replay: exactly the missed messages, in order", "[sse][replay]") {
  message_log log(7);
  for (int i = 1; i <= 5; ++i)
    log.append("m" + std::to_string(i), i % 2 ? "odd" : "", 0ms);
  std::string out;
  const auto r = rtwire::sse::replay(out, log, "7-2");
  CHECK(r.had_cursor);
  CHECK(r.resume);
  CHECK(r.replayed == 3);
  CHECK_FALSE(r.write_error);
  std::string last = "7-2";
  CHECK(receive(out, last) ==
        std::vector<seen>{{"odd", "m3", "7-3"}, {"message", "m4", "7-4"}, {"odd", "m5", "7-5"}});
  CHECK(last == "7-5");
  out.clear();
  CHECK(rtwire::sse::replay(out, log, "7-5").replayed == 0);
  CHECK(out.empty());
}

TEST_CASE("replay: every unresumable cursor yields one explicit reset event", "[sse][replay]") {
  message_log log(7, {.max_messages = 2});
  for (int i = 1; i <= 4; ++i)
    log.append("m", 0ms);  // retains 3..4
  struct case_t {
    const char* cursor;
    const char* reason;
    rtwire::log::error code;
  };
  for (const case_t c : {case_t{"7-1", "too_old", rtwire::log::error::cursor_too_old},
                         case_t{"7-9", "from_future", rtwire::log::error::cursor_from_future},
                         case_t{"8-3", "epoch_mismatch", rtwire::log::error::epoch_mismatch},
                         case_t{"07-3", "malformed", rtwire::log::error::malformed_cursor},
                         case_t{"garbage", "malformed", rtwire::log::error::malformed_cursor}}) {
    INFO(c.cursor);
    std::string out;
    const auto r = rtwire::sse::replay(out, log, std::string_view(c.cursor));
    CHECK_FALSE(r.resume);
    CHECK(r.resume.reset == c.code);
    CHECK(r.replayed == 0);
    CHECK(out == std::string("id: 7-4\nevent: rtwire-reset\ndata: ") + c.reason + "\n\n");
    std::string last = c.cursor;
    CHECK(receive(out, last) == std::vector<seen>{{"rtwire-reset", c.reason, "7-4"}});
  }
  std::string out;
  rtwire::sse::replay(out, log, std::string_view("7-1"), {.reset_event_type = "reload"});
  CHECK(out == "id: 7-4\nevent: reload\ndata: too_old\n\n");
  CHECK(rtwire::sse::reset_reason(std::make_error_code(std::errc::io_error)) == "unknown");
}

TEST_CASE("replay: drop and reconnect many times, no event lost or duplicated",
          "[sse][replay][resume]") {
  // A server publishes 1..200; the connection drops after a varying number of events (at an
  // event boundary or in the middle of one), messages keep arriving while the client is away,
  // and the client reconnects with its last event ID.
  message_log log(0xb007, {.max_messages = 1000});
  std::vector<std::string> received;
  std::string last_id;  // the client's last event ID string
  int published = 0;
  for (int round = 0; published < 200; ++round) {
    for (int k = 0; k < round % 4; ++k)
      log.append(std::to_string(++published), 0ms);  // offline
    std::string stream;
    rtwire::sse::replay(stream, log, header(last_id));
    for (int k = 0; k < 5; ++k) {
      const auto a = log.append(std::to_string(++published), 0ms);  // live
      REQUIRE_FALSE(rtwire::sse::write_message(stream, *log.find(a.offset), log.epoch()));
    }
    // Drop the connection after a prefix of the stream: cut in the middle of the round.
    const std::size_t cut = stream.size() * static_cast<std::size_t>(round % 5 + 1) / 5;
    for (const auto& e : receive(std::string_view(stream).substr(0, cut), last_id))
      received.push_back(e.data);
  }
  // Final reconnect: collect everything left.
  std::string stream;
  rtwire::sse::replay(stream, log, header(last_id));
  for (const auto& e : receive(stream, last_id))
    received.push_back(e.data);
  REQUIRE(received.size() == static_cast<std::size_t>(published));
  for (int i = 0; i < published; ++i)
    CHECK(received[static_cast<std::size_t>(i)] == std::to_string(i + 1));
}
