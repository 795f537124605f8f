// Tests for rtwire/sse/decoder.hpp: WHATWG HTML §9.2 conformance vectors (the spec's examples and
// the web-platform-tests eventsource/format-* streams), UTF-8 replacement, limits, API contract.
// Every vector runs whole, byte by byte and split in two at every point (tests/support/splits.hpp).
#include <rtwire/sse/decoder.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/allocation_counter.hpp"
#include "support/splits.hpp"
#include "support/sse_decode_log.hpp"

namespace {

using rtwire::sse::decoder;
using rtwire::sse::decoder_options;
using rtwire::sse::status;

/// The decoder's output as text lines (see support/sse_decode_log.hpp).
std::vector<std::string> decode(const std::vector<std::string_view>& chunks,
                                const decoder_options& opts = {}) {
  return rtwire::test::sse_decode_log(chunks, opts);
}

/// Runs `input` at every split and checks each gives `expected`.
void check_stream(std::string_view input, const std::vector<std::string>& expected,
                  const decoder_options& opts = {}) {
  for (const auto& s : rtwire::test::all_splits(input)) {
    INFO("split: " << s.label);
    CHECK(decode(s.chunks, opts) == expected);
  }
}

using namespace std::string_literals;
using lines = std::vector<std::string>;
const std::string fffd = "\xEF\xBF\xBD";

}  // namespace

// --- WHATWG HTML §9.2.6 examples -------------------------------------------------------------

TEST_CASE("spec example: three data lines make one message", "[sse][decoder][spec]") {
  check_stream("data: YHOO\ndata: +2\ndata: 10\n\n",
               {"event message id= data=YHOO\n+2\n10", "end id= retry=none"});
}

TEST_CASE("spec example: comments, ids, an empty id, an unterminated block",
          "[sse][decoder][spec]") {
  check_stream(
      ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
      "data:  third event\n",
      {"event message id=1 data=first event", "event message id= data=second event",
       "end id= retry=none"});
}

TEST_CASE("spec example: empty data lines", "[sse][decoder][spec]") {
  check_stream("data\n\ndata\ndata\n\ndata:",
               {"event message id= data=", "event message id= data=\n", "end id= retry=none"});
}

TEST_CASE("spec example: one space after the colon is removed", "[sse][decoder][spec]") {
  check_stream(
      "data:test\n\ndata: test\n\n",
      {"event message id= data=test", "event message id= data=test", "end id= retry=none"});
}

// --- web-platform-tests eventsource/format-* -------------------------------------------------

TEST_CASE("wpt format-bom: one leading BOM is stripped, a later one is content",
          "[sse][decoder][wpt]") {
  check_stream(
      "\xEF\xBB\xBF"
      "data:1\n\n\xEF\xBB\xBF"
      "data:2\n\ndata:3\n\n",
      {"event message id= data=1", "event message id= data=3", "end id= retry=none"});
}

TEST_CASE("wpt format-bom-2: a double BOM keeps the second", "[sse][decoder][wpt]") {
  check_stream(
      "\xEF\xBB\xBF\xEF\xBB\xBF"
      "data:1\n\ndata:2\n\ndata:3\n\n",
      {"event message id= data=2", "event message id= data=3", "end id= retry=none"});
}

TEST_CASE("wpt format-comments", "[sse][decoder][wpt]") {
  const std::string x(2048, 'x');
  const std::string input =
      "data:1\r:\0\n:\r\ndata:2\n:"s + x + "\rdata:3\n:data:fail\r:" + x + "\ndata:4\n\n";
  check_stream(input, {"event message id= data=1\n2\n3\n4", "end id= retry=none"});
}

TEST_CASE("wpt format-field-parsing", "[sse][decoder][wpt]") {
  const std::string input =
      "data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n"
      " data:32\ndata:4\n\n"s;
  check_stream(input, {"event message id= data=\0\n 2\n1\n3\n\n4"s, "end id= retry=none"});
}

TEST_CASE("wpt format-newlines: CRLF, LF and CR", "[sse][decoder][wpt]") {
  check_stream("data:test\r\ndata\ndata:test\r\n\r",
               {"event message id= data=test\n\ntest", "end id= retry=none"});
}

TEST_CASE("wpt format-utf-8: always UTF-8", "[sse][decoder][wpt]") {
  check_stream("data:ok\xE2\x80\xA6\n\n",
               {"event message id= data=ok\xE2\x80\xA6", "end id= retry=none"});
}

TEST_CASE("wpt format-null-character", "[sse][decoder][wpt]") {
  check_stream("data:\0\n\n\n\n"s, {"event message id= data=\0"s, "end id= retry=none"});
}

TEST_CASE("wpt format-leading-space: only one U+0020 is removed, never a tab",
          "[sse][decoder][wpt]") {
  check_stream("data:\ttest\rdata: \ndata:test\n\n",
               {"event message id= data=\ttest\n\ntest", "end id= retry=none"});
}

TEST_CASE("wpt format-field-unknown", "[sse][decoder][wpt]") {
  check_stream(
      "data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n",
      {"event message id= data=test\n\ntest", "end id= retry=none"});
}

TEST_CASE("wpt format-field-event and format-field-event-empty", "[sse][decoder][wpt]") {
  check_stream("event:test\ndata:x\n\ndata:x\n\n",
               {"event test id= data=x", "event message id= data=x", "end id= retry=none"});
  check_stream("event: \ndata:data\n\n", {"event message id= data=data", "end id= retry=none"});
}

TEST_CASE("wpt format-field-id-2: an empty id clears the last event ID", "[sse][decoder][wpt]") {
  check_stream("id:1\nid:\ndata:x\n\n", {"event message id= data=x", "end id= retry=none"});
}

TEST_CASE("wpt format-field-id-3: the last event ID persists and resets", "[sse][decoder][wpt]") {
  check_stream("id: 1\ndata: 1\n\ndata: 2\n\nid: 2\ndata:3\n\ndata:4\n\n",
               {"event message id=1 data=1", "event message id=1 data=2",
                "event message id=2 data=3", "event message id=2 data=4", "end id=2 retry=none"});
  check_stream("id: 1\ndata: 1\n\nid: \ndata:2\n\ndata:3\n\n",
               {"event message id=1 data=1", "event message id= data=2", "event message id= data=3",
                "end id= retry=none"});
  check_stream("id: 1\ndata: 1\n\nid\ndata:2\n\ndata:3\n\n",
               {"event message id=1 data=1", "event message id= data=2", "event message id= data=3",
                "end id= retry=none"});
}

TEST_CASE("wpt format-field-id-null: an id containing U+0000 is ignored", "[sse][decoder][wpt]") {
  check_stream("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"s,
               {"event message id=1 data=a", "event message id=1 data=b", "end id=1 retry=none"});
  // Ignored means the buffer keeps the value set earlier in the same block.
  check_stream("id: a\nid: b\0\ndata: x\n\n"s,
               {"event message id=a data=x", "end id=a retry=none"});
}

TEST_CASE("wpt format-field-retry, -retry-bogus, -retry-empty", "[sse][decoder][wpt]") {
  check_stream("retry:03000\ndata:x\n\n",
               {"retry 3000", "event message id= data=x", "end id= retry=3000"});
  check_stream("retry:3000\nretry:1000x\ndata:x\n\n",
               {"retry 3000", "event message id= data=x", "end id= retry=3000"});
  check_stream("retry\ndata:test\n\n", {"event message id= data=test", "end id= retry=none"});
  check_stream("retry: \nretry: -1\nretry: 1 \nretry:  5\nretry:1.5\n\n", {"end id= retry=none"});
}

TEST_CASE("wpt format-data-before-final-empty-line: an unfinished block never commits its id",
          "[sse][decoder][wpt]") {
  check_stream("retry:1000\ndata:test1\n\nid:test\ndata:test2",
               {"retry 1000", "event message id= data=test1", "end id= retry=1000"});
}

// --- Dispatch rules ----------------------------------------------------------------------------

TEST_CASE("the last event ID is committed at every blank line, also without data",
          "[sse][decoder]") {
  check_stream("id: 5\n\ndata: x\n\n", {"event message id=5 data=x", "end id=5 retry=none"});
  check_stream("id: 7\n\n", {"end id=7 retry=none"});
}

TEST_CASE("an empty data buffer dispatches nothing but resets the event type", "[sse][decoder]") {
  check_stream("event: a\n\ndata: x\n\n", {"event message id= data=x", "end id= retry=none"});
}

TEST_CASE("retry applies as soon as its line is read, mid-event", "[sse][decoder]") {
  check_stream("data: a\nretry: 10\ndata: b\n\n",
               {"retry 10", "event message id= data=a\nb", "end id= retry=10"});
  // Beyond 64 bits the value is still all digits: it saturates.
  check_stream("retry: 99999999999999999999999\n",
               {"retry 18446744073709551615", "end id= retry=18446744073709551615"});
}

TEST_CASE("end of stream discards the incomplete event and line", "[sse][decoder]") {
  check_stream("data: a\n", {"end id= retry=none"});
  check_stream("data: a\n\ndata: b", {"event message id= data=a", "end id= retry=none"});
  check_stream("retry: 5", {"end id= retry=none"});
  check_stream("", {"end id= retry=none"});
}

TEST_CASE("field names are case-sensitive and must be exact", "[sse][decoder]") {
  check_stream("DATA: a\nData: b\ndata : c\n data: d\nevent\ndata: e\n\n",
               {"event message id= data=e", "end id= retry=none"});
}

TEST_CASE("a new connection carries the last event ID in", "[sse][decoder]") {
  decoder_options opts;
  opts.last_event_id = "prev-9";
  check_stream(
      "data: x\n\nid: 10\ndata: y\n\n",
      {"event message id=prev-9 data=x", "event message id=10 data=y", "end id=10 retry=none"},
      opts);
  check_stream("", {"end id=prev-9 retry=none"}, opts);
}

TEST_CASE("line endings: lone CR, CRLF split across chunks, CR CR", "[sse][decoder]") {
  check_stream("data: a\r\rdata: b\r\n\r\ndata: c\n\r\n",
               {"event message id= data=a", "event message id= data=b", "event message id= data=c",
                "end id= retry=none"});
  // A CR then LF in separate feeds is one line ending, not two (which would dispatch early).
  CHECK(decode({"data: a\r", "\ndata: b\r", "\n\r", "\n"}) ==
        lines{"event message id= data=a\nb", "end id= retry=none"});
}

// --- UTF-8 decoding (WHATWG Encoding §4.1) -----------------------------------------------------

TEST_CASE("invalid UTF-8: one U+FFFD per maximal invalid subpart", "[sse][decoder][utf8]") {
  struct vector_t {
    std::string in, out;
  };
  const std::vector<vector_t> vectors = {
      {"\xE2\x82", fffd},  // truncated 3-byte sequence
      {"\xF0\x90\x80"
       "A",
       fffd + "A"},                                     // truncated 4-byte sequence, then ASCII
      {"\xE0\x80", fffd + fffd},                        // overlong: E0 needs A0..BF
      {"\xED\xA0\x80", fffd + fffd + fffd},             // surrogate: ED needs 80..9F
      {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // above U+10FFFF
      {"\xC0\xAF", fffd + fffd},                        // C0 never starts a sequence
      {"\xFF", fffd},
      {"\x80\x80", fffd + fffd},  // lone continuation bytes
      {"a\xC3\xA9"
       "b\xC3",
       "a\xC3\xA9"
       "b" +
           fffd},                                // valid then truncated at the line end
      {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},  // a valid 4-byte sequence
      {"\xE2\x82\xE2\x82\xAC", fffd + "\xE2\x82\xAC"},
  };
  for (const auto& v : vectors) {
    INFO("input bytes: " << v.in.size());
    check_stream("data: " + v.in + "\n\n",
                 {"event message id= data=" + v.out, "end id= retry=none"});
  }
}

TEST_CASE("invalid UTF-8 in id and event type is replaced too", "[sse][decoder][utf8]") {
  check_stream("id: a\xC3\nevent: b\xE2\x82\ndata: x\n\n",
               {"event b" + fffd + " id=a" + fffd + " data=x", "end id=a" + fffd + " retry=none"});
}

TEST_CASE("a partial BOM is content and decodes to U+FFFD", "[sse][decoder][utf8]") {
  // EF BB followed by 'd' is a truncated sequence: the field name becomes "\uFFFDdata".
  check_stream(
      "\xEF\xBB"
      "data: x\n\ndata: y\n\n",
      {"event message id= data=y", "end id= retry=none"});
  check_stream(
      "\xEF\n\xEF\xBB\xBF"
      "data: x\n\n",
      {"end id= retry=none"});
  check_stream(
      "\xEF\xBB\n"
      "data: x\n\n",
      {"event message id= data=x", "end id= retry=none"});
  check_stream("\xEF\xBB\xBF", {"end id= retry=none"});
  check_stream(
      "\xEF\xBB\xBF\n"
      "data: x\n\n",
      {"event message id= data=x", "end id= retry=none"});
}

// --- Limits ------------------------------------------------------------------------------------

TEST_CASE("max_line_bytes: a line one byte too long fails at the first byte beyond",
          "[sse][decoder][limits]") {
  decoder_options opts;
  opts.limit.max_line_bytes = 8;
  check_stream("data: 12\n\n", {"event message id= data=12", "end id= retry=none"}, opts);
  check_stream("data: 123\n\n", {"error SSE line longer than the configured maximum @8"}, opts);
  check_stream(
      "data: 1\n\ndata: 1234567890",
      {"event message id= data=1", "error SSE line longer than the configured maximum @17"}, opts);
  // After a stripped BOM the line starts at offset 3.
  check_stream(
      "\xEF\xBB\xBF"
      "data: 123",
      {"error SSE line longer than the configured maximum @11"}, opts);
}

TEST_CASE("max_data_bytes: the joined data is bounded", "[sse][decoder][limits]") {
  decoder_options opts;
  opts.limit.max_data_bytes = 6;
  check_stream("data: 123\ndata: 45\n\n", {"event message id= data=123\n45", "end id= retry=none"},
               opts);
  check_stream("data: 123\ndata: 456\n\n",
               {"error SSE event data longer than the configured maximum @10"}, opts);
  check_stream("data: 1234567\n\n", {"error SSE event data longer than the configured maximum @0"},
               opts);
}

TEST_CASE("errors are sticky", "[sse][decoder][limits]") {
  decoder_options opts;
  opts.limit.max_line_bytes = 4;
  decoder dec(opts);
  CHECK_FALSE(dec.feed("data: x\n\n"));
  CHECK(dec.next().status == status::error);
  CHECK(dec.error().code == rtwire::sse::error::line_too_long);
  CHECK(dec.error().code == rtwire::condition::limit_exceeded);
  CHECK(dec.next().status == status::error);
  CHECK(dec.feed("more") == rtwire::sse::error::line_too_long);
  dec.finish();
  CHECK(dec.next().status == status::error);
}

TEST_CASE("a 100 KB line fed in 1 KB chunks is decoded (linear: no rescans)",
          "[sse][decoder][limits]") {
  std::string input = "data: ";
  input.append(100 * 1024, 'z');
  input += "\n\n";
  decoder dec;
  std::size_t events = 0;
  for (std::size_t at = 0; at < input.size(); at += 1024) {
    REQUIRE_FALSE(dec.feed(std::string_view(input).substr(at, 1024)));
    for (auto r = dec.next(); r.status != status::need_more; r = dec.next()) {
      REQUIRE(r.status == status::event);
      CHECK(r.event.data.size() == 100 * 1024);
      ++events;
    }
  }
  CHECK(events == 1);
  CHECK(dec.position() == input.size());
}

// --- API contract ------------------------------------------------------------------------------

TEST_CASE("feed before the previous chunk is consumed is API misuse, and recoverable",
          "[sse][decoder][api]") {
  decoder dec;
  CHECK_FALSE(dec.feed("data: a\n\ndata: b\n\n"));
  CHECK(dec.next().status == status::event);
  const auto ec = dec.feed("data: c\n\n");
  CHECK(ec == rtwire::sse::error::feed_before_drained);
  CHECK(ec == rtwire::condition::api_misuse);
  // The caller's mistake does not kill the decoder: the rest of the first chunk is still there,
  // and the refused chunk can be fed again once it is drained.
  CHECK_FALSE(dec.error());
  auto r = dec.next();
  REQUIRE(r.status == status::event);
  CHECK(r.event.data == "b");
  CHECK(dec.next().status == status::need_more);
  CHECK_FALSE(dec.feed("data: c\n\n"));
  r = dec.next();
  REQUIRE(r.status == status::event);
  CHECK(r.event.data == "c");
}

TEST_CASE("feed after finish is API misuse", "[sse][decoder][api]") {
  decoder dec;
  dec.finish();
  CHECK(dec.next().status == status::end);
  CHECK(dec.next().status == status::end);
  CHECK(dec.feed("x") == rtwire::sse::error::feed_after_finish);
  CHECK_FALSE(dec.error());  // misuse is not a stream failure
  CHECK(dec.next().status == status::end);
}

TEST_CASE("feed is allowed when an event ended exactly at the chunk's end", "[sse][decoder][api]") {
  decoder dec;
  CHECK_FALSE(dec.feed("data: a\n\n"));
  const auto r = dec.next();
  REQUIRE(r.status == status::event);
  CHECK(r.event.data == "a");
  CHECK_FALSE(dec.feed("data: b\n\n"));
  CHECK(dec.next().event.data == "b");
  CHECK(dec.next().status == status::need_more);
}

TEST_CASE("zero copy: a one-line event in one chunk is a view into the chunk",
          "[sse][decoder][perf]") {
  const std::string chunk = "id: 1\nevent: t\ndata: hello\n\ndata: a\ndata: b\n\n";
  decoder dec;
  REQUIRE_FALSE(dec.feed(chunk));
  auto r = dec.next();
  REQUIRE(r.status == status::event);
  CHECK(r.event.data == "hello");
  CHECK(r.event.data.data() == chunk.data() + chunk.find("hello"));
  r = dec.next();
  REQUIRE(r.status == status::event);
  CHECK(r.event.data == "a\nb");  // joined: necessarily a copy
}

TEST_CASE("steady-state decoding does not allocate", "[sse][decoder][perf]") {
  if constexpr (!rtwire::test::allocation_counting) {
    WARN("allocation counting is disabled under AddressSanitizer");
    return;
  }
  std::string block;
  for (int i = 0; i < 64; ++i) {
    block += "id: " + std::to_string(1000 + i) +
             "\nevent: update\ndata: {\"n\":" + std::to_string(i) +
             "}\ndata: second line \xC3\xA9\n: comment\n\n";
  }
  decoder dec;
  auto run = [&] {
    std::size_t events = 0;
    // Odd chunk sizes so lines, CRLFs and code points are cut everywhere.
    for (std::size_t at = 0; at < block.size(); at += 97) {
      REQUIRE_FALSE(dec.feed(std::string_view(block).substr(at, 97)));
      for (auto r = dec.next(); r.status != status::need_more; r = dec.next()) {
        REQUIRE(r.status == status::event);
        ++events;
      }
    }
    return events;
  };
  const std::size_t initial = rtwire::test::allocations.load();
  CHECK(run() == 64);  // warm-up: buffers reach their working size
  const std::size_t before = rtwire::test::allocations.load();
  CHECK(before > initial);  // the counter works: the warm-up had to allocate
  CHECK(run() == 64);
  CHECK(run() == 64);
  CHECK(rtwire::test::allocations.load() == before);
}

TEST_CASE("sse error category", "[sse][error]") {
  const std::error_code ec = rtwire::sse::error::data_too_large;
  CHECK(std::string(ec.category().name()) == "rtwire.sse");
  CHECK(ec == rtwire::condition::limit_exceeded);
  CHECK(std::error_code(rtwire::sse::error::id_has_nul) == rtwire::condition::bad_input);
}
