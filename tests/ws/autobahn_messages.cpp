// Autobahn TestSuite sections 5 (fragmentation), 6 (UTF-8 handling, fail-fast) and 7 (close
// handling), after crossbario/autobahn-testsuite autobahn/testsuite/case/case5_*.py, case6_*.py
// and case7_*.py, replayed against the sans-IO echo endpoint, both roles, at every split.
#include <string>
#include <vector>

#include "autobahn_harness.hpp"
#include "catch.hpp"

using namespace rtwire::test::ws;

namespace {

std::string F(role r, opcode op, std::string_view payload, bool fin = true) {
  return peer_frame(r, op, payload, fin);
}
std::string close_normal(role r) {
  return F(r, opcode::close, close_payload(1000));
}

}  // namespace

TEST_CASE("Autobahn 5.x: fragmentation", "[autobahn]") {
  const autobahn_case cases[] = {
      {"5.1 ping in 2 fragments",
       [](role r) {
         return F(r, opcode::ping, "fragment1", false) + F(r, opcode::continuation, "fragment2");
       },
       {"error 1002"},
       {"close 1002 ''"}},
      {"5.2 pong in 2 fragments",
       [](role r) {
         return F(r, opcode::pong, "fragment1", false) + F(r, opcode::continuation, "fragment2");
       },
       {"error 1002"},
       {"close 1002 ''"}},
      {"5.3 text in 2 fragments",
       [](role r) {
         return F(r, opcode::text, "fragment1", false) + F(r, opcode::continuation, "fragment2") +
                close_normal(r);
       },
       {"text 'fragment1fragment2'", "close 1000 ''"},
       {"text 'fragment1fragment2'", "close 1000 ''"}},
      {"5.6 text in 2 fragments, ping in between",
       [](role r) {
         return F(r, opcode::text, "fragment1", false) + F(r, opcode::ping, "pongme!") +
                F(r, opcode::continuation, "fragment2") + close_normal(r);
       },
       {"ping 'pongme!'", "text 'fragment1fragment2'", "close 1000 ''"},
       {"pong 'pongme!'", "text 'fragment1fragment2'", "close 1000 ''"}},
      {"5.9 continuation (FIN) with nothing to continue",
       [](role r) {
         return F(r, opcode::continuation, "non-continuation payload") +
                F(r, opcode::text, "Hello, world!");
       },
       {"error 1002"},
       {"close 1002 ''"}},
      {"5.12 continuation (no FIN) with nothing to continue",
       [](role r) {
         return F(r, opcode::continuation, "non-continuation payload", false) +
                F(r, opcode::text, "Hello, world!");
       },
       {"error 1002"},
       {"close 1002 ''"}},
      {"5.15 message, then a stray continuation",
       [](role r) {
         return F(r, opcode::text, "fragment1", false) + F(r, opcode::continuation, "fragment2") +
                F(r, opcode::continuation, "fragment3", false) + F(r, opcode::text, "fragment4");
       },
       {"text 'fragment1fragment2'", "error 1002"},
       {"text 'fragment1fragment2'", "close 1002 ''"}},
      {"5.17 repeated stray continuations (FIN)",
       [](role r) {
         return F(r, opcode::continuation, "fragment1") + F(r, opcode::text, "fragment2", false) +
                F(r, opcode::continuation, "fragment3");
       },
       {"error 1002"},
       {"close 1002 ''"}},
      {"5.18 two fragments, both with opcode text",
       [](role r) {
         return F(r, opcode::text, "fragment1", false) + F(r, opcode::text, "fragment2");
       },
       {"error 1002"},
       {"close 1002 ''"}},
      {"5.19 five fragments with pings in between",
       [](role r) {
         return F(r, opcode::text, "fragment1", false) +
                F(r, opcode::continuation, "fragment2", false) + F(r, opcode::ping, "pongme 1!") +
                F(r, opcode::continuation, "fragment3", false) +
                F(r, opcode::continuation, "fragment4", false) + F(r, opcode::ping, "pongme 2!") +
                F(r, opcode::continuation, "fragment5") + close_normal(r);
       },
       {"ping 'pongme 1!'", "ping 'pongme 2!'", "text 'fragment1fragment2fragment3fragmen...'",
        "close 1000 ''"},
       {"pong 'pongme 1!'", "pong 'pongme 2!'", "text '45 bytes'", "close 1000 ''"}},
  };
  // (the event line for 5.19 is printable() of 45 bytes: shortened like the sent line)
  for (auto c : cases) {
    for (auto& line : c.events)
      if (line == "text 'fragment1fragment2fragment3fragmen...'") line = "text '45 bytes'";
    check(c);
  }
}

namespace {

// Autobahn 6.x payloads (case6_*.py, after Markus Kuhn's UTF-8 decoder stress test): whether
// each is valid UTF-8 is the suite's own expectation for the case.
struct utf8_vector {
  const char* id;
  std::string bytes;
  bool valid;
};

std::vector<utf8_vector> utf8_vectors() {
  using s = std::string;
  return {
      {"6.2 Hello-µ@ßöäüàá-UTF-8!!",
       "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!", true},
      {"6.3 κόσμε + surrogate",
       "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64", false},
      {"6.5.1 κόσμε", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", true},
      {"6.6.1 lone continuation-start", "\xce", false},
      {"6.6.2", "\xce\xba", true},
      {"6.6.3", "\xce\xba\xe1", false},
      {"6.6.4", "\xce\xba\xe1\xbd", false},
      {"6.7.1 U+0000", s("\x00", 1), true},
      {"6.7.2 U+0080", "\xc2\x80", true},
      {"6.7.3 U+0800", "\xe0\xa0\x80", true},
      {"6.7.4 U+10000", "\xf0\x90\x80\x80", true},
      {"6.8.1 5-byte form", "\xf8\x88\x80\x80\x80", false},
      {"6.8.2 6-byte form", "\xfc\x84\x80\x80\x80\x80", false},
      {"6.9.1 U+007F", "\x7f", true},
      {"6.9.2 U+07FF", "\xdf\xbf", true},
      {"6.9.3 U+FFFF", "\xef\xbf\xbf", true},
      {"6.9.4 U+1FFFFF", "\xf7\xbf\xbf\xbf", false},
      {"6.10.1", "\xfb\xbf\xbf\xbf\xbf", false},
      {"6.11.1 U+D7FF", "\xed\x9f\xbf", true},
      {"6.11.2 U+E000", "\xee\x80\x80", true},
      {"6.11.3 U+FFFD", "\xef\xbf\xbd", true},
      {"6.11.4 U+10FFFF", "\xf4\x8f\xbf\xbf", true},
      {"6.11.5 U+110000", "\xf4\x90\x80\x80", false},
      {"6.12.1 lone continuation", "\x80", false},
      {"6.12.8 continuation run", "\x80\xbf\x80\xbf\x80\xbf\x80", false},
      {"6.13.1 lonely start + space", "\xc0\x20\xc1\x20\xc2\x20", false},
      {"6.14.1 last byte missing", "\xc0", false},
      {"6.14.3 3-byte missing", "\xe0\x80", false},
      {"6.15.1 concatenated incomplete", "\xc0\xe0\x80\xf0\x80\x80\xf8\x80\x80\x80", false},
      {"6.16.1 FE", "\xfe", false},
      {"6.16.2 FF", "\xff", false},
      {"6.16.3 FE FE FF FF", "\xfe\xfe\xff\xff", false},
      {"6.17.1 overlong /", "\xc0\xaf", false},
      {"6.17.2", "\xe0\x80\xaf", false},
      {"6.17.3", "\xf0\x80\x80\xaf", false},
      {"6.18.1 maximum overlong", "\xc1\xbf", false},
      {"6.18.2", "\xe0\x9f\xbf", false},
      {"6.18.3", "\xf0\x8f\xbf\xbf", false},
      {"6.19.1 overlong NUL", "\xc0\x80", false},
      {"6.19.2", "\xe0\x80\x80", false},
      {"6.20.1 U+D800", "\xed\xa0\x80", false},
      {"6.20.7 U+DFFF", "\xed\xbf\xbf", false},
      {"6.21.1 surrogate pair", "\xed\xa0\x80\xed\xb0\x80", false},
      {"6.22.1 U+FFFE", "\xef\xbf\xbe", true},
      {"6.22.34 U+10FFFE", "\xf4\x8f\xbf\xbe", true},
  };
}

}  // namespace

TEST_CASE("Autobahn 6.x: UTF-8, whole and in 1-byte fragments, fail-fast", "[autobahn]") {
  for (const auto& v : utf8_vectors()) {
    for (role r : {role::server, role::client}) {
      INFO(v.id << (r == role::server ? " (server)" : " (client)"));
      // As one frame, then as one fragment per byte (6.2.3 / 6.3.2 style).
      std::string whole =
          peer_frame(r, opcode::text, v.bytes) + peer_frame(r, opcode::close, close_payload(1000));
      std::string fragmented;
      for (std::size_t i = 0; i < v.bytes.size(); ++i)
        fragmented += peer_frame(r, i == 0 ? opcode::text : opcode::continuation,
                                 v.bytes.substr(i, 1), i + 1 == v.bytes.size());
      fragmented += peer_frame(r, opcode::close, close_payload(1000));
      for (const std::string& input : {whole, fragmented}) {
        const run_result got = run_all_splits(r, {}, input, false, true);
        if (v.valid) {
          CHECK(got.events == lines{"text '" + printable(v.bytes) + "'", "close 1000 ''"});
          CHECK(got.clean);
        } else {
          CHECK(got.events == lines{"error 1007"});
          CHECK(got.sent == lines{"close 1007 ''"});
        }
      }
    }
  }
}

TEST_CASE("Autobahn 6.4.x: fail fast, before the frame or message ends", "[autobahn]") {
  // 6.4.1: three fragments, the second invalid, the third sent a second later: the endpoint must
  // fail on the second. 6.4.3: one frame sent in chops, failing on the chop with the bad byte.
  const std::string invalid = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80";
  for (role r : {role::server, role::client}) {
    INFO((r == role::server ? "server" : "client"));
    const std::string first = peer_frame(r, opcode::text, invalid.substr(0, 12), false);
    const std::string second = peer_frame(r, opcode::continuation, invalid.substr(12, 1), false);
    const run_result got = run(r, {}, {first, second}, false, true);
    CHECK(got.events == lines{"error 1007"});  // the third fragment never needed

    const std::string frame = peer_frame(r, opcode::text, invalid + "edited");
    const std::size_t header = frame.size() - invalid.size() - 6;
    // Everything up to and including F4 90: already invalid (no continuation fixes it).
    const run_result chop = run(r, {}, {std::string_view(frame).substr(0, header + 13)});
    CHECK(chop.events == lines{"error 1007"});
    CHECK(chop.error_offset == header + 12);
  }
}

TEST_CASE("Autobahn 7.x: close handling", "[autobahn]") {
  const autobahn_case cases[] = {
      {"7.1.1 message then close",
       [](role r) { return F(r, opcode::text, "Hello World!") + close_normal(r); },
       {"text 'Hello World!'", "close 1000 ''"},
       {"text 'Hello World!'", "close 1000 ''"}},
      {"7.1.2 two closes",
       [](role r) { return close_normal(r) + close_normal(r); },
       {"close 1000 ''"},
       {"close 1000 ''"}},
      {"7.1.3 ping after close",
       [](role r) { return close_normal(r) + F(r, opcode::ping, "Hello World!"); },
       {"close 1000 ''"},
       {"close 1000 ''"}},
      {"7.1.4 text after close",
       [](role r) { return close_normal(r) + F(r, opcode::text, "Hello World!"); },
       {"close 1000 ''"},
       {"close 1000 ''"}},
      {"7.1.5 close inside a fragmented message",
       [](role r) {
         return F(r, opcode::text, "fragment1", false) + close_normal(r) +
                F(r, opcode::continuation, "fragment2");
       },
       {"close 1000 ''"},
       {"close 1000 ''"}},
      {"7.3.1 empty close",
       [](role r) { return F(r, opcode::close, ""); },
       {"close 1005 ''"},
       {"close ''"}},
      {"7.3.2 close payload of 1 byte",
       [](role r) { return F(r, opcode::close, "a"); },
       {"error 1002"},
       {"close 1002 ''"}},
      {"7.3.3 close 1000, no reason",
       [](role r) { return close_normal(r); },
       {"close 1000 ''"},
       {"close 1000 ''"}},
      {"7.3.4 close 1000 with reason",
       [](role r) { return F(r, opcode::close, close_payload(1000, "Hello World!")); },
       {"close 1000 'Hello World!'"},
       {"close 1000 ''"}},
      {"7.3.5 close with a 123-byte reason",
       [](role r) { return F(r, opcode::close, close_payload(1000, std::string(123, '*'))); },
       {"close 1000 '123 bytes'"},
       {"close 1000 ''"}},
      {"7.3.6 close with a 124-byte reason (126-byte payload)",
       [](role r) { return F(r, opcode::close, close_payload(1000, std::string(124, '*'))); },
       {"error 1002"},
       {"close 1002 ''"}},
      {"7.5.1 close reason not UTF-8",
       [](role r) {
         return F(r, opcode::close,
                  close_payload(1000,
                                "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
                                "\x65\x64\x69\x74\x65\x64"));
       },
       {"error 1007"},
       {"close 1007 ''"}},
  };
  for (const auto& c : cases)
    check(c);
}

TEST_CASE("Autobahn 7.7 / 7.9 / 7.13: close codes", "[autobahn]") {
  // 7.7.x: valid codes are echoed; 7.9.x and 7.13.x: invalid ones fail with 1002.
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
    for (role r : {role::server, role::client}) {
      INFO("7.7 code " << code);
      const auto got = run_all_splits(
          r, {}, peer_frame(r, opcode::close, close_payload(static_cast<std::uint16_t>(code))));
      CHECK(got.events == lines{"close " + std::to_string(code) + " ''"});
      CHECK(got.sent == lines{"close " + std::to_string(code) + " ''"});
      CHECK(got.clean);
    }
  }
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    for (role r : {role::server, role::client}) {
      INFO("7.9 / 7.13 code " << code);
      const auto got = run_all_splits(
          r, {}, peer_frame(r, opcode::close, close_payload(static_cast<std::uint16_t>(code))));
      CHECK(got.events == lines{"error 1002"});
      CHECK(got.sent == lines{"close 1002 ''"});
      CHECK_FALSE(got.clean);
    }
  }
}
