// Test support for rtwire::ws::connection: builds peer frames, drives a connection with an input
// split any way, and turns what happens into a log of lines that the tests compare against the
// expected behaviour (and across splits: DESIGN.md §1.5).
#pragma once

#include <rtwire/ws/connection.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "support/splits.hpp"

namespace rtwire::test::ws {

using namespace rtwire::ws;

/// Deterministic masking keys for tests (a real client uses a strong random source).
struct counting_keys {
  std::uint8_t n = 0;
  masking_key operator()() {
    ++n;
    return {n, static_cast<std::uint8_t>(n * 7), 0x5A, 0xC3};
  }
};

/// One frame as the peer of `receiver` would send it: masked with a fixed key when the receiver
/// is a server (RFC 6455 §5.1), unmasked when it is a client.
inline std::string peer_frame(role receiver, opcode op, std::string_view payload, bool fin = true,
                              std::uint8_t rsv = 0) {
  std::string out;
  frame_header h{.fin = fin, .rsv = rsv, .op = op};
  if (receiver == role::server) {
    h.masked = true;
    h.key = {0x37, 0xFA, 0x21, 0x3D};
  }
  write_frame(out, h, as_bytes(payload));
  return out;
}

inline std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string s;
  s.push_back(static_cast<char>(code >> 8));
  s.push_back(static_cast<char>(code & 0xFF));
  s.append(reason);
  return s;
}

inline std::string printable(std::string_view s) {
  if (s.size() > 40) return std::to_string(s.size()) + " bytes";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

/// The frames in `bytes` (what a connection sent), one line each: "text 'hi'", "close 1000 ''",
/// "pong ''", with "(more)" for a non-final frame. Unmasks copies; checks every frame decodes.
inline std::vector<std::string> sent_frames(std::string bytes) {
  std::vector<std::string> out;
  frame_decoder dec;
  mutable_bytes_view in = std::as_writable_bytes(std::span(bytes));
  std::string payload;
  while (!in.empty()) {
    const auto r = dec.decode(in);
    REQUIRE(r.status == frame_decoder::status::piece);
    in = in.subspan(r.consumed);
    payload.append(as_chars(r.payload));
    if (!r.frame_finished) continue;
    const frame_header& h = dec.header();
    std::string line;
    switch (h.op) {
      case opcode::continuation:
        line = "cont";
        break;
      case opcode::text:
        line = "text";
        break;
      case opcode::binary:
        line = "binary";
        break;
      case opcode::ping:
        line = "ping";
        break;
      case opcode::pong:
        line = "pong";
        break;
      case opcode::close: {
        line = "close";
        if (payload.size() >= 2) {
          const auto* p = reinterpret_cast<const unsigned char*>(payload.data());
          line += " " + std::to_string((p[0] << 8) | p[1]);
          payload.erase(0, 2);
        }
        break;
      }
      default:
        line = "?";
        break;
    }
    line += " '" + printable(payload) + "'";
    if (!h.fin) line += " (more)";
    out.push_back(line);
    payload.clear();
  }
  return out;
}

/// What a connection did with one input.
struct run_result {
  /// One line per event ("text 'hi'", "ping ''", "close 1000 'bye'", "error 1002"); in streaming
  /// mode the pieces of one frame are joined (their boundaries depend on the split) and the line
  /// says "[frame]" or "[message]" for the end it marks.
  std::vector<std::string> events;
  /// The frames the connection queued in output() (auto-pongs, close replies).
  std::vector<std::string> sent;
  connection_state state;
  bool clean;
  std::error_code error;
  std::size_t error_offset;
  close_code error_close;
};

/// Feeds `chunks` to a fresh connection of role `r`. With `echo`, behaves like the echo server
/// Autobahn tests: every whole text/binary message is sent back at once.
inline run_result run(role r, const connection_options& opts,
                      const std::vector<std::string_view>& chunks, bool eof = false,
                      bool echo = false) {
  counting_keys keys;
  connection_options o = opts;
  if (r == role::client && !o.keys) o.keys = keys;
  connection conn(r, o);
  run_result out{};
  std::string pending;  // streaming: the current frame's pieces so far
  bool failed = false;
  for (std::string_view chunk : chunks) {
    if (failed) break;
    std::vector<std::byte> buf(chunk.size());
    if (!chunk.empty()) std::memcpy(buf.data(), chunk.data(), chunk.size());
    REQUIRE_FALSE(conn.feed(buf));
    for (;;) {
      const event ev = conn.next();
      if (ev.type == event_type::need_more) break;
      std::string line;
      switch (ev.type) {
        case event_type::text:
        case event_type::binary:
          pending.append(ev.text());
          if (!ev.frame_finished) continue;
          line = (ev.type == event_type::text ? "text '" : "binary '") + printable(pending) + "'";
          if (echo && ev.message_finished && opts.mode == delivery::whole_message) {
            if (ev.type == event_type::text)
              CHECK_FALSE(conn.send_text(ev.text()));
            else
              CHECK_FALSE(conn.send_binary(ev.data));
          }
          if (opts.mode == delivery::streaming)
            line += ev.message_finished ? " [message]" : " [frame]";
          pending.clear();
          break;
        case event_type::ping:
          line = "ping '" + printable(ev.text()) + "'";
          break;
        case event_type::pong:
          line = "pong '" + printable(ev.text()) + "'";
          break;
        case event_type::close:
          line = "close " + std::to_string(static_cast<int>(ev.code)) + " '" +
                 printable(ev.reason()) + "'";
          break;
        case event_type::error:
          line = "error " + std::to_string(static_cast<int>(ev.code));
          failed = true;
          break;
        case event_type::need_more:
          break;
      }
      out.events.push_back(line);
      if (failed) {
        // Sticky: the same error again, and feed() reports it.
        CHECK(conn.next().type == event_type::error);
        CHECK(conn.feed(buf) == conn.failure().code);
        break;
      }
    }
  }
  if (eof) {
    conn.receive_eof();
    const event ev = conn.next();
    if (ev.type == event_type::error && !failed)
      out.events.push_back("error " + std::to_string(static_cast<int>(ev.code)));
  }
  out.sent = sent_frames(std::string(as_chars(conn.output())));
  out.state = conn.state();
  out.clean = conn.closed_cleanly();
  out.error = conn.failure().code;
  out.error_offset = conn.failure().offset;
  out.error_close = conn.failure().close;
  return out;
}

/// Runs `input` whole, byte by byte and split at every point; every run must give the same
/// events, output, state and error. Returns the whole-input run.
/// The splits to replay: all_splits() for inputs up to 4 KiB; for longer ones whole, byte by
/// byte, and two-way splits at every point of the first and last 512 bytes and every 61st byte
/// in between (every header and a sample of payload positions).
inline std::vector<split> replay_splits(std::string_view input) {
  if (input.size() <= 4096) return all_splits(input);
  std::vector<split> out;
  out.push_back({"whole", {input}});
  split bytes{"byte by byte", {}};
  for (std::size_t i = 0; i < input.size(); ++i)
    bytes.chunks.push_back(input.substr(i, 1));
  out.push_back(std::move(bytes));
  for (std::size_t at = 0; at <= input.size(); ++at) {
    if (at > 512 && at + 512 < input.size() && at % 61 != 0) continue;
    out.push_back({"split at " + std::to_string(at), {input.substr(0, at), input.substr(at)}});
  }
  return out;
}

inline run_result run_all_splits(role r, const connection_options& opts, std::string_view input,
                                 bool eof = false, bool echo = false) {
  const run_result whole = run(r, opts, {input}, eof, echo);
  for (const auto& split : replay_splits(input)) {
    INFO(split.label);
    const run_result o = run(r, opts, split.chunks, eof, echo);
    CHECK(o.events == whole.events);
    CHECK(o.sent == whole.sent);
    CHECK(o.state == whole.state);
    CHECK(o.clean == whole.clean);
    CHECK(o.error == whole.error);
    CHECK(o.error_offset == whole.error_offset);
  }
  return whole;
}

using lines = std::vector<std::string>;

/// Builds the bytes the Autobahn fuzzing peer sends, for a receiver of the given role.
using input_builder = std::string (*)(role);

/// One Autobahn TestSuite case replayed against the sans-IO connection acting as the echo
/// endpoint, in both roles, at every split: the events it must produce and the frames it must
/// send (echoes, pongs, its close frame).
struct autobahn_case {
  const char* id;
  input_builder input;
  lines events;
  lines sent;
};

inline void check(const autobahn_case& c, const connection_options& opts = {}) {
  for (role r : {role::server, role::client}) {
    INFO("case " << c.id << (r == role::server ? " (server role)" : " (client role)"));
    const std::string input = c.input(r);
    const run_result got = run_all_splits(r, opts, input, false, true);
    CHECK(got.events == c.events);
    CHECK(got.sent == c.sent);
    // Autobahn's verdict: a failure must end the connection with the close code sent; a case
    // ending in a close must close cleanly.
    if (!c.events.empty() && c.events.back().rfind("error", 0) == 0) {
      CHECK(got.state == connection_state::closed);
      CHECK(c.sent.back() == "close " + c.events.back().substr(6) + " ''");
    } else if (!c.sent.empty() && c.sent.back().rfind("close", 0) == 0) {
      CHECK(got.clean);
    }
  }
}

}  // namespace rtwire::test::ws
