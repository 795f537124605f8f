// Fuzz target: the WebSocket frame decoder (rtwire/ws/decoder.hpp).
// Input: byte 0 selects the rules (mask rule, allowed RSV bits, a small frame limit), the rest is
// the stream. Invariants: no crash or sanitizer report; the stream decoded whole and in three
// chunks (split points derived from the input) gives the same frames, payload bytes, offsets and
// error; every payload piece lies inside the chunk it came from; a frame's pieces add up to its
// declared length unless the stream ends first.
#include <rtwire/ws/decoder.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct outcome {
  std::string log;  // per frame: header fields and payload bytes
  std::error_code error;
  std::size_t error_offset = rtwire::error_at::npos;
  std::size_t consumed = 0;
};

outcome run(const rtwire::ws::header_rules& rules, const std::uint8_t* data, std::size_t size,
            std::size_t a, std::size_t b) {
  rtwire::ws::frame_decoder dec({.rules = rules});
  outcome out;
  const std::size_t bounds[] = {0, a, b, size};
  for (int c = 0; c < 3; ++c) {
    std::vector<std::byte> chunk(bounds[c + 1] - bounds[c]);
    if (!chunk.empty()) std::memcpy(chunk.data(), data + bounds[c], chunk.size());
    rtwire::mutable_bytes_view in(chunk);
    for (;;) {
      const auto r = dec.decode(in);
      if (r.consumed > in.size()) __builtin_trap();
      if (r.status == rtwire::ws::frame_decoder::status::failed) {
        out.error = dec.error().code;
        out.error_offset = dec.error().offset;
        return out;  // how much was consumed before the error depends on the chunking
      }
      if (r.status == rtwire::ws::frame_decoder::status::need_more) {
        if (r.consumed != in.size()) __builtin_trap();
        break;
      }
      if (!r.payload.empty() && (r.payload.data() < chunk.data() ||
                                 r.payload.data() + r.payload.size() > chunk.data() + chunk.size()))
        __builtin_trap();
      if (r.frame_started) {
        const auto& h = dec.header();
        // A char, not a one-character string, before the +: GCC 12 reports a bogus -Wrestrict at
        // -O2/-O3 for operator+(const char*, std::string&&) (GCC PR 105651).
        out.log += '|' + std::to_string(static_cast<int>(h.op)) + (h.fin ? "F" : "-") +
                   std::to_string(h.rsv) + ":" + std::to_string(h.payload_length) + "@" +
                   std::to_string(dec.frame_offset()) + ":";
      }
      out.log.append(reinterpret_cast<const char*>(r.payload.data()), r.payload.size());
      if (r.frame_finished && dec.remaining() != 0) __builtin_trap();
      in = in.subspan(r.consumed);
    }
  }
  out.consumed = dec.offset();
  if (out.consumed != size) __builtin_trap();  // no error: every byte is used
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t sel = data[0];
  rtwire::ws::header_rules rules;
  rules.masking = static_cast<rtwire::ws::mask_rule>(sel % 3);
  rules.allowed_rsv = static_cast<std::uint8_t>((sel >> 2) & 7);
  if (sel & 0x20) rules.max_payload = 300;
  ++data;
  --size;
  const outcome whole = run(rules, data, size, size, size);
  const std::size_t a = size == 0 ? 0 : data[0] % (size + 1);
  const std::size_t b = size == 0 ? 0 : a + (data[size - 1] % (size - a + 1));
  const outcome split = run(rules, data, size, a, b);
  if (whole.log != split.log || whole.error != split.error ||
      whole.error_offset != split.error_offset || whole.consumed != split.consumed)
    __builtin_trap();
  return 0;
}
