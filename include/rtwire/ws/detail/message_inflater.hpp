// rtwire — internal: the receiving half of per-message compression in rtwire::ws::connection.
// Inflates the compressed payload of one message piece by piece (RFC 7692 §7.2.2) through the
// negotiated rtwire::ws::compression, into the connection's whole-message buffer or, streaming,
// into one chunk of its own; never past a limit. Not public API.
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
  /// message grows (so memory tracks the inflated size).
  static constexpr std::size_t chunk = 64 * 1024;

  enum class fault : std::uint8_t { none, bad_data, over_limit };

  struct step {
    bytes_view piece;  ///< bytes inflated by this step (in the whole buffer, or in our chunk)
    bool drained;      ///< the bytes given to take() are used up (with `last`: message ended)
    bool message_end;  ///< the message is complete
    message_inflater::fault fault;
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

  /// One codec call: appends to `*whole` (whole-message mode) or fills our chunk (whole ==
  /// nullptr). Bomb-safe: the codec never gets room past `limit` + 1 inflated bytes for the
  /// message, so crossing the limit is seen (over_limit) with at most that much held; a whole
  /// buffer grows geometrically, straight to limit + 1 once doubling would reach it.
  step next(compression& codec, std::vector<std::byte>* whole, std::uint64_t limit) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, limit + 1 - inflated_));
    std::byte* out;
    std::size_t old = 0;
    if (whole != nullptr) {
      old = whole->size();
      if (old + n > whole->capacity()) {
        std::uint64_t want = std::max<std::uint64_t>(2 * whole->capacity(), old + n);
        if (want >= limit) want = limit + 1;
        whole->reserve(static_cast<std::size_t>(want));
      }
      whole->resize(old + n);
      out = whole->data() + old;
    } else {
      if (buffer_.size() < chunk) buffer_.resize(chunk);
      out = buffer_.data();
    }
    const compression::result z = codec.decompress(in_, {out, n}, last_);
    in_ = in_.subspan(z.consumed);
    inflated_ += z.produced;
    if (whole != nullptr) whole->resize(old + z.produced);
    const bytes_view piece(out, z.produced);
    // A codec that neither consumes nor produces while it has work would loop forever. A fault
    // still returns what was inflated before it, so the caller checks that first (the outcome
    // then does not depend on how the input was split).
    const bool stuck = z.status == compression::status::progress && z.consumed == 0 &&
                       z.produced == 0 && (!in_.empty() || last_);
    if (z.status == compression::status::bad_data || stuck) {
      busy_ = false;
      return {piece, true, false, fault::bad_data};
    }
    if (inflated_ > limit) {
      busy_ = false;
      return {piece, true, false, fault::over_limit};
    }
    // Not last: drained when the input is used up and zlib had less to give than the room.
    const bool drained =
        last_ ? z.status == compression::status::message_end : in_.empty() && z.produced < n;
    if (drained) busy_ = false;
    return {piece, drained, drained && last_, fault::none};
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
