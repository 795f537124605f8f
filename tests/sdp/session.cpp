// SDP sessions (RFC 8866): the model, strict and lenient parsing, every error with its position,
// limits, byte-exact and canonical writing, zero allocations in steady state.
#include <rtwire/sdp/session.hpp>
#include <rtwire/sdp/writer.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "sdp/fixtures.hpp"
#include "support/allocation_counter.hpp"

using rtwire::sdp::error;
using rtwire::sdp::mode;
using rtwire::sdp::parse;
using rtwire::sdp::parse_options;
using rtwire::sdp::session;

namespace {

/// Writes `text` with every "\n" turned into "\r\n" (the RFC examples below are written with
/// "\n" for readability).
std::string crlf(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

const parse_options lenient{mode::lenient, {}};

void require_parses(std::string_view text, session& s, const parse_options& options = {}) {
  const auto err = parse(text, s, options);
  INFO(err.message() << " at " << err.line << ":" << err.column);
  REQUIRE_FALSE(err);
}

// RFC 8866 §5 (the example session description).
constexpr std::string_view rfc8866_example =
    "v=0\n"
    "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\n"
    "s=Call to John Smith\n"
    "i=SDP Offer #1\n"
    "u=http://www.jdoe.example.com/home.html\n"
    "e=Jane Doe <jane@jdoe.example.com>\n"
    "p=+1 617 555-6011\n"
    "c=IN IP4 198.51.100.1\n"
    "t=0 0\n"
    "m=audio 49170 RTP/AVP 0\n"
    "m=audio 49180 RTP/AVP 0\n"
    "m=video 51372 RTP/AVP 99\n"
    "c=IN IP6 2001:db8::2\n"
    "a=rtpmap:99 h263-1998/90000\n";

// Every line type of RFC 8866 (§5.1 - §5.14), with the §5.10 and §5.11 examples of r= and z=.
constexpr std::string_view every_line_type =
    "v=0\n"
    "o=- 1 2 IN IP4 203.0.113.1\n"
    "s= \n"
    "i=A seminar\n"
    "u=https://example.com/seminar\n"
    "e=j.doe@example.com (Jane Doe)\n"
    "e=jane@example.org\n"
    "p=+1 617 555-6011\n"
    "c=IN IP4 233.252.0.1/127/3\n"
    "b=CT:128\n"
    "b=AS:64\n"
    "t=3724394400 3724398000\n"
    "r=604800 3600 0 90000\n"
    "r=7d 1h 0 25h\n"
    "t=3724484400 3724488000\n"
    "z=2882844526 -1h 2898848070 0\n"
    "k=prompt\n"
    "a=recvonly\n"
    "a=tool:rtwire\n"
    "m=audio 49170/2 RTP/AVP 0 8\n"
    "i=Audio\n"
    "c=IN IP4 233.252.0.2/127\n"
    "c=IN IP4 233.252.0.3/127\n"
    "b=AS:32\n"
    "k=clear:secret\n"
    "a=ptime:20\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\n"
    "a=sctp-port:5000\n";

}  // namespace

TEST_CASE("RFC 8866 §5 example: every field", "[sdp][session]") {
  const std::string text = crlf(rfc8866_example);
  session s;
  require_parses(text, s);
  CHECK(s.version == 0);
  CHECK(s.origin.username == "jdoe");
  CHECK(s.origin.session_id == "3724394400");
  CHECK(s.origin.session_version == "3724394405");
  CHECK(s.origin.nettype == "IN");
  CHECK(s.origin.addrtype == "IP4");
  CHECK(s.origin.address == "198.51.100.1");
  CHECK(s.session_name == "Call to John Smith");
  CHECK(s.information == std::optional<std::string_view>("SDP Offer #1"));
  CHECK(s.uri == std::optional<std::string_view>("http://www.jdoe.example.com/home.html"));
  REQUIRE(s.emails.size() == 1);
  CHECK(s.emails[0] == "Jane Doe <jane@jdoe.example.com>");
  REQUIRE(s.phones.size() == 1);
  CHECK(s.phones[0] == "+1 617 555-6011");
  REQUIRE(s.connection.has_value());
  CHECK(s.connection->address == "198.51.100.1");
  REQUIRE(s.timings.size() == 1);
  CHECK(s.timings[0].start == 0);
  CHECK(s.timings[0].stop == 0);
  CHECK(s.attributes.empty());
  REQUIRE(s.media.size() == 3);
  CHECK(s.media[0].type == "audio");
  CHECK(s.media[0].port == 49170);
  CHECK_FALSE(s.media[0].port_count.has_value());
  CHECK(s.media[0].protocol == "RTP/AVP");
  REQUIRE(s.media[0].formats.size() == 1);
  CHECK(s.media[0].formats[0] == "0");
  CHECK(s.media[0].lines.size() == 1);
  CHECK(s.media[2].type == "video");
  REQUIRE(s.media[2].connections.size() == 1);
  CHECK(s.media[2].connections[0].addrtype == "IP6");
  CHECK(s.media[2].connections[0].address == "2001:db8::2");
  REQUIRE(s.media[2].attributes.size() == 1);
  CHECK(s.media[2].attributes[0].name == "rtpmap");
  CHECK(s.media[2].attributes[0].value == std::optional<std::string_view>("99 h263-1998/90000"));
  CHECK(s.lines.size() == 14);
  CHECK(rtwire::sdp::to_string(s) == text);
  CHECK(rtwire::sdp::to_string(rtwire::sdp::to_owned(s)) == text);
}

TEST_CASE("every RFC 8866 line type, r= and z= included", "[sdp][session]") {
  const std::string text = crlf(every_line_type);
  session s;
  require_parses(text, s);
  CHECK(s.session_name == " ");
  CHECK(s.emails.size() == 2);
  CHECK(s.connection->address == "233.252.0.1/127/3");
  REQUIRE(s.bandwidths.size() == 2);
  CHECK(s.bandwidths[0].type == "CT");
  CHECK(s.bandwidths[0].value == 128);
  CHECK(s.bandwidths[1].type == "AS");
  REQUIRE(s.timings.size() == 2);
  CHECK(s.timings[0].start == 3724394400u);
  CHECK(s.timings[0].stop == 3724398000u);
  REQUIRE(s.timings[0].repeats.size() == 2);
  CHECK(s.timings[0].repeats[0] == "604800 3600 0 90000");
  CHECK(s.timings[0].repeats[1] == "7d 1h 0 25h");
  CHECK_FALSE(s.timings[0].zone_adjustments.has_value());
  CHECK(s.timings[1].repeats.empty());
  CHECK(s.timings[1].zone_adjustments ==
        std::optional<std::string_view>("2882844526 -1h 2898848070 0"));
  CHECK(s.time_zones == s.timings[1].zone_adjustments);
  CHECK(s.key == std::optional<std::string_view>("prompt"));
  REQUIRE(s.attributes.size() == 2);
  CHECK(s.attributes[0].name == "recvonly");
  CHECK_FALSE(s.attributes[0].value.has_value());
  CHECK(s.attributes[1].value == std::optional<std::string_view>("rtwire"));
  REQUIRE(s.media.size() == 2);
  const auto& audio = s.media[0];
  CHECK(audio.port == 49170);
  CHECK(audio.port_count == std::optional<std::uint32_t>(2));
  CHECK(audio.formats.size() == 2);
  CHECK(audio.information == std::optional<std::string_view>("Audio"));
  CHECK(audio.connections.size() == 2);
  REQUIRE(audio.bandwidths.size() == 1);
  CHECK(audio.bandwidths[0].value == 32);
  CHECK(audio.key == std::optional<std::string_view>("clear:secret"));
  CHECK(audio.attributes.size() == 1);
  CHECK(audio.lines.size() == 7);
  CHECK(s.media[1].formats[0] == "webrtc-datachannel");
  CHECK(rtwire::sdp::to_string(s) == text);
  CHECK(rtwire::sdp::to_string(rtwire::sdp::to_owned(s)) == text);
}

TEST_CASE("RFC 8839 example: ICE attributes, and its empty s= in lenient mode", "[sdp][session]") {
  // The example offer of RFC 8839 (ICE SDP attributes). It writes "s=" with an empty session
  // name, which RFC 8866 §5.3 forbids: strict mode says so, lenient mode takes it.
  const std::string text = crlf(
      "v=0\n"
      "o=jdoe 2890844526 2890842807 IN IP4 203.0.113.141\n"
      "s=\n"
      "c=IN IP4 192.0.2.3\n"
      "t=0 0\n"
      "a=ice-options:ice2\n"
      "a=ice-pacing:50\n"
      "a=ice-pwd:asd88fgpdd777uzjYhagZg\n"
      "a=ice-ufrag:8hhY\n"
      "m=audio 45664 RTP/AVP 0\n"
      "b=RS:0\n"
      "b=RR:0\n"
      "a=rtpmap:0 PCMU/8000\n"
      "a=candidate:1 1 UDP 2130706431 203.0.113.141 8998 typ host\n"
      "a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 203.0.113.141 rport 8998\n");
  session s;
  const auto err = parse(text, s);
  CHECK(err.code == error::bad_session_name);
  CHECK(err.line == 3);
  CHECK(err.column == 3);
  require_parses(text, s, lenient);
  CHECK(s.session_name.empty());
  REQUIRE(s.attributes.size() == 4);
  CHECK(s.attributes[1].name == "ice-pacing");  // unknown to the typed layer, kept in order
  REQUIRE(s.media.size() == 1);
  REQUIRE(s.media[0].bandwidths.size() == 2);
  CHECK(s.media[0].bandwidths[0].type == "RS");
  CHECK(s.media[0].bandwidths[1].value == 0);
  REQUIRE(s.media[0].attributes.size() == 3);
  CHECK(s.media[0].attributes[2].value ==
        std::optional<std::string_view>(
            "2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 203.0.113.141 rport 8998"));
  CHECK(rtwire::sdp::to_string(s) == text);
  CHECK(rtwire::sdp::to_string(rtwire::sdp::to_owned(s)) == text);
}

TEST_CASE("real browser SDPs round-trip byte for byte", "[sdp][session][fixtures]") {
  for (const char* name : {"chrome_offer.sdp", "chrome_answer.sdp", "chrome_reoffer.sdp",
                           "firefox_style_offer.sdp", "quirks_answer.sdp"}) {
    INFO(name);
    const std::string text = rtwire_test::read_sdp_fixture(name);
    REQUIRE_FALSE(text.empty());
    session s;
    require_parses(text, s);
    CHECK(rtwire::sdp::to_string(s) == text);
    // Browser SDPs are canonical already: the owning model writes them back identically too.
    CHECK(rtwire::sdp::to_string(rtwire::sdp::to_owned(s)) == text);
    // And lenient mode gives the same model.
    session l;
    require_parses(text, l, lenient);
    CHECK(rtwire::sdp::to_owned(l) == rtwire::sdp::to_owned(s));
    // Every line is accounted for: the lines of the session part plus those of each section.
    std::size_t in_media = 0;
    for (const auto& m : s.media)
      in_media += m.lines.size();
    CHECK(in_media < s.lines.size());
    CHECK(s.lines[s.lines.size() - in_media].type == 'm');
  }
}

TEST_CASE("Chrome offer: the model", "[sdp][session][fixtures]") {
  const std::string text = rtwire_test::read_sdp_fixture("chrome_offer.sdp");
  session s;
  require_parses(text, s);
  CHECK(s.origin.username == "-");
  CHECK(s.session_name == "-");
  REQUIRE(s.media.size() == 3);
  CHECK(s.media[0].type == "audio");
  CHECK(s.media[1].type == "video");
  CHECK(s.media[2].type == "application");
  CHECK(s.media[2].protocol == "UDP/DTLS/SCTP");
  for (const auto& m : s.media) {
    CHECK(m.port == 9);
    REQUIRE(m.connections.size() == 1);
    CHECK(m.connections[0].address == "0.0.0.0");
  }
  CHECK(s.attributes[0].name == "group");
  CHECK(s.attributes[0].value == std::optional<std::string_view>("BUNDLE 0 1 2"));
}

TEST_CASE("lenient mode: LF, no final line end, trailing whitespace, unknown lines",
          "[sdp][session]") {
  // LF-only, as many signaling servers store SDP.
  const std::string lf(every_line_type);
  session s;
  CHECK(parse(lf, s).code == error::bad_line_ending);
  require_parses(lf, s, lenient);
  CHECK(rtwire::sdp::to_string(s) == lf);
  CHECK(rtwire::sdp::to_string(rtwire::sdp::to_owned(s)) == crlf(every_line_type));

  // Missing final line end.
  const std::string no_final = crlf(rfc8866_example).substr(0, crlf(rfc8866_example).size() - 2);
  CHECK(parse(no_final, s).code == error::missing_final_line_ending);
  require_parses(no_final, s, lenient);
  CHECK(s.media[2].attributes[0].value == std::optional<std::string_view>("99 h263-1998/90000"));
  CHECK(rtwire::sdp::to_string(s) == no_final);

  // Trailing whitespace, an unknown line type, a blank line, mixed line ends.
  const std::string quirky =
      "v=0 \r\no=- 1 1 IN IP4 0.0.0.0\t\ns=x \r\nt=0 0  \r\nx=session extension\r\n"
      "a=rtcp-mux \r\nm=audio 9 RTP/AVP 0 \r\ny=media extension\r\na=mid:0\t\r\n\r\n";
  const auto strict_err = parse(quirky, s);
  CHECK(strict_err.code == error::bad_version);
  CHECK(strict_err.line == 1);
  CHECK(strict_err.column == 3);
  require_parses(quirky, s, lenient);
  CHECK(s.session_name == "x ");  // text fields are taken as is
  CHECK(s.origin.address == "0.0.0.0");
  REQUIRE(s.unknown_lines.size() == 1);
  CHECK(s.unknown_lines[0].type == 'x');
  CHECK(s.unknown_lines[0].value == "session extension");
  CHECK(s.attributes[0].name == "rtcp-mux");
  REQUIRE(s.media.size() == 1);
  CHECK(s.media[0].formats.size() == 1);
  REQUIRE(s.media[0].unknown_lines.size() == 1);
  CHECK(s.media[0].unknown_lines[0].value == "media extension");
  // An attribute value is a byte-string: its trailing tab is kept (strict mode keeps it too).
  CHECK(s.media[0].attributes[0].value == std::optional<std::string_view>("0\t"));
  CHECK(s.lines.back().type == '\0');
  CHECK(rtwire::sdp::to_string(s) == quirky);
  const auto owned = rtwire::sdp::to_owned(s);
  CHECK(rtwire::sdp::to_string(owned) ==
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=x \r\nt=0 0\r\na=rtcp-mux\r\nx=session extension\r\n"
        "m=audio 9 RTP/AVP 0\r\na=mid:0\t\r\ny=media extension\r\n");

  // Lenient-only values: empty text fields and attribute values, non-numeric origin ids, no c=.
  const std::string loose =
      "v=0\r\no=user abc def IN IP4 host\r\ns=\r\ni=\r\nt=0 0\r\na=x:\r\n"
      "m=audio 9 RTP/AVP 0\r\n";
  CHECK(parse(loose, s).code == error::bad_origin);
  require_parses(loose, s, lenient);
  CHECK(s.origin.session_id == "abc");
  CHECK(s.session_name.empty());
  CHECK(s.attributes[0].value == std::optional<std::string_view>(""));
}

TEST_CASE("port 0 sections keep every attribute", "[sdp][session][fixtures]") {
  const std::string text = rtwire_test::read_sdp_fixture("firefox_style_offer.sdp");
  session s;
  require_parses(text, s);
  REQUIRE(s.media.size() == 3);
  const auto& rejected = s.media[1];
  CHECK(rejected.port == 0);
  REQUIRE(rejected.attributes.size() == 4);
  CHECK(rejected.attributes[0].name == "bundle-only");
  CHECK(rejected.attributes[2].name == "mid");
  CHECK(rejected.attributes[2].value == std::optional<std::string_view>("1"));
}

namespace {

struct bad_sdp {
  const char* why;
  std::string text;  // CRLF already
  error expected;
  std::size_t line;
  std::size_t column;
};

std::string head(std::string_view rest) {
  return crlf("v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\n") + crlf(rest);
}

}  // namespace

TEST_CASE("strict mode: every error with its line and column", "[sdp][session]") {
  const std::vector<bad_sdp> cases{
      {"empty", "", error::empty, 1, 1},  // 1-based like every other position
      {"LF only", "v=0\n", error::bad_line_ending, 1, 4},
      {"no final CRLF", head("t=0 0"), error::missing_final_line_ending, 4, 6},
      {"bare CR", "v=0\rx\r\n", error::forbidden_character, 1, 4},
      {"NUL", head("t=0 0\n") + std::string("a=x\0y\r\n", 7), error::forbidden_character, 5, 4},
      {"CR at the very end", "v=0\r", error::forbidden_character, 1, 4},
      {"no '='", head("t 0 0\n"), error::bad_line_syntax, 4, 2},
      {"digit type", head("1=0 0\n"), error::bad_line_syntax, 4, 1},
      {"empty line", head("\nt=0 0\n"), error::bad_line_syntax, 4, 1},
      {"unknown type", head("t=0 0\nx=1\n"), error::unknown_line_type, 5, 1},
      {"not v first", crlf("o=- 1 1 IN IP4 0.0.0.0\n"), error::missing_version, 1, 1},
      {"v=1", crlf("v=1\n"), error::bad_version, 1, 3},
      {"v=x", crlf("v=x\n"), error::bad_version, 1, 3},
      {"no o", crlf("v=0\ns=-\n"), error::missing_origin, 2, 1},
      {"only v", crlf("v=0\n"), error::missing_origin, 2, 1},
      {"o= 5 fields", crlf("v=0\no=- 1 1 IN IP4\n"), error::bad_origin, 2, 15},
      {"o= 7 fields", crlf("v=0\no=- 1 1 IN IP4 a b\n"), error::bad_origin, 2, 18},
      {"o= id not digits", crlf("v=0\no=- x 1 IN IP4 a\n"), error::bad_origin, 2, 5},
      {"o= version not digits", crlf("v=0\no=- 1 y IN IP4 a\n"), error::bad_origin, 2, 7},
      {"o= double space", crlf("v=0\no=-  1 1 IN IP4 a\n"), error::bad_origin, 2, 5},
      {"o= empty", crlf("v=0\no=\n"), error::bad_origin, 2, 3},
      {"o= bad nettype", crlf("v=0\no=- 1 1 I@N IP4 a\n"), error::bad_origin, 2, 9},
      {"o= bad addrtype", crlf("v=0\no=- 1 1 IN I@P4 a\n"), error::bad_origin, 2, 12},
      {"o= tab as address", crlf("v=0\no=- 1 1 IN IP4 \t\n"), error::bad_origin, 2, 16},
      {"o= tab in username", crlf("v=0\no=a\tb 1 1 IN IP4 x\n"), error::bad_origin, 2, 3},
      {"c= tab in address", head("c=IN IP4 a\tb\n"), error::bad_connection, 4, 10},
      {"no s", crlf("v=0\no=- 1 1 IN IP4 a\nt=0 0\n"), error::missing_session_name, 3, 1},
      {"only v o", crlf("v=0\no=- 1 1 IN IP4 a\n"), error::missing_session_name, 3, 1},
      {"empty s", crlf("v=0\no=- 1 1 IN IP4 a\ns=\n"), error::bad_session_name, 3, 3},
      {"no t", head(""), error::missing_timing, 4, 1},
      {"a before t", head("a=x\n"), error::missing_timing, 4, 1},
      {"m before t", head("m=audio 9 RTP/AVP 0\n"), error::missing_timing, 4, 1},
      {"k before t", head("k=prompt\n"), error::missing_timing, 4, 1},
      {"second v", head("t=0 0\nv=0\n"), error::unexpected_line, 5, 1},
      {"second o", head("t=0 0\no=- 1 1 IN IP4 a\n"), error::unexpected_line, 5, 1},
      {"second s", head("s=-\n"), error::unexpected_line, 4, 1},
      {"empty i", head("i=\n"), error::bad_text_field, 4, 3},
      {"empty u", head("u=\n"), error::bad_text_field, 4, 3},
      {"empty e", head("e=\n"), error::bad_text_field, 4, 3},
      {"empty p", head("p=\n"), error::bad_text_field, 4, 3},
      {"i after u", head("u=x\ni=y\n"), error::unexpected_line, 5, 1},
      {"u after e", head("e=x\nu=y\n"), error::unexpected_line, 5, 1},
      {"e after p", head("p=x\ne=y\n"), error::unexpected_line, 5, 1},
      {"two session c", head("c=IN IP4 a\nc=IN IP4 b\n"), error::unexpected_line, 5, 1},
      {"c after b", head("b=AS:1\nc=IN IP4 a\n"), error::unexpected_line, 5, 1},
      {"c after t", head("t=0 0\nc=IN IP4 a\n"), error::unexpected_line, 5, 1},
      {"u in media", head("t=0 0\nm=audio 9 RTP/AVP 0\nc=IN IP4 a\nu=x\n"), error::unexpected_line,
       7, 1},
      {"c= 2 fields", head("c=IN IP4\n"), error::bad_connection, 4, 9},
      {"c= 4 fields", head("c=IN IP4 a b\n"), error::bad_connection, 4, 12},
      {"c= bad nettype", head("c=I,N IP4 a\n"), error::bad_connection, 4, 3},
      {"c= empty addrtype", head("c=IN  a\n"), error::bad_connection, 4, 6},
      {"b= no colon", head("b=AS\n"), error::bad_bandwidth, 4, 3},
      {"b= not a number", head("b=AS:x\n"), error::bad_bandwidth, 4, 3},
      {"b= empty type", head("b=:1\n"), error::bad_bandwidth, 4, 3},
      {"b= after t", head("t=0 0\nb=AS:1\n"), error::unexpected_line, 5, 1},
      {"t= one field", head("t=0\n"), error::bad_timing, 4, 4},
      {"t= three fields", head("t=0 0 0\n"), error::bad_timing, 4, 7},
      {"t= short time", head("t=123 0\n"), error::bad_timing, 4, 3},
      {"t= leading zero", head("t=0123456789 0\n"), error::bad_timing, 4, 3},
      {"t= not a number", head("t=0 x\n"), error::bad_timing, 4, 5},
      {"r= without t", head("r=1 2 3\n"), error::unexpected_line, 4, 1},
      {"r= two fields", head("t=0 0\nr=1 2\n"), error::bad_repeat, 5, 3},
      {"r= bad unit", head("t=0 0\nr=1 2x 3\n"), error::bad_repeat, 5, 5},
      {"r= zero interval", head("t=0 0\nr=0 2 3\n"), error::bad_repeat, 5, 3},
      {"r= after z", head("t=0 0\nz=1 1h\nr=1 2 3\n"), error::unexpected_line, 6, 1},
      {"z= odd", head("t=0 0\nz=1 1h 2\n"), error::bad_time_zones, 5, 3},
      {"z= bad offset", head("t=0 0\nz=1 1x\n"), error::bad_time_zones, 5, 5},
      {"z= bad time", head("t=0 0\nz=-1 1h\n"), error::bad_time_zones, 5, 3},
      {"two z", head("t=0 0\nz=1 1h\nz=1 1h\n"), error::unexpected_line, 6, 1},
      {"k= bad method", head("t=0 0\nk=pr@mpt\n"), error::bad_key, 5, 3},
      {"two k", head("t=0 0\nk=prompt\nk=prompt\n"), error::unexpected_line, 6, 1},
      {"t after a", head("t=0 0\na=x\nt=0 0\n"), error::unexpected_line, 6, 1},
      {"a= empty name", head("t=0 0\na=:x\n"), error::bad_attribute, 5, 3},
      {"a= bad name", head("t=0 0\na=rtp map:x\n"), error::bad_attribute, 5, 3},
      {"a= empty value", head("t=0 0\na=x:\n"), error::bad_attribute, 5, 4},
      {"a= empty", head("t=0 0\na=\n"), error::bad_attribute, 5, 3},
      {"m= empty", head("t=0 0\nm=\n"), error::bad_media, 5, 3},
      {"m= no port", head("t=0 0\nm=audio\n"), error::bad_media, 5, 8},
      {"m= bad port", head("t=0 0\nm=audio 65536 RTP/AVP 0\n"), error::bad_media, 5, 9},
      {"m= bad count", head("t=0 0\nm=audio 9/x RTP/AVP 0\n"), error::bad_media, 5, 11},
      {"m= no proto", head("t=0 0\nm=audio 9\n"), error::bad_media, 5, 10},
      {"m= bad proto", head("t=0 0\nm=audio 9 RTP//AVP 0\n"), error::bad_media, 5, 11},
      {"m= no formats", head("t=0 0\nm=audio 9 RTP/AVP\n"), error::bad_media, 5, 18},
      {"m= trailing space", head("t=0 0\nm=audio 9 RTP/AVP 0 \n"), error::bad_media, 5, 21},
      {"media i twice", head("t=0 0\nm=audio 9 RTP/AVP 0\ni=a\ni=b\n"), error::unexpected_line, 7,
       1},
      {"media c after b", head("c=IN IP4 a\nt=0 0\nm=audio 9 RTP/AVP 0\nb=AS:1\nc=IN IP4 a\n"),
       error::unexpected_line, 8, 1},
      {"media b after a", head("c=IN IP4 a\nt=0 0\nm=audio 9 RTP/AVP 0\na=x\nb=AS:1\n"),
       error::unexpected_line, 8, 1},
      {"media k after a", head("c=IN IP4 a\nt=0 0\nm=audio 9 RTP/AVP 0\na=x\nk=prompt\n"),
       error::unexpected_line, 8, 1},
      {"t in media", head("c=IN IP4 a\nt=0 0\nm=audio 9 RTP/AVP 0\nt=0 0\n"),
       error::unexpected_line, 7, 1},
      {"no c anywhere", head("t=0 0\nm=audio 9 RTP/AVP 0\nm=video 9 RTP/AVP 0\nc=IN IP4 a\n"),
       error::missing_connection, 5, 1},
  };
  for (const auto& bc : cases) {
    session s;
    const auto err = parse(bc.text, s);
    INFO(bc.why << ": " << err.message());
    CHECK(err.code == bc.expected);
    CHECK(err.line == bc.line);
    CHECK(err.column == bc.column);
  }
}

TEST_CASE("line ends and forbidden bytes at every offset of the 64-byte scan blocks",
          "[sdp][session]") {
  // The scanner classifies 64 bytes at a time: put a line end, a bare CR and a NUL at every
  // position around the block boundaries (and in a short tail) and check each is found exactly.
  const std::string prefix = crlf("v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\n");
  for (std::size_t len = 1; len < 140; ++len) {
    const std::string name(len, 'x');
    const std::string text = prefix + "a=" + name + "\r\na=y\r\n";
    session s;
    INFO("attribute name of " << len << " bytes");
    require_parses(text, s);
    REQUIRE(s.attributes.size() == 2);
    CHECK(s.attributes[0].name.size() == len);
    CHECK(rtwire::sdp::to_string(s) == text);

    for (const char bad : {'\r', '\0'}) {
      std::string broken = prefix + "a=" + name + "\r\n";
      broken[prefix.size() + 2 + len / 2] = bad;  // inside the name
      const auto err = parse(broken, s);
      CHECK(err.code == error::forbidden_character);
      CHECK(err.line == 5);
      CHECK(err.column == 3 + len / 2);
    }
    // LF-only at that length: strict mode points at the LF, lenient mode accepts it.
    const std::string lf = prefix + "a=" + name + "\n";
    const auto err = parse(lf, s);
    CHECK(err.code == error::bad_line_ending);
    CHECK(err.column == 3 + len);
    require_parses(lf, s, lenient);
    CHECK(rtwire::sdp::to_string(s) == lf);
  }
}

TEST_CASE("limits", "[sdp][session]") {
  const std::string text = crlf(every_line_type);
  session s;
  parse_options o;
  o.limits.max_bytes = text.size();
  CHECK_FALSE(parse(text, s, o));
  o.limits.max_bytes = text.size() - 1;
  const auto big = parse(text, s, o);
  CHECK(big.code == error::too_large);
  CHECK(big.code == rtwire::condition::limit_exceeded);

  o = {};
  o.limits.max_lines = 28;
  CHECK_FALSE(parse(text, s, o));
  o.limits.max_lines = 27;
  const auto lines = parse(text, s, o);
  CHECK(lines.code == error::too_many_lines);
  CHECK(lines.line == 28);

  o = {};
  o.limits.max_media = 2;
  CHECK_FALSE(parse(text, s, o));
  o.limits.max_media = 1;
  const auto media = parse(text, s, o);
  CHECK(media.code == error::too_many_media);
  CHECK(media.line == 27);

  o = {};
  o.limits.max_attributes = 4;
  CHECK_FALSE(parse(text, s, o));
  o.limits.max_attributes = 3;
  const auto attrs = parse(text, s, o);
  CHECK(attrs.code == error::too_many_attributes);
  CHECK(attrs.line == 28);
  CHECK(attrs.column == 1);
}

TEST_CASE("a reused session parses a 6 KB offer with zero allocations", "[sdp][session]") {
  const std::string offer = rtwire_test::read_sdp_fixture("chrome_offer.sdp");
  const std::string reoffer = rtwire_test::read_sdp_fixture("chrome_reoffer.sdp");
  REQUIRE(offer.size() > 5000);
  if constexpr (!rtwire::test::allocation_counting) {
    WARN("allocation counting is disabled under AddressSanitizer");
    return;
  }
  session s;
  require_parses(reoffer, s);  // the first parse sizes the storage (for the bigger one)
  const std::size_t before = rtwire::test::allocations.load();
  for (int i = 0; i < 10; ++i) {
    const auto err = parse(i % 2 == 0 ? std::string_view(offer) : std::string_view(reoffer), s);
    CHECK_FALSE(err);
  }
  const std::size_t after = rtwire::test::allocations.load();
  CHECK(after - before == 0);
  CHECK(s.media.size() == 4);
  // The counter itself works: an owning copy allocates.
  const auto owned = rtwire::sdp::to_owned(s);
  CHECK(rtwire::test::allocations.load() > after);
}

TEST_CASE("a session is movable and its views survive the move", "[sdp][session]") {
  const std::string text = crlf(rfc8866_example);
  session a;
  require_parses(text, a);
  session b = std::move(a);
  REQUIRE(b.media.size() == 3);
  CHECK(b.media[2].attributes[0].name == "rtpmap");
  CHECK(rtwire::sdp::to_string(b) == text);
  // A failed parse into a used session leaves it safe to reuse.
  CHECK(parse("v=0\r\nbad\r\n", b).code == error::bad_line_syntax);
  CHECK(b.media.empty());  // no view into storage that the failed parse reused
  CHECK(b.lines.empty());
  CHECK(b.attributes.empty());
  require_parses(text, b);
  CHECK(b.media.size() == 3);
}

TEST_CASE("an owned session built in code serialises canonically and parses back",
          "[sdp][session]") {
  rtwire::sdp::owned_session o;
  o.origin.session_id = "4611731400430051336";
  o.attributes.push_back({"group", "BUNDLE 0"});
  o.attributes.push_back({"extmap-allow-mixed", std::nullopt});
  rtwire::sdp::owned_media m;
  m.type = "audio";
  m.protocol = "UDP/TLS/RTP/SAVPF";
  m.formats = {"111"};
  m.connections.push_back({"IN", "IP4", "0.0.0.0"});
  m.attributes.push_back({"mid", "0"});
  m.attributes.push_back({"rtpmap", "111 opus/48000/2"});
  o.media.push_back(m);
  const std::string text = rtwire::sdp::to_string(o);
  CHECK(text ==
        "v=0\r\no=- 4611731400430051336 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "a=group:BUNDLE 0\r\na=extmap-allow-mixed\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        "c=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n");
  session s;
  require_parses(text, s);
  CHECK(rtwire::sdp::to_owned(s) == o);
}
