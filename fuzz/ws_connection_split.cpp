// Fuzz target: the WebSocket connection in both roles, in both delivery modes, with random splits.
// Input: byte 0 selects role, delivery mode and small limits; the rest is what the peer sends.
// Invariants: no crash or sanitizer report; whole vs three chunks give the same event log, the
// same output bytes (auto-pongs, close frames), state and error (code and offset); an error's
// close code is close_code_for(its error); the output always decodes as valid frames from us.
#include <rtwire/ws/connection.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct fixed_keys {
  rtwire::ws::masking_key operator()() { return {1, 2, 3, 4}; }
};

struct outcome {
  std::string log;
  std::string output;
  rtwire::ws::connection_state state;
  std::error_code error;
  std::size_t error_offset;
};

outcome run(std::uint8_t sel, const std::uint8_t* data, std::size_t size, std::size_t a,
            std::size_t b) {
  using namespace rtwire::ws;
  fixed_keys keys;
  connection_options opts;
  opts.mode = (sel & 2) ? delivery::streaming : delivery::whole_message;
  opts.auto_pong = (sel & 4) == 0;
  opts.keys = keys;
  if (sel & 8)
    opts.limit = {.max_frame_payload = 200,
                  .max_message_size = 300,
                  .max_fragments = 4,
                  .max_buffered_bytes = 250};
  connection conn((sel & 1) ? role::client : role::server, opts);
  outcome out{};
  const std::size_t bounds[] = {0, a, b, size};
  std::string pending;
  for (int c = 0; c < 3; ++c) {
    std::vector<std::byte> chunk(bounds[c + 1] - bounds[c]);
    if (!chunk.empty()) std::memcpy(chunk.data(), data + bounds[c], chunk.size());
    if (conn.feed(chunk)) break;  // failed: sticky
    bool failed = false;
    for (event ev = conn.next(); ev.type != event_type::need_more; ev = conn.next()) {
      if (ev.type == event_type::error) {
        if (ev.code != close_code_for(static_cast<error>(conn.failure().code.value())))
          __builtin_trap();
        out.log += "|error";
        failed = true;
        break;
      }
      if (ev.type == event_type::text || ev.type == event_type::binary) {
        if (ev.type == event_type::text && !rtwire::utf8::is_valid(ev.text()) &&
            ev.message_finished && opts.mode == delivery::whole_message)
          __builtin_trap();
        pending.append(ev.text());
        if (!ev.frame_finished) continue;
        // A char, not a one-character string, before the +: GCC 12 reports a bogus -Wrestrict at
        // -O2/-O3 for operator+(const char*, std::string&&) (GCC PR 105651).
        out.log += '|' + std::to_string(static_cast<int>(ev.type)) +
                   (ev.message_finished ? "M" : "F") + pending;
        pending.clear();
        continue;
      }
      out.log += '|' + std::to_string(static_cast<int>(ev.type)) + ":" +
                 std::to_string(static_cast<int>(ev.code)) + std::string(ev.text());
    }
    if (failed) break;
  }
  out.output = std::string(rtwire::as_chars(conn.output()));
  out.state = conn.state();
  out.error = conn.failure().code;
  out.error_offset = conn.failure().offset;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t sel = data[0];
  ++data;
  --size;
  const outcome whole = run(sel, data, size, size, size);
  const std::size_t a = size == 0 ? 0 : data[0] % (size + 1);
  const std::size_t b = size == 0 ? 0 : a + (data[size - 1] % (size - a + 1));
  const outcome split = run(sel, data, size, a, b);
  if (whole.log != split.log || whole.output != split.output || whole.state != split.state ||
      whole.error != split.error || whole.error_offset != split.error_offset)
    __builtin_trap();
  // Our output is well-formed frames with our role's masking.
  rtwire::ws::frame_decoder dec(
      {.rules = {.masking = (sel & 1) ? rtwire::ws::mask_rule::required
                                      : rtwire::ws::mask_rule::forbidden}});
  std::string out = whole.output;
  rtwire::mutable_bytes_view in = std::as_writable_bytes(std::span(out));
  while (!in.empty()) {
    const auto r = dec.decode(in);
    if (r.status != rtwire::ws::frame_decoder::status::piece) __builtin_trap();
    in = in.subspan(r.consumed);
  }
  if (!dec.at_frame_boundary()) __builtin_trap();
  return 0;
}
