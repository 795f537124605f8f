// HTTP/1.1 head parser: the SSE2 fast path for field lines (core/detail/http1_line_scan.hpp)
// must decide exactly as the byte-wise path. A head fed whole goes through the fast path; fed
// byte by byte, every line arrives incomplete and is validated byte-wise; split in two, the line
// the split cuts goes byte-wise and the others take the fast path. All must give the same
// status, error, offset and fields, for the boundaries of the fast path (names of 15/16/17 and
// 31/32/33 bytes, lines ending near the end of the buffer, limits reached inside it) and for
// many generated heads with one odd byte anywhere.
#include <rtwire/core/http1.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "support/splits.hpp"

namespace http1 = rtwire::http1;
using http1::parse_status;

namespace {

struct outcome {
  parse_status status = parse_status::need_more;
  std::size_t consumed = 0;
  std::error_code code;
  std::size_t offset = 0;
  std::string fields;

  bool operator==(const outcome&) const = default;
};

std::string describe(const http1::request_head& h) {
  std::string s = std::string(h.method) + " [" + std::string(h.target) + "] " +
                  std::to_string(h.version_major) + "." + std::to_string(h.version_minor) + "\n";
  for (const auto& f : h.headers.all())
    s += std::string(f.name) + "=[" + std::string(f.value) + "]\n";
  return s;
}

outcome finish(http1::request_parser& p, std::size_t consumed) {
  if (p.status() == parse_status::need_more) p.finish();
  outcome o;
  o.status = p.status();
  o.consumed = consumed;
  o.code = p.error().code;
  o.offset = p.error().offset;
  if (o.status == parse_status::done) o.fields = describe(p.head());
  return o;
}

/// Feeds `chunks` in order until the parser stops.
outcome parse_chunks(const std::vector<std::string_view>& chunks, const http1::options& opts) {
  http1::request_parser p(opts);
  std::size_t consumed = 0;
  for (const std::string_view chunk : chunks) {
    const auto r = p.feed(chunk);
    consumed += r.consumed;
    if (r.status != parse_status::need_more) break;
  }
  return finish(p, consumed);
}

outcome parse_whole(std::string_view input, const http1::options& opts) {
  return parse_chunks({input}, opts);
}

void expect_equal(const outcome& got, const outcome& reference) {
  CHECK(got.status == reference.status);
  CHECK(got.code == reference.code);
  CHECK(got.offset == reference.offset);
  // On an error, consumed counts the bytes of the last chunk before the offending byte (0 when
  // it arrived earlier): runs split differently only agree on it when the head completed.
  if (got.status == parse_status::done) CHECK(got.consumed == reference.consumed);
  CHECK(got.fields == reference.fields);
}

/// The input fed whole (the fast path takes every line it can) and at every two-way split (the
/// line cut by the split goes byte-wise) must give what it gives byte by byte (every line
/// byte-wise). `every_split` off: whole only, for the many generated heads.
void expect_same(std::string_view input, const http1::options& opts = {}, bool every_split = true) {
  INFO("input: " << std::string(input));
  const auto splits = rtwire::test::all_splits(input);  // [1] is byte by byte
  const outcome bytes = parse_chunks(splits[1].chunks, opts);
  for (const auto& split : splits) {
    if (!every_split && split.label != "whole") continue;
    INFO(split.label);
    expect_equal(parse_chunks(split.chunks, opts), bytes);
  }
}

const std::string start = "GET / HTTP/1.1\r\n";

struct lcg {
  std::uint64_t s;
  std::uint32_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::uint32_t>(s >> 33);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : next() % n; }
};

constexpr std::string_view tchars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
constexpr std::string_view value_chars =
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789()<>@,;:\\\"/[]?={}\t";
// Bytes that are wrong somewhere: delimiters, whitespace, controls, DEL, obs-text.
constexpr unsigned char odd_bytes[] = {' ',  '\t', ':', '\r', '\n', 0x00, 0x01, 0x1f, 0x7f,
                                       0x80, 0xff, '(', ')',  '@',  '{',  '}',  '"',  '/',
                                       '[',  '\\', ']', ',',  ';',  '=',  '?',  'A',  '-'};

std::string name_of(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i)
    s += tchars[(i * 7) % tchars.size()];
  return s;
}

}  // namespace

TEST_CASE("http1 fast path: valid heads parse to the same fields as byte by byte",
          "[http1][parser][fast-path]") {
  // Names around the fast path's 16- and 32-byte loads; lines ending right at the buffer end.
  for (std::size_t n = 1; n <= 40; ++n) {
    const std::string name = name_of(n);
    expect_same(start + name + ": v\r\n\r\n");
    expect_same(start + name + ":v\r\nHost: x\r\n\r\n");
    expect_same(start + "Host: x\r\n" + name + ":\t a b \t\r\n\r\n");
    expect_same(start + name + ": " + std::string(n, 'y') + "\r\n\r\ntrailing body bytes");
  }
  // The whole fast path result, not only agreement: a Chrome-like upgrade request.
  const std::string chrome =
      start +
      "Host: server.example.com:8080\r\n"
      "Sec-WebSocket-Protocol: chat, superchat\r\n"
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
      "User-Agent: \x80\xff obs-text\r\n\r\n";
  const outcome got = parse_whole(chrome, {});
  REQUIRE(got.status == parse_status::done);
  REQUIRE(got.consumed == chrome.size());
  REQUIRE(got.fields ==
          "GET [/] 1.1\n"
          "Host=[server.example.com:8080]\n"
          "Sec-WebSocket-Protocol=[chat, superchat]\n"
          "Sec-WebSocket-Extensions=[permessage-deflate; client_max_window_bits]\n"
          "User-Agent=[\x80\xff obs-text]\n");
  expect_same(chrome);
}

TEST_CASE("http1 fast path: every odd byte at every position of a field line",
          "[http1][parser][fast-path]") {
  // A field line with a 20-byte name (the colon in the second 16-byte block) and a 20-byte
  // value, followed by another field so that 16-byte loads always fit.
  const std::string line = name_of(20) + ": " + std::string(18, 'v');
  for (std::size_t at = 0; at < line.size(); ++at) {
    for (const unsigned char b : odd_bytes) {
      std::string mutated = line;
      mutated[at] = static_cast<char>(b);
      expect_same(start + mutated + "\r\nHost: x\r\n\r\n");
      expect_same(start + "Host: x\r\n" + mutated + "\r\n\r\n");
      http1::options lenient;
      lenient.allow_bare_lf = true;
      lenient.allow_obs_fold = true;
      expect_same(start + "Host: x\r\n" + mutated + "\r\n\r\n", lenient);
    }
  }
}

TEST_CASE("http1 fast path: request-lines, and every odd byte at every position of one",
          "[http1][parser][fast-path]") {
  const std::string rest = "\r\nHost: x\r\n\r\n";
  for (const std::string_view version : {"HTTP/1.1", "HTTP/1.0", "HTTP/1.9", "HTTP/2.0", "HTTP/1.",
                                         "HTTP/1.a", "http/1.1", "HTTP/11"}) {
    for (std::size_t method_len = 1; method_len <= 18; ++method_len) {
      expect_same(name_of(method_len) + " /t " + std::string(version) + rest);
    }
    expect_same("GET " + std::string(version) + rest);  // no target
    expect_same("GET  /t " + std::string(version) + rest);
    expect_same("GET /" + std::string(40, 'p') + " " + std::string(version) + rest);
  }
  const std::string line = "GET /some/target?x=1 HTTP/1.1";
  for (std::size_t at = 0; at < line.size(); ++at) {
    for (const unsigned char b : odd_bytes) {
      std::string mutated = line;
      mutated[at] = static_cast<char>(b);
      expect_same(mutated + rest);
      expect_same(mutated + "\r\n\r\n");  // the line near the buffer's end
    }
  }
  // The parts themselves, once.
  http1::request_parser p;
  REQUIRE(p.feed("OPTIONS /a/b?c=%20 HTTP/1.0\r\nHost: x\r\n\r\n").status == parse_status::done);
  CHECK(p.head().method == "OPTIONS");
  CHECK(p.head().target == "/a/b?c=%20");
  CHECK(p.head().version_major == 1);
  CHECK(p.head().version_minor == 0);
}

TEST_CASE("http1 fast path: limits reached inside it fail as byte by byte",
          "[http1][parser][fast-path][limits]") {
  const std::string head = start + "Aa: 1\r\nBb: 22\r\nCc: 333\r\nDd: 4444\r\n\r\n";
  for (std::size_t max_headers = 0; max_headers <= 5; ++max_headers) {
    http1::options o;
    o.limit.max_headers = max_headers;
    expect_same(head, o);
  }
  for (std::size_t max_line = 4; max_line <= 16; ++max_line) {
    http1::options o;
    o.limit.max_line_bytes = max_line;
    expect_same(head, o);
  }
  for (std::size_t max_head = 16; max_head <= head.size() + 1; ++max_head) {
    http1::options o;
    o.limit.max_head_bytes = max_head;
    expect_same(head, o);
  }
  // The outcome itself, once: the fourth field is one too many.
  http1::options three;
  three.limit.max_headers = 3;
  const outcome got = parse_whole(head, three);
  REQUIRE(got.status == parse_status::error);
  REQUIRE(got.code == http1::error::too_many_headers);
  REQUIRE(got.offset == start.size() + 7 + 8 + 9);
}

TEST_CASE("http1 fast path: generated heads agree with the byte-wise path",
          "[http1][parser][fast-path]") {
  lcg rng{0x5eed};
  for (int round = 0; round < 4000; ++round) {
    std::string head = start;
    const std::size_t lines = 1 + rng.below(6);
    for (std::size_t l = 0; l < lines; ++l) {
      std::string line;
      const std::size_t name_len = 1 + rng.below(36);
      for (std::size_t i = 0; i < name_len; ++i)
        line += tchars[rng.below(tchars.size())];
      line += ':';
      if (rng.below(2) != 0) line += ' ';
      const std::size_t value_len = rng.below(48);
      for (std::size_t i = 0; i < value_len; ++i)
        line += value_chars[rng.below(value_chars.size())];
      if (rng.below(4) == 0) {
        line[rng.below(line.size())] = static_cast<char>(odd_bytes[rng.below(sizeof odd_bytes)]);
      }
      if (rng.below(12) == 0) line = " folded " + line;  // an obs-fold, or whitespace first
      head += line;
      head += rng.below(16) == 0 ? "\n" : "\r\n";
    }
    if (rng.below(8) != 0) head += "\r\n";
    http1::options o;
    o.allow_bare_lf = rng.below(3) == 0;
    o.allow_obs_fold = rng.below(3) == 0;
    if (rng.below(4) == 0) o.limit.max_headers = rng.below(6);
    if (rng.below(4) == 0) o.limit.max_line_bytes = 8 + rng.below(48);
    expect_same(head, o, /*every_split=*/false);
  }
}
