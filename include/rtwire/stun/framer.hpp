// rtwire — framing STUN over a stream (TCP/TLS): RFC 8489 §6.2.2 and RFC 8656 §12.5.
//
//   rtwire::stun::stream_framer framer;
//   rtwire::bytes_view in = what_the_socket_gave_us;
//   for (;;) {
//     const auto r = framer.next(in);
//     in = in.subspan(r.consumed);
//     if (r.status == rtwire::stun::stream_framer::status::need_more) break;  // read more
//     if (r.status == rtwire::stun::stream_framer::status::failed) close(framer.error());
//     // r.kind: STUN message (give r.frame to stun::parse) or ChannelData (r.frame is the
//     // 4-byte header and the data, without the stream padding)
//   }
//
// A stream carries STUN messages (first two bits 00, 20 + length bytes) and TURN ChannelData
// (first two bits 01, channel 0x4000-0x4FFF, 4 + length bytes padded to a multiple of 4 on a
// stream). The framer finds their boundaries; it does not validate a STUN message beyond its
// header's length (that is parse()'s job). A frame wholly inside the input is returned as a view
// of the input (no copy); a frame split across inputs is gathered in one internal buffer of at
// most options::max_frame_bytes. Any split of a stream gives the same frames. Errors are sticky
// and carry the stream offset of the fault. A frame view is valid until the next call (and, when
// it points into the input, while the input is).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/stun/error.hpp"

namespace rtwire::stun {

/// What a stream frame holds.
enum class frame_kind : std::uint8_t { stun, channel_data };

class stream_framer {
 public:
  struct options {
    /// Largest frame accepted (with its padding); the default fits any STUN message (RFC 8489
    /// §5: 20 + a 16-bit length that is a multiple of 4, at most 0xfffc) and any ChannelData
    /// (4 + 65535 + 1 padding byte).
    std::size_t max_frame_bytes = 20 + 0xfffc;
    /// Also accept ChannelData numbered 0x5000-0x7FFF (RFC 5766's range, still used by coturn's
    /// turnutils_uclient); off by default, RFC 8656 §12 allows only 0x4000-0x4FFF.
    bool legacy_channel_range = false;
  };

  enum class status : std::uint8_t {
    /// Every byte of the input was consumed (a partial frame may be held): feed more.
    need_more,
    /// A whole frame: `kind` and `frame` describe it.
    frame,
    /// The stream is not STUN/ChannelData or a frame is too large: error() says which. Sticky.
    failed,
  };

  struct result {
    stream_framer::status status = stream_framer::status::need_more;
    std::size_t consumed = 0;
    frame_kind kind = frame_kind::stun;
    bytes_view frame{};
  };

  stream_framer() noexcept : stream_framer(options{}) {}
  explicit stream_framer(options o) noexcept : opts_(o) {}

  /// Consumes bytes from `in` up to the end of the next frame. Call again with the rest of the
  /// input (in.subspan(consumed)) until need_more.
  [[nodiscard]] result next(bytes_view in) {
    result r;
    if (error_) {
      r.status = status::failed;
      return r;
    }
    if (delivered_from_buffer_) {
      buffer_.clear();
      delivered_from_buffer_ = false;
    }
    // Fast path: nothing held and the whole frame is in the input.
    if (buffer_.empty() && in.size() >= 4) {
      std::size_t need = 0;
      if (!frame_size(in.data(), stream_offset_, need, r.kind)) return fail(r);
      if (in.size() >= need) {
        r.status = status::frame;
        r.consumed = need;
        r.frame = in.first(visible_size(in.data(), r.kind));
        stream_offset_ += need;
        return r;
      }
    }
    // Slow path: gather the header, then the frame, in buffer_.
    std::size_t at = 0;
    if (buffer_.size() < 4) {
      const std::size_t take = std::min<std::size_t>(4 - buffer_.size(), in.size());
      buffer_.insert(buffer_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(take));
      at = take;
      if (buffer_.size() < 4) {
        stream_offset_ += at;
        r.consumed = at;
        return r;
      }
    }
    std::size_t need = 0;
    if (!frame_size(buffer_.data(), stream_offset_ + at - buffer_.size(), need, r.kind)) {
      stream_offset_ += at;
      r.consumed = at;
      return fail(r);
    }
    const std::size_t take = std::min(need - buffer_.size(), in.size() - at);
    buffer_.insert(buffer_.end(), in.begin() + static_cast<std::ptrdiff_t>(at),
                   in.begin() + static_cast<std::ptrdiff_t>(at + take));
    at += take;
    stream_offset_ += at;
    r.consumed = at;
    if (buffer_.size() == need) {
      r.status = status::frame;
      r.frame = bytes_view(buffer_.data(), visible_size(buffer_.data(), r.kind));
      delivered_from_buffer_ = true;
    }
    return r;
  }

  /// The sticky error (code + stream offset of the frame's first byte or length field).
  const error_at& error() const noexcept { return error_; }
  /// Bytes consumed since construction.
  std::size_t offset() const noexcept { return stream_offset_; }

 private:
  static std::size_t length_field(const std::byte* p) noexcept {
    return (std::to_integer<std::size_t>(p[2]) << 8) | std::to_integer<std::size_t>(p[3]);
  }

  static std::size_t visible_size(const std::byte* p, frame_kind k) noexcept {
    return (k == frame_kind::stun ? 20 : 4) + length_field(p);
  }

  /// The frame's size on the stream from its first 4 bytes at stream offset `at`.
  bool frame_size(const std::byte* p, std::size_t at, std::size_t& need,
                  frame_kind& kind) noexcept {
    const unsigned first = std::to_integer<unsigned>(p[0]);
    const std::size_t len = length_field(p);
    if ((first & 0xc0u) == 0) {
      kind = frame_kind::stun;
      // RFC 8489 §5: the message length is a multiple of 4.
      if (len % 4 != 0) return set_error(stun::error::length_not_multiple_of_4, at + 2);
      need = 20 + len;
    } else if (first >= 0x40 && first <= (opts_.legacy_channel_range ? 0x7fu : 0x4fu)) {
      // RFC 8656 §12: channel numbers 0x4000-0x4FFF (RFC 5766 §11: up to 0x7FFF, behind
      // legacy_channel_range); §12.5: padded to 4 bytes on a stream.
      kind = frame_kind::channel_data;
      need = 4 + ((len + 3) & ~std::size_t{3});
    } else {
      return set_error(stun::error::not_stun_or_channel_data, at);
    }
    if (need > opts_.max_frame_bytes) return set_error(stun::error::frame_too_large, at + 2);
    return true;
  }

  bool set_error(stun::error e, std::size_t at) noexcept {
    error_ = {make_error_code(e), at};
    return false;
  }

  result fail(result r) const noexcept {
    r.status = status::failed;
    return r;
  }

  options opts_;
  std::vector<std::byte> buffer_;
  std::size_t stream_offset_ = 0;
  bool delivered_from_buffer_ = false;
  error_at error_{};
};

}  // namespace rtwire::stun
