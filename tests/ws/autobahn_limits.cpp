// Autobahn TestSuite sections 9 (limits and performance: large messages, many fragments, many
// messages) and 10 (auto-fragmentation), after crossbario/autobahn-testsuite
// autobahn/testsuite/case/case9_*.py and case10_1_1.py. They must pass with the default limits.
// Inputs of many megabytes are replayed in socket-sized reads (64 KiB and an odd 4093 bytes)
// instead of at every split; the frame layer's split-invariance is covered by the other files.
#include <string>
#include <vector>

#include "autobahn_harness.hpp"
#include "catch.hpp"

using namespace rtwire::test::ws;

namespace {

std::vector<std::string_view> reads(std::string_view input, std::size_t size) {
  std::vector<std::string_view> out;
  for (std::size_t at = 0; at < input.size(); at += size)
    out.push_back(input.substr(at, size));
  return out;
}

void check_echo(role r, const std::string& input, const lines& events, const lines& sent,
                const connection_options& opts = {}) {
  for (std::size_t size : {std::size_t{65536}, std::size_t{4093}}) {
    INFO("reads of " << size);
    const run_result got = run(r, opts, reads(input, size), false, true);
    CHECK(got.events == events);
    CHECK(got.sent == sent);
    CHECK(got.clean);
  }
}

std::string payload(std::size_t n, bool text) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = text ? static_cast<char>('a' + i % 26) : static_cast<char>(i * 31);
  return s;
}

}  // namespace

TEST_CASE("Autobahn 9.1 / 9.2: single-frame messages up to 16 MiB", "[autobahn][limits]") {
  for (std::size_t n : {std::size_t{65536}, std::size_t{1} << 20, std::size_t{16} << 20}) {
    for (bool text : {true, false}) {
      for (role r : {role::server, role::client}) {
        INFO((text ? "9.1 text " : "9.2 binary ") << n);
        const std::string line =
            std::string(text ? "text '" : "binary '") + std::to_string(n) + " bytes'";
        const std::string input =
            peer_frame(r, text ? opcode::text : opcode::binary, payload(n, text)) +
            peer_frame(r, opcode::close, close_payload(1000));
        check_echo(r, input, {line, "close 1000 ''"}, {line, "close 1000 ''"});
      }
    }
  }
}

TEST_CASE("Autobahn 9.3 / 9.4: 4 MiB messages in fragments of 64 B to 4 MiB",
          "[autobahn][limits]") {
  const std::size_t total = std::size_t{4} << 20;
  for (std::size_t fragment : {std::size_t{64}, std::size_t{4096}, std::size_t{1} << 20, total}) {
    for (bool text : {true, false}) {
      const role r = role::server;
      INFO((text ? "9.3 text" : "9.4 binary") << " in fragments of " << fragment);
      const std::string data = payload(total, text);
      std::string input;
      for (std::size_t at = 0; at < total; at += fragment)
        input +=
            peer_frame(r, at == 0 ? (text ? opcode::text : opcode::binary) : opcode::continuation,
                       std::string_view(data).substr(at, fragment), at + fragment >= total);
      input += peer_frame(r, opcode::close, close_payload(1000));
      const std::string line = std::string(text ? "text '" : "binary '") + "4194304 bytes'";
      check_echo(r, input, {line, "close 1000 ''"}, {line, "close 1000 ''"});
    }
  }
}

TEST_CASE("Autobahn 9.7 / 9.8: 1000 messages in a row", "[autobahn][limits]") {
  for (std::size_t n : {std::size_t{0}, std::size_t{16}, std::size_t{4096}}) {
    const role r = role::server;
    INFO("1000 messages of " << n);
    std::string input;
    lines expected;
    const std::string data = payload(n, true);
    for (int i = 0; i < 1000; ++i) {
      input += peer_frame(r, opcode::text, data);
      expected.push_back("text '" + printable(data) + "'");
    }
    input += peer_frame(r, opcode::close, close_payload(1000));
    expected.push_back("close 1000 ''");
    check_echo(r, input, expected, expected);
  }
}

TEST_CASE("Autobahn 10.1.1: a 64 KiB message auto-fragmented in 1300-byte frames",
          "[autobahn][limits]") {
  // The peer fragments; the endpoint reassembles. Our own sender does the same with
  // fragment_size: its frames must be exactly those.
  const std::string data = payload(65536, true);
  std::string input;
  for (std::size_t at = 0; at < data.size(); at += 1300)
    input += peer_frame(role::server, at == 0 ? opcode::text : opcode::continuation,
                        std::string_view(data).substr(at, 1300), at + 1300 >= data.size());
  input += peer_frame(role::server, opcode::close, close_payload(1000));
  check_echo(role::server, input, {"text '65536 bytes'", "close 1000 ''"},
             {"text '65536 bytes'", "close 1000 ''"});

  connection sender(role::server, {.fragment_size = 1300});
  REQUIRE_FALSE(sender.send_text(data));
  const lines frames = sent_frames(std::string(rtwire::as_chars(sender.output())));
  REQUIRE(frames.size() == 51);  // 50 x 1300 + 536
  CHECK(frames.front() == "text '1300 bytes' (more)");
  CHECK(frames[1] == "cont '1300 bytes' (more)");
  CHECK(frames.back() == "cont '536 bytes'");
}

TEST_CASE("defaults stop what section 9 does not need", "[autobahn][limits]") {
  // One byte over each default fails with 1009 at the header, before any payload is buffered.
  std::string header(max_header_size, '\0');
  frame_header h{.op = opcode::binary, .masked = true, .payload_length = (16u << 20) + 1};
  header.resize(encode_header(h, reinterpret_cast<std::byte*>(header.data())));
  const run_result got = run_all_splits(role::server, {}, header);
  CHECK(got.events == lines{"error 1009"});
  CHECK(got.error == error::frame_too_big);
}
