// Fuzz target: permessage-deflate (RFC 7692) through the connection, with random negotiated
// parameters. Byte 0 picks the window bits of both sides, context takeover, delivery mode and
// whether the input is a compressed payload (inflate path) or plain text (round trip); byte 1 a
// fragment size; the rest is the payload.
// Invariants, inflate path: no crash or sanitizer report; the payload in one frame or in
// fragments, fed whole or in three chunks, gives the same messages and the same error; nothing
// delivered is larger than the message limit; inflated text that is delivered is UTF-8.
// Round trip: what one side sends (compressed, fragmented), the other side reads back exactly,
// twice in a row (context takeover), in both directions.
#include <rtwire/core/utf8.hpp>
#include <rtwire/ws/connection.hpp>
#include <rtwire/ws/deflate.hpp>
#include <rtwire/ws/deflate_codec.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace rtwire::ws;

struct fixed_keys {
  masking_key operator()() { return {9, 8, 7, 6}; }
};

struct outcome {
  std::vector<std::string> messages;
  std::error_code error;
  friend bool operator==(const outcome&, const outcome&) = default;
};

constexpr std::uint64_t limit = 1u << 20;

outcome read(const deflate_params& p, delivery mode, const std::string& wire, std::size_t a,
             std::size_t b) {
  connection conn(role::client, {.mode = mode, .limit = {.max_message_size = limit}},
                  make_deflate_codec(p, role::client));
  outcome o;
  std::string partial;
  const std::size_t cuts[] = {0, a, b, wire.size()};
  for (int i = 0; i < 3 && !o.error; ++i) {
    std::string chunk = wire.substr(cuts[i], cuts[i + 1] - cuts[i]);
    if (conn.feed(chunk.data(), chunk.size())) break;
    for (event ev = conn.next(); ev.type != event_type::need_more; ev = conn.next()) {
      if (ev.type == event_type::error) {
        o.error = conn.failure().code;
        break;
      }
      partial.append(ev.text());
      if (partial.size() > limit) __builtin_trap();
      if (ev.message_finished) {
        if (ev.type == event_type::text && !rtwire::utf8::is_valid(partial)) __builtin_trap();
        o.messages.push_back(partial);
        partial.clear();
      }
    }
  }
  return o;
}

std::string frames(std::string_view payload, std::size_t fragment, opcode op) {
  std::string out;
  if (fragment == 0 || payload.size() <= fragment) {
    write_frame(out, {.fin = true, .rsv = rsv1, .op = op}, rtwire::as_bytes(payload));
    return out;
  }
  bool first = true;
  while (!payload.empty()) {
    const std::string_view part = payload.substr(0, fragment);
    payload.remove_prefix(part.size());
    write_frame(out,
                {.fin = payload.empty(),
                 .rsv = first ? rsv1 : std::uint8_t{0},
                 .op = first ? op : opcode::continuation},
                rtwire::as_bytes(part));
    first = false;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t sel = data[0];
  const std::size_t fragment = data[1] % 64;
  const std::string_view payload(reinterpret_cast<const char*>(data + 2), size - 2);
  const std::uint8_t bits[] = {8, 9, 12, 15};
  deflate_params p{.server_no_context_takeover = (sel & 0x10) != 0,
                   .client_no_context_takeover = (sel & 0x20) != 0,
                   .server_max_window_bits = bits[sel & 3],
                   .client_max_window_bits = bits[(sel >> 2) & 3]};
  const delivery mode = (sel & 0x40) ? delivery::streaming : delivery::whole_message;

  if ((sel & 0x80) == 0) {
    // Inflate path: the payload as a compressed text message, in one frame and fragmented,
    // followed by "Hello" (RFC 7692 §7.2.3.1) to see the stream is still usable.
    const std::string hello("\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00", 9);
    for (const std::size_t frag : {std::size_t{0}, fragment}) {
      const std::string wire = frames(payload, frag, opcode::text) + hello;
      const outcome whole = read(p, mode, wire, 0, 0);
      const outcome split = read(p, mode, wire, wire.size() / 3, wire.size() * 2 / 3);
      if (!(whole == split)) __builtin_trap();
    }
    return 0;
  }

  // Round trip both ways, each message twice (the second one uses the first's context).
  fixed_keys keys;
  for (const role sender : {role::server, role::client}) {
    const role receiver = sender == role::server ? role::client : role::server;
    connection from(sender, {.fragment_size = fragment, .keys = keys},
                    make_deflate_codec(p, sender, {.level = sel & 7, .mem_level = 1 + (sel & 7)}));
    connection to(receiver, {.mode = mode, .limit = {.max_message_size = limit}, .keys = keys},
                  make_deflate_codec(p, receiver));
    for (int i = 0; i < 2; ++i)
      if (from.send_binary(rtwire::as_bytes(payload))) __builtin_trap();
    std::string wire(rtwire::as_chars(from.output()));
    if (to.feed(wire.data(), wire.size())) __builtin_trap();
    std::string got;
    int messages = 0;
    for (event ev = to.next(); ev.type != event_type::need_more; ev = to.next()) {
      if (ev.type != event_type::binary) __builtin_trap();
      got.append(ev.text());
      if (ev.message_finished) {
        if (got != payload) __builtin_trap();
        got.clear();
        ++messages;
      }
    }
    if (messages != 2) __builtin_trap();
  }
  return 0;
}
