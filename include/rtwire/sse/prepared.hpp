// rtwire — encode an SSE event once, send it to many streams (issue #14 "encode once, send to
// many").
//
// A chat room of 10 000 subscribers gets one message: write_event() per stream would encode the
// same bytes 10 000 times and copy them into 10 000 buffers. prepare() encodes the event once into
// an immutable, reference-counted buffer; each stream's output_queue holds a reference to it (a
// counter increment, no copy of the bytes) next to its own per-stream bytes (the response head,
// a replay after Last-Event-ID), in order. The caller writes a queue's pieces with one gathering
// write (writev, an Asio buffer sequence) and consumes what the socket took.
//
//   rtwire::sse::prepared_event ev;
//   if (auto ec = rtwire::sse::prepare(ev, {.id = "1f-42", .data = text})) return ec;
//   for (auto& q : queues) q.push(ev);                 // no copy: one reference each
//   std::array<std::string_view, 16> iov;
//   const std::size_t n = queues[0].gather(iov);      // the first n pieces, in order
//   queues[0].consume(sent);                          // after writev() sent `sent` bytes
//
// Lifetimes: a prepared_event's bytes are immutable and live as long as any prepared_event or
// output_queue refers to them (the count is atomic: queues on several threads may share one
// event). The views gather() gives stay valid until the next push/append/consume on that queue.
// Memory: allocation failure is not reported (like std::string, it ends the program).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "rtwire/sse/encoder.hpp"

namespace rtwire::sse {

class prepared_event;
[[nodiscard]] inline std::error_code prepare(prepared_event& out, const outgoing_event& ev);

/// One event encoded once (write_event()'s exact bytes), shared by reference. Copying a
/// prepared_event copies a reference, never the bytes. A default-constructed one is empty.
class prepared_event {
 public:
  prepared_event() = default;

  /// The encoded bytes (empty when nothing was prepared).
  std::string_view bytes() const noexcept {
    return bytes_ ? std::string_view(*bytes_) : std::string_view();
  }
  bool empty() const noexcept { return !bytes_ || bytes_->empty(); }
  /// How many prepared_events and queued pieces refer to these bytes (0 when empty).
  long use_count() const noexcept { return bytes_.use_count(); }

 private:
  friend std::error_code prepare(prepared_event& out, const outgoing_event& ev);
  friend class output_queue;
  std::shared_ptr<const std::string> bytes_;
};

/// Encodes `ev` once into `out` (replacing what it held). Returns {} on success, or the error
/// of validate() (error::id_has_line_break, id_has_nul, event_type_has_line_break), leaving
/// `out` empty. One allocation for the bytes and the count together.
inline std::error_code prepare(prepared_event& out, const outgoing_event& ev) {
  out.bytes_.reset();
  std::string bytes;
  if (const auto ec = write_event(bytes, ev)) return ec;
  out.bytes_ = std::make_shared<const std::string>(std::move(bytes));
  return {};
}

/// One stream's pending output: a queue of pieces, each a reference to a prepared_event's bytes
/// or bytes of its own, sent in the order they were queued. Steady state allocates nothing per
/// push (the piece table is reused); per-stream bytes are copied, shared bytes never are.
class output_queue {
 public:
  /// Queues a reference to `ev`'s bytes (nothing for an empty event).
  void push(const prepared_event& ev) {
    if (ev.empty()) return;
    pieces_.push_back({ev.bytes_, {}});
    pending_ += ev.bytes_->size();
  }

  /// Queues a copy of `bytes` (the response head, a per-stream event, a heartbeat). Appended to
  /// the last piece when that one is the queue's own, so small writes make one piece.
  void append(std::string_view bytes) {
    if (bytes.empty()) return;
    if (size() > 0 && !pieces_.back().shared) {
      pieces_.back().own.append(bytes);
    } else {
      pieces_.push_back({nullptr, std::string(bytes)});
    }
    pending_ += bytes.size();
  }

  /// write_event() into this stream only (copied). Errors as write_event(), nothing queued.
  [[nodiscard]] std::error_code write_event(const outgoing_event& ev) {
    std::string bytes;
    if (const auto ec = sse::write_event(bytes, ev)) return ec;
    append(bytes);
    return {};
  }

  /// Bytes queued and not yet consumed.
  std::size_t pending() const noexcept { return pending_; }
  bool empty() const noexcept { return pending_ == 0; }
  /// Pieces queued (for sizing a gather array).
  std::size_t size() const noexcept { return pieces_.size() - head_; }

  /// Fills `out` with views of the first pieces in order (the first one without the bytes
  /// already consumed); returns how many were written (min(out.size(), size())). The views are
  /// valid until the next push, append, write_event or consume on this queue.
  std::size_t gather(std::span<std::string_view> out) const noexcept {
    std::size_t n = 0;
    for (std::size_t i = head_; i < pieces_.size() && n < out.size(); ++i, ++n) {
      std::string_view v = pieces_[i].view();
      if (i == head_) v.remove_prefix(offset_);
      out[n] = v;
    }
    return n;
  }

  /// Drops the first `n` pending bytes (what the socket accepted); a piece fully sent releases
  /// its reference. `n` larger than pending() drops everything.
  void consume(std::size_t n) noexcept {
    n = n < pending_ ? n : pending_;
    pending_ -= n;
    while (n > 0) {
      piece& p = pieces_[head_];
      const std::size_t left = p.view().size() - offset_;
      if (n < left) {
        offset_ += n;
        return;
      }
      n -= left;
      release(p);
    }
    // A fully sent piece at the head with nothing left (n was exactly its size) is released
    // above; empty the table when everything went, keeping its capacity.
    if (pending_ == 0) {
      pieces_.clear();
      head_ = 0;
      offset_ = 0;
    }
  }

 private:
  struct piece {
    std::shared_ptr<const std::string> shared;  // set: a prepared event's bytes
    std::string own;                            // otherwise: this stream's bytes
    std::string_view view() const noexcept { return shared ? std::string_view(*shared) : own; }
  };

  void release(piece& p) noexcept {
    p.shared.reset();
    p.own.clear();
    ++head_;
    offset_ = 0;
    // Reclaim the consumed front once it is most of the table (amortised O(1) per piece).
    if (head_ == pieces_.size()) {
      pieces_.clear();
      head_ = 0;
    } else if (head_ >= 64 && head_ * 2 >= pieces_.size()) {
      pieces_.erase(pieces_.begin(), pieces_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  std::vector<piece> pieces_;
  std::size_t head_ = 0;    // first piece not fully consumed
  std::size_t offset_ = 0;  // bytes of pieces_[head_] already consumed
  std::size_t pending_ = 0;
};

}  // namespace rtwire::sse
