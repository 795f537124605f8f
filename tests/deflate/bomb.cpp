// Decompression bombs: a compressed message that inflates far past limits::max_message_size fails
// with 1009 once the limit is crossed, having held at most the limit (+ one byte) of inflated data
// and spent the time to inflate that much, never the whole. Checked on the peak of live heap
// bytes (this program counts every operator new/delete; RSS would measure malloc's caching). Under
// AddressSanitizer, which owns operator new, the limits and the time are checked, not the heap.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "catch.hpp"
#include "deflate/harness.hpp"
#include "support/allocation_counter.hpp"

using namespace rtwire::test::deflate;

namespace {

// A compressed payload that inflates to `mib` MiB of zeros, built without materialising them:
// with context takeover, every MiB after the first deflates to the same bytes.
std::string zeros_payload(std::size_t mib) {
  deflate_codec c({}, role::server, {.level = 9});
  const std::string one(1u << 20, '\0');
  std::vector<std::byte> first, next;
  REQUIRE(c.compress(rtwire::as_bytes(one), false, first));
  REQUIRE(c.compress(rtwire::as_bytes(one), false, next));
  std::string out(reinterpret_cast<const char*>(first.data()), first.size());
  for (std::size_t i = 1; i < mib; ++i)
    out.append(reinterpret_cast<const char*>(next.data()), next.size());
  // End the message: a sync flush's empty stored block header octet (RFC 7692 §7.2.3.6).
  out.push_back('\0');
  return out;
}

std::string frame(std::string_view payload, bool first, bool fin) {
  std::string out;
  write_frame(out,
              {.fin = fin,
               .rsv = first ? rsv1 : std::uint8_t{0},
               .op = first ? opcode::binary : opcode::continuation},
              rtwire::as_bytes(payload));
  return out;
}

}  // namespace

TEST_CASE("bombs: 64 MiB and 1 GiB inflations stop at the limit with 1009, memory bounded") {
  const limits lim{.max_frame_payload = 16u << 20,
                   .max_message_size = 16u << 20,
                   .max_buffered_bytes = 16u << 20};
  for (const std::size_t mib : {64u, 1024u}) {
    const std::string payload = zeros_payload(mib);
    INFO(mib << " MiB from " << payload.size() << " compressed bytes");
    // The compressed size is ~1/1000 of the inflated one (DEFLATE's ceiling is 1032:1).
    CHECK(payload.size() < mib * 1100);
    const std::string wire = frame(payload, true, true);
    for (const delivery mode : {delivery::whole_message, delivery::streaming}) {
      const std::size_t before = rtwire::test::reset_peak();
      const auto t0 = std::chrono::steady_clock::now();
      const outcome o = run(role::client, {}, {wire}, mode, lim, false);
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - t0)
                          .count();
      CHECK(o.error == rtwire::ws::error::message_too_big);
      CHECK(o.code == close_code::message_too_big);
      CHECK(o.messages.empty());
      // Held at the peak: the limit (whole_message; plus the half-size buffer it moved from), the
      // compressed input's copy, zlib's window; not 64 MiB or 1 GiB.
      if constexpr (rtwire::test::allocation_counting) {
        const std::size_t grown = rtwire::test::peak_bytes.load() - before;
        WARN(mib << " MiB bomb, mode " << static_cast<int>(mode) << ": peak heap growth "
                 << grown / 1024 << " KiB in " << ms << " ms");
        if (mode == delivery::whole_message)
          CHECK(grown <= 3 * ((16u << 20) / 2) + 2 * payload.size() + (1u << 20));
        else
          CHECK(grown <= 16 * 1024 + 2 * payload.size() + (1u << 20));
      }
      if (mode == delivery::streaming) CHECK(o.largest_piece <= 16 * 1024);
      // The time to inflate the limit, not the bomb (16 MiB of zeros: well under a second).
      CHECK(ms < 5000);
    }
  }
}

TEST_CASE("bombs: a many-frame message that crosses the limit only in its last frame") {
  const limits lim{.max_message_size = 4u << 20, .max_buffered_bytes = 4u << 20};
  // 100 frames of 1000 compressed bytes each would be fine; the whole inflates to 8 MiB, and
  // only the last frame carries the bytes that cross 4 MiB.
  deflate_codec c({}, role::server);
  const std::string chunk(40000, 'x');
  std::vector<std::string> pieces;
  std::size_t inflated = 0;
  while (inflated + chunk.size() <= (4u << 20) - 100000) {
    std::vector<std::byte> out;
    REQUIRE(c.compress(rtwire::as_bytes(chunk), false, out));
    pieces.emplace_back(reinterpret_cast<const char*>(out.data()), out.size());
    inflated += chunk.size();
  }
  {
    std::vector<std::byte> out;
    const std::string big(4u << 20, 'y');  // the last frame alone inflates to 4 MiB
    REQUIRE(c.compress(rtwire::as_bytes(big), true, out));
    pieces.emplace_back(reinterpret_cast<const char*>(out.data()), out.size());
  }
  std::string wire;
  for (std::size_t i = 0; i < pieces.size(); ++i)
    wire += frame(pieces[i], i == 0, i + 1 == pieces.size());
  for (const delivery mode : {delivery::whole_message, delivery::streaming}) {
    // Feed everything but the last frame: no error yet.
    const std::size_t last_frame = wire.size() - frame(pieces.back(), false, true).size();
    const outcome partial =
        run(role::client, {}, {std::string_view(wire).substr(0, last_frame)}, mode, lim);
    CHECK_FALSE(partial.error);
    const outcome o = run(role::client, {}, {wire}, mode, lim);
    CHECK(o.error == rtwire::ws::error::message_too_big);
    CHECK(o.code == close_code::message_too_big);
  }
  // The same message under a limit it fits: delivered whole.
  const outcome ok = run(role::client, {}, {wire}, delivery::whole_message,
                         {.max_message_size = 8u << 20, .max_buffered_bytes = 8u << 20});
  REQUIRE(ok.messages.size() == 1);
  CHECK(ok.messages[0].size() == std::string("binary:").size() + inflated + (4u << 20));
}

TEST_CASE("bombs: max_buffered_bytes below max_message_size bounds whole messages (1009)") {
  const std::string wire = frame(zeros_payload(8), true, true);
  const outcome o = run(role::client, {}, {wire}, delivery::whole_message,
                        {.max_message_size = 16u << 20, .max_buffered_bytes = 1u << 20});
  CHECK(o.error == rtwire::ws::error::buffer_limit);
  CHECK(o.code == close_code::message_too_big);
  // Streaming holds no message: the same frame is delivered in pieces.
  const outcome s = run(role::client, {}, {wire}, delivery::streaming,
                        {.max_message_size = 16u << 20, .max_buffered_bytes = 1u << 20});
  CHECK_FALSE(s.error);
  REQUIRE(s.messages.size() == 1);
  CHECK(s.messages[0].size() == std::string("binary:").size() + (8u << 20));
  CHECK(s.largest_piece <= 16 * 1024);
}
