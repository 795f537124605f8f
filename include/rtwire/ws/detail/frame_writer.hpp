// rtwire — internal: the sending half of rtwire::ws::connection. Frames are appended to one output
// queue, masked for the client role (RFC 6455 §5.3) and fragmented to the configured size
// (RFC 6455 §5.4); messages are compressed when a codec was negotiated (RFC 7692 §7.2.1) and may
// be streamed in parts; the caller drains the queue through output()/consume(). Not public API.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <system_error>
#include <vector>

#include "rtwire/core/bytes.hpp"
#include "rtwire/ws/compression.hpp"
#include "rtwire/ws/connection_options.hpp"
#include "rtwire/ws/error.hpp"
#include "rtwire/ws/frame.hpp"

namespace rtwire::ws::detail {

/// The output queue of one connection and the frames written into it. Movable (no pointers into
/// itself; the key source refers to the caller's callable).
class frame_writer {
 public:
  frame_writer(role r, key_source keys, std::size_t fragment_size) noexcept
      : keys_(keys), fragment_size_(fragment_size), client_(r == role::client) {}

  /// False for a client without a key source: it cannot mask, so nothing may be sent (the send
  /// functions report missing_key_source, automatic replies are dropped).
  bool can_write() const noexcept { return !client_ || static_cast<bool>(keys_); }

  /// Appends one frame; `rsv` are the RSV bits (an extension's, e.g. RSV1 for a compressed
  /// message's first frame).
  void write(opcode op, bytes_view payload, bool fin, std::uint8_t rsv = 0) {
    if (!can_write()) return;
    frame_header h{.fin = fin, .rsv = rsv, .op = op};
    // RFC 6455 §5.3: a client masks every frame with a fresh, unpredictable key.
    if (client_) {
      h.masked = true;
      h.key = keys_();
    }
    write_frame(out_, h, payload);
  }

  /// Writes `data` as one frame, or as frames of fragment_size bytes (RFC 6455 §5.4: the first
  /// with `first` and `rsv`, the others continuations without RSV bits (RFC 7692 §6.1: only a
  /// message's first frame carries RSV1), FIN on the last one when `last`).
  void write_fragmented(opcode first, bytes_view data, bool last, std::uint8_t rsv = 0) {
    const std::size_t max = fragment_size_;
    if (max == 0 || data.size() <= max) return write(first, data, last, rsv);
    opcode op = first;
    while (data.size() > max) {
      write(op, data.first(max), false, rsv);
      data = data.subspan(max);
      op = opcode::continuation;
      rsv = 0;
    }
    write(op, data, last, rsv);
  }

  /// Writes a whole message (connection::send_text/send_binary), deflated by `codec` (may be
  /// null) when it finds the message worth it. message_in_progress, writing nothing, while a
  /// write_fragment() message is unfinished.
  std::error_code write_message(compression* codec, opcode op, bytes_view data) {
    if (sending_message_) return make_error_code(ws::error::message_in_progress);
    if (codec && codec->worth_compressing(data.size())) {
      // RFC 7692 §7.2.1: one sync-flushed DEFLATE block run, tail removed, RSV1 on frame one.
      z_out_.clear();
      if (codec->compress(data, true, z_out_)) {
        write_fragmented(op, z_out_, true, rsv1);
        return {};
      }
    }
    write_fragmented(op, data, true);
    return {};
  }

  /// Writes one part of a message the caller streams (connection::send_fragment; `kind` is
  /// text or binary): the first opens it, later ones continue it (RFC 6455 §5.4), `last`
  /// finishes it; deflated by `codec` (may be null) piece by piece. message_in_progress,
  /// writing nothing, if `kind` differs from the open message's.
  std::error_code write_fragment(compression* codec, opcode kind, bytes_view data, bool last) {
    if (sending_message_ && kind != sending_kind_)
      return make_error_code(ws::error::message_in_progress);
    const opcode first = sending_message_ ? opcode::continuation : kind;
    if (!sending_message_) sending_compressed_ = codec != nullptr;
    if (sending_compressed_) {
      // RFC 7692 §7.2.1: each piece is deflated with a sync flush; the tail goes on the last.
      z_out_.clear();
      if (codec->compress(data, last, z_out_)) {
        // RFC 7692 §6.1: RSV1 on the first frame of the message only.
        write_fragmented(first, z_out_, last, sending_message_ ? 0 : rsv1);
        sending_message_ = !last;
        sending_kind_ = kind;
        return {};
      }
      // zlib could not allocate: send the message uncompressed if nothing of it was sent yet.
      if (sending_message_) return make_error_code(ws::error::invalid_argument);
      sending_compressed_ = false;
    }
    sending_message_ = !last;
    sending_kind_ = kind;
    write_fragmented(first, data, last);
    return {};
  }

  /// Appends a close frame with `code` (none: an empty body) and `reason` (≤ 123 bytes, checked
  /// by the caller). Returns false, writing nothing, when the writer cannot mask.
  bool write_close(close_code code, std::string_view reason) {
    if (!can_write()) return false;
    std::array<std::byte, max_control_payload> body{};
    std::size_t n = 0;
    if (code != close_code::none) {
      const auto c = static_cast<std::uint16_t>(code);
      body[0] = static_cast<std::byte>(c >> 8);
      body[1] = static_cast<std::byte>(c & 0xFF);
      if (!reason.empty()) std::memcpy(body.data() + 2, reason.data(), reason.size());
      n = 2 + reason.size();
    }
    write(opcode::close, bytes_view(body.data(), n), true);
    return true;
  }

  /// Bytes to send, in order. Valid until the next non-const call.
  bytes_view output() const noexcept { return bytes_view(out_).subspan(out_head_); }

  /// Marks the first `n` bytes of output() as sent (n ≤ output().size()).
  void consume(std::size_t n) noexcept {
    out_head_ += n < output().size() ? n : output().size();
    if (out_head_ == out_.size()) {
      out_.clear();
      out_head_ = 0;
    } else if (out_head_ > 65536 && out_head_ > out_.size() / 2) {
      out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_head_));
      out_head_ = 0;
    }
  }

 private:
  key_source keys_;
  std::size_t fragment_size_;
  bool client_;
  std::vector<std::byte> out_;
  std::size_t out_head_ = 0;

  // A message being sent in parts (write_fragment()).
  bool sending_message_ = false;
  opcode sending_kind_ = opcode::text;
  bool sending_compressed_ = false;
  std::vector<std::byte> z_out_;  // a compressed message being sent
};

}  // namespace rtwire::ws::detail
