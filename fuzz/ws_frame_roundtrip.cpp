// Fuzz target: encode → decode round trip through two wired connections.
// Input: a script of messages (per message: a control byte — kind, fragment size — a length
// byte, then that many payload bytes). The sender (client or server, per the first byte) sends
// them as text (made valid UTF-8 by masking to ASCII), binary, or pings, optionally
// auto-fragmented; the other side, in whole-message or streaming mode, must receive exactly the
// same messages, in order, and both must then close cleanly.
#include <rtwire/ws/connection.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

struct keys {
  std::uint32_t state = 0x9E3779B9u;
  rtwire::ws::masking_key operator()() {
    state = state * 1664525u + 1013904223u;  // deterministic: the fuzzer needs reproducibility
    return {static_cast<std::uint8_t>(state >> 24), static_cast<std::uint8_t>(state >> 16),
            static_cast<std::uint8_t>(state >> 8), static_cast<std::uint8_t>(state)};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rtwire::ws;
  if (size < 1) return 0;
  const bool client_sends = data[0] & 1;
  const bool streaming = data[0] & 2;
  const std::size_t fragment = (data[0] & 4) ? 1 + (data[0] >> 3) : 0;
  keys k;
  connection sender(client_sends ? role::client : role::server,
                    {.fragment_size = fragment, .keys = k});
  connection receiver(
      client_sends ? role::server : role::client,
      {.mode = streaming ? delivery::streaming : delivery::whole_message, .keys = k});
  std::vector<std::string> sent, received;
  std::size_t i = 1;
  while (i + 2 <= size) {
    const std::uint8_t ctl = data[i];
    std::size_t len = data[i + 1];
    i += 2;
    if (len > size - i) len = size - i;
    std::string payload(reinterpret_cast<const char*>(data + i), len);
    i += len;
    switch (ctl % 3) {
      case 0:
        for (char& c : payload)
          c = static_cast<char>(c & 0x7F);
        if (sender.send_text(payload)) __builtin_trap();
        sent.push_back("t" + payload);
        break;
      case 1:
        if (sender.send_binary(rtwire::as_bytes(payload))) __builtin_trap();
        sent.push_back("b" + payload);
        break;
      default:
        if (payload.size() > 125) payload.resize(125);
        if (sender.send_ping(rtwire::as_bytes(payload))) __builtin_trap();
        sent.push_back("p" + payload);
        break;
    }
  }
  if (sender.close(close_code::normal, "done")) __builtin_trap();
  sent.push_back("c1000done");

  // Deliver the sender's bytes in chunks whose sizes come from the input.
  std::string wire(rtwire::as_chars(sender.output()));
  sender.consume_output(wire.size());
  std::string current;
  std::size_t at = 0, step = 0;
  while (at < wire.size()) {
    const std::size_t n = std::min<std::size_t>(wire.size() - at, 1 + data[step++ % size] * 3u);
    if (receiver.feed(wire.data() + at, n)) __builtin_trap();
    at += n;
    for (event ev = receiver.next(); ev.type != event_type::need_more; ev = receiver.next()) {
      switch (ev.type) {
        case event_type::text:
        case event_type::binary:
          current.append(ev.text());
          if (ev.message_finished) {
            received.push_back((ev.type == event_type::text ? "t" : "b") + current);
            current.clear();
          }
          break;
        case event_type::ping:
          // A char, not a one-character string, before the +: GCC 12 reports a bogus -Wrestrict at
          // -O2/-O3 for operator+(const char*, std::string&&) (GCC PR 105651).
          received.push_back('p' + std::string(ev.text()));
          break;
        case event_type::close:
          received.push_back('c' + std::to_string(static_cast<int>(ev.code)) +
                             std::string(ev.reason()));
          break;
        default:
          __builtin_trap();  // no error, no pong expected
      }
    }
  }
  if (received != sent) __builtin_trap();
  if (receiver.state() != connection_state::closed) __builtin_trap();
  // The receiver answered the pings and the close; the sender completes the handshake.
  std::string reply(rtwire::as_chars(receiver.output()));
  if (sender.feed(reply.data(), reply.size())) __builtin_trap();
  std::size_t pongs = 0;
  bool closed = false;
  for (event ev = sender.next(); ev.type != event_type::need_more; ev = sender.next()) {
    if (ev.type == event_type::pong)
      ++pongs;
    else if (ev.type == event_type::close)
      closed = true;
    else
      __builtin_trap();
  }
  std::size_t pings = 0;
  for (const auto& s : sent)
    pings += s[0] == 'p';
  if (pongs != pings || !closed || !sender.closed_cleanly() || !receiver.closed_cleanly())
    __builtin_trap();
  return 0;
}
