// Fuzz target: cursor text parsing and resume on the message log (rtwire/core/log.hpp).
// Invariants: a text that parses formats back to exactly the same text (one spelling per
// cursor); the first 16 bytes read as a cursor format to a text that parses back to it; and
// resume() on a log built from the input (appends and evictions driven by the bytes) either
// returns exactly the retained messages after the cursor, or a reset whose reason matches the
// cursor's position; it never returns a range with a hole. Some bytes drive the mirror API
// (append_at at, before and past the next offset; restart_at behind, at and past the head),
// whose errors must match the offsets and change nothing.
#include <rtwire/core/log.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

using namespace std::chrono_literals;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  const auto parsed = rtwire::log::parse_cursor(text);
  if (parsed && rtwire::log::to_string(*parsed) != text) __builtin_trap();
  if (parsed && (size > rtwire::log::max_cursor_chars ||
                 text.find_first_not_of("0123456789abcdef-") != std::string_view::npos))
    __builtin_trap();

  if (size >= 16) {
    rtwire::log::cursor c;
    std::memcpy(&c.epoch, bytes, 8);
    std::memcpy(&c.offset, bytes + 8, 8);
    const auto back = rtwire::log::parse_cursor(rtwire::log::to_string(c));
    if (!back || !(*back == c)) __builtin_trap();
  }

  // A small log driven by the bytes: even bytes append (payload size = byte / 2), odd bytes
  // advance time; retention keeps at most 8 messages, 64 bytes, 50 ms.
  rtwire::log::message_log log(3, {.max_messages = 8, .max_bytes = 64, .max_age = 50ms});
  std::int64_t now = 0;
  for (std::size_t i = 0; i < size; ++i) {
    if (bytes[i] % 2 == 0) {
      const auto r = log.append(std::string(bytes[i] / 2u % 70u, 'x'), rtwire::log::millis{now});
      if (r.error && bytes[i] / 2u % 70u <= 64) __builtin_trap();
    } else if (bytes[i] % 8 == 3) {
      // A mirror's append_at: the offset after the head succeeds; the head itself is a repeat;
      // one further is a gap. Errors change nothing.
      const std::uint64_t last = log.last_offset();
      const std::uint64_t offset = last + (bytes[i] >> 3) % 3u;
      const auto held = log.held();
      const auto r = log.append_at(offset, "m", "", rtwire::log::millis{now});
      if (offset == last + 1
              ? (!r || r.offset != offset)
              : (r.error != (offset > last + 1 ? rtwire::log::error::offset_gap
                                               : rtwire::log::error::offset_repeated) ||
                 !(log.held() == held)))
        __builtin_trap();
    } else if (bytes[i] % 16 == 7) {
      // restart_at in the same epoch: behind the head is refused, at or past it drops history.
      const std::uint64_t last = log.last_offset();
      const std::uint64_t to = last + (bytes[i] >> 4) % 3u - (last > 0 ? 1u : 0u);
      const auto held = log.held();
      const auto ec = log.restart_at({3, to});
      if (to < last ? (ec != rtwire::log::error::offset_repeated || !(log.held() == held))
                    : (ec || !log.empty() || log.last_offset() != to))
        __builtin_trap();
    } else {
      now += bytes[i] % 16;
      log.trim(rtwire::log::millis{now});
    }
    if (log.size() > 8 || log.bytes() > 64) __builtin_trap();
    if (log.first_offset() + log.size() != log.last_offset() + 1) __builtin_trap();
  }
  for (std::uint64_t off = 0; off <= log.last_offset() + 2; ++off) {
    for (const std::uint64_t epoch : {std::uint64_t{3}, std::uint64_t{4}}) {
      const auto r = log.resume(rtwire::log::cursor{epoch, off});
      if (epoch != 3) {
        if (r.reset != rtwire::log::error::epoch_mismatch) __builtin_trap();
      } else if (off > log.last_offset()) {
        if (r.reset != rtwire::log::error::cursor_from_future) __builtin_trap();
      } else if (off + 1 < log.first_offset()) {
        if (r.reset != rtwire::log::error::cursor_too_old) __builtin_trap();
      } else {
        if (!r || r.first != off + 1 || r.last != log.last_offset()) __builtin_trap();
        std::uint64_t expect = r.first;
        for (const auto& m : log.range(r.first, r.last)) {
          if (m.offset != expect++ || !log.contains(m.offset)) __builtin_trap();
        }
        if (expect != r.last + 1) __builtin_trap();
      }
      if (!(r.head == log.head())) __builtin_trap();
    }
  }
  return 0;
}
