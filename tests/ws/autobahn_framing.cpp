// Autobahn TestSuite sections 1-4 (framing, pings/pongs, reserved bits, opcodes), after the case
// definitions in crossbario/autobahn-testsuite (autobahn/testsuite/case/case1_*.py ... case4_*.py),
// replayed against the sans-IO connection as the echo endpoint, both roles, at every split.
#include <string>

#include "autobahn_harness.hpp"
#include "catch.hpp"

using namespace rtwire::test::ws;

namespace {

std::string F(role r, opcode op, std::string_view payload, bool fin = true, std::uint8_t rsv = 0) {
  return peer_frame(r, op, payload, fin, rsv);
}
std::string close_normal(role r) {
  return F(r, opcode::close, close_payload(1000));
}
std::string repeat(char c, std::size_t n) {
  return std::string(n, c);
}

}  // namespace

TEST_CASE("Autobahn 1.1 / 1.2: text and binary messages of every length class", "[autobahn]") {
  // 1.1.1-1.1.7 and 1.2.1-1.2.7: payloads of 0, 125, 126, 127, 128, 65535 and 65536 bytes
  // (7-bit, 16-bit and 64-bit lengths at their boundaries), echoed back, then a normal close.
  const autobahn_case cases[] = {
      {"1.1.1",
       [](role r) { return F(r, opcode::text, "") + close_normal(r); },
       {"text ''", "close 1000 ''"},
       {"text ''", "close 1000 ''"}},
      {"1.1.2",
       [](role r) { return F(r, opcode::text, repeat('*', 125)) + close_normal(r); },
       {"text '125 bytes'", "close 1000 ''"},
       {"text '125 bytes'", "close 1000 ''"}},
      {"1.1.3",
       [](role r) { return F(r, opcode::text, repeat('*', 126)) + close_normal(r); },
       {"text '126 bytes'", "close 1000 ''"},
       {"text '126 bytes'", "close 1000 ''"}},
      {"1.1.4",
       [](role r) { return F(r, opcode::text, repeat('*', 127)) + close_normal(r); },
       {"text '127 bytes'", "close 1000 ''"},
       {"text '127 bytes'", "close 1000 ''"}},
      {"1.1.5",
       [](role r) { return F(r, opcode::text, repeat('*', 128)) + close_normal(r); },
       {"text '128 bytes'", "close 1000 ''"},
       {"text '128 bytes'", "close 1000 ''"}},
      {"1.1.6",
       [](role r) { return F(r, opcode::text, repeat('*', 65535)) + close_normal(r); },
       {"text '65535 bytes'", "close 1000 ''"},
       {"text '65535 bytes'", "close 1000 ''"}},
      {"1.1.7",
       [](role r) { return F(r, opcode::text, repeat('*', 65536)) + close_normal(r); },
       {"text '65536 bytes'", "close 1000 ''"},
       {"text '65536 bytes'", "close 1000 ''"}},
      {"1.2.1",
       [](role r) { return F(r, opcode::binary, "") + close_normal(r); },
       {"binary ''", "close 1000 ''"},
       {"binary ''", "close 1000 ''"}},
      {"1.2.2",
       [](role r) { return F(r, opcode::binary, repeat('\xFE', 125)) + close_normal(r); },
       {"binary '125 bytes'", "close 1000 ''"},
       {"binary '125 bytes'", "close 1000 ''"}},
      {"1.2.3",
       [](role r) { return F(r, opcode::binary, repeat('\xFE', 126)) + close_normal(r); },
       {"binary '126 bytes'", "close 1000 ''"},
       {"binary '126 bytes'", "close 1000 ''"}},
      {"1.2.6",
       [](role r) { return F(r, opcode::binary, repeat('\xFE', 65535)) + close_normal(r); },
       {"binary '65535 bytes'", "close 1000 ''"},
       {"binary '65535 bytes'", "close 1000 ''"}},
      {"1.2.7",
       [](role r) { return F(r, opcode::binary, repeat('\xFE', 65536)) + close_normal(r); },
       {"binary '65536 bytes'", "close 1000 ''"},
       {"binary '65536 bytes'", "close 1000 ''"}},
  };
  for (const auto& c : cases)
    check(c);
}

TEST_CASE("Autobahn 2.x: pings and pongs", "[autobahn]") {
  const autobahn_case cases[] = {
      {"2.1 ping without payload",
       [](role r) { return F(r, opcode::ping, "") + close_normal(r); },
       {"ping ''", "close 1000 ''"},
       {"pong ''", "close 1000 ''"}},
      {"2.2 ping with text payload",
       [](role r) { return F(r, opcode::ping, "Hello, world!") + close_normal(r); },
       {"ping 'Hello, world!'", "close 1000 ''"},
       {"pong 'Hello, world!'", "close 1000 ''"}},
      {"2.3 ping with binary payload",
       [](role r) {
         return F(r, opcode::ping, std::string("\x00\xFF\xFE\xFD\xFC\xFB\x00\xFF", 8)) +
                close_normal(r);
       },
       {"ping '\\x00\\xff\\xfe\\xfd\\xfc\\xfb\\x00\\xff'", "close 1000 ''"},
       {"pong '\\x00\\xff\\xfe\\xfd\\xfc\\xfb\\x00\\xff'", "close 1000 ''"}},
      {"2.4 ping with 125 bytes",
       [](role r) { return F(r, opcode::ping, repeat('\xFE', 125)) + close_normal(r); },
       {"ping '125 bytes'", "close 1000 ''"},
       {"pong '125 bytes'", "close 1000 ''"}},
      {"2.5 ping with 126 bytes",
       [](role r) { return F(r, opcode::ping, repeat('\xFE', 126)); },
       {"error 1002"},
       {"close 1002 ''"}},
      {"2.7 unsolicited pong",
       [](role r) { return F(r, opcode::pong, "") + close_normal(r); },
       {"pong ''", "close 1000 ''"},
       {"close 1000 ''"}},
      {"2.8 unsolicited pong with payload",
       [](role r) { return F(r, opcode::pong, "unsolicited pong payload") + close_normal(r); },
       {"pong 'unsolicited pong payload'", "close 1000 ''"},
       {"close 1000 ''"}},
      {"2.9 unsolicited pong, then ping",
       [](role r) {
         return F(r, opcode::pong, "unsolicited pong payload") +
                F(r, opcode::ping, "ping payload") + close_normal(r);
       },
       {"pong 'unsolicited pong payload'", "ping 'ping payload'", "close 1000 ''"},
       {"pong 'ping payload'", "close 1000 ''"}},
      {"2.10 ten pings",
       [](role r) {
         std::string s;
         for (int i = 0; i < 10; ++i)
           s += F(r, opcode::ping, "payload-" + std::to_string(i));
         return s + close_normal(r);
       },
       {"ping 'payload-0'", "ping 'payload-1'", "ping 'payload-2'", "ping 'payload-3'",
        "ping 'payload-4'", "ping 'payload-5'", "ping 'payload-6'", "ping 'payload-7'",
        "ping 'payload-8'", "ping 'payload-9'", "close 1000 ''"},
       {"pong 'payload-0'", "pong 'payload-1'", "pong 'payload-2'", "pong 'payload-3'",
        "pong 'payload-4'", "pong 'payload-5'", "pong 'payload-6'", "pong 'payload-7'",
        "pong 'payload-8'", "pong 'payload-9'", "close 1000 ''"}},
  };
  for (const auto& c : cases)
    check(c);
}

TEST_CASE("Autobahn 3.x: reserved bits fail the connection with 1002", "[autobahn]") {
  // 3.2-3.4: a valid message is echoed first, then the frame with RSV set fails the connection
  // before the ping behind it is answered.
  const autobahn_case cases[] = {
      {"3.1 RSV=1",
       [](role r) { return F(r, opcode::text, "Hello, world!", true, 1); },
       {"error 1002"},
       {"close 1002 ''"}},
      {"3.2 RSV=2",
       [](role r) {
         return F(r, opcode::text, "Hello, world!") + F(r, opcode::text, "Hello, world!", true, 2) +
                F(r, opcode::ping, "");
       },
       {"text 'Hello, world!'", "error 1002"},
       {"text 'Hello, world!'", "close 1002 ''"}},
      {"3.3 RSV=3",
       [](role r) {
         return F(r, opcode::text, "Hello, world!") + F(r, opcode::text, "Hello, world!", true, 3) +
                F(r, opcode::ping, "");
       },
       {"text 'Hello, world!'", "error 1002"},
       {"text 'Hello, world!'", "close 1002 ''"}},
      {"3.4 RSV=4",
       [](role r) {
         return F(r, opcode::text, "Hello, world!") + F(r, opcode::text, "Hello, world!", true, 4) +
                F(r, opcode::ping, "");
       },
       {"text 'Hello, world!'", "error 1002"},
       {"text 'Hello, world!'", "close 1002 ''"}},
      {"3.5 binary RSV=5",
       [](role r) { return F(r, opcode::binary, std::string("\x00\xFF\xFE", 3), true, 5); },
       {"error 1002"},
       {"close 1002 ''"}},
      {"3.6 ping RSV=6",
       [](role r) { return F(r, opcode::ping, "Hello, world!", true, 6); },
       {"error 1002"},
       {"close 1002 ''"}},
      {"3.7 close RSV=7",
       [](role r) { return F(r, opcode::close, close_payload(1000), true, 7); },
       {"error 1002"},
       {"close 1002 ''"}},
  };
  for (const auto& c : cases)
    check(c);
}

TEST_CASE("Autobahn 4.x: reserved opcodes fail the connection with 1002", "[autobahn]") {
  // 4.1.1-4.1.5: non-control opcodes 3-7; 4.2.1-4.2.5: control opcodes 11-15. Cases with a
  // payload are preceded by an echoed message and followed by a ping that must not be answered.
  const autobahn_case cases[] = {
      {"4.1.1 opcode 3",
       [](role r) { return F(r, static_cast<opcode>(3), ""); },
       {"error 1002"},
       {"close 1002 ''"}},
      {"4.1.2 opcode 4",
       [](role r) { return F(r, static_cast<opcode>(4), "reserved opcode"); },
       {"error 1002"},
       {"close 1002 ''"}},
      {"4.1.3 opcode 5",
       [](role r) {
         return F(r, opcode::text, "Hello, world!") + F(r, static_cast<opcode>(5), "") +
                F(r, opcode::ping, "");
       },
       {"text 'Hello, world!'", "error 1002"},
       {"text 'Hello, world!'", "close 1002 ''"}},
      {"4.1.4 opcode 6",
       [](role r) {
         return F(r, opcode::text, "Hello, world!") +
                F(r, static_cast<opcode>(6), "reserved opcode") + F(r, opcode::ping, "");
       },
       {"text 'Hello, world!'", "error 1002"},
       {"text 'Hello, world!'", "close 1002 ''"}},
      {"4.1.5 opcode 7",
       [](role r) {
         return F(r, opcode::text, "Hello, world!") +
                F(r, static_cast<opcode>(7), "reserved opcode") + F(r, opcode::ping, "");
       },
       {"text 'Hello, world!'", "error 1002"},
       {"text 'Hello, world!'", "close 1002 ''"}},
      {"4.2.1 opcode 11",
       [](role r) { return F(r, static_cast<opcode>(11), ""); },
       {"error 1002"},
       {"close 1002 ''"}},
      {"4.2.2 opcode 12",
       [](role r) { return F(r, static_cast<opcode>(12), "reserved opcode"); },
       {"error 1002"},
       {"close 1002 ''"}},
      {"4.2.3 opcode 13",
       [](role r) {
         return F(r, opcode::text, "Hello, world!") + F(r, static_cast<opcode>(13), "") +
                F(r, opcode::ping, "");
       },
       {"text 'Hello, world!'", "error 1002"},
       {"text 'Hello, world!'", "close 1002 ''"}},
      {"4.2.4 opcode 14",
       [](role r) {
         return F(r, opcode::text, "Hello, world!") +
                F(r, static_cast<opcode>(14), "reserved opcode") + F(r, opcode::ping, "");
       },
       {"text 'Hello, world!'", "error 1002"},
       {"text 'Hello, world!'", "close 1002 ''"}},
      {"4.2.5 opcode 15",
       [](role r) {
         return F(r, opcode::text, "Hello, world!") +
                F(r, static_cast<opcode>(15), "reserved opcode") + F(r, opcode::ping, "");
       },
       {"text 'Hello, world!'", "error 1002"},
       {"text 'Hello, world!'", "close 1002 ''"}},
  };
  for (const auto& c : cases)
    check(c);
}
