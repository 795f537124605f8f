// rtwire — sans-IO decoder for `text/event-stream` (WHATWG HTML §9.2 "Server-sent events").
//
// Implements §9.2.5 "Parsing an event stream" and §9.2.6 "Interpreting an event stream" byte for
// byte, for input split into chunks anywhere:
// - the stream is decoded with the WHATWG Encoding Standard's UTF-8 decode (one leading BOM
//   stripped, every maximal invalid subpart replaced by one U+FFFD, also across chunks);
// - lines end at CRLF, LF or CR (a CR ending one chunk and an LF starting the next are one line
//   ending);
// - fields, comments, dispatch, the last event ID and the reconnection time follow §9.2.6.
//
//   rtwire::sse::decoder dec;              // or {.last_event_id = id} when reconnecting
//   if (auto ec = dec.feed(chunk)) return ec;  // the chunk must stay valid until need_more
//   for (;;) {
//     auto r = dec.next();
//     if (r.status == rtwire::sse::status::event) handle(r.event.type, r.event.data,
//                                                    r.event.last_event_id);
//     else if (r.status == rtwire::sse::status::retry) reconnect_delay = r.retry;
//     else if (r.status == rtwire::sse::status::need_more) break;   // feed the next chunk
//     else break;                          // error (dec.error()) or end (after finish())
//   }
//
// Design: the decoder keeps a view of the chunk given to feed() and parses it lazily when next()
// is called, so an event whose single data line lies in one chunk is returned as a view into that
// chunk (zero copy); so are its type and, until the chunk is consumed, its last event ID. Line
// ends are found in a bitmap of the chunk's line endings, built 512 bytes at a time by one SIMD
// pass (sse/scan.hpp) that also tells whether those bytes are pure ASCII (then no line of them
// needs UTF-8 work). Lines that lie whole in the chunk, the common case, are parsed by one tight
// loop (fast_lines) and the usual field names are recognised with one 8-byte compare; a line cut by
// a chunk boundary, a CR ending a chunk and the stream's start (BOM) take the general step, one
// line at a time. Both steps apply the same §9.2.6 handlers. A cut line is carried in one internal
// buffer; multi-line data is joined in another. Buffers are reused, so steady-state decoding does
// not allocate. Every buffer is bounded by `limits`.
//
// Memory: allocation failure is not reported (like std::string, it ends the program); the
// limits bound what can be requested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/sse/decoder_types.hpp"
#include "rtwire/sse/error.hpp"
#include "rtwire/sse/field.hpp"
#include "rtwire/sse/scan.hpp"
#include "rtwire/sse/utf8_decode.hpp"

namespace rtwire::sse {

namespace detail {

/// A decoder buffer (data, event type, last event ID) that is a view into the caller's chunk
/// while the chunk lives (zero copy), or its own copy.
struct chunk_text {
  std::string own;
  std::string_view view;  // the value while in_chunk
  bool in_chunk = false;

  std::string_view get() const noexcept { return in_chunk ? view : std::string_view(own); }
  /// The value is `v`: a view when `stable` (it lies in the current chunk), else copied.
  void set(std::string_view v, bool stable) {
    if (stable) {
      view = v;
      in_chunk = true;
    } else {
      own.assign(v);
      in_chunk = false;
    }
  }
  /// The chunk goes away: copy the value if it still points into it.
  void detach() {
    if (!in_chunk) return;
    own.assign(view);
    in_chunk = false;
  }
  void clear() noexcept {
    own.clear();
    in_chunk = false;
  }
};

}  // namespace detail

/// The event-stream decoder of one connection. Move-only; a move invalidates the views of the
/// last result (they may point into the moved buffers).
class decoder {
 public:
  decoder() : decoder(decoder_options{}) {}
  explicit decoder(const decoder_options& opts) : limit_(opts.limit) {
    last_id_.own.assign(opts.last_event_id);
  }
  decoder(decoder&&) noexcept = default;
  decoder& operator=(decoder&&) noexcept = default;
  decoder(const decoder&) = delete;
  decoder& operator=(const decoder&) = delete;

  /// Hands the next chunk of the stream to the decoder. The decoder keeps a view of `chunk`:
  /// the bytes must stay valid and unchanged until next() returns need_more (or end/error), or
  /// returns an event/retry that ended exactly at the chunk's end (the decoder then no longer
  /// needs the chunk; the event's own views still point into it until the next call).
  /// Call it when the previous chunk is consumed (next() returned need_more, or it returned an
  /// event/retry that ended exactly at the chunk's end). Returns:
  /// - {} on success; then call next() until it returns need_more;
  /// - error::feed_before_drained if the previous chunk still has unparsed bytes: `chunk` is not
  ///   taken and nothing else changes — drain with next() until need_more, then feed it again;
  /// - error::feed_after_finish after finish(): `chunk` is not taken, nothing changes;
  /// - the sticky error if the decoder already failed (a limit).
  /// Misuse (api_misuse) is the caller's mistake, not the stream's: it is recoverable and never
  /// fails the decoder (error() stays empty).
  [[nodiscard]] std::error_code feed(std::string_view chunk) noexcept {
    if (err_) return err_.code;
    if (finished_) return error::feed_after_finish;
    if (cur_ != end_) return error::feed_before_drained;
    settle();
    cur_ = chunk.data();
    end_ = chunk.data() + chunk.size();
    scanner_.reset();
    return {};
  }
  /// As feed(std::string_view), for bytes.
  [[nodiscard]] std::error_code feed(bytes_view chunk) noexcept { return feed(as_chars(chunk)); }

  /// Ends the stream (the connection closed). WHATWG HTML §9.2.6: "Once the end of the file is
  /// reached, any pending data must be discarded": an unterminated line and an event without its
  /// final blank line are dropped, and an `id` of that unfinished block is never committed.
  /// Bytes already fed are still parsed by next(), which then returns end.
  void finish() noexcept { finished_ = true; }

  /// Parses until something happens. Returns a result whose `status` is:
  /// - event: one dispatched event (views valid until the next call to next/feed/finish);
  /// - retry: a valid `retry` field was read (applied at once, also mid-event);
  /// - need_more: the chunk is consumed (a partial line is kept internally); feed the next one;
  /// - end: finish() was called and all input is consumed; final;
  /// - error: a limit was exceeded or the API was misused (see error()); sticky.
  result next() noexcept {
    result r;  // every path returns this object (NRVO): no copy of the 64-byte result
    if (err_) {
      r.status = status::error;
      return r;
    }
    settle();
    for (;;) {
      if (cur_ == end_) {
        release_chunk();
        r.status = finished_ ? status::end : status::need_more;
        return r;
      }
      if (!after_cr_ && !sniffing_bom_ && line_buf_.empty()) {
        // A line starts at cur_: the lines that lie whole in the chunk take the fast loop.
        if (fast_lines(r)) return r;
        if (cur_ == end_) continue;
      }
      if (general_step(r)) return r;
    }
  }

  /// The last event ID string: the value committed at the last blank line (or the one given at
  /// construction). An `id` seen in a block that has not ended yet is not included. The view is
  /// valid until the next call to next(), feed() or finish().
  std::string_view last_event_id() const noexcept { return last_id_.get(); }
  /// The reconnection time set by the last valid `retry` field, or nullopt if none was read.
  std::optional<std::uint64_t> reconnection_time() const noexcept { return reconnection_time_; }
  /// The sticky error with the stream offset where it was detected (npos for API misuse):
  /// line_too_long at the first byte beyond max_line_bytes, data_too_large at the start of the
  /// data line that overflowed.
  const error_at& error() const noexcept { return err_; }
  /// Bytes of the stream parsed so far.
  std::size_t position() const noexcept { return pos_; }
  const limits& limit() const noexcept { return limit_; }

 private:
  static constexpr std::string_view default_type = "message";

  void advance(std::size_t n) noexcept {
    cur_ += n;
    pos_ += n;
  }

  std::error_code fail(sse::error e, std::size_t offset) noexcept {
    err_.code = e;
    err_.offset = offset;
    cur_ = end_ = nullptr;
    return err_.code;
  }

  // The line at cur_ ends with a CR or LF inside the chunk, the state is plain (no carried line,
  // no pending CR, no BOM sniffing): parse such lines in a row, with the position held in a
  // local. Stops before the first line it leaves to general_step() (one that reaches the
  // chunk's end, a CR at the chunk's end, a line over max_line_bytes), or after a line that has
  // something to report (returns true, `r` filled).
  bool fast_lines(result& r) {
    const char* const start = cur_;
    const std::size_t start_pos = pos_;
    const char* p = start;
    const char* const end = end_;
    detail::eol_scanner& scanner = scanner_;
    bool report = false;
    while (p != end) {
      const detail::line_scan scan = scanner.find(p, end);
      const char* const eol = p + scan.end;
      if (eol == end || scan.end > limit_.max_line_bytes) break;
      const char* next = eol + 1;
      if (*eol == '\r') {
        // §9.2.5: CRLF is one line ending; a CR ending the chunk needs the next chunk's byte.
        if (next == end) break;
        if (*next == '\n') ++next;
      }
      report = chunk_line(p, eol, end, scan.non_ascii,
                          start_pos - reinterpret_cast<std::uintptr_t>(start), r);
      p = next;
      if (report) break;
    }
    if (report && r.status == status::error) return true;  // fail() cleared the chunk
    pos_ = start_pos + static_cast<std::size_t>(p - start);
    line_start_ = pos_;
    cur_ = p;
    if (report && cur_ == end_) release_chunk();
    return report;
  }

  // One line [p, eol) of the chunk (readable up to `end`), as process_line() with stable views;
  // the usual field names are matched here with one 8-byte compare: a name and its colon contain
  // no CR or LF, so a match cannot reach past the line's end.
  // `origin`: the stream offset of address 0 in this chunk (the line's offset is origin + p,
  // computed only where an error needs it).
  bool chunk_line(const char* p, const char* eol, const char* end, bool non_ascii,
                  std::uintptr_t origin, result& r) {
    const std::string_view line(p, static_cast<std::size_t>(eol - p));
    if (line.empty()) return dispatch(r);
    if (end - p >= 8) {
      const std::uint64_t w = rtwire::detail::load_word(p);
      if (detail::word_data.matches(w))
        return data_field(detail::strip_space(line.substr(5)), true, non_ascii,
                          origin + reinterpret_cast<std::uintptr_t>(p), r);
      if (detail::word_id.matches(w))
        return id_field(detail::strip_space(line.substr(3)), true, non_ascii);
      if (detail::word_event.matches(w))
        return event_field(detail::strip_space(line.substr(6)), true, non_ascii);
    }
    return process_line(line, true, non_ascii, origin + reinterpret_cast<std::uintptr_t>(p), r);
  }

  // The general step: one line at cur_, whatever the state (a line continued from the previous
  // chunk, a CRLF cut by the chunk boundary, the BOM at the stream's start, a line that reaches
  // the chunk's end). Returns true when `r` holds something to report.
  bool general_step(result& r) {
    if (after_cr_) {
      // §9.2.5: CRLF is one line ending, also when the CR ended the previous chunk.
      after_cr_ = false;
      if (*cur_ == '\n') {
        advance(1);
        line_start_ = pos_;
        return false;
      }
    }
    if (sniffing_bom_ && !sniff_bom()) return false;

    const auto avail = static_cast<std::size_t>(end_ - cur_);
    const detail::line_scan scan = scanner_.find(cur_, end_);
    const std::size_t total = line_buf_.size() + scan.end;
    if (total > limit_.max_line_bytes) {
      fail(error::line_too_long, line_start_ + limit_.max_line_bytes);
      r.status = status::error;
      return true;
    }
    if (scan.end == avail) {
      // No line ending in this chunk: carry the partial line over to the next one.
      line_buf_.append(cur_, avail);
      line_non_ascii_ = line_non_ascii_ || scan.non_ascii;
      advance(avail);
      return false;
    }
    std::string_view line;
    bool in_chunk = line_buf_.empty();
    if (in_chunk) {
      line = std::string_view(cur_, scan.end);
    } else {
      line_buf_.append(cur_, scan.end);
      line = line_buf_;
    }
    const bool non_ascii = scan.non_ascii || line_non_ascii_;
    const char terminator = cur_[scan.end];
    advance(scan.end + 1);
    if (terminator == '\r') {
      if (cur_ != end_) {
        if (*cur_ == '\n') advance(1);
      } else {
        after_cr_ = true;  // the next chunk may start with the LF of this CRLF
      }
    }
    const std::size_t this_line = line_start_;
    line_start_ = pos_;
    const bool report = process_line(line, in_chunk, non_ascii, this_line, r);
    if (!in_chunk) {
      line_buf_.clear();
      line_non_ascii_ = false;
    }
    if (report && r.status != status::error && cur_ == end_) release_chunk();
    return report;
  }

  // WHATWG Encoding §4.1 / "UTF-8 decode": one leading BOM (EF BB BF) is removed from the
  // stream; a later one is content. Returns true when sniffing is over and a line can be
  // scanned from cur_, false when the caller should loop (chunk consumed while sniffing).
  bool sniff_bom() {
    static constexpr char bom[3] = {'\xEF', '\xBB', '\xBF'};
    while (cur_ != end_ && bom_matched_ < 3 && *cur_ == bom[bom_matched_]) {
      advance(1);
      ++bom_matched_;
    }
    if (bom_matched_ == 3) {
      sniffing_bom_ = false;
      line_start_ = pos_;
      return cur_ != end_;
    }
    if (cur_ == end_) return false;  // still a BOM prefix: wait for more bytes
    // Not a BOM: the bytes matched so far are the start of the first line.
    line_buf_.assign(bom, bom_matched_);
    line_non_ascii_ = bom_matched_ != 0;
    sniffing_bom_ = false;
    return true;
  }

  // Applies the buffer resets of the last dispatch (deferred so the event's views stayed valid).
  void settle() noexcept {
    if (!dispatched_) return;
    dispatched_ = false;
    // §9.2.6 "dispatch the event" step 7: set the data buffer and the event type buffer to the
    // empty string.
    data_.clear();
    has_data_ = false;
    type_.clear();
  }

  // The chunk is consumed (cur_ reached its end): copy what still points into it, since the
  // caller may now reuse its memory. The views of an event just dispatched stay as they are
  // (settle() drops them at the next call).
  void release_chunk() {
    if (!dispatched_) {
      data_.detach();
      type_.detach();
    }
    id_.detach();
    last_id_.detach();
  }

  std::string_view decoded(std::string_view value, bool& stable) {
    const std::string_view out = detail::decode_utf8(value, scratch_);
    if (out.data() != value.data()) stable = false;
    return out;
  }

  // §9.2.6: the steps for one line. `stable` says whether `line` points into the caller's chunk
  // (it then outlives this call until the chunk is consumed). Returns true when `r` holds
  // something to report (an event, a retry or an error), false to go on with the next line.
  bool process_line(std::string_view line, bool stable, bool non_ascii, std::size_t line_offset,
                    result& r) {
    // "If the line is empty (a blank line): Dispatch the event."
    if (line.empty()) return dispatch(r);
    // "If the line starts with a U+003A COLON character (:): Ignore the line."
    if (line.front() == ':') return false;
    const detail::field f = detail::split_field(line);
    switch (f.name) {
      case detail::field_name::data:
        return data_field(f.value, stable, non_ascii, line_offset, r);
      case detail::field_name::event:
        return event_field(f.value, stable, non_ascii);
      case detail::field_name::id:
        return id_field(f.value, stable, non_ascii);
      case detail::field_name::retry:
        if (const auto ms = detail::retry_value(f.value)) {
          // "... set the event stream's reconnection time to that integer."
          reconnection_time_ = ms;
          r.status = status::retry;
          r.retry = *ms;
          return true;
        }
        return false;
      case detail::field_name::ignored:
        break;
    }
    return false;
  }

  // The field handlers get the field value (after the colon and the optional space), still as
  // raw bytes: `non_ascii` says whether UTF-8 decoding may change it.

  bool data_field(std::string_view value, bool stable, bool non_ascii, std::size_t line_offset,
                  result& r) {
    if (non_ascii) value = decoded(value, stable);
    return append_data(value, stable, line_offset, r);
  }

  bool event_field(std::string_view value, bool stable, bool non_ascii) {
    // "Set the event type buffer to field value."
    if (non_ascii) value = decoded(value, stable);
    type_.set(value, stable);  // zero copy while the chunk lives; see release_chunk()
    return false;
  }

  bool id_field(std::string_view value, bool stable, bool non_ascii) {
    // "If the field value does not contain U+0000 NULL, then set the last event ID buffer to the
    // field value. Otherwise, ignore the field." (An empty value clears it.)
    if (rtwire::detail::contains_byte<'\0'>(value.data(), value.size())) return false;
    if (non_ascii) value = decoded(value, stable);
    id_.set(value, stable);  // zero copy while the chunk lives; see release_chunk()
    id_dirty_ = true;
    return false;
  }

  bool append_data(std::string_view value, bool stable, std::size_t line_offset, result& r) {
    // "Append the field value to the data buffer, then append a single U+000A LINE FEED (LF)
    // character to the data buffer." The final LF is removed at dispatch (step 3), so the
    // buffer is kept as the values joined with LF; has_data_ says it is non-empty.
    const std::size_t size = has_data_ ? data_.get().size() + 1 + value.size() : value.size();
    if (size > limit_.max_data_bytes) {
      fail(error::data_too_large, line_offset);
      r.status = status::error;
      return true;
    }
    if (!has_data_ && stable) {
      data_.set(value, true);  // zero copy: the value lies in the caller's chunk
    } else {
      data_.detach();
      if (has_data_) data_.own.push_back('\n');
      data_.own.append(value.data(), value.size());
    }
    has_data_ = true;
    return false;
  }

  bool dispatch(result& r) {
    // §9.2.6 "dispatch the event" step 1: "Set the last event ID string of the event source to
    // the value of the last event ID buffer." This happens at every blank line, even when no
    // event is dispatched; the buffer itself is not reset.
    if (id_dirty_) {
      // The buffer's value is only read here, and only after an `id` field set it again, so
      // taking it over (a view, or a swap of the strings: no copy) is the same as copying it.
      if (id_.in_chunk) {
        last_id_.set(id_.view, true);
        id_.in_chunk = false;  // id_.own is stale, but only read after the next `id` sets it
      } else {
        last_id_.own.swap(id_.own);
        last_id_.in_chunk = false;
      }
      id_dirty_ = false;
    }
    // Step 2: "If the data buffer is an empty string, set the data buffer and the event type
    // buffer to the empty string and return."
    if (!has_data_) {
      type_.clear();
      return false;
    }
    // Steps 3-6: the data (without the final LF, see append_data), the type ("message" when the
    // event type buffer is empty) and the last event ID string.
    r.status = status::event;
    const std::string_view type = type_.get();
    r.event.type = type.empty() ? default_type : type;
    r.event.data = data_.get();
    r.event.last_event_id = last_event_id();
    dispatched_ = true;  // step 7 (reset the buffers) runs in settle(), after the caller looked
    return true;
  }

  limits limit_;
  detail::eol_scanner scanner_;
  // The current chunk: [cur_, end_) is not parsed yet.
  const char* cur_ = nullptr;
  const char* end_ = nullptr;
  std::size_t pos_ = 0;         // stream offset of cur_
  std::size_t line_start_ = 0;  // stream offset of the current line's first byte
  // Stream start: how much of a BOM has been seen.
  bool sniffing_bom_ = true;
  std::size_t bom_matched_ = 0;
  // A CR ended the last chunk: an LF at the start of the next one belongs to it.
  bool after_cr_ = false;
  // A line cut by a chunk boundary.
  std::string line_buf_;
  bool line_non_ascii_ = false;
  // The data buffer (a view into the chunk while it holds one data line).
  detail::chunk_text data_;
  bool has_data_ = false;
  bool dispatched_ = false;
  // The event type buffer.
  detail::chunk_text type_;
  // The last event ID buffer; id_dirty_ says an `id` field set it since the last blank line
  // (else it equals the last event ID string).
  detail::chunk_text id_;
  bool id_dirty_ = false;
  // The event source's last event ID string.
  detail::chunk_text last_id_;
  std::optional<std::uint64_t> reconnection_time_;
  std::string scratch_;  // UTF-8 replacement output for the current line
  bool finished_ = false;
  error_at err_;
};

}  // namespace rtwire::sse
