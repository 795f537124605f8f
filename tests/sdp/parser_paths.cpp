// The session parser's fast paths (rtwire/sdp/detail/session_parser.hpp, line_scanner.hpp,
// storage.hpp): the well-known attribute names matched 8 bytes at a time and their near misses,
// the token scan of other names at the end of the text, the m= format scan with and without a
// line end after it, lines longer than the bitmap words, the storage growing from empty, the
// limits as countdowns, and every CPU path of the line-end bitmap giving the same model.
#include <rtwire/detail/cpu.hpp>
#include <rtwire/sdp/session.hpp>
#include <rtwire/sdp/writer.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "sdp/fixtures.hpp"

using rtwire::sdp::error;
using rtwire::sdp::mode;
using rtwire::sdp::parse;
using rtwire::sdp::parse_options;
using rtwire::sdp::session;

namespace {

const std::string head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
// With the session-level c= that media descriptions need (RFC 8866 §5.7), before t=.
const std::string head_c = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n";
const parse_options lenient{mode::lenient, {}};

struct attribute_case {
  std::string_view line;  // the a= line's value, without "a="
  std::string_view name;
  bool has_value;
  std::string_view value;
};

}  // namespace

TEST_CASE("well-known attribute names and their near misses", "[sdp][session]") {
  const attribute_case cases[] = {
      {"rtcp-fb:96 nack pli", "rtcp-fb", true, "96 nack pli"},
      {"rtpmap:111 opus/48000/2", "rtpmap", true, "111 opus/48000/2"},
      {"fmtp:111 minptime=10", "fmtp", true, "111 minptime=10"},
      {"extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level", "extmap", true,
       "1 urn:ietf:params:rtp-hdrext:ssrc-audio-level"},
      {"ssrc:1 cname:x", "ssrc", true, "1 cname:x"},
      // Near misses take the byte-by-byte scan.
      {"rtcp-fbx:1", "rtcp-fbx", true, "1"},
      {"rtpmapx:1", "rtpmapx", true, "1"},
      {"rtcp-fb", "rtcp-fb", false, ""},
      {"rtcp-mux", "rtcp-mux", false, ""},
      {"rtcp:9 IN IP4 0.0.0.0", "rtcp", true, "9 IN IP4 0.0.0.0"},
      {"fmtpx:1", "fmtpx", true, "1"},
      {"fmtp", "fmtp", false, ""},
      {"extmap-allow-mixed", "extmap-allow-mixed", false, ""},
      {"ssrc-group:FID 1 2", "ssrc-group", true, "FID 1 2"},
      {"sendrecv", "sendrecv", false, ""},
      {"ssrc:", "", false, ""},  // an empty value: an error in strict mode
  };
  for (const auto& c : cases) {
    INFO(c.line);
    const std::string text = head + "a=" + std::string(c.line) + "\r\n";
    session s;
    const auto err = parse(text, s);
    if (c.name.empty()) {
      CHECK(err.code == error::bad_attribute);
      CHECK(err.line == 5);
      CHECK(err.column == 3 + c.line.size() - 1);  // at the ':'
      REQUIRE_FALSE(parse(text, s, lenient));
      CHECK(s.attributes[0].value == std::optional<std::string_view>(""));
      continue;
    }
    REQUIRE_FALSE(err);
    REQUIRE(s.attributes.size() == 1);
    CHECK(s.attributes[0].name == c.name);
    CHECK(s.attributes[0].value.has_value() == c.has_value);
    if (c.has_value) CHECK(*s.attributes[0].value == c.value);
    // The same line last, without its line end (lenient), and with fewer than 8 bytes after
    // "a=" before the end of the text.
    const std::string no_end = head + "a=" + std::string(c.line);
    REQUIRE_FALSE(parse(no_end, s, lenient));
    CHECK(s.attributes[0].name == c.name);
    CHECK(s.attributes[0].value.has_value() == c.has_value);
    CHECK(rtwire::sdp::to_string(s) == no_end);
  }
}

TEST_CASE("attribute names: bad bytes, blanks, the end of the text", "[sdp][session]") {
  session s;
  // A byte that is not a token-char, in a well-known name and in another: bad_attribute at the
  // name's start.
  for (const std::string_view line : {"rtp map:1", "rtpm@p:1", "rtcp-f(:1", "ssr\"c:1", "x/y:1",
                                      "x;y", "x[y]", "\x80x", "fmtp\t:1"}) {
    INFO(line);
    const auto err = parse(head + "a=" + std::string(line) + "\r\n", s);
    CHECK(err.code == error::bad_attribute);
    CHECK(err.column == 3);
  }
  // Lenient mode trims the blanks after a property attribute, at the end of the text too.
  for (const std::string tail :
       {"a=rtcp-mux \t\r\n", "a=rtcp-mux \t", "a=x ", "a=abcdefghijkl \n"}) {
    INFO(tail);
    const std::string text = head + tail;  // alive while the model's views are read
    REQUIRE_FALSE(parse(text, s, lenient));
    CHECK_FALSE(s.attributes[0].value.has_value());
    CHECK(s.attributes[0].name == (tail[2] == 'r'   ? "rtcp-mux"
                                   : tail[2] == 'x' ? "x"
                                                    : "abcdefghijkl"));
  }
  // A final line of a single letter name, with no line end.
  const std::string last = head + "a=x";
  REQUIRE_FALSE(parse(last, s, lenient));
  CHECK(s.attributes[0].name == "x");
  CHECK(parse(head + "a=x", s).code == error::missing_final_line_ending);
  CHECK(parse(head + "a=@", s, lenient).code == error::bad_attribute);
}

TEST_CASE("m= formats: the scan stops at the line end, or at the end of the text",
          "[sdp][session]") {
  session s;
  const std::string m = head_c + "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102";
  const std::string m_crlf = m + "\r\n";  // alive while the model's views are read
  REQUIRE_FALSE(parse(m_crlf, s));
  REQUIRE(s.media[0].formats.size() == 3);
  CHECK(s.media[0].formats[2] == "102");
  REQUIRE_FALSE(parse(m, s, lenient));  // no line end: the scan is bounded
  REQUIRE(s.media[0].formats.size() == 3);
  CHECK(s.media[0].formats[2] == "102");
  REQUIRE_FALSE(parse(m + " \t\n", s, lenient));  // trailing blanks trimmed
  CHECK(s.media[0].formats.size() == 3);
  struct bad {
    std::string tail;
    std::size_t column;
  };
  const std::size_t at = std::string_view("m=video 9 UDP/TLS/RTP/SAVPF ").size() + 1;
  for (const bad& b : {bad{" 96  97", at + 3}, bad{" 96 97 ", at + 6}, bad{" 9@6 97", at},
                       bad{" 96 9(7", at + 3}, bad{" 96 97/", at + 3}, bad{" 96\t97", at}}) {
    INFO(b.tail);
    const std::string text = head_c + "m=video 9 UDP/TLS/RTP/SAVPF" + b.tail;
    const auto err = parse(text + "\r\n", s);
    CHECK(err.code == error::bad_media);
    CHECK(err.line == 6);
    CHECK(err.column == b.column);
    if (b.tail.back() != ' ') {  // the same error without a line end, in lenient mode
      const auto lenient_err = parse(text, s, lenient);
      CHECK(lenient_err.code == error::bad_media);
      CHECK(lenient_err.column == b.column);
    }
  }
}

TEST_CASE("lines longer than one and two 64-bit words of the line-end bitmap", "[sdp][session]") {
  session s;
  for (const std::size_t len : {62u, 63u, 64u, 65u, 127u, 128u, 129u, 200u, 1000u}) {
    INFO(len);
    const std::string value(len, 'v');
    const std::string text = head + "a=x:" + value + "\r\na=y\r\na=z:" + value + "\r\n";
    REQUIRE_FALSE(parse(text, s));
    REQUIRE(s.attributes.size() == 3);
    CHECK(s.attributes[0].value->size() == len);
    CHECK(s.attributes[1].name == "y");
    CHECK(s.attributes[2].value->size() == len);
    CHECK(rtwire::sdp::to_string(s) == text);
    // A NUL or bare CR at the end of the long value.
    for (const char bad : {'\0', '\r'}) {
      std::string broken = text;
      broken[head.size() + 4 + len - 1] = bad;
      const auto err = parse(broken, s);
      CHECK(err.code == error::forbidden_character);
      CHECK(err.line == 5);
      CHECK(err.column == 4 + len);
    }
  }
}

TEST_CASE("storage grows from empty: many lines, attributes and formats", "[sdp][session]") {
  std::string text = head_c + "m=audio 9 RTP/AVP";
  for (int i = 0; i < 300; ++i)
    text += " " + std::to_string(i);
  text += "\r\n";
  for (int i = 0; i < 500; ++i)
    text += "a=rtpmap:" + std::to_string(i) + " x/8000\r\n";
  for (int round = 0; round < 2; ++round) {  // a fresh session, then the same one reused
    session s;
    for (int reuse = 0; reuse < 2; ++reuse) {
      REQUIRE_FALSE(parse(text, s));
      REQUIRE(s.media.size() == 1);
      CHECK(s.media[0].formats.size() == 300);
      CHECK(s.media[0].formats[299] == "299");
      REQUIRE(s.media[0].attributes.size() == 500);
      CHECK(*s.media[0].attributes[499].value == "499 x/8000");
      CHECK(s.lines.size() == 506);
      CHECK(rtwire::sdp::to_string(s) == text);
    }
  }
}

TEST_CASE("storage grows from empty: many media descriptions", "[sdp][session]") {
  std::string text = head_c;
  for (int i = 0; i < 100; ++i)
    text += "m=audio " + std::to_string(i) + " RTP/AVP 0\r\ni=media " + std::to_string(i) +
            "\r\nk=prompt\r\na=mid:" + std::to_string(i) + "\r\n";
  session s;
  for (int reuse = 0; reuse < 2; ++reuse) {
    REQUIRE_FALSE(parse(text, s));
    REQUIRE(s.media.size() == 100);
    for (std::size_t i = 0; i < 100; ++i) {
      INFO(i);
      CHECK(s.media[i].port == i);
      CHECK_FALSE(s.media[i].port_count.has_value());
      CHECK(s.media[i].protocol == "RTP/AVP");
      CHECK(s.media[i].information ==
            std::optional<std::string_view>("media " + std::to_string(i)));
      CHECK(s.media[i].key == std::optional<std::string_view>("prompt"));
      REQUIRE(s.media[i].attributes.size() == 1);
      CHECK(*s.media[i].attributes[0].value == std::to_string(i));
      CHECK(s.media[i].lines.size() == 4);
    }
    CHECK(rtwire::sdp::to_string(s) == text);
  }
}

TEST_CASE("limits of zero lines and zero attributes", "[sdp][session]") {
  session s;
  parse_options o;
  o.limits.max_lines = 0;
  auto err = parse(head, s, o);
  CHECK(err.code == error::too_many_lines);
  CHECK(err.line == 1);
  CHECK(err.offset == 0);
  o = {};
  o.limits.max_attributes = 0;
  CHECK_FALSE(parse(head, s, o));
  err = parse(head + "a=rtpmap:1 x/1\r\n", s, o);
  CHECK(err.code == error::too_many_attributes);
  CHECK(err.line == 5);
  CHECK(err.column == 1);
}

TEST_CASE("limits at and around the storage's growth points", "[sdp][session]") {
  // 4 lines of head, then 200 a= lines: the limits fall before, on and after the points where
  // the arrays grow (64, 128 elements), in a fresh session and in one already grown.
  std::string text = head;
  for (int i = 0; i < 200; ++i)
    text += "a=x:" + std::to_string(i) + "\r\n";
  session grown;
  REQUIRE_FALSE(parse(text, grown));
  for (const std::size_t limit : {63u, 64u, 65u, 127u, 128u, 129u, 203u, 204u, 205u}) {
    INFO(limit);
    for (session* s : {&grown, static_cast<session*>(nullptr)}) {
      session fresh;
      session& target = s != nullptr ? *s : fresh;
      parse_options o;
      o.limits.max_lines = limit;
      auto err = parse(text, target, o);
      if (limit >= 204) {
        CHECK_FALSE(err);
        CHECK(target.lines.size() == 204);
      } else {
        CHECK(err.code == error::too_many_lines);
        CHECK(err.line == limit + 1);
        CHECK(err.column == 1);
      }
      o = {};
      o.limits.max_attributes = limit;
      err = parse(text, target, o);
      if (limit >= 200) {
        CHECK_FALSE(err);
        CHECK(target.attributes.size() == 200);
      } else {
        CHECK(err.code == error::too_many_attributes);
        CHECK(err.line == limit + 5);
      }
    }
  }
}

TEST_CASE("every CPU path of the line-end bitmap gives the same model", "[sdp][session]") {
  namespace cpu = rtwire::detail;
  struct guard {
    ~guard() { cpu::cpu_features_override(cpu::all_features); }
  } restore;
  const std::string offer = rtwire_test::read_sdp_fixture("chrome_offer.sdp");
  REQUIRE(offer.size() > 5000);
  std::vector<std::string> forms;
  for (const std::uint32_t mask :
       {std::uint32_t{0}, cpu::cpu_sse2 | cpu::cpu_avx2, cpu::all_features}) {
    cpu::cpu_features_override(mask);
    session s;
    REQUIRE_FALSE(parse(offer, s));
    forms.push_back(rtwire::sdp::to_string(rtwire::sdp::to_owned(s)));
    CHECK(rtwire::sdp::to_string(s) == offer);
    // And an error past the first blocks is found at the same place.
    std::string broken = offer;
    broken[5000] = '\0';
    const auto err = parse(broken, s);
    CHECK(err.code == error::forbidden_character);
    CHECK(err.offset == 5000);
  }
  CHECK(forms[0] == forms[1]);
  CHECK(forms[0] == forms[2]);
}

TEST_CASE("all-CRLF texts and the others take different line-end scanners, same answers",
          "[sdp][session]") {
  // An all-CRLF text is split on its LFs alone; anything else (a bare LF, a stray CR, a NUL,
  // no final line end) anywhere in the text sends the whole text to the scanner that checks
  // every special byte. The first error in the text is the one reported, wherever the byte
  // that changed the scanner is.
  session s;
  const std::string body = head + "a=x:1\r\na=y\r\n";
  REQUIRE_FALSE(parse(body, s));
  REQUIRE(s.lines.size() == 6);
  // A syntax error on line 5, and a bare LF, a NUL or a lone CR on a later line.
  for (const char* tail : {"a=z\n", "a=z\0\r\n", "a=z\r", "a=z\rq\r\n"}) {
    INFO(tail);
    const std::string bad =
        head + "a=x:1\r\n=y\r\n" + std::string(tail, tail[3] == '\0' ? 6 : std::strlen(tail));
    const auto err = parse(bad, s);
    CHECK(err.code == error::bad_line_syntax);
    CHECK(err.line == 6);
    CHECK(err.column == 1);
  }
  // Lenient mode with bare LFs gives the same lines as the CRLF text.
  std::string lf = body;
  for (std::size_t i; (i = lf.find("\r\n")) != std::string::npos;)
    lf.erase(i, 1);
  REQUIRE_FALSE(parse(lf, s, lenient));
  REQUIRE(s.lines.size() == 6);
  CHECK(s.attributes.size() == 2);
  CHECK(s.attributes[0].value == "1");
  CHECK(s.attributes[1].name == "y");
  // The CRLF text with its final line end missing: the last line is where the error is.
  const auto err = parse(body.substr(0, body.size() - 2), s);
  CHECK(err.code == error::missing_final_line_ending);
  CHECK(err.line == 6);
}

TEST_CASE("attribute names with 16 readable bytes after them: every byte class, every length",
          "[sdp][session]") {
  // Names of letters, digits and '-' shorter than 16 bytes are cut with one 16-byte
  // classification; the others (other token-chars, 16 bytes or more) with the byte loop. A line
  // after the tested one keeps 16 bytes readable past every name.
  const std::string after = "a=z:0123456789abcdefghij\r\n";
  struct name_case {
    std::string_view line;
    std::string_view name;  // empty: bad_attribute
    std::size_t column;     // of the error
  };
  const name_case cases[] = {
      {"a:1", "a", 0},
      {"Z9-:1", "Z9-", 0},
      {"abcdefghijklmno:1", "abcdefghijklmno", 0},      // 15 bytes
      {"abcdefghijklmnop:1", "abcdefghijklmnop", 0},    // 16
      {"abcdefghijklmnopq:1", "abcdefghijklmnopq", 0},  // 17
      {"max-message-size:262144", "max-message-size", 0},
      {"abcdefghijklmno", "abcdefghijklmno", 0},
      {"abcdefghijklmnop", "abcdefghijklmnop", 0},
      {"x.y_z~!#$%&'*+^`|:1", "x.y_z~!#$%&'*+^`|", 0},
      {"AZaz09-.:1", "AZaz09-.", 0},
      {"rtcp-mux ", "", 3},  // strict: no blank after a name
      {"rtcp-mux\t:1", "", 3},
      {"x@y:1", "", 3},
      {"abc\x80:1", "", 3},
      {"[:1", "", 3},
      {":1", "", 3},
      {"abcdefghijklmnopqrst@:1", "", 3},
      {"`:1", "`", 0},  // '`' | 0x20 is not a letter, but '`' is a token-char
  };
  session s;
  for (const auto& c : cases) {
    INFO(c.line);
    const std::string text = head + "a=" + std::string(c.line) + "\r\n" + after;
    const auto err = parse(text, s);
    if (c.name.empty()) {
      CHECK(err.code == error::bad_attribute);
      CHECK(err.line == 5);
      CHECK(err.column == c.column);
      continue;
    }
    REQUIRE_FALSE(err);
    REQUIRE(s.attributes.size() == 2);
    CHECK(s.attributes[0].name == c.name);
    const auto colon = c.line.find(':');
    CHECK(s.attributes[0].value.has_value() == (colon != std::string_view::npos));
    if (colon != std::string_view::npos) CHECK(*s.attributes[0].value == c.line.substr(colon + 1));
    CHECK(s.attributes[1].name == "z");
  }
  // Lenient mode trims the blank after a property attribute: the name ends at vsize, before
  // the blank that the classification stops at.
  const std::string text = head + "a=rtcp-mux \t\r\n" + after;
  REQUIRE_FALSE(parse(text, s, lenient));
  CHECK(s.attributes[0].name == "rtcp-mux");
  CHECK_FALSE(s.attributes[0].value.has_value());
}
