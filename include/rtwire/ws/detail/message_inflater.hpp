// rtwire — internal: the receiving half of per-message compression in rtwire::ws::connection.
// Inflates the compressed payload of one message piece by piece (RFC 7692 §7.2.2) through the
// negotiated rtwire::ws::compression into one chunk of its own (never zero-filled again, so a
// small message costs no more than its inflation), never past a limit. Not public API.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rtwire/core/bytes.hpp"
#include "rtwire/ws/compression.hpp"

namespace rtwire::ws::detail {

class message_inflater {
 public:
  /// Inflated bytes per codec call: the streaming piece size, and the step by which a whole
  /// message grows (so memory tracks the inflated size). 16 KiB: held per connection once a
  /// compressed message arrived; larger chunks measured no faster (bench/ws_deflate.cpp).
  static constexpr std::size_t chunk = 16 * 1024;

  enum class fault : std::uint8_t { none, bad_data, over_limit };

  struct step {
    bytes_view piece;  ///< bytes inflated by this step, in our chunk (valid until next())
    bool drained;      ///< the bytes given to take() are used up (with `last`: message ended)
    bool message_end;  ///< the message is complete
    message_inflater::fault fault;
    bool whole;  ///< `piece` is all of the message inflated so far (its first piece)
  };

  /// A new compressed message begins.
  void start_message() noexcept { inflated_ = 0; }

  /// The next compressed bytes of the message (views into the caller's input, which must stay
  /// valid until busy() is false): `frame_done` if they end a frame, `last` if they end the
  /// message (then RFC 7692 §7.2.2's tail is appended by the codec).
  void take(bytes_view compressed, bool frame_done, bool last) noexcept {
    in_ = compressed;
    frame_done_ = frame_done;
    last_ = last;
    busy_ = true;
  }

  bool busy() const noexcept { return busy_; }
  bool frame_done() const noexcept { return frame_done_; }

  /// One codec call into our chunk. Bomb-safe: the codec never gets room past `limit` + 1
  /// inflated bytes for the message, so crossing the limit is seen (over_limit) having inflated
  /// at most one byte more than allowed.
  step next(compression& codec, std::uint64_t limit) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, limit + 1 - inflated_));
    if (buffer_.size() < chunk) buffer_.resize(chunk);
    std::byte* out = buffer_.data();
    const compression::result z = codec.decompress(in_, {out, n}, last_);
    in_ = in_.subspan(z.consumed);
    const bool first = inflated_ == 0;
    inflated_ += z.produced;
    const bytes_view piece(out, z.produced);
    // A codec that neither consumes nor produces while it has work would loop forever. A fault
    // still returns what was inflated before it, so the caller checks that first (the outcome
    // then does not depend on how the input was split).
    const bool stuck = z.status == compression::status::progress && z.consumed == 0 &&
                       z.produced == 0 && (!in_.empty() || last_);
    if (z.status == compression::status::bad_data || stuck) {
      busy_ = false;
      return {piece, true, false, fault::bad_data, first};
    }
    if (inflated_ > limit) {
      busy_ = false;
      return {piece, true, false, fault::over_limit, first};
    }
    // Not last: drained when the input is used up and zlib had less to give than the room.
    const bool drained =
        last_ ? z.status == compression::status::message_end : in_.empty() && z.produced < n;
    if (drained) busy_ = false;
    return {piece, drained, drained && last_, fault::none, first};
  }

 private:
  bytes_view in_{};
  bool frame_done_ = false;
  bool last_ = false;
  bool busy_ = false;
  std::uint64_t inflated_ = 0;
  std::vector<std::byte> buffer_;  // streaming: one chunk of inflated output
};

}  // namespace rtwire::ws::detail
