// rtwire — `text/event-stream` encoder (WHATWG HTML §9.2.5 "Parsing an event stream").
//
// Writes events, comments and heartbeats into a caller-owned buffer such that a WHATWG decoder
// (every browser's EventSource, rtwire::sse::decoder) reads back exactly what was written:
// - data is split at CRLF, LF and CR into one `data:` line per line, so any valid UTF-8 string
//   round-trips (line breaks come back as LF, the only line break an event's data can hold);
// - an id or event type that cannot be written without changing its meaning (a line break would
//   inject fields, U+0000 makes a receiver ignore the id) is an error, never silently altered.
// Bytes are written as given: text that is not valid UTF-8 is replaced by U+FFFD at the receiver.
//
//   std::string out;
//   rtwire::sse::write_response_head(out);                     // once, as the HTTP response head
//   const rtwire::sse::outgoing_event ev{.id = "1f-42", .data = "hello\nworld"};
//   if (auto ec = rtwire::sse::write_event(out, ev)) return ec;  // on a bad id
//   rtwire::sse::write_heartbeat(out);                         // every ~15 s, through proxies
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/http1_writer.hpp"
#include "rtwire/sse/error.hpp"
#include "rtwire/sse/scan.hpp"

namespace rtwire::sse {

/// An event to write. Every member is optional; see write_event() for what each produces.
struct outgoing_event {
  /// `id: <id>`: sets the receiver's last event ID (an empty id clears it). Must not contain CR,
  /// LF or U+0000.
  std::optional<std::string_view> id{};
  /// `event: <type>`: the event type (the receiver reports "message" when absent or empty).
  /// Must not contain CR or LF.
  std::optional<std::string_view> type{};
  /// The data, one `data:` line per line. nullopt writes no data line, so the block dispatches
  /// nothing (but still commits its id); "" dispatches an event with empty data.
  std::optional<std::string_view> data{};
  /// `retry: <ms>`: the receiver's reconnection time, applied as soon as the line is read.
  std::optional<std::uint64_t> retry{};
};

namespace detail {

/// Offset of the first CR or LF in `s`, or npos.
inline std::size_t find_line_break(std::string_view s) noexcept {
  const std::size_t at = find_eol(s.data(), s.size());
  return at == s.size() ? std::string_view::npos : at;
}

inline char* put(char* p, std::string_view s) noexcept {
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

/// put() for a string literal: a copy of a constant size, which compiles to a few moves.
template <std::size_t N>
inline char* put(char* p, const char (&s)[N]) noexcept {
  std::memcpy(p, s, N - 1);
  return p + (N - 1);
}

inline std::size_t decimal_digits(std::uint64_t v) noexcept {
  std::size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

inline char* put_decimal(char* p, std::uint64_t v, std::size_t digits) noexcept {
  for (std::size_t i = digits; i-- > 0;) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + digits;
}

/// Writes `text` as one `<prefix><line>\n` per line of `text` (split at CRLF, LF, CR), into
/// `p` (when non-null), and returns the size.
inline std::size_t split_lines(std::string_view prefix, std::string_view text, char* p) noexcept {
  std::size_t size = 0;
  for (;;) {
    const std::size_t brk = find_line_break(text);
    const std::string_view line = text.substr(0, brk);
    size += prefix.size() + line.size() + 1;
    if (p) {
      p = put(p, prefix);
      p = put(p, line);
      *p++ = '\n';
    }
    if (brk == std::string_view::npos) return size;
    // CRLF is one line break (§9.2.5 end-of-line), not an empty line in between.
    const std::size_t skip =
        text[brk] == '\r' && brk + 1 < text.size() && text[brk + 1] == '\n' ? 2 : 1;
    text.remove_prefix(brk + skip);
  }
}

/// The line breaks of an event's data, found in one scan (write_event() then sizes and writes
/// the `data:` lines from them without scanning again). Holds up to `capacity` breaks: data with
/// more is written by split_lines() (two scans), which gives the same bytes.
struct data_breaks {
  static constexpr std::size_t capacity = 16;
  std::size_t at[capacity];    // offset of each break (CR or LF)
  std::uint8_t len[capacity];  // its length: 2 for CRLF, else 1
  std::size_t count = 0;
  std::size_t break_bytes = 0;
  bool overflow = false;

  explicit data_breaks(std::string_view text) noexcept {
    std::size_t from = 0;
    for (;;) {
      const std::size_t brk = from + find_eol(text.data() + from, text.size() - from);
      if (brk == text.size()) return;
      if (count == capacity) {
        overflow = true;
        return;
      }
      // CRLF is one line break (§9.2.5 end-of-line), not an empty line in between.
      const std::uint8_t n =
          text[brk] == '\r' && brk + 1 < text.size() && text[brk + 1] == '\n' ? 2 : 1;
      at[count] = brk;
      len[count] = n;
      ++count;
      break_bytes += n;
      from = brk + n;
    }
  }

  /// Bytes of the `data: <line>\n` lines.
  std::size_t size(std::size_t text_size) const noexcept {
    return (count + 1) * 7 + text_size - break_bytes;
  }

  char* write(char* p, std::string_view text) const noexcept {
    std::size_t from = 0;
    for (std::size_t i = 0; i < count; ++i) {
      p = put(p, "data: ");
      p = put(p, text.substr(from, at[i] - from));
      *p++ = '\n';
      from = at[i] + len[i];
    }
    p = put(p, "data: ");
    p = put(p, text.substr(from));
    *p++ = '\n';
    return p;
  }
};

}  // namespace detail

namespace detail {

/// validate() as the error value (0 when `ev` can be written): write_event() then builds a
/// std::error_code only once, on its way out.
inline int validation_error(const outgoing_event& ev) noexcept {
  if (ev.id) {
    // One scan for the three bytes an id must not hold. A line break outranks a NUL, wherever
    // each is (a NUL found first is followed by a look for a line break in the rest).
    const std::string_view id = *ev.id;
    const std::size_t at = rtwire::detail::find_first_of<'\n', '\r', '\0'>(id.data(), id.size());
    if (at != id.size()) {
      if (id[at] != '\0') return static_cast<int>(error::id_has_line_break);
      return static_cast<int>(find_line_break(id.substr(at)) != std::string_view::npos
                                  ? error::id_has_line_break
                                  : error::id_has_nul);
    }
  }
  if (ev.type && find_line_break(*ev.type) != std::string_view::npos)
    return static_cast<int>(error::event_type_has_line_break);
  return 0;
}

}  // namespace detail

/// Checks that `ev` can be written: error::id_has_line_break, error::id_has_nul,
/// error::event_type_has_line_break, or {} when it can.
[[nodiscard]] inline std::error_code validate(const outgoing_event& ev) noexcept {
  if (const int e = detail::validation_error(ev)) return static_cast<error>(e);
  return {};
}

/// Appends `ev` to `out`, in this order: `retry: <ms>`, `id: <id>`, `event: <type>`, one
/// `data: <line>` per line of the data, then the blank line that dispatches the block (omitted
/// when the event has only a retry, which needs none). A value is preceded by one space, so a
/// value that itself starts with a space survives. Returns {} on success, or (writing nothing)
/// the error from validate(). Allocates at most once (one resize of `out`).
template <output_buffer B>
[[nodiscard]] std::error_code write_event(B& out, const outgoing_event& ev) {
  // Every field is read twice (scanned, then copied), and a caller's event is often not in
  // cache yet: ask for its first lines at once instead of one miss after another (past the
  // first 1 KiB of data the hardware prefetcher follows the sequential scan by itself).
  if (ev.id) __builtin_prefetch(ev.id->data());
  if (ev.type) __builtin_prefetch(ev.type->data());
  if (ev.data) {
    const std::size_t ahead = ev.data->size() < 1024 ? ev.data->size() : 1024;
    for (std::size_t at = 0; at < ahead; at += 64)
      __builtin_prefetch(ev.data->data() + at);
  }
  if (const int e = detail::validation_error(ev)) return static_cast<error>(e);
  const bool block = ev.id || ev.type || ev.data;
  const std::size_t retry_digits = ev.retry ? detail::decimal_digits(*ev.retry) : 0;
  std::size_t size = block ? 1 : 0;
  if (ev.retry) size += 7 + retry_digits + 1;  // "retry: " N "\n"
  if (ev.id) size += 4 + ev.id->size() + 1;    // "id: " id "\n"
  if (ev.type) size += 7 + ev.type->size() + 1;
  // The data is scanned once: its line breaks are remembered, then sized and written from.
  const detail::data_breaks breaks(ev.data ? *ev.data : std::string_view());
  if (ev.data)
    size += breaks.overflow ? detail::split_lines("data: ", *ev.data, nullptr)
                            : breaks.size(ev.data->size());
  char* p = reinterpret_cast<char*>(rtwire::detail::grow(out, size));
  if (ev.retry) {
    p = detail::put(p, "retry: ");
    p = detail::put_decimal(p, *ev.retry, retry_digits);
    *p++ = '\n';
  }
  if (ev.id) {
    p = detail::put(p, "id: ");
    p = detail::put(p, *ev.id);
    *p++ = '\n';
  }
  if (ev.type) {
    p = detail::put(p, "event: ");
    p = detail::put(p, *ev.type);
    *p++ = '\n';
  }
  if (ev.data && !breaks.overflow) {
    p = breaks.write(p, *ev.data);
  } else if (ev.data) {
    p += detail::split_lines("data: ", *ev.data, p);
  }
  if (block) *p = '\n';
  return {};
}

/// Appends a comment: one `: <line>` per line of `text` (split at CRLF, LF, CR), so a line break
/// in the text cannot start a field. Receivers ignore comments; use them for diagnostics or
/// padding. Never fails.
template <output_buffer B>
void write_comment(B& out, std::string_view text) {
  char* p =
      reinterpret_cast<char*>(rtwire::detail::grow(out, detail::split_lines(": ", text, nullptr)));
  detail::split_lines(": ", text, p);
}

/// Appends a heartbeat, the empty comment line ":\n". Send one every 15-30 s of silence so that
/// proxies and load balancers keep the connection open; it never changes the receiver's state.
template <output_buffer B>
void write_heartbeat(B& out) {
  rtwire::detail::append(out, ":\n");
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers
// ---------------------------------------------------------------------------------------------

/// One header field of the event-stream response (the HTTP/1 field type of rtwire/core/http1).
using header_field = http1::header_field;

/// The header fields an event-stream response needs: the MIME type (WHATWG HTML §9.2.5), no
/// caching of a live stream, and no response buffering by nginx-style proxies.
inline constexpr header_field response_fields[] = {
    {"Content-Type", "text/event-stream"},
    {"Cache-Control", "no-cache"},
    {"X-Accel-Buffering", "no"},
};

/// Appends a complete HTTP/1.1 response head for an event stream through the http1 writer:
/// `HTTP/1.1 200 OK`, the response_fields, then the empty line. The body (events) follows on the
/// same connection without Content-Length: the stream ends when the connection closes.
template <output_buffer B>
void write_response_head(B& out) {
  (void)http1::write_response_head(out, 200, response_fields);  // constant fields: cannot fail
}

/// As write_response_head(out), followed by the caller's `extra` fields (CORS, cookies) before
/// the empty line. Errors (nothing appended): http1::error::invalid_field_name /
/// invalid_field_value for a field that is not a token / a valid field value (no CR/LF
/// injection).
template <output_buffer B>
[[nodiscard]] std::error_code write_response_head(B& out, std::span<const header_field> extra) {
  return http1::write_response_head(out, 200, response_fields, extra);
}

/// The client's Last-Event-ID from a request's header fields: anything with
/// `find(std::string_view name) -> std::optional<std::string_view>` looking names up
/// case-insensitively (rtwire::http1::header_list does). Returns nullopt when the field is
/// absent or empty: an EventSource sends it only when its last event ID string is non-empty
/// (WHATWG HTML §9.2.4), so "" means "no history". The view points into the request's storage.
template <class Headers>
std::optional<std::string_view> last_event_id(const Headers& headers) {
  const std::optional<std::string_view> value = headers.find("Last-Event-ID");
  if (!value || value->empty()) return std::nullopt;
  return value;
}

}  // namespace rtwire::sse
