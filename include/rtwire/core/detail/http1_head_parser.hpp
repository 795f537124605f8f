// rtwire — basic_head_parser, the state machine behind http1::request_parser and
// http1::response_parser (rtwire/core/http1_parser.hpp, whose top comment gives the usage and
// the design). Internal: include rtwire/core/http1_parser.hpp and use those two classes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "rtwire/core/ascii.hpp"
#include "rtwire/core/detail/http1_line_scan.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/core/http1_error.hpp"
#include "rtwire/core/http1_grammar.hpp"
#include "rtwire/core/http1_head.hpp"
#include "rtwire/core/http1_parser_options.hpp"

namespace rtwire::http1 {

/// The parser shared by request_parser and response_parser; use those.
template <class Head>
class basic_head_parser {
  static constexpr bool is_request = std::is_same_v<Head, request_head>;

 public:
  /// Reserves room for the field table once (min(max_headers, max_head_bytes / 3 + 1) slots):
  /// no allocation per field afterwards. The internal buffer is allocated on first need and
  /// never grows beyond limits::max_head_bytes.
  explicit basic_head_parser(options opts = {}) : opts_(opts) {
    const std::size_t slots = std::min(opts_.limit.max_headers, opts_.limit.max_head_bytes / 3 + 1);
    raw_.reserve(slots);
    head_.headers.reserve(slots);
  }

  /// Feeds the next bytes of the stream.
  ///
  /// Returns {need_more, data.size()} while the head is incomplete (every byte was taken). Then
  /// {done, n}: n is the number of bytes of `data` up to and including the line terminator that
  /// ends the head; data.substr(n) belongs to the caller (a body, or the next protocol). On a
  /// violation {error, n}: n is the number of bytes of `data` before the offending byte (0 if it
  /// arrived in an earlier call: a line is validated when its LF arrives), and error() gives the
  /// error and its offset, counted from the first byte fed since construction or reset() (the
  /// head's first byte, unless ignored empty lines preceded it). The error and its offset are the
  /// same however the input is split.
  ///
  /// Sticky: after an error every call returns {error, 0} and error() keeps its value; after
  /// done every call returns {done, 0} until reset().
  ///
  /// Lifetime of head()'s views: if the whole head arrived in this one call and needed no
  /// obs-fold rewriting, they point into `data` (zero copy) and stay valid while the caller's
  /// buffer does; otherwise they point into the parser's internal buffer. Either way they are
  /// invalidated by the next reset() and by destroying the parser.
  feed_result feed(std::string_view data) {
    if (status_ == parse_status::done) return {parse_status::done, 0};
    if (status_ == parse_status::error) return {parse_status::error, 0};

    std::size_t pos = 0;
    if constexpr (is_request) {
      if (!in_head_) {
        if (!skip_empty_lines(data, pos)) return failed(data);
        if (!in_head_) {
          fed_ += data.size();
          return {parse_status::need_more, data.size()};
        }
      }
    }

    const std::size_t max_head = opts_.limit.max_head_bytes;
    if (buf_.empty()) {
      // Nothing of the head is buffered: parse in the caller's bytes (zero copy if it completes).
      const std::string_view rest = data.substr(pos);
      const std::size_t avail = std::min(rest.size(), max_head);
      std::size_t head_len = 0;
      const parse_status s = scan(rest.data(), avail, rest.size() > max_head, head_len);
      if (s == parse_status::error) return failed(data);
      if (s == parse_status::done) {
        complete(rest.data(), head_len);
        fed_ += pos + head_len;
        return {parse_status::done, pos + head_len};
      }
      // Incomplete: keep the head so far (at most max_head_bytes, since no limit failed).
      buf_.assign(rest.data(), rest.size());
      fed_ += data.size();
      return {parse_status::need_more, data.size()};
    }

    // Part of the head is buffered: append at most what the head may still take, then scan on
    // from where the previous call stopped.
    const std::size_t old = buf_.size();
    const std::size_t take = std::min(data.size(), max_head - old);
    buf_.append(data.data(), take);
    std::size_t head_len = 0;
    const parse_status s = scan(buf_.data(), buf_.size(), data.size() > take, head_len);
    if (s == parse_status::error) return failed(data);
    if (s == parse_status::done) {
      buf_.resize(head_len);  // drop bytes that follow the head: they are the caller's
      complete(buf_.data(), head_len);
      fed_ += head_len - old;
      return {parse_status::done, head_len - old};
    }
    fed_ += data.size();
    return {parse_status::need_more, data.size()};
  }

  /// Tells the parser the peer closed the stream. A head in progress (any byte after ignored
  /// empty lines, or a CR whose LF is missing) becomes error::unexpected_end at the offset of the
  /// end of the stream. Returns the final status: done or error unchanged, error for a truncated
  /// head, need_more if the stream ended cleanly before any head byte (no message).
  parse_status finish() {
    if (status_ != parse_status::need_more) return status_;
    // Every head byte taken so far is in buf_ (feed() buffers an incomplete head).
    if (!buf_.empty() || pending_cr_) fail_abs(error::unexpected_end, fed_);
    return status_;
  }

  /// The parsed head; meaningful only once feed() returned done.
  const Head& head() const noexcept { return head_; }
  /// The sticky error and its offset; empty unless status() is error.
  const error_at& error() const noexcept { return error_; }
  parse_status status() const noexcept { return status_; }

  /// Prepares for the next head on the same stream (feed it the leftover bytes first). Keeps the
  /// internal buffer's and the field table's capacity; invalidates head()'s views.
  void reset() noexcept {
    status_ = parse_status::need_more;
    error_ = {};
    head_.headers.clear();
    if constexpr (is_request) {
      head_.method = {};
      head_.target = {};
    } else {
      head_.status = 0;
      head_.reason = {};
    }
    head_.version_major = 1;
    head_.version_minor = 1;
    buf_.clear();
    raw_.clear();
    fed_ = 0;
    head_start_ = 0;
    in_head_ = !is_request;
    pending_cr_ = false;
    empty_lines_ = 0;
    line_off_ = 0;
    scan_off_ = 0;
    start_line_done_ = false;
    needs_rewrite_ = false;
    part_a_ = {};
    part_b_ = {};
  }

 private:
  /// A byte range relative to the head's first byte.
  struct piece {
    std::size_t off = 0;
    std::size_t len = 0;
  };
  struct raw_field {
    piece name;
    piece value;
  };

  /// Records a sticky error at head-relative offset `rel`; returns parse_status::error.
  parse_status fail(http1::error e, std::size_t rel) noexcept {
    status_ = parse_status::error;
    error_ = {make_error_code(e), head_start_ + rel};
    return parse_status::error;
  }

  /// The feed() result for an error recorded during this call.
  feed_result failed(std::string_view data) const noexcept {
    const std::size_t n = error_.offset > fed_ ? error_.offset - fed_ : 0;
    return {parse_status::error, std::min(n, data.size())};
  }

  /// Requests: RFC 9112 §2.2 — "a server that is expecting to receive and parse a request-line
  /// SHOULD ignore at least one empty line (CRLF) received prior to the request-line". Ignores up
  /// to max_leading_empty_lines of them (a handful of bytes, so byte-wise). Sets in_head_ and
  /// `pos` at the first byte of the request-line. Returns false on error.
  bool skip_empty_lines(std::string_view data, std::size_t& pos) noexcept {
    for (; pos < data.size(); ++pos) {
      const char c = data[pos];
      if (pending_cr_) {
        // RFC 9112 §2.2: a CR must be followed by LF.
        if (c != '\n') return fail_abs(error::bare_cr, fed_ + pos - 1);
        pending_cr_ = false;
        ++empty_lines_;
        continue;
      }
      if (c != '\r' && c != '\n') {
        in_head_ = true;
        head_start_ = fed_ + pos;
        return true;
      }
      if (empty_lines_ == opts_.limit.max_leading_empty_lines)
        return fail_abs(error::too_many_empty_lines, fed_ + pos);
      if (c == '\r') {
        pending_cr_ = true;
      } else if (opts_.allow_bare_lf) {
        ++empty_lines_;
      } else {
        return fail_abs(error::bare_lf, fed_ + pos);
      }
    }
    return true;
  }

  bool fail_abs(http1::error e, std::size_t abs) noexcept {
    status_ = parse_status::error;
    error_ = {make_error_code(e), abs};
    return false;
  }

  /// Finds and validates lines in b[0, avail) (the head so far, head-relative), resuming at
  /// scan_off_. `more`: the input holds bytes beyond `avail` (avail was capped at
  /// max_head_bytes). On done sets head_len.
  parse_status scan(const char* b, std::size_t avail, bool more, std::size_t& head_len) {
    const std::size_t max_line = opts_.limit.max_line_bytes;
    // A line may take max_line content bytes plus CR LF.
    const std::size_t line_cap = max_line > SIZE_MAX - 2 ? SIZE_MAX : max_line + 2;
    while (true) {
#if RTWIRE_HTTP1_LINE_SCAN
      if (start_line_done_ && scan_off_ == line_off_) {
        if (take_plain_fields(b, avail, head_len)) return parse_status::done;
        // line_off_ is the first line it left to the byte-wise path below.
      }
#endif
      const std::size_t end = line_off_ + std::min(avail - line_off_, line_cap);
      // The byte-wise path: the start-line, a line resumed where the previous feed() stopped, a
      // line the fast path left. memchr finds the LF (glibc's AVX2/EVEX one: lines are short).
      const void* lf =
          scan_off_ < end ? std::memchr(b + scan_off_, '\n', end - scan_off_) : nullptr;
      const std::size_t lf_off =
          lf == nullptr ? end : static_cast<std::size_t>(static_cast<const char*>(lf) - b);
      if (lf_off == end) {
        scan_off_ = end;
        const std::size_t seen = end - line_off_;
        // The content is certainly too long once max_line + 2 bytes hold no LF, or once
        // max_line + 1 bytes do and the last one is not a CR that an LF may follow.
        if ((seen >= 2 && seen - 2 >= max_line) ||
            (seen >= 1 && seen - 1 == max_line && b[line_off_ + max_line] != '\r'))
          return fail(error::line_too_long, line_off_ + max_line);
        if (more) return fail(error::head_too_large, avail);
        return parse_status::need_more;
      }
      const bool crlf = lf_off > line_off_ && b[lf_off - 1] == '\r';
      const std::size_t content_end = crlf ? lf_off - 1 : lf_off;
      if (content_end - line_off_ > max_line)
        return fail(error::line_too_long, line_off_ + max_line);

      const std::string_view line(b + line_off_, content_end - line_off_);
      if (!start_line_done_) {
        if (!parse_start_line(line, avail - line_off_)) return parse_status::error;
        start_line_done_ = true;
      } else if (line.empty()) {
        // RFC 9112 §2.1: the empty line ends the head.
        if (!crlf && !opts_.allow_bare_lf) return fail(error::bare_lf, lf_off);
        head_len = lf_off + 1;
        return parse_status::done;
      } else if (!parse_field_line(line)) {
        return parse_status::error;
      }
      // RFC 9112 §2.2: a recipient MAY recognize a single LF as a line terminator.
      if (!crlf && !opts_.allow_bare_lf) return fail(error::bare_lf, lf_off);
      line_off_ = scan_off_ = lf_off + 1;
    }
  }

  /// Error for the byte at line-relative index `i`: a CR there is a bare CR (RFC 9112 §2.2).
  bool fail_at(std::string_view line, std::size_t i, http1::error e) noexcept {
    if (i < line.size() && line[i] == '\r') e = error::bare_cr;
    fail(e, line_off_ + i);
    return false;
  }

  /// Validates "HTTP/" DIGIT "." DIGIT at line[from, from + 8) (RFC 9112 §2.3: HTTP-name is
  /// case-sensitive). On success stores the version (major 1 only: others are
  /// unsupported_version, answered with 505).
  bool parse_version(std::string_view line, std::size_t from) noexcept {
    constexpr std::string_view pattern = "HTTP/#.#";
    for (std::size_t k = 0; k < pattern.size(); ++k) {
      const std::size_t i = from + k;
      if (i >= line.size()) return fail_at(line, i, error::bad_version);
      const char c = line[i];
      const bool ok = pattern[k] == '#' ? (c >= '0' && c <= '9') : c == pattern[k];
      if (!ok) return fail_at(line, i, error::bad_version);
    }
    if (line[from + 5] != '1') return fail_at(line, from, error::unsupported_version);
    head_.version_major = 1;
    head_.version_minor = line[from + 7] - '0';
    return true;
  }

  /// `readable`: the bytes of the buffer from the line's start (for the fast path's loads).
  bool parse_start_line(std::string_view line, [[maybe_unused]] std::size_t readable) noexcept {
    if constexpr (is_request) {
#if RTWIRE_HTTP1_LINE_SCAN
      if (take_request_line(line, readable)) return true;
#endif
      // RFC 9112 §3: request-line = method SP request-target SP HTTP-version, each separated by
      // exactly one SP (we do not take the MAY of parsing on whitespace-delimited words).
      const std::size_t m = detail::find_not(line, 0, detail::cc_tchar);
      // RFC 9112 §3.1 / RFC 9110 §9.1: method = token.
      if (m == 0 || m == line.size() || line[m] != ' ') return fail_at(line, m, error::bad_method);
      const std::size_t t = m + 1;
      // RFC 9112 §3.2: the request-target is non-empty and holds no whitespace or CTL.
      const std::size_t te = detail::find_not(line, t, detail::cc_target);
      if (te == t) return fail_at(line, t, error::bad_target);
      if (te == line.size()) return fail_at(line, te, error::bad_version);  // no SP + version
      if (line[te] != ' ') return fail_at(line, te, error::bad_target);
      const std::size_t v = te + 1;
      if (!parse_version(line, v)) return false;
      // The HTTP-version ends the line.
      if (line.size() != v + 8) return fail_at(line, v + 8, error::bad_version);
      part_a_ = {line_off_, m};
      part_b_ = {line_off_ + t, te - t};
      return true;
    } else {
      // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ].
      if (!parse_version(line, 0)) return false;
      if (line.size() == 8) return fail_at(line, 8, error::bad_status);
      if (line[8] != ' ') return fail_at(line, 8, error::bad_version);
      // status-code = 3DIGIT; RFC 9110 §15: the first digit is the class, so 1..9.
      int status = 0;
      for (std::size_t i = 9; i < 12; ++i) {
        const char c = i < line.size() ? line[i] : '\0';
        if (c < '0' || c > '9' || (i == 9 && c == '0')) return fail_at(line, i, error::bad_status);
        status = status * 10 + (c - '0');
      }
      std::size_t r = 12;
      if (line.size() > 12) {
        // A fourth digit or anything else glued to the code is not a status-code.
        if (line[12] != ' ') return fail_at(line, 12, error::bad_status);
        r = 13;
      }
      // Robustness (as h11 does): "HTTP/1.1 200" without the SP before an empty reason is
      // accepted. reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ).
      const std::size_t bad = detail::find_not(line, r, detail::cc_field);
      if (bad != line.size()) return fail_at(line, bad, error::bad_reason);
      head_.status = status;
      part_a_ = {line_off_ + r, line.size() - r};
      return true;
    }
  }

#if RTWIRE_HTTP1_LINE_SCAN
  /// parse_start_line()'s fast path for the usual request-line: a method of at most 15 bytes, a
  /// target of VCHARs, " HTTP/1." and a digit, checked with 16-byte loads. Returns false, having
  /// changed nothing, for any other line: the byte-wise path then decides (the same parts, or
  /// the exact error).
  bool take_request_line(std::string_view line, std::size_t readable) noexcept {
    const char* p = line.data();
    const std::size_t n = line.size();
    if (n < 12 || readable < 16) return false;
    // RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, major 1 (the others are refused by
    // the byte-wise path).
    if (std::memcmp(p + n - 9, " HTTP/1.", 8) != 0 || p[n - 1] < '0' || p[n - 1] > '9')
      return false;
    const std::size_t m = detail::find_space16(p);  // RFC 9112 §3: method SP request-target
    if (m == 0 || m >= 16 || !detail::all_tchar(p, m)) return false;
    const std::size_t t = m + 1, te = n - 9;
    if (te <= t || !detail::all_vchar(p + t, te - t, readable - t)) return false;
    part_a_ = {line_off_, m};
    part_b_ = {line_off_ + t, te - t};
    head_.version_major = 1;
    head_.version_minor = p[n - 1] - '0';
    return true;
  }
#endif

  /// A field line (RFC 9112 §5: field-line = field-name ":" OWS field-value OWS) or, when it
  /// starts with whitespace, an obs-fold continuation (§5.2).
  bool parse_field_line(std::string_view line) {
    if (detail::is_ows(line[0])) {
      // RFC 9112 §2.2: whitespace between the start-line and the first field MUST be rejected
      // (or the line ignored); we reject.
      if (raw_.empty()) return fail_at(line, 0, error::whitespace_after_start_line);
      // RFC 9112 §5.2: a server MUST reject obs-fold or replace it with SP; default: reject.
      if (!opts_.allow_obs_fold) return fail_at(line, 0, error::obs_fold);
      const std::size_t bad = detail::find_not(line, 0, detail::cc_field);
      if (bad != line.size()) return fail_at(line, bad, error::bad_header_value);
      std::size_t s = 0, e = line.size();
      while (s < e && detail::is_ows(line[s]))
        ++s;
      while (e > s && detail::is_ows(line[e - 1]))
        --e;
      if (s == e) return true;  // whitespace-only continuation adds nothing
      piece& value = raw_.back().value;
      if (value.len == 0) {
        value = {line_off_ + s, e - s};
      } else {
        // The value now spans the fold; complete() replaces OWS CRLF RWS with one SP.
        value.len = line_off_ + e - value.off;
        needs_rewrite_ = true;
      }
      return true;
    }
    // RFC 9110 §5.1: field-name = token.
    const std::size_t n = detail::find_not(line, 0, detail::cc_tchar);
    if (n == 0) return fail_at(line, 0, error::bad_header_name);
    if (n == line.size()) return fail_at(line, n, error::bad_header_name);  // no colon
    if (line[n] != ':') {
      // RFC 9112 §5.1: no whitespace is allowed between the field name and colon; a server MUST
      // reject such a message with 400.
      if (detail::is_ows(line[n])) return fail_at(line, n, error::whitespace_before_colon);
      return fail_at(line, n, error::bad_header_name);
    }
    // RFC 9110 §5.5: field-value = *field-content: VCHAR, obs-text, SP, HTAB; CR, LF and NUL
    // (and the other CTLs) are rejected.
    const std::size_t bad = detail::find_not(line, n + 1, detail::cc_field);
    if (bad != line.size()) return fail_at(line, bad, error::bad_header_value);
    if (raw_.size() == opts_.limit.max_headers) return fail_at(line, 0, error::too_many_headers);
    add_field(line_off_, line, n);
    return true;
  }

  /// Records the field line `line`, starting at head-relative `off`, whose colon is line[n].
  [[gnu::always_inline]] void add_field(std::size_t off, std::string_view line, std::size_t n) {
    // RFC 9112 §5.1: OWS before and after the field value is not part of it.
    std::size_t s = n + 1, e = line.size();
    while (s < e && detail::is_ows(line[s]))
      ++s;
    while (e > s && detail::is_ows(line[e - 1]))
      --e;
    raw_.push_back({{off, n}, {off + s, e - s}});
  }

#if RTWIRE_HTTP1_LINE_SCAN
  /// The fast path of scan() for the lines after the start-line: takes, from line_off_ on, every
  /// line that is certainly a valid field line (RFC 9110 §5.1, §5.5: a token name of at most 32
  /// bytes, a colon, field-value bytes, CRLF, within max_line_bytes and max_headers), in one
  /// SSE2 pass per line (detail/http1_line_scan.hpp). Returns true, with head_len set, when the
  /// empty line that ends the head follows them. Otherwise stops at the first line it cannot
  /// vouch for (incomplete, an error, an obs-fold, a bare LF, a long name) with line_off_ and
  /// scan_off_ at its start: parse_field_line() then takes it or reports its exact error, so the
  /// outcome does not depend on this path.
  bool take_plain_fields(const char* b, std::size_t avail, std::size_t& head_len) {
    std::size_t pos = line_off_;
    for (;;) {
      const std::size_t left = avail - pos;
      const std::size_t cr = pos + detail::find_non_field(b + pos, left);
      if (cr + 1 >= avail || b[cr] != '\r' || b[cr + 1] != '\n') break;
      const std::size_t len = cr - pos;
      if (len == 0) {
        // RFC 9112 §2.1: the empty line ends the head.
        line_off_ = scan_off_ = pos;
        head_len = cr + 2;
        return true;
      }
      if (len > opts_.limit.max_line_bytes || left < 16) break;
      const std::size_t n = detail::find_colon(b + pos, left);
      if (n == 0 || n >= len || n >= 32 || !detail::all_tchar(b + pos, n)) break;
      if (raw_.size() == opts_.limit.max_headers) break;
      add_field(pos, std::string_view(b + pos, len), n);
      pos = cr + 2;
    }
    line_off_ = scan_off_ = pos;
    return false;
  }
#endif

  /// The head is b[0, head_len): rewrite obs-folds if any, then point head_ into it.
  void complete(const char* b, std::size_t head_len) {
    status_ = parse_status::done;
    if (needs_rewrite_) {
      // The rewrite writes, so the head must be in our buffer.
      if (b != buf_.data()) buf_.assign(b, head_len);
      char* w = buf_.data();
      for (raw_field& f : raw_) {
        // Inside a value, CR and LF only occur in obs-folds (every line was validated).
        // RFC 9112 §5.2: replace each obs-fold (OWS CRLF RWS) with SP — one SP, compacting the
        // value in place (it only shrinks, so no other field moves).
        const std::size_t end = f.value.off + f.value.len;
        std::size_t out = f.value.off;
        for (std::size_t in = f.value.off; in < end;) {
          if (w[in] != '\r' && w[in] != '\n') {
            w[out++] = w[in++];
            continue;
          }
          while (out > f.value.off && detail::is_ows(w[out - 1]))
            --out;
          while (in < end && (w[in] == '\r' || w[in] == '\n' || detail::is_ows(w[in])))
            ++in;
          w[out++] = ' ';
        }
        f.value.len = out - f.value.off;
      }
      b = buf_.data();
    }
    const auto view = [b](piece p) { return std::string_view(b + p.off, p.len); };
    if constexpr (is_request) {
      head_.method = view(part_a_);
      head_.target = view(part_b_);
    } else {
      head_.reason = view(part_a_);
    }
    head_.headers.clear();
    for (const raw_field& f : raw_)
      head_.headers.add(view(f.name), view(f.value));
  }

  options opts_;
  parse_status status_ = parse_status::need_more;
  error_at error_{};
  Head head_{};
  /// The head so far when it spans feeds (or was rewritten); never more than max_head_bytes.
  std::string buf_;
  /// Field positions while parsing, turned into views by complete().
  std::vector<raw_field> raw_;

  std::size_t fed_ = 0;         // stream bytes taken before the current feed()
  std::size_t head_start_ = 0;  // stream offset of the head's first byte
  bool in_head_ = !is_request;  // past the ignored empty lines
  bool pending_cr_ = false;     // an ignored empty line's CR awaits its LF
  std::size_t empty_lines_ = 0;

  std::size_t line_off_ = 0;  // head-relative start of the current line
  std::size_t scan_off_ = 0;  // head-relative position where the search for LF resumes
  bool start_line_done_ = false;
  bool needs_rewrite_ = false;  // an accepted obs-fold left CR/LF inside a value
  piece part_a_{};              // request: method; response: reason
  piece part_b_{};              // request: target
};

}  // namespace rtwire::http1
