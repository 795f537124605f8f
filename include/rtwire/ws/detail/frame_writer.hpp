// rtwire — internal: the sending half of rtwire::ws::connection. Frames are appended to one output
// queue, masked for the client role (RFC 6455 §5.3) and fragmented to the configured size
// (RFC 6455 §5.4); messages are compressed when a codec was negotiated (RFC 7692 §7.2.1) and may
// be streamed in parts; the caller drains the queue through output()/consume(). Frames prepared
// once for many connections (rtwire/ws/prepared.hpp) are queued by reference: the output is then
// a sequence of pieces (gather()), the writer's own bytes and shared ones, in order. Not public
// API.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>
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

  /// True for the client role (frames are masked).
  bool client() const noexcept { return client_; }

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

  /// True while a write_fragment() message is unfinished.
  bool sending_message() const noexcept { return sending_message_; }

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

  /// Shared frames up to this size are copied into the own bytes instead: a copy of a few
  /// hundred bytes costs less than the reference (an atomic count up and down, a piece of its
  /// own, a gather entry), measured in bench/ws_prepared.cpp's 100-byte fan-out.
  static constexpr std::size_t shared_copy_limit = 256;

  /// Queues the unmasked frame `frame` (its header of `header` bytes, then the payload) by
  /// reference: `owner` keeps the bytes alive until they are consumed; a frame of at most
  /// shared_copy_limit bytes sent whole is copied instead. With
  /// fragment_size set and a longer payload, writes each fragment's header into the own bytes and
  /// references the payload's slices (RFC 6455 §5.4; RFC 7692 §6.1: `rsv` on the first fragment
  /// only). Only for the server role (RFC 6455 §5.1: the caller checks).
  void write_shared(std::shared_ptr<const void> owner, bytes_view frame, std::size_t header,
                    opcode op, std::uint8_t rsv) {
    const bytes_view payload = frame.subspan(header);
    const std::size_t max = fragment_size_;
    if (max == 0 || payload.size() <= max) {
      if (frame.size() > shared_copy_limit) return push_shared(std::move(owner), frame);
      out_.insert(out_.end(), frame.begin(), frame.end());
      return;
    }
    std::size_t at = 0;
    while (at < payload.size()) {
      const std::size_t n = std::min(max, payload.size() - at);
      std::array<std::byte, max_header_size> h{};
      const std::size_t hs = encode_header({.fin = at + n == payload.size(),
                                            .rsv = at == 0 ? rsv : std::uint8_t{0},
                                            .op = at == 0 ? op : opcode::continuation,
                                            .payload_length = n},
                                           h.data());
      const std::size_t old = out_.size();
      out_.resize(old + hs);
      std::memcpy(out_.data() + old, h.data(), hs);
      push_shared(owner, payload.subspan(at, n));
      at += n;
    }
  }

  /// The first contiguous piece of the bytes to send (all of them unless shared frames are
  /// queued). Valid until the next non-const call. Empty only when nothing is pending.
  bytes_view output() const noexcept {
    if (head_ == pieces_.size()) return own_tail();
    return pieces_[head_].view(out_).subspan(offset_);
  }

  /// Bytes to send, all pieces together.
  std::size_t pending() const noexcept { return piece_bytes_ + (out_.size() - out_head_); }

  /// How many pieces gather() can give.
  std::size_t pieces() const noexcept {
    return (pieces_.size() - head_) + (out_head_ < out_.size() ? 1 : 0);
  }

  /// Fills `out` with the first pieces in order; returns how many (min(out.size(), pieces())).
  std::size_t gather(std::span<bytes_view> out) const noexcept {
    std::size_t n = 0;
    for (std::size_t i = head_; i < pieces_.size() && n < out.size(); ++i, ++n)
      out[n] = pieces_[i].view(out_).subspan(i == head_ ? offset_ : 0);
    if (n < out.size() && out_head_ < out_.size()) out[n++] = own_tail();
    return n;
  }

  /// Marks the first `n` bytes of the output as sent (n ≤ pending()); a shared piece fully sent
  /// releases its reference.
  void consume(std::size_t n) noexcept {
    while (n > 0 && head_ < pieces_.size()) {
      piece& p = pieces_[head_];
      const std::size_t left = p.size - offset_;
      const std::size_t take = n < left ? n : left;
      n -= take;
      piece_bytes_ -= take;
      // out_ holds, in order: sent bytes, the own pieces still queued, the tail.
      if (p.data == nullptr) out_sent_ = p.begin + offset_ + take;
      if (take < left) {
        offset_ += take;
        break;
      }
      p.owner.reset();
      ++head_;
      offset_ = 0;
      if (head_ == pieces_.size()) {
        // Every piece is sent, own ones included: the own bytes left are the tail's.
        pieces_.clear();
        head_ = 0;
        out_sent_ = out_head_;
      } else if (head_ >= 64 && head_ * 2 >= pieces_.size()) {
        pieces_.erase(pieces_.begin(), pieces_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
      }
    }
    if (!pieces_.empty()) {
      // Own pieces refer to out_ by offset: drop its sent front only once it is most of out_
      // (amortised O(1) per byte), moving the offsets with it.
      if (out_sent_ > 65536 && out_sent_ > out_.size() / 2) {
        out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_sent_));
        for (std::size_t i = head_; i < pieces_.size(); ++i)
          if (pieces_[i].data == nullptr) pieces_[i].begin -= out_sent_;
        out_head_ -= out_sent_;
        out_sent_ = 0;
      }
      return;
    }
    out_head_ += n < own_tail().size() ? n : own_tail().size();
    out_sent_ = out_head_;
    if (out_head_ == out_.size()) {
      out_.clear();
      out_head_ = 0;
      out_sent_ = 0;
    } else if (out_head_ > 65536 && out_head_ > out_.size() / 2) {
      out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_head_));
      out_head_ = 0;
      out_sent_ = 0;
    }
  }

 private:
  /// One piece of the output when shared frames are queued: shared bytes (data set, owner
  /// holds them) or a range of out_ (data null; an offset, as out_ may move when it grows).
  struct piece {
    std::shared_ptr<const void> owner;
    const std::byte* data = nullptr;  // shared: the bytes; own: nullptr
    std::size_t begin = 0;            // own: the range's start in out_
    std::size_t size = 0;
    bytes_view view(const std::vector<std::byte>& own) const noexcept {
      return data != nullptr ? bytes_view(data, size) : bytes_view(own).subspan(begin, size);
    }
  };

  /// The own bytes written after the last piece (all of the output when no piece is queued).
  bytes_view own_tail() const noexcept { return bytes_view(out_).subspan(out_head_); }

  void push_shared(std::shared_ptr<const void> owner, bytes_view bytes) {
    if (bytes.empty()) return;
    // The own bytes written so far go first: they become a piece of their own.
    if (out_head_ < out_.size()) {
      pieces_.push_back({nullptr, nullptr, out_head_, out_.size() - out_head_});
      piece_bytes_ += out_.size() - out_head_;
      out_head_ = out_.size();
    }
    pieces_.push_back({std::move(owner), bytes.data(), 0, bytes.size()});
    piece_bytes_ += bytes.size();
  }

  key_source keys_;
  std::size_t fragment_size_;
  bool client_;
  // The own bytes (frames written here); out_[out_head_, end) follows every piece.
  std::vector<std::byte> out_;
  std::size_t out_head_ = 0;
  // Pieces queued before the own tail; empty unless shared frames were queued.
  std::vector<piece> pieces_;
  std::size_t head_ = 0;         // first piece not fully consumed
  std::size_t offset_ = 0;       // bytes of pieces_[head_] already consumed
  std::size_t piece_bytes_ = 0;  // bytes of the pieces not yet consumed
  std::size_t out_sent_ = 0;     // out_[0, out_sent_) is sent (while pieces are queued)

  // A message being sent in parts (write_fragment()).
  bool sending_message_ = false;
  opcode sending_kind_ = opcode::text;
  bool sending_compressed_ = false;
  std::vector<std::byte> z_out_;  // a compressed message being sent
};

}  // namespace rtwire::ws::detail
