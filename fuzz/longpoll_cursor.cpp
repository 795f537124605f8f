// Fuzz target: poll cursors as clients send them (rtwire/longpoll/queue.hpp).
// Invariants: a text is accepted by position::from_text() exactly when log::parse_cursor()
// accepts it, and then formats back to the same text; a poll with it is rejected
// (malformed_cursor) exactly when the text is malformed; otherwise its outcome matches the
// cursor's place against the topic's history (reset reason, ready batch right after the cursor,
// or parked at the head); a ready batch is contiguous and bounded.
#include <rtwire/longpoll.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;
namespace lp = rtwire::longpoll;
namespace lg = rtwire::log;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  const auto pos = lp::position::from_text(text);
  const auto parsed = lg::parse_cursor(text);
  if (parsed.has_value() != (pos.type() == lp::position::kind::after_cursor)) __builtin_trap();
  if (parsed && lg::to_string(*parsed) != text) __builtin_trap();

  // Topic epoch 0xa with offsets 1..10, of which 4..10 are retained.
  lp::queue q({.max_batch_messages = 4, .max_waiters = 1});
  const auto t = *q.add_topic(0xa, {.max_messages = 7});
  std::vector<lp::completion> out;
  for (int i = 0; i < 10; ++i)
    if (!q.publish(t, "m", 0ms, out)) __builtin_trap();
  const auto r = q.poll({.topic = t, .from = pos}, 0ms);
  if (!parsed) {
    if (r.status != lp::poll_status::rejected || r.error != lg::error::malformed_cursor)
      __builtin_trap();
    return 0;
  }
  const lg::cursor c = *parsed;
  const lg::cursor head{0xa, 10};
  if (c.epoch != 0xa) {
    if (r.status != lp::poll_status::reset || r.error != lg::error::epoch_mismatch)
      __builtin_trap();
  } else if (c.offset > 10) {
    if (r.status != lp::poll_status::reset || r.error != lg::error::cursor_from_future)
      __builtin_trap();
  } else if (c.offset < 3) {
    if (r.status != lp::poll_status::reset || r.error != lg::error::cursor_too_old)
      __builtin_trap();
  } else if (c.offset == 10) {
    if (r.status != lp::poll_status::parked || !(r.next == head)) __builtin_trap();
  } else {
    if (r.status != lp::poll_status::ready) __builtin_trap();
    const std::uint64_t want = std::min<std::uint64_t>(4, 10 - c.offset);
    if (r.messages.size() != want || r.next.offset != c.offset + want) __builtin_trap();
    for (std::size_t i = 0; i < r.messages.size(); ++i)
      if (r.messages[i].offset() != c.offset + 1 + i) __builtin_trap();
  }
  if (r.status == lp::poll_status::reset && !(r.next == head)) __builtin_trap();
  return 0;
}
