// rtwire::sse::prepared_event and output_queue: an event encoded once, queued by reference on
// many streams, written out with gathering writes at any split of what the socket accepts.
#include <rtwire/sse/decoder.hpp>
#include <rtwire/sse/encoder.hpp>
#include <rtwire/sse/prepared.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"

using namespace std::string_literals;
using rtwire::sse::output_queue;
using rtwire::sse::prepare;
using rtwire::sse::prepared_event;

namespace {

std::string encode(const rtwire::sse::outgoing_event& ev) {
  std::string out;
  REQUIRE_FALSE(rtwire::sse::write_event(out, ev));
  return out;
}

// Drains `q` as a socket taking at most `step` bytes per write would: gather, concatenate,
// consume. Returns the bytes sent, in order.
std::string drain(output_queue& q, std::size_t step) {
  std::string sent;
  while (!q.empty()) {
    std::array<std::string_view, 3> iov{};  // fewer slots than pieces: gather is called again
    const std::size_t n = q.gather(iov);
    REQUIRE(n > 0);
    std::string chunk;
    for (std::size_t i = 0; i < n; ++i)
      chunk += iov[i];
    chunk.resize(std::min(chunk.size(), step));
    const std::size_t before = q.pending();
    q.consume(chunk.size());
    CHECK(q.pending() == before - chunk.size());
    sent += chunk;
  }
  CHECK(q.size() == 0);
  return sent;
}

}  // namespace

TEST_CASE("prepare: write_event's exact bytes, once", "[sse][prepared]") {
  const rtwire::sse::outgoing_event ev{.id = "1f-42", .type = "update", .data = "a\nb"};
  prepared_event p;
  CHECK(p.empty());
  CHECK(p.use_count() == 0);
  REQUIRE_FALSE(prepare(p, ev));
  CHECK(p.bytes() == encode(ev));
  CHECK(p.bytes() == "id: 1f-42\nevent: update\ndata: a\ndata: b\n\n");
  CHECK(p.use_count() == 1);
  const prepared_event copy = p;  // a reference, not the bytes
  CHECK(copy.bytes().data() == p.bytes().data());
  CHECK(p.use_count() == 2);
}

TEST_CASE("prepare refuses what write_event refuses, leaving the event empty",
          "[sse][prepared][errors]") {
  prepared_event p;
  REQUIRE_FALSE(prepare(p, {.data = "x"}));
  CHECK(prepare(p, {.id = "a\nb", .data = "x"}) == rtwire::sse::error::id_has_line_break);
  CHECK(p.empty());
  CHECK(prepare(p, {.id = "a\0b"s, .data = "x"}) == rtwire::sse::error::id_has_nul);
  CHECK(prepare(p, {.type = "t\r", .data = "x"}) == rtwire::sse::error::event_type_has_line_break);
  CHECK(p.empty());
  output_queue q;
  q.push(p);  // an empty event queues nothing
  CHECK(q.empty());
  CHECK(q.write_event({.id = "\n"}) == rtwire::sse::error::id_has_line_break);
  CHECK(q.empty());
}

TEST_CASE("one prepared event on many queues: shared, released as each queue sends it",
          "[sse][prepared]") {
  prepared_event p;
  REQUIRE_FALSE(prepare(p, {.id = "7", .data = std::string(1000, 'x')}));
  std::vector<output_queue> queues(100);
  for (auto& q : queues)
    q.push(p);
  CHECK(p.use_count() == 101);
  for (auto& q : queues) {
    std::array<std::string_view, 4> iov{};
    REQUIRE(q.gather(iov) == 1);
    CHECK(iov[0].data() == p.bytes().data());  // the queue holds the same bytes, not a copy
    CHECK(q.pending() == p.bytes().size());
  }
  // Half sent by every queue: still referenced; all sent: released.
  for (auto& q : queues)
    q.consume(p.bytes().size() / 2);
  CHECK(p.use_count() == 101);
  for (auto& q : queues)
    q.consume(p.bytes().size());
  CHECK(p.use_count() == 1);
  // The queues' bytes outlive the caller's prepared_event.
  output_queue last;
  {
    prepared_event temporary;
    REQUIRE_FALSE(prepare(temporary, {.data = "bye"}));
    last.push(temporary);
  }
  CHECK(drain(last, 100) == "data: bye\n\n");
}

TEST_CASE("shared and own pieces go out in order, at every write size", "[sse][prepared]") {
  prepared_event a, b;
  REQUIRE_FALSE(prepare(a, {.id = "1", .data = "first"}));
  REQUIRE_FALSE(prepare(b, {.id = "2", .type = "t", .data = "second\r\nline"}));
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
  const std::string expected = head + std::string(a.bytes()) + ":\n" + std::string(a.bytes()) +
                               encode({.data = "own"}) + std::string(b.bytes()) + "\n";
  for (std::size_t step = 1; step <= expected.size() + 1; ++step) {
    output_queue q;
    q.append(head);
    q.push(a);
    q.append(":\n");
    q.push(a);
    REQUIRE_FALSE(q.write_event({.data = "own"}));
    q.push(b);
    q.append("\n");
    CHECK(q.size() == 7);  // head | a | ":\n" | a | own | b | "\n"
    CHECK(q.pending() == expected.size());
    INFO("write size " << step);
    CHECK(drain(q, step) == expected);
    CHECK(a.use_count() == 1);
    CHECK(b.use_count() == 1);
  }
}

TEST_CASE("own bytes written one after another make one piece", "[sse][prepared]") {
  output_queue q;
  q.append("HTTP/1.1 200 OK\r\n\r\n");
  REQUIRE_FALSE(q.write_event({.data = "replayed"}));
  q.append(":\n");
  CHECK(q.size() == 1);
  std::array<std::string_view, 2> iov{};
  REQUIRE(q.gather(iov) == 1);
  CHECK(iov[0] == "HTTP/1.1 200 OK\r\n\r\ndata: replayed\n\n:\n");
  q.consume(4);  // partly sent: more own bytes still join the same piece
  q.append("x");
  CHECK(q.size() == 1);
  CHECK(drain(q, 7) == "/1.1 200 OK\r\n\r\ndata: replayed\n\n:\nx");
}

TEST_CASE("queued bytes decode to the events at the receiver", "[sse][prepared]") {
  prepared_event p;
  REQUIRE_FALSE(prepare(p, {.id = "9", .type = "chat", .data = "hi\nthere"}));
  output_queue q;
  q.push(p);
  q.push(p);
  const std::string wire = drain(q, 5);
  rtwire::sse::decoder dec;
  REQUIRE_FALSE(dec.feed(wire));
  for (int i = 0; i < 2; ++i) {
    const auto r = dec.next();
    REQUIRE(r.status == rtwire::sse::status::event);
    CHECK(r.event.type == "chat");
    CHECK(r.event.data == "hi\nthere");
    CHECK(r.event.last_event_id == "9");
  }
  CHECK(dec.next().status == rtwire::sse::status::need_more);
}

TEST_CASE("consume past the end drops everything; the queue is reused", "[sse][prepared]") {
  prepared_event p;
  REQUIRE_FALSE(prepare(p, {.data = "x"}));
  output_queue q;
  for (int round = 0; round < 200; ++round) {  // crosses the table's reclaim threshold
    q.push(p);
    q.append("y");
    if (round % 3 == 0) q.consume(1);
  }
  CHECK(q.pending() > 0);
  q.consume(q.pending() + 10);
  CHECK(q.empty());
  CHECK(q.size() == 0);
  CHECK(p.use_count() == 1);
  q.push(p);
  CHECK(drain(q, 2) == "data: x\n\n");
}
