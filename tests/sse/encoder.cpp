// Tests for rtwire/sse/encoder.hpp: exact bytes, every error, and encoder -> decoder round trips
// (including line breaks of every kind inside data).
#include <rtwire/core/http1.hpp>
#include <rtwire/sse/decoder.hpp>
#include <rtwire/sse/encoder.hpp>

#include <optional>
#include <string>
#include <vector>

#include "catch.hpp"

using namespace std::string_literals;
using rtwire::sse::outgoing_event;
using rtwire::sse::write_event;

namespace {

struct decoded_event {
  std::string type, data, id;
  bool operator==(const decoded_event&) const = default;
};

std::vector<decoded_event> decode_all(std::string_view stream) {
  rtwire::sse::decoder dec;
  std::vector<decoded_event> out;
  REQUIRE_FALSE(dec.feed(stream));
  dec.finish();
  for (auto r = dec.next(); r.status != rtwire::sse::status::end; r = dec.next()) {
    REQUIRE(r.status != rtwire::sse::status::error);
    if (r.status == rtwire::sse::status::event)
      out.push_back({std::string(r.event.type), std::string(r.event.data),
                     std::string(r.event.last_event_id)});
  }
  return out;
}

std::string encode(const outgoing_event& ev) {
  std::string out;
  REQUIRE_FALSE(write_event(out, ev));
  return out;
}

}  // namespace

TEST_CASE("write_event: exact bytes", "[sse][encoder]") {
  CHECK(encode({.data = "hello"}) == "data: hello\n\n");
  CHECK(encode({.id = "1f-42", .type = "update", .data = "x", .retry = 2500}) ==
        "retry: 2500\nid: 1f-42\nevent: update\ndata: x\n\n");
  CHECK(encode({.data = ""}) == "data: \n\n");
  CHECK(encode({.data = "a\nb\r\nc\rd"}) == "data: a\ndata: b\ndata: c\ndata: d\n\n");
  CHECK(encode({.data = "\n"}) == "data: \ndata: \n\n");
  CHECK(encode({.data = "\r\n\r"}) == "data: \ndata: \ndata: \n\n");
  CHECK(encode({.data = " lead"}) == "data:  lead\n\n");
  CHECK(encode({.id = ""}) == "id: \n\n");
  CHECK(encode({.retry = 0}) == "retry: 0\n");
  CHECK(encode({.retry = ~std::uint64_t{0}}) == "retry: 18446744073709551615\n");
  CHECK(encode({}).empty());
}

TEST_CASE("write_event appends to any output buffer", "[sse][encoder]") {
  std::vector<std::byte> bytes;
  REQUIRE_FALSE(write_event(bytes, {.data = "a"}));
  REQUIRE_FALSE(write_event(bytes, {.data = "b"}));
  CHECK(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()) ==
        "data: a\n\ndata: b\n\n");
}

TEST_CASE("write_event refuses what it cannot write faithfully, writing nothing",
          "[sse][encoder][errors]") {
  using rtwire::sse::error;
  struct bad_t {
    outgoing_event ev;
    error expected;
  };
  const std::string nul_id = "a\0b"s;  // these outlive the views in `bad`
  const std::string nul_then_lf = "a\0bcdefghijklmnopqrstuvwxyz\n"s;
  const std::string lf_then_nul = "a\nb\0"s;
  const std::string long_nul_id = std::string(40, 'i') + "\0"s + std::string(40, 'j');
  const std::vector<bad_t> bad = {
      {{.id = "a\nb", .data = "x"}, error::id_has_line_break},
      {{.id = "a\rb", .data = "x"}, error::id_has_line_break},
      {{.id = "ab\r\n", .data = "x"}, error::id_has_line_break},
      {{.id = nul_id, .data = "x"}, error::id_has_nul},
      // A line break outranks a NUL wherever each is (one scan finds the NUL first here).
      {{.id = nul_then_lf, .data = "x"}, error::id_has_line_break},
      {{.id = lf_then_nul, .data = "x"}, error::id_has_line_break},
      {{.id = long_nul_id, .data = "x"}, error::id_has_nul},
      {{.type = "t\n", .data = "x"}, error::event_type_has_line_break},
      {{.type = "\rt", .data = "x"}, error::event_type_has_line_break},
  };
  for (const auto& b : bad) {
    std::string out = "keep";
    const auto ec = write_event(out, b.ev);
    CHECK(ec == b.expected);
    CHECK(ec == rtwire::condition::bad_input);
    CHECK(out == "keep");
  }
  // U+0000 is fine in a type and in data.
  CHECK(encode({.type = "a\0b"s, .data = "\0"s}) == "event: a\0b\ndata: \0\n\n"s);
}

TEST_CASE("write_event: data with many lines, each kind of line break", "[sse][encoder]") {
  // The encoder remembers up to 16 line breaks from one scan and writes from them; past that it
  // scans line by line. Both must give one `data:` line per line, for 0..40 breaks.
  for (std::size_t breaks = 0; breaks <= 40; ++breaks) {
    std::string data, expected;
    for (std::size_t i = 0; i <= breaks; ++i) {
      const std::string line = i % 5 == 3 ? "" : "line" + std::to_string(i);
      data += line;
      expected += "data: " + line + "\n";
      // A lone CR before an empty line and an LF would read as one CRLF: use LF there.
      const bool next_empty = (i + 1) % 5 == 3;
      if (i < breaks) data += i % 3 == 0 ? "\n" : i % 3 == 1 ? "\r\n" : next_empty ? "\n" : "\r";
    }
    CHECK(encode({.id = "7", .data = data}) == "id: 7\n" + expected + "\n");
  }
  // A CR ending the data is one break before an empty last line; CR CR is two.
  CHECK(encode({.data = "a\r"}) == "data: a\ndata: \n\n");
  CHECK(encode({.data = "a\r\rb"}) == "data: a\ndata: \ndata: b\n\n");
  CHECK(encode({.data = "\r\n"}) == "data: \ndata: \n\n");
}

TEST_CASE("comments and heartbeats", "[sse][encoder]") {
  std::string out;
  rtwire::sse::write_comment(out, "hello");
  rtwire::sse::write_comment(out, "two\nlines\r\ndata: injected");
  rtwire::sse::write_comment(out, "");
  rtwire::sse::write_heartbeat(out);
  CHECK(out == ": hello\n: two\n: lines\n: data: injected\n: \n:\n");
  CHECK(decode_all(out).empty());  // nothing a receiver acts on
}

TEST_CASE("round trip: any data string survives, line breaks come back as LF",
          "[sse][encoder][roundtrip]") {
  const std::vector<std::string> datas = {"",
                                          "x",
                                          " x ",
                                          "a\nb",
                                          "a\r\nb",
                                          "a\rb",
                                          "\n",
                                          "\r\n\r\n",
                                          "\n\r",
                                          "trail\n",
                                          ":colon",
                                          "data: nested",
                                          "\xC3\xA9\xF0\x9F\x98\x80",
                                          "\0nul"s,
                                          "id: 5\n\nevent: x"};
  std::string stream;
  std::vector<decoded_event> expected;
  int n = 0;
  for (const auto& d : datas) {
    const std::string id = std::to_string(++n);
    REQUIRE_FALSE(write_event(stream, {.id = id, .type = "t" + id, .data = d}));
    std::string normalised;  // CRLF and CR become LF
    for (std::size_t i = 0; i < d.size(); ++i) {
      if (d[i] == '\r') {
        normalised += '\n';
        if (i + 1 < d.size() && d[i + 1] == '\n') ++i;
      } else {
        normalised += d[i];
      }
    }
    expected.push_back({"t" + id, normalised, id});
  }
  CHECK(decode_all(stream) == expected);
}

TEST_CASE("round trip: id-only blocks commit the id, empty type means message",
          "[sse][encoder][roundtrip]") {
  std::string stream;
  REQUIRE_FALSE(write_event(stream, {.id = "7"}));
  REQUIRE_FALSE(write_event(stream, {.type = "", .data = "x"}));
  REQUIRE_FALSE(write_event(stream, {.id = "", .data = "y"}));
  CHECK(decode_all(stream) ==
        std::vector<decoded_event>{{"message", "x", "7"}, {"message", "y", ""}});
}

TEST_CASE("response head", "[sse][encoder][http]") {
  std::string out;
  rtwire::sse::write_response_head(out);
  CHECK(out ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "X-Accel-Buffering: no\r\n\r\n");
  rtwire::http1::response_parser parser;
  const auto r = parser.feed(out);
  REQUIRE(r.status == rtwire::http1::parse_status::done);
  CHECK(parser.head().status == 200);
  CHECK(parser.head().headers.find("content-type") == "text/event-stream");
}

TEST_CASE("response head with extra fields (CORS)", "[sse][encoder][http]") {
  std::string out;
  const rtwire::sse::header_field cors[] = {{"Access-Control-Allow-Origin", "*"}};
  REQUIRE_FALSE(rtwire::sse::write_response_head(out, cors));
  CHECK(out ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "X-Accel-Buffering: no\r\nAccess-Control-Allow-Origin: *\r\n\r\n");
  // A value that would inject a field is refused and nothing is written.
  std::string none;
  const rtwire::sse::header_field injected[] = {{"X-A", "1\r\nSet-Cookie: s=1"}};
  CHECK(rtwire::sse::write_response_head(none, injected) ==
        rtwire::http1::error::invalid_field_value);
  const rtwire::sse::header_field bad_name[] = {{"X A", "1"}};
  CHECK(rtwire::sse::write_response_head(none, bad_name) ==
        rtwire::http1::error::invalid_field_name);
  CHECK(none.empty());
}

TEST_CASE("Last-Event-ID from a parsed request", "[sse][encoder][http]") {
  auto parse = [](std::string_view raw) -> std::optional<std::string> {
    rtwire::http1::request_parser parser;
    const auto r = parser.feed(raw);
    REQUIRE(r.status == rtwire::http1::parse_status::done);
    const auto id = rtwire::sse::last_event_id(parser.head().headers);
    return id ? std::optional<std::string>(*id) : std::nullopt;
  };
  CHECK(parse("GET /e HTTP/1.1\r\nHost: h\r\nlast-event-id: 1f-42\r\n\r\n") == "1f-42");
  CHECK(parse("GET /e HTTP/1.1\r\nHost: h\r\nLast-Event-ID:  a b \r\n\r\n") == "a b");
  CHECK(parse("GET /e HTTP/1.1\r\nHost: h\r\nLast-Event-ID:\r\n\r\n") == std::nullopt);
  CHECK(parse("GET /e HTTP/1.1\r\nHost: h\r\n\r\n") == std::nullopt);
}
