// Tests for rtwire/sse/decoder.hpp: the fast path (whole lines inside a chunk, parsed in one
// loop) and the general step (lines cut by a chunk boundary, a CR ending a chunk, the BOM) must
// give the same events. Generated streams mix every line kind the decoder knows — LF, CR and
// CRLF endings, comments, unknown fields, fields without a colon, ids with U+0000, retry, valid
// and invalid UTF-8, data lines longer than a 64-byte scan block — with the expected log written
// down while generating (WHATWG HTML §9.2.6 applied by hand), and are decoded whole, byte by byte
// and split at every point, with and without limits.
#include <rtwire/sse/decoder.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/splits.hpp"
#include "support/sse_decode_log.hpp"

namespace {

using rtwire::sse::decoder;
using rtwire::sse::decoder_options;
using rtwire::sse::status;

const std::string fffd = "\xEF\xBF\xBD";

struct lcg {
  std::uint64_t s;
  std::uint32_t operator()(std::uint32_t n) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::uint32_t>(s >> 33) % n;
  }
};

/// A field value as raw bytes and as the decoder reports it (UTF-8 decoded).
struct value_t {
  std::string raw, decoded;
};

/// Bytes whose decoding does not depend on their neighbours: ASCII (with ':' and ' ', and
/// U+0000), whole UTF-8 sequences, 0xFF (never valid), and a truncated C3 (always followed by
/// another token or the line end, none of which is a continuation byte).
value_t random_value(lcg& rng, std::size_t tokens, bool allow_nul) {
  value_t v;
  for (std::size_t i = 0; i < tokens; ++i) {
    const std::uint32_t k = rng(40);
    if (k == 0) {
      v.raw += "\xC3\xA9", v.decoded += "\xC3\xA9";  // é
    } else if (k == 1) {
      v.raw += "\xF0\x9F\x98\x80", v.decoded += "\xF0\x9F\x98\x80";  // 😀
    } else if (k == 2) {
      v.raw += "\xFF", v.decoded += fffd;
    } else if (k == 3) {
      v.raw += "\xC3", v.decoded += fffd;
    } else if (k == 4 && allow_nul) {
      v.raw += '\0', v.decoded += '\0';
    } else {
      const char c = k == 5 ? ':' : k == 6 ? ' ' : static_cast<char>('a' + rng(26));
      v.raw += c, v.decoded += c;
    }
  }
  return v;
}

struct generated {
  std::string stream;
  std::vector<std::string> log;
};

/// A stream of `blocks` event blocks and the log sse_decode_log() must produce for it under
/// `opts` (the stream stops at the first line that breaks a limit; the log ends with the error).
generated generate(std::uint64_t seed, std::size_t blocks, const decoder_options& opts, bool bom) {
  lcg rng{seed};
  generated g;
  std::string last_id(opts.last_event_id), id_buf(opts.last_event_id), type, data, retry = "none";
  bool has_data = false, failed = false, after_cr = false;
  if (bom) g.stream += "\xEF\xBB\xBF";
  // Appends one line with a random ending; false (and the error logged) when it is too long.
  auto line = [&](const std::string& text) {
    if (text.size() > opts.limit.max_line_bytes) {
      g.log.push_back("error SSE line longer than the configured maximum @" +
                      std::to_string(g.stream.size() + opts.limit.max_line_bytes));
      g.stream += text + "\n";
      failed = true;
      return false;
    }
    g.stream += text;
    std::uint32_t e = rng(4);
    // After a lone CR, an empty line ended by LF would make a CRLF (one line ending, not two).
    if (after_cr && text.empty() && e >= 2) e = 0;
    g.stream += e == 0 ? "\r" : e == 1 ? "\r\n" : "\n";
    after_cr = e == 0;
    return true;
  };
  // `name:` + optional space + value; the value as the field handler sees it.
  auto field = [&](const char* name, std::size_t tokens, bool allow_nul, value_t& v) {
    v = random_value(rng, tokens, allow_nul);
    const bool space = rng(2) == 0;
    std::string text = std::string(name) + ":" + (space ? " " : "") + v.raw;
    // §9.2.6: one leading space is removed from the value.
    if (!space && !v.raw.empty() && v.raw[0] == ' ') v.raw.erase(0, 1), v.decoded.erase(0, 1);
    return text;
  };
  for (std::size_t b = 0; b < blocks && !failed; ++b) {
    const std::uint32_t lines = 1 + rng(6);
    for (std::uint32_t l = 0; l < lines && !failed; ++l) {
      const std::size_t start = g.stream.size();
      value_t v;
      switch (rng(12)) {
        case 0:
          line(":" + random_value(rng, rng(30), true).raw);  // comment
          break;
        case 1: {
          const std::string text = field("id", rng(12), true, v);
          if (!line(text)) break;
          if (v.raw.find('\0') == std::string::npos) id_buf = v.decoded;  // else ignored
          break;
        }
        case 2: {
          const std::string text = field("event", rng(10), true, v);
          if (line(text)) type = v.decoded;
          break;
        }
        case 3: {
          const std::uint32_t kind = rng(3);
          const std::string digits = std::to_string(rng(100000));
          const std::string text = kind == 0   ? "retry: " + digits
                                   : kind == 1 ? "retry:" + digits + "x"
                                               : "retry";
          if (line(text) && kind == 0) {
            g.log.push_back("retry " + digits);
            retry = digits;
          }
          break;
        }
        case 4: {
          // Not a known field: unknown names, wrong case, a leading space, no colon.
          static const char* const names[] = {"foo", "Data", " data", "dat", "datax", "ids"};
          line(std::string(names[rng(6)]) + ":" + random_value(rng, rng(20), true).raw);
          break;
        }
        case 5: {
          // A known name without a colon: the whole line is the name, the value is empty.
          const std::uint32_t kind = rng(3);
          if (!line(kind == 0 ? "data" : kind == 1 ? "id" : "event")) break;
          if (kind == 0) {
            if (has_data) data += '\n';
            has_data = true;
          } else if (kind == 1) {
            id_buf.clear();
          } else {
            type.clear();
          }
          break;
        }
        default: {
          // Data lines of 0-150 tokens: many cross a 64-byte scan block.
          const std::string text = field("data", rng(150), true, v);
          const std::size_t size = has_data ? data.size() + 1 + v.decoded.size() : v.decoded.size();
          if (text.size() <= opts.limit.max_line_bytes && size > opts.limit.max_data_bytes) {
            g.log.push_back("error SSE event data longer than the configured maximum @" +
                            std::to_string(start));
            g.stream += text + "\n";
            failed = true;
            break;
          }
          if (!line(text)) break;
          if (has_data) data += '\n';
          data += v.decoded;
          has_data = true;
          break;
        }
      }
    }
    if (failed || !line("")) break;
    // §9.2.6 dispatch: commit the last event ID; an event only when there is data.
    last_id = id_buf;
    if (has_data)
      g.log.push_back("event " + (type.empty() ? std::string("message") : type) + " id=" + last_id +
                      " data=" + data);
    data.clear();
    type.clear();
    has_data = false;
  }
  if (!failed) {
    g.stream += "data: unfinished";  // discarded at the end of the stream
    g.log.push_back("end id=" + last_id + " retry=" + retry);
  }
  return g;
}

void check_generated(const generated& g, const decoder_options& opts) {
  for (const auto& s : rtwire::test::all_splits(g.stream)) {
    INFO("split: " << s.label);
    REQUIRE(rtwire::test::sse_decode_log(s.chunks, opts) == g.log);
  }
}

}  // namespace

TEST_CASE("fast path and general step agree on generated streams", "[sse][decoder][paths]") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    decoder_options opts;
    if (seed % 2 == 0) opts.last_event_id = "carried";
    const generated g = generate(seed, 12, opts, seed % 3 == 0);
    INFO("seed " << seed << ", " << g.stream.size() << " bytes");
    REQUIRE(g.log.size() > 3);  // the stream has events, not only an end
    check_generated(g, opts);
  }
}

TEST_CASE("fast path and general step agree on where a limit fails", "[sse][decoder][paths]") {
  decoder_options opts;
  opts.limit.max_line_bytes = 120;
  opts.limit.max_data_bytes = 260;
  std::size_t errors = 0;
  for (std::uint64_t seed = 11; seed <= 18; ++seed) {
    const generated g = generate(seed, 12, opts, seed % 2 == 0);
    INFO("seed " << seed << ", " << g.stream.size() << " bytes");
    if (g.log.back().rfind("error ", 0) == 0) ++errors;
    check_generated(g, opts);
  }
  CHECK(errors >= 4);  // the limits are hit, at places the seeds choose
}

TEST_CASE("many events in one chunk, then the same stream in chunks of every size",
          "[sse][decoder][paths]") {
  decoder_options opts;
  const generated g = generate(99, 60, opts, false);
  REQUIRE(g.stream.size() > 4096);
  for (std::size_t size : {std::size_t{1}, std::size_t{7}, std::size_t{63}, std::size_t{64},
                           std::size_t{65}, std::size_t{200}, std::size_t{4096}, g.stream.size()}) {
    INFO("chunks of " << size);
    std::vector<std::string_view> chunks;
    for (std::size_t at = 0; at < g.stream.size(); at += size)
      chunks.push_back(std::string_view(g.stream).substr(at, size));
    CHECK(rtwire::test::sse_decode_log(chunks, opts) == g.log);
  }
}

TEST_CASE("every chunk in its own exact-size allocation (no read past a chunk)",
          "[sse][decoder][paths]") {
  // The scanner reads whole 64-byte blocks and 8-byte words: under AddressSanitizer, chunks that
  // end at the end of their allocation show any read past a chunk's end.
  decoder_options opts;
  const generated g = generate(7, 8, opts, true);
  for (const auto& s : rtwire::test::all_splits(g.stream)) {
    INFO("split: " << s.label);
    std::vector<std::unique_ptr<char[]>> owned;
    std::vector<std::string_view> chunks;
    for (const auto c : s.chunks) {
      owned.push_back(std::make_unique<char[]>(c.size()));
      std::copy(c.begin(), c.end(), owned.back().get());
      chunks.push_back(std::string_view(owned.back().get(), c.size()));
    }
    REQUIRE(rtwire::test::sse_decode_log(chunks, opts) == g.log);
  }
}

// The decoder keeps views into the chunk (event type, data, ids) while it lives; once the chunk
// is consumed — also by an event or retry that ends exactly at its end, after which feed() is
// allowed — the caller may reuse its memory, so those values must have been copied.
TEST_CASE("a chunk consumed by a retry or an event can be reused at once", "[sse][decoder][api]") {
  std::string buf = "id: 7\nevent: t\ndata: a\nretry: 5\n";
  decoder dec;
  REQUIRE_FALSE(dec.feed(buf));
  auto r = dec.next();
  REQUIRE(r.status == status::retry);
  buf.assign(buf.size(), '#');  // the caller reads the next bytes into the same buffer
  REQUIRE_FALSE(dec.feed("\n"));
  r = dec.next();
  REQUIRE(r.status == status::event);
  CHECK(r.event.type == "t");
  CHECK(r.event.data == "a");
  CHECK(r.event.last_event_id == "7");

  std::string buf2 = "id: 8\ndata: b\n\n";
  REQUIRE(dec.next().status == status::need_more);
  REQUIRE_FALSE(dec.feed(buf2));
  r = dec.next();
  REQUIRE(r.status == status::event);
  CHECK(r.event.last_event_id == "8");
  CHECK(r.event.data.data() == buf2.data() + 12);  // zero copy while the chunk lives
  buf2.assign(buf2.size(), '#');
  REQUIRE_FALSE(dec.feed("data: c\n\n"));
  CHECK(dec.last_event_id() == "8");
  r = dec.next();
  REQUIRE(r.status == status::event);
  CHECK(r.event.last_event_id == "8");
  CHECK(r.event.data == "c");
}
