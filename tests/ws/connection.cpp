// rtwire::ws::connection: a client and a server wired to each other (no sockets), plus raw peer
// input replayed at every split for each rule, limit and API misuse, with its close code.
#include <rtwire/detail/cpu.hpp>
#include <rtwire/ws/connection.hpp>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "autobahn_harness.hpp"
#include "catch.hpp"

using namespace rtwire::ws;
namespace cpu = rtwire::detail;
using rtwire::test::ws::close_payload;
using rtwire::test::ws::counting_keys;
using rtwire::test::ws::lines;
using rtwire::test::ws::peer_frame;
using rtwire::test::ws::run;
using rtwire::test::ws::run_all_splits;
using rtwire::test::ws::sent_frames;

namespace {

// Moves everything `from` has queued into `to` and returns the events `to` produced, as lines.
lines pump(connection& from, connection& to) {
  std::string bytes(rtwire::as_chars(from.output()));
  from.consume_output(bytes.size());
  REQUIRE(from.output().empty());
  lines out;
  if (bytes.empty()) return out;
  REQUIRE_FALSE(to.feed(bytes.data(), bytes.size()));
  for (event ev = to.next(); ev.type != event_type::need_more; ev = to.next()) {
    switch (ev.type) {
      case event_type::text:
        out.push_back("text " + std::string(ev.text()));
        break;
      case event_type::binary:
        out.push_back("binary " + std::string(ev.text()));
        break;
      case event_type::ping:
        out.push_back("ping " + std::string(ev.text()));
        break;
      case event_type::pong:
        out.push_back("pong " + std::string(ev.text()));
        break;
      case event_type::close:
        out.push_back("close " + std::to_string(static_cast<int>(ev.code)) + " " +
                      std::string(ev.reason()));
        break;
      case event_type::error:
        out.push_back("error " + std::to_string(static_cast<int>(ev.code)));
        return out;
      default:
        break;
    }
  }
  return out;
}

std::string output_of(const connection& c) {
  return std::string(rtwire::as_chars(c.output()));
}

}  // namespace

TEST_CASE("client and server exchange messages, pings and a clean close", "[connection]") {
  counting_keys keys;
  connection client(role::client, {.keys = keys});
  connection server(role::server);

  REQUIRE_FALSE(client.send_text("hello"));
  REQUIRE_FALSE(client.send_binary(rtwire::as_bytes(std::string_view("\x01\x02\x03", 3))));
  // RFC 6455 §5.1: the client's frames are masked, with a fresh key each.
  const std::string wire = output_of(client);
  CHECK((static_cast<unsigned char>(wire[1]) & 0x80) != 0);
  CHECK(keys.n == 2);
  CHECK(pump(client, server) == lines{"text hello", "binary \x01\x02\x03"});

  REQUIRE_FALSE(server.send_text("world"));
  CHECK((static_cast<unsigned char>(output_of(server)[1]) & 0x80) == 0);  // server: unmasked
  CHECK(pump(server, client) == lines{"text world"});

  SECTION("ping is answered by an automatic pong with its payload") {
    REQUIRE_FALSE(client.send_ping(rtwire::as_bytes(std::string_view("p1"))));
    CHECK(pump(client, server) == lines{"ping p1"});
    CHECK(pump(server, client) == lines{"pong p1"});
    REQUIRE_FALSE(server.send_pong());  // unsolicited (heartbeat)
    CHECK(pump(server, client) == lines{"pong "});
    CHECK(client.output().empty());  // no pong for a pong
  }

  SECTION("auto_pong off: the ping is delivered, nothing is queued") {
    connection quiet(role::server, {.auto_pong = false});
    REQUIRE_FALSE(client.send_ping());
    CHECK(pump(client, quiet) == lines{"ping "});
    CHECK(quiet.output().empty());
  }

  SECTION("closing handshake initiated by the client") {
    REQUIRE_FALSE(client.close(close_code::going_away, "bye"));
    CHECK(client.state() == connection_state::closing);
    // RFC 6455 §5.5.1: after sending close, no more data frames.
    CHECK(client.send_text("late") == error::send_after_close);
    CHECK(client.send_ping() == error::send_after_close);
    CHECK(client.close() == error::send_after_close);
    CHECK(pump(client, server) == lines{"close 1001 bye"});
    CHECK(server.state() == connection_state::closed);
    CHECK(server.closed_cleanly());
    CHECK(server.peer_close_code() == close_code::going_away);
    CHECK(sent_frames(output_of(server)) == lines{"close 1001 ''"});  // echoes the code
    CHECK(server.send_text("late") == error::send_after_close);
    CHECK(pump(server, client) == lines{"close 1001 "});
    CHECK(client.state() == connection_state::closed);
    CHECK(client.closed_cleanly());
    CHECK(client.output().empty());  // no second close
  }

  SECTION("an empty close is answered by an empty close") {
    REQUIRE_FALSE(server.close(close_code::none));
    CHECK(sent_frames(output_of(server)) == lines{"close ''"});
    CHECK(pump(server, client) == lines{"close 1005 "});
    CHECK(sent_frames(output_of(client)) == lines{"close ''"});
    CHECK(pump(client, server) == lines{"close 1005 "});
    CHECK(server.closed_cleanly());
    CHECK(client.closed_cleanly());
  }

  SECTION("data still arrives while we are closing; pings get no pong") {
    REQUIRE_FALSE(server.close());
    const std::string close_frame = output_of(server);
    server.consume_output(close_frame.size());
    REQUIRE_FALSE(client.send_text("in flight"));
    REQUIRE_FALSE(client.send_ping(rtwire::as_bytes(std::string_view("late"))));
    CHECK(pump(client, server) == lines{"text in flight", "ping late"});
    CHECK(server.output().empty());  // after our close, only the peer's close is expected
    CHECK(server.state() == connection_state::closing);
  }
}

TEST_CASE("fragmented sending and receiving, whole and streaming", "[connection]") {
  counting_keys keys;
  connection client(role::client, {.fragment_size = 4, .keys = keys});
  connection server(role::server);
  connection streaming(role::server, {.mode = delivery::streaming});

  REQUIRE_FALSE(client.send_text("abcdefghij"));  // auto-fragmented: 4 + 4 + 2
  const std::string wire = output_of(client);
  CHECK(sent_frames(wire) == lines{"text 'abcd' (more)", "cont 'efgh' (more)", "cont 'ij'"});
  std::string copy = wire;
  CHECK(pump(client, server) == lines{"text abcdefghij"});

  // Streaming: one event per frame here (each frame arrives whole), marked frame / message end.
  REQUIRE_FALSE(streaming.feed(copy.data(), copy.size()));
  std::vector<std::pair<std::string, int>> pieces;
  for (event ev = streaming.next(); ev.type != event_type::need_more; ev = streaming.next()) {
    REQUIRE(ev.type == event_type::text);
    CHECK(ev.frame_finished);
    pieces.emplace_back(std::string(ev.text()), ev.message_finished ? 1 : 0);
  }
  CHECK(pieces == std::vector<std::pair<std::string, int>>{{"abcd", 0}, {"efgh", 0}, {"ij", 1}});

  SECTION("send_fragment streams a message, with control frames in between") {
    connection c(role::client, {.keys = keys});
    REQUIRE_FALSE(c.send_fragment(opcode::binary, rtwire::as_bytes(std::string_view("12")), false));
    CHECK(c.send_text("x") == error::message_in_progress);
    CHECK(c.send_fragment(opcode::text, {}, true) == error::message_in_progress);
    CHECK(c.send_fragment(opcode::ping, {}, true) == error::invalid_argument);
    REQUIRE_FALSE(c.send_ping());
    REQUIRE_FALSE(c.send_fragment(opcode::binary, rtwire::as_bytes(std::string_view("34")), true));
    CHECK(sent_frames(output_of(c)) == lines{"binary '12' (more)", "ping ''", "cont '34'"});
    CHECK(pump(c, server) == lines{"ping ", "binary 1234"});
    REQUIRE_FALSE(c.send_text("next"));  // the message is finished
  }
}

TEST_CASE("whole-message delivery is zero-copy for a frame that arrives whole", "[connection]") {
  std::string in = peer_frame(role::server, opcode::binary, "payload");
  connection server(role::server);
  REQUIRE_FALSE(server.feed(in.data(), in.size()));
  const event ev = server.next();
  REQUIRE(ev.type == event_type::binary);
  CHECK(ev.text() == "payload");
  CHECK(reinterpret_cast<const char*>(ev.data.data()) == in.data() + 6);  // unmasked in place
  CHECK(server.next().type == event_type::need_more);
  CHECK(server.feed(in.data(), in.size()) == std::error_code{});  // previous input consumed
}

TEST_CASE("feed() before the previous input is consumed is misuse", "[connection]") {
  std::string in =
      peer_frame(role::server, opcode::text, "a") + peer_frame(role::server, opcode::text, "b");
  connection server(role::server);
  REQUIRE_FALSE(server.feed(in.data(), in.size()));
  CHECK(server.next().type == event_type::text);
  CHECK(server.feed(in.data(), in.size()) == error::input_pending);
  CHECK(server.next().text() == "b");
}

TEST_CASE("peer violations fail with the right error, offset and close code", "[connection]") {
  struct violation {
    const char* what;
    role receiver;
    std::string input;
    error err;
    std::size_t offset;
    close_code close;
  };
  const role S = role::server, C = role::client;
  const std::string hello = peer_frame(S, opcode::text, "hello");  // 11 bytes
  const violation cases[] = {
      {"unmasked frame to a server", S, peer_frame(C, opcode::text, "x"), error::unmasked_frame, 1,
       close_code::protocol_error},
      {"masked frame to a client", C, peer_frame(S, opcode::text, "x"), error::masked_frame, 1,
       close_code::protocol_error},
      {"RSV2", S, peer_frame(S, opcode::text, "x", true, rsv2), error::reserved_bits_set, 0,
       close_code::protocol_error},
      {"reserved opcode after a message", S, hello + peer_frame(S, static_cast<opcode>(0xB), ""),
       error::reserved_opcode, 11, close_code::protocol_error},
      {"continuation with nothing to continue", S, peer_frame(S, opcode::continuation, "x"),
       error::unexpected_continuation, 0, close_code::protocol_error},
      {"text while a message is unfinished", S,
       peer_frame(S, opcode::text, "a", false) + peer_frame(S, opcode::text, "b"),
       error::expected_continuation, 7, close_code::protocol_error},
      {"close of length 1", S, peer_frame(S, opcode::close, "\x03"), error::bad_close_payload, 6,
       close_code::protocol_error},
      {"close code 1005 on the wire", S, peer_frame(S, opcode::close, close_payload(1005)),
       error::invalid_close_code, 6, close_code::protocol_error},
      {"close code 999", C, peer_frame(C, opcode::close, close_payload(999)),
       error::invalid_close_code, 2, close_code::protocol_error},
      {"close code 5000", S, peer_frame(S, opcode::close, close_payload(5000)),
       error::invalid_close_code, 6, close_code::protocol_error},
      {"close reason not UTF-8", S, peer_frame(S, opcode::close, close_payload(1000, "ok\xC0")),
       error::invalid_close_reason, 10, close_code::invalid_payload},
      {"text not UTF-8", S,
       peer_frame(S, opcode::text,
                  "ab\xFF"
                  "cd"),
       error::invalid_utf8, 8, close_code::invalid_payload},
      {"text truncated at its end", S, peer_frame(S, opcode::text, "ab\xE2\x82"),
       error::invalid_utf8, 10, close_code::invalid_payload},
      {"UTF-8 broken across fragments", S,
       peer_frame(S, opcode::text, "\xCE", false) + peer_frame(S, opcode::continuation, "A"),
       error::invalid_utf8, 13, close_code::invalid_payload},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const auto r = run_all_splits(c.receiver, {}, c.input);
    CHECK(r.error == c.err);
    CHECK(r.error_offset == c.offset);
    CHECK(r.error_close == c.close);
    CHECK(r.state == connection_state::closed);
    CHECK_FALSE(r.clean);
    REQUIRE_FALSE(r.sent.empty());
    CHECK(r.sent.back() == "close " + std::to_string(static_cast<int>(c.close)) + " ''");
  }
}

TEST_CASE("UTF-8 fails fast: before the frame (or message) is complete", "[connection]") {
  // Autobahn 6.4.x: the invalid byte arrives, the rest of the frame has not.
  std::string frame = peer_frame(role::server, opcode::text, "\xCE\xBA\xF4\x90\x80\x80 tail");
  connection server(role::server);
  const std::size_t cut = 6 + 4;  // header + "κ" + F4 90
  REQUIRE_FALSE(server.feed(frame.data(), cut));
  const event ev = server.next();
  CHECK(ev.type == event_type::error);
  CHECK(ev.code == close_code::invalid_payload);
  CHECK(server.failure().offset == 6 + 3);
}

TEST_CASE("limits close with 1009 (or 1008 for the fragment policy)", "[connection]") {
  const role S = role::server;
  SECTION("frame payload") {
    const auto r = run_all_splits(S, {.limit = {.max_frame_payload = 4}},
                                  peer_frame(S, opcode::binary, "12345"));
    CHECK(r.error == error::frame_too_big);
    CHECK(r.error_close == close_code::message_too_big);
    CHECK(r.sent == lines{"close 1009 ''"});
  }
  SECTION("message size, across fragments, before the payload arrives") {
    const auto r = run_all_splits(
        S, {.limit = {.max_message_size = 5}},
        peer_frame(S, opcode::text, "123", false) + peer_frame(S, opcode::continuation, "456"));
    CHECK(r.events == lines{"error 1009"});
    CHECK(r.error == error::message_too_big);
    CHECK(r.error_offset == 9 + 1);
  }
  SECTION("fragments per message") {
    const auto r = run_all_splits(S, {.limit = {.max_fragments = 2}},
                                  peer_frame(S, opcode::text, "1", false) +
                                      peer_frame(S, opcode::continuation, "2", false) +
                                      peer_frame(S, opcode::continuation, "3"));
    CHECK(r.error == error::too_many_fragments);
    CHECK(r.error_close == close_code::policy_violation);
    CHECK(r.sent == lines{"close 1008 ''"});
  }
  SECTION("buffered bytes in whole-message mode; streaming mode needs no buffer") {
    const std::string in = peer_frame(S, opcode::binary, "12345678");
    const auto whole = run_all_splits(S, {.limit = {.max_buffered_bytes = 7}}, in);
    CHECK(whole.error == error::buffer_limit);
    CHECK(whole.error_close == close_code::message_too_big);
    const auto streamed =
        run_all_splits(S, {.mode = delivery::streaming, .limit = {.max_buffered_bytes = 7}}, in);
    CHECK_FALSE(streamed.error);
    CHECK(streamed.events == lines{"binary '12345678' [message]"});
  }
  SECTION("defaults: 16 MiB messages in 64-byte fragments pass (Autobahn 9.x)") {
    const limits d;
    CHECK(d.max_frame_payload >= 16u << 20);
    CHECK(d.max_message_size >= 16u << 20);
    CHECK(d.max_fragments >= (4u << 20) / 64);
  }
}

TEST_CASE("the transport ending without a close is an abnormal closure", "[connection]") {
  const auto r = run_all_splits(role::server, {}, peer_frame(role::server, opcode::text, "hi"),
                                /*eof=*/true);
  CHECK(r.events == lines{"text 'hi'", "error 1006"});
  CHECK(r.error == error::unexpected_eof);
  CHECK(r.sent.empty());  // 1006 is never sent (RFC 6455 §7.4.1)
  const auto clean = run_all_splits(
      role::server, {}, peer_frame(role::server, opcode::close, close_payload(1000)), true);
  CHECK(clean.events == lines{"close 1000 ''"});
  CHECK(clean.clean);
  CHECK_FALSE(clean.error);
}

TEST_CASE("frames after the peer's close are discarded", "[connection]") {
  const role S = role::server;
  const auto r =
      run_all_splits(S, {},
                     peer_frame(S, opcode::close, close_payload(1000, "done")) +
                         peer_frame(S, opcode::ping, "late") + peer_frame(S, opcode::text, "late"));
  CHECK(r.events == lines{"close 1000 'done'"});
  CHECK(r.sent == lines{"close 1000 ''"});  // no pong for the late ping
  CHECK(r.clean);
}

TEST_CASE("API misuse is reported and fails nothing", "[connection]") {
  connection server(role::server);
  CHECK(server.close(close_code::no_status) == error::invalid_argument);
  CHECK(server.close(close_code::abnormal) == error::invalid_argument);
  CHECK(server.close(close_code{2000}) == error::invalid_argument);
  CHECK(server.close(close_code::none, "reason without code") == error::invalid_argument);
  CHECK(server.close(close_code::normal, std::string(124, 'r')) == error::invalid_argument);
  CHECK(server.close(close_code::normal, "\xFF") == error::invalid_argument);
  const std::string big(126, 'p');
  CHECK(server.send_ping(rtwire::as_bytes(big)) == error::invalid_argument);
  CHECK(server.send_pong(rtwire::as_bytes(big)) == error::invalid_argument);
  CHECK(server.output().empty());
  CHECK(server.state() == connection_state::open);
  CHECK_FALSE(server.failure());
  CHECK(std::error_code(error::invalid_argument) == rtwire::condition::api_misuse);

  connection keyless(role::client);
  CHECK(keyless.send_text("x") == error::missing_key_source);
  CHECK(keyless.send_ping() == error::missing_key_source);
  CHECK(keyless.close() == error::missing_key_source);
  CHECK(keyless.output().empty());
  // It still decodes (a capture tool needs no keys); automatic replies are dropped.
  std::string in = peer_frame(role::client, opcode::ping, "p") +
                   peer_frame(role::client, opcode::close, close_payload(1000));
  REQUIRE_FALSE(keyless.feed(in.data(), in.size()));
  CHECK(keyless.next().type == event_type::ping);
  CHECK(keyless.next().type == event_type::close);
  CHECK(keyless.output().empty());
  CHECK(keyless.state() == connection_state::closed);
  CHECK_FALSE(keyless.closed_cleanly());  // no close frame could be sent

  REQUIRE_FALSE(server.close(close_code{4000}, std::string(123, 'r')));  // the limits are inclusive
  CHECK(server.send_binary({}) == error::send_after_close);
}

TEST_CASE("output is drained in any steps", "[connection]") {
  connection server(role::server);
  REQUIRE_FALSE(server.send_text("abc"));
  REQUIRE_FALSE(server.send_text("def"));
  const std::string all = output_of(server);
  std::string drained;
  while (!server.output().empty()) {
    drained.push_back(static_cast<char>(server.output()[0]));
    server.consume_output(1);
  }
  CHECK(drained == all);
  server.consume_output(10);  // more than there is: clamps
  CHECK(server.output().empty());
}

TEST_CASE("receiving() tells whether the input stops inside a frame or message", "[connection]") {
  const std::string frag = peer_frame(role::server, opcode::text, "ab", false);
  const std::string last = peer_frame(role::server, opcode::continuation, "cd");
  connection server(role::server);
  CHECK_FALSE(server.receiving());
  std::string a = frag.substr(0, 3);
  REQUIRE_FALSE(server.feed(a.data(), a.size()));
  CHECK(server.next().type == event_type::need_more);
  CHECK(server.receiving());  // inside the first frame's header
  std::string b = frag.substr(3);
  REQUIRE_FALSE(server.feed(b.data(), b.size()));
  CHECK(server.next().type == event_type::need_more);
  CHECK(server.receiving());  // between the fragments of one message
  std::string c = last;
  REQUIRE_FALSE(server.feed(c.data(), c.size()));
  CHECK(server.next().text() == "abcd");
  CHECK_FALSE(server.receiving());
}

namespace {

/// A text of exactly `size` bytes of 1- to 4-byte characters (an 11-byte period, so code points
/// straddle every block edge at some split).
std::string mixed_text(std::size_t size) {
  static constexpr std::string_view unit = "ab\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E";  // a b é € 𝄞
  std::string s;
  while (s.size() < size)
    s += unit;
  s.resize(size);
  while (!rtwire::utf8::is_valid(s))
    s.pop_back();  // do not end inside a code point
  s.resize(size, 'z');
  return s;
}

/// `input` cut at `points` (increasing).
std::vector<std::string_view> cut(std::string_view input, const std::vector<std::size_t>& points) {
  std::vector<std::string_view> chunks;
  std::size_t at = 0;
  for (const std::size_t p : points) {
    chunks.push_back(input.substr(at, p - at));
    at = p;
  }
  chunks.push_back(input.substr(at));
  return chunks;
}

/// Cut sets for a large frame: whole, odd cuts through the header and payload, and random ones.
std::vector<std::vector<std::size_t>> large_cuts(std::size_t size, std::uint32_t seed) {
  std::vector<std::vector<std::size_t>> cuts = {
      {}, {1}, {13, 14, 15}, {15, 4112, 37445}, {1039, 17423, 17425}, {size / 2 + 1}};
  std::mt19937 rng(seed);
  for (int i = 0; i < 6; ++i) {
    std::vector<std::size_t> points;
    for (std::size_t at = 1 + rng() % 3000; at < size; at += 1 + rng() % 20000)
      points.push_back(at);
    cuts.push_back(points);
  }
  return cuts;
}

/// The masks that force each unmasking and UTF-8 kernel (cpu_features_override).
const std::uint32_t kernel_masks[] = {
    cpu::all_features, cpu::cpu_sse2 | cpu::cpu_ssse3 | cpu::cpu_sse41 | cpu::cpu_avx2,
    cpu::cpu_sse2 | cpu::cpu_ssse3, cpu::cpu_sse2, 0};

struct forced_kernels {
  explicit forced_kernels(std::uint32_t m) { cpu::cpu_features_override(m); }
  ~forced_kernels() { cpu::cpu_features_override(cpu::all_features); }
  forced_kernels(const forced_kernels&) = delete;
  forced_kernels& operator=(const forced_kernels&) = delete;
};

}  // namespace

TEST_CASE("a large masked text frame: invalid UTF-8 anywhere fails fast at its offset",
          "[connection]") {
  // The receive path unmasks and validates a large frame block by block (1 KiB, then 16 KiB
  // blocks, fused on AVX-512); whatever the blocks and the chunks, RFC 6455 §8.1 applies: close
  // with 1007 at the stream offset of the first invalid byte, and deliver nothing of the frame.
  constexpr std::size_t size = 70000;
  constexpr std::size_t hs = 14;  // 64-bit length + key
  const std::string text = mixed_text(size);
  const std::size_t positions[] = {0,     100,   1023,  1024,  1025,  1026,    17406,
                                   17407, 17408, 17409, 33792, 40001, size - 1};
  for (const std::uint32_t mask : kernel_masks) {
    const forced_kernels force(mask);
    INFO("kernels " << mask);
    for (const std::size_t pos : positions) {
      INFO("invalid byte at " << pos);
      std::string bad = text;
      bad[pos] = '\xFF';
      const std::string wire = peer_frame(role::server, opcode::text, bad);
      REQUIRE(wire.size() == hs + size);
      for (const delivery mode : {delivery::whole_message, delivery::streaming}) {
        for (const auto& points : large_cuts(wire.size(), static_cast<std::uint32_t>(pos))) {
          INFO("chunks " << points.size() << (points.empty() ? 0 : points[0]));
          const auto r = run(role::server, {.mode = mode}, cut(wire, points));
          CHECK(r.events == lines{"error 1007"});
          CHECK(r.error == error::invalid_utf8);
          CHECK(r.error_offset == hs + pos);
          CHECK(r.error_close == close_code::invalid_payload);
        }
      }
    }
    // Valid text, and text that ends inside a code point (reported at the frame's end).
    const std::string wire = peer_frame(role::server, opcode::text, text);
    const std::string cut_short = mixed_text(size - 1) + "\xF0";
    const std::string truncated = peer_frame(role::server, opcode::text, cut_short);
    for (const auto& points : large_cuts(wire.size(), 99)) {
      const auto ok = run(role::server, {}, cut(wire, points));
      CHECK_FALSE(ok.error);
      REQUIRE(ok.events.size() == 1);
      CHECK(ok.events[0].rfind("text '", 0) == 0);
      const auto t = run(role::server, {}, cut(truncated, points));
      CHECK(t.error == error::invalid_utf8);
      CHECK(t.error_offset == hs + size);
    }
  }
}

TEST_CASE("a large frame is still one piece per input, in place, in both modes", "[connection]") {
  // The blocks the connection works in never show: streaming gives one event per input that
  // holds payload, whole_message one in-place event for a frame that arrives whole.
  constexpr std::size_t size = 70000;
  const std::string text = mixed_text(size);
  std::string binary(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    binary[i] = static_cast<char>(i * 131);
  for (const opcode op : {opcode::text, opcode::binary}) {
    const std::string& payload = op == opcode::text ? text : binary;
    std::string wire = peer_frame(role::server, op, payload);
    {
      connection server(role::server);
      REQUIRE_FALSE(server.feed(wire.data(), wire.size()));
      const event ev = server.next();
      REQUIRE(ev.type == (op == opcode::text ? event_type::text : event_type::binary));
      CHECK(reinterpret_cast<const char*>(ev.data.data()) == wire.data() + 14);
      CHECK(ev.text() == payload);
      CHECK(server.next().type == event_type::need_more);
    }
    wire = peer_frame(role::server, op, payload);
    connection server(role::server, {.mode = delivery::streaming});
    std::string got;
    const std::size_t cuts[] = {0, 5, 20001, 20002, 51234, wire.size()};
    for (std::size_t i = 0; i + 1 < std::size(cuts); ++i) {
      char* chunk = wire.data() + cuts[i];
      const std::size_t n = cuts[i + 1] - cuts[i];
      REQUIRE_FALSE(server.feed(chunk, n));
      const event ev = server.next();
      if (cuts[i + 1] <= 14) {  // header bytes only
        CHECK(ev.type == event_type::need_more);
        continue;
      }
      REQUIRE(ev.type == (op == opcode::text ? event_type::text : event_type::binary));
      const auto* data = reinterpret_cast<const char*>(ev.data.data());
      CHECK(data + ev.data.size() == chunk + n);  // the rest of this input, in place
      got.append(ev.text());
      const bool last = cuts[i + 1] == wire.size();
      CHECK(ev.frame_finished == last);
      CHECK(ev.message_finished == last);
      CHECK(server.next().type == event_type::need_more);
    }
    CHECK(got == payload);
  }
}

TEST_CASE("the small-frame fast path rejects what the general path rejects", "[connection]") {
  // A whole small frame takes next()'s fast path; the same frame byte by byte takes the general
  // one (run_all_splits compares them). Each case must fail the same way on both.
  struct violation {
    const char* what;
    connection_options opts;
    role receiver;
    std::string input;
    error err;
    std::size_t offset;
  };
  const role S = role::server, C = role::client;
  std::string long_bad(100, 'a');
  long_bad[77] = '\xC0';
  const violation cases[] = {
      {"RSV1 on a small text frame",
       {},
       S,
       peer_frame(S, opcode::text, "x", true, rsv1),
       error::reserved_bits_set,
       0},
      {"RSV3 on a small binary frame",
       {},
       C,
       peer_frame(C, opcode::binary, "x", true, rsv3),
       error::reserved_bits_set,
       0},
      {"reserved opcode 3",
       {},
       S,
       peer_frame(S, static_cast<opcode>(3), "x"),
       error::reserved_opcode,
       0},
      {"unmasked to a server", {}, S, peer_frame(C, opcode::binary, "x"), error::unmasked_frame, 1},
      {"masked to a client", {}, C, peer_frame(S, opcode::text, "x"), error::masked_frame, 1},
      {"short text, invalid byte",
       {},
       S,
       peer_frame(S, opcode::text, "a\xFF"),
       error::invalid_utf8,
       7},
      {"100 bytes of text, invalid at 77",
       {},
       S,
       peer_frame(S, opcode::text, long_bad),
       error::invalid_utf8,
       6 + 77},
      {"client: text ending inside a code point",
       {},
       C,
       peer_frame(C, opcode::text, "ok\xE2\x82"),
       error::invalid_utf8,
       2 + 4},
      {"frame over max_frame_payload",
       {.limit = {.max_frame_payload = 3}},
       S,
       peer_frame(S, opcode::binary, "abcd"),
       error::frame_too_big,
       1},
      {"message over max_message_size",
       {.limit = {.max_message_size = 3}},
       S,
       peer_frame(S, opcode::text, "abcd"),
       error::message_too_big,
       1},
      {"whole message over max_buffered_bytes",
       {.limit = {.max_buffered_bytes = 3}},
       S,
       peer_frame(S, opcode::text, "abcd"),
       error::buffer_limit,
       1},
      {"no fragments allowed at all",
       {.limit = {.max_fragments = 0}},
       S,
       peer_frame(S, opcode::binary, ""),
       error::too_many_fragments,
       0},
      {"a whole text frame inside a fragmented message",
       {},
       S,
       peer_frame(S, opcode::text, "a", false) + peer_frame(S, opcode::text, "b"),
       error::expected_continuation,
       7},
      {"a continuation with nothing to continue",
       {},
       S,
       peer_frame(S, opcode::continuation, "b"),
       error::unexpected_continuation,
       0},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const auto r = run_all_splits(c.receiver, c.opts, c.input);
    CHECK(r.error == c.err);
    CHECK(r.error_offset == c.offset);
    CHECK(r.error_close == close_code_for(c.err));
  }
  // And what it accepts: small frames of every length up to 125, then the first 16-bit one.
  std::string stream;
  lines want;
  for (std::size_t n = 0; n <= 126; ++n) {
    const std::string payload(n, static_cast<char>('a' + n % 26));
    const opcode op = n % 2 ? opcode::text : opcode::binary;
    stream += peer_frame(S, op, payload);
    want.push_back((op == opcode::text ? "text '" : "binary '") +
                   rtwire::test::ws::printable(payload) + "'");
  }
  CHECK(run_all_splits(S, {}, stream).events == want);
  CHECK(run_all_splits(S, {.mode = delivery::streaming}, stream).events.size() == want.size());
}

TEST_CASE("read-only input: feed(string_view) copies, the caller's bytes stay as they were",
          "[ws][connection][api]") {
  // The handshake -> connection handoff: the frames that followed the request head are a
  // read-only view (received.substr(r.consumed)); the connection copies them before unmasking.
  counting_keys keys;
  connection client(role::client, {.keys = keys});
  REQUIRE_FALSE(client.send_text("hello"));
  std::string received = "GET / HTTP/1.1\r\n\r\n";  // stands for the request head
  const std::size_t consumed = received.size();
  received += std::string(rtwire::as_chars(client.output()));
  const std::string before = received;

  connection server(role::server);
  const std::string_view rest = std::string_view(received).substr(consumed);
  REQUIRE_FALSE(server.feed(rest));
  CHECK(received == before);  // still masked: nothing was written through the view
  CHECK(server.feed(rest) == error::input_pending);  // the same misuse rule as feed(bytes)
  received.assign(received.size(), 'x');             // the caller may reuse its buffer at once
  const event ev = server.next();
  REQUIRE(ev.type == event_type::text);
  CHECK(ev.text() == "hello");
  CHECK(server.next().type == event_type::need_more);
  CHECK_FALSE(server.feed(std::string_view()));
  CHECK(server.next().type == event_type::need_more);
}
