// rtwire — SDP internals: the session parser behind sdp::parse() (rtwire/sdp/session.hpp): the
// line ranks of RFC 8866 §5, the parser's state, and the driver that splits the text into lines,
// parses the a= lines (RFC 8866 §5.13) itself, dispatches the others on their type letter and
// binds the result. One member function per other line type:
// rtwire/sdp/detail/session_level_lines.hpp (v=, o=, s=, u=, e=, p=, t=, r=, z=) and
// rtwire/sdp/detail/media_level_lines.hpp (m=, and i=, c=, b=, k=, at either level).
// Included at the end of session.hpp. Not public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "rtwire/sdp/detail/line_scanner.hpp"
#include "rtwire/sdp/detail/storage.hpp"
#include "rtwire/sdp/detail/text.hpp"
#include "rtwire/sdp/error.hpp"
#include "rtwire/sdp/mode.hpp"
#include "rtwire/sdp/session.hpp"

namespace rtwire::sdp {

namespace detail {

/// Line ranks: the RFC 8866 §5 order of the session-level and media-level lines.
enum class rank : std::uint8_t {
  none,
  version,
  origin,
  session_name,
  information,
  uri,
  email,
  phone,
  connection,
  bandwidth,
  timing,
  repeat,
  zone,
  key,
  attribute,
  media,
  media_information,
  media_connection,
  media_bandwidth,
  media_key,
  media_attribute,
};

template <class Storage>
inline auto slice(const Storage& v, std::uint32_t begin, std::uint32_t count) {
  using T = std::remove_cvref_t<decltype(*v.data())>;
  return std::span<const T>(v.data() + begin, count);
}

inline std::uint32_t size32(std::size_t n) noexcept {
  return static_cast<std::uint32_t>(n);
}

/// One parse() call: the session being filled, where the parser is and what it has seen, and
/// one member function per line type (RFC 8866 §5.x). parse() splits the text into lines and
/// dispatches each on its type letter; a line function checks the line's place in the §5 order
/// and its grammar, stores it, and answers an empty parse_error or the first rule broken.
/// A line's value arrives as two scalars (`vstart`, `vsize`), not a string_view: GCC otherwise
/// keeps the view in memory and reloads it with one 16-byte load right after two 8-byte stores,
/// a store-forwarding stall that costs a third of the parse.
class session_parser {
 public:
  session_parser(std::string_view text, session& out, const parse_options& options) noexcept
      : out_(out),
        lim_(options.limits),
        lenient_(options.mode == mode::lenient),
        base_(text.data()),
        line_start_(text.data()) {}

  parse_error run(std::string_view text) noexcept;

 private:
  parse_error fail(error e, const char* at) const noexcept {
    return {.code = make_error_code(e),
            .offset = static_cast<std::size_t>(at - base_),
            .line = line_no_,
            .column = static_cast<std::size_t>(at - line_start_) + 1};
  }
  // Where a field starts, for error columns; the end of the line when the field is missing.
  static const char* field_at(std::string_view field, const char* vend) noexcept {
    return field.data() ? field.data() : vend;
  }

  void reset(std::string_view text) noexcept;
  template <bool Lenient>
  parse_error lines(std::size_t n) noexcept;
  template <bool Lenient, class Scanner>
  parse_error lines(std::size_t n, Scanner scanner) noexcept;
  parse_error fail_line(error e, const char* at, const char* start, std::size_t line_no) noexcept;
  parse_error line(char type, const char* vstart, std::size_t vsize) noexcept;
  parse_error version_line(const char* vstart, std::size_t vsize) noexcept;
  parse_error origin_line(const char* vstart, std::size_t vsize) noexcept;
  parse_error session_name_line(const char* vstart, std::size_t vsize) noexcept;
  parse_error information_line(const char* vstart, std::size_t vsize) noexcept;
  parse_error uri_line(const char* vstart, std::size_t vsize) noexcept;
  parse_error email_phone_line(char type, const char* vstart, std::size_t vsize) noexcept;
  parse_error connection_line(const char* vstart, std::size_t vsize) noexcept;
  parse_error bandwidth_line(const char* vstart, std::size_t vsize) noexcept;
  parse_error timing_line(const char* vstart, std::size_t vsize) noexcept;
  parse_error repeat_line(const char* vstart, std::size_t vsize) noexcept;
  parse_error zone_line(const char* vstart, std::size_t vsize) noexcept;
  parse_error key_line(const char* vstart, std::size_t vsize) noexcept;
  parse_error media_line(const char* vstart, std::size_t vsize) noexcept;
  parse_error unknown_line() noexcept;
  parse_error finish(std::size_t n) noexcept;

  bool in_media() const noexcept { return last_ >= rank::media; }

  session& out_;
  const limits& lim_;
  const bool lenient_;
  const char* const base_;
  std::size_t line_no_ = 0;
  const char* line_start_;
  rank last_ = rank::none;
  bool any_timing_ = false;
  session::range emails_, phones_, bandwidths_, unknown_;
};

// Empties `out_`, keeping every vector's capacity.
inline void session_parser::reset(std::string_view text) noexcept {
  session& out = out_;
  out.lines_.clear();
  out.strings_.clear();
  out.connections_.clear();
  out.bandwidths_.clear();
  out.timings_.clear();
  out.timing_repeats_.clear();
  out.attributes_.clear();
  out.unknown_.clear();
  out.media_.clear();
  out.media_ranges_.clear();
  out.version = 0;
  out.origin = {};
  out.session_name = {};
  out.information.reset();
  out.uri.reset();
  out.connection.reset();
  out.time_zones.reset();
  out.key.reset();
  out.emails = out.phones = {};
  out.bandwidths = {};
  out.timings = {};
  out.attributes = {};
  out.unknown_lines = {};
  out.media = {};
  out.lines = {};
  out.text = text;
}

inline parse_error session_parser::run(std::string_view text) noexcept {
  reset(text);
  if (text.size() > lim_.max_bytes) return {.code = make_error_code(error::too_large)};
  if (text.empty())
    return {.code = make_error_code(error::empty), .offset = 0, .line = 1, .column = 1};
  return lenient_ ? lines<true>(text.size()) : lines<false>(text.size());
}

// Splits the text into lines and parses the a= lines after t= itself (nine lines in ten of a
// WebRTC SDP); every other line goes to line(). One instantiation per mode, so that strict mode
// tests nothing of lenient mode's. What a line touches is kept in locals, in registers: the
// line and attribute appenders, the limits (the appenders' ends), the rank. The members are brought
// up to date only before a call that reads them: line() and finish() (the appenders committed),
// fail_line() (after an error, whatever the arrays hold is discarded by the next reset()).
template <bool Lenient>
inline parse_error session_parser::lines(const std::size_t n) noexcept {
  std::uint64_t* const words = out_.scan_.overwrite(detail::special_map_words(n));
  // Nearly every SDP is all CRLF lines: then the bitmap of the LFs alone is the line ends.
  // Anything else (a bare LF, a stray CR, a NUL, no final line end) takes the scanner that
  // finds each special byte and reports the first that is wrong.
  if (rtwire::detail::crlf_bitmap(base_, n, words)) [[likely]]
    return lines<Lenient>(n, detail::crlf_map(n, words));
  return lines<Lenient>(n, detail::special_map(base_, n, words));
}

template <bool Lenient, class Scanner>
inline parse_error session_parser::lines(const std::size_t n, Scanner scanner) noexcept {
  const char* const p = base_;
  // The limits on lines and attributes are the appenders' (one compare with the capacity).
  detail::appender<sdp::line> lines(out_.lines_, lim_.max_lines);
  detail::appender<sdp::attribute> attributes(out_.attributes_, lim_.max_attributes);
  std::size_t pos = 0;
  // The rank an a= line takes now, or none while it may not come (before t=). The a= path
  // writes the rank to last_ itself (a store, never read back in the loop).
  last_ = rank::none;
  rank attribute_rank = rank::none;
  // The number of the line being read (appended once it has passed its line-end checks).
  const auto line_no = [&] { return lines.size() + 1; };
  while (pos < n) {
    const char* const start = p + pos;
    if (!lines.room()) return fail_line(error::too_many_lines, start, start, line_no());
    // RFC 8866 §5: lines end with CRLF; byte-string (§9) excludes NUL, CR and LF inside a line.
    const std::size_t end = scanner.find();
    std::size_t next = end + 2;
    if constexpr (Scanner::all_crlf) {
      scanner.consume();
    } else if (end + 1 < n && detail::load_word<std::uint16_t>(p + end) ==
                                  detail::word_of<std::uint16_t>("\r\n")) [[likely]] {
      scanner.consume(true);
    } else if (end == n) {
      if (!Lenient) return fail_line(error::missing_final_line_ending, p + end, start, line_no());
      next = n;
    } else if (p[end] == '\n') {
      if (!Lenient) return fail_line(error::bad_line_ending, p + end, start, line_no());
      scanner.consume(false);
      next = end + 1;
    } else {
      return fail_line(error::forbidden_character, p + end, start, line_no());
    }
    const std::size_t size = end - pos;  // without the line ending
    const std::string_view raw(start, next - pos);
    pos = next;

    // RFC 8866 §5: <type>=<value>, <type> exactly one case-significant character.
    if (size < 2 || start[1] != '=' || !detail::is(start[0], detail::cc_alpha)) [[unlikely]] {
      if (Lenient && size == 0) {
        lines.push('\0', std::string_view(), raw);
        continue;
      }
      const bool bad_type = size == 0 || !detail::is(start[0], detail::cc_alpha);
      return fail_line(error::bad_line_syntax, bad_type ? start : start + 1, start, line_no());
    }
    const char type = start[0];
    const char* const vstart = start + 2;
    std::size_t vsize = size - 2;
    // Lenient mode drops trailing whitespace where the strict grammar cannot have any (the
    // structured lines, and a= property attributes such as "a=rtcp-mux "), so that it never
    // changes the meaning of a line that strict mode accepts (text and attribute values are
    // byte-strings, which may end with spaces).
    if (Lenient && vsize > 0 && (vstart[vsize - 1] == ' ' || vstart[vsize - 1] == '\t') &&
        (std::string_view("vocbtrzm").find(type) != std::string_view::npos ||
         (type == 'a' && std::memchr(vstart, ':', vsize) == nullptr)))
      vsize = detail::trim_right(std::string_view(vstart, vsize)).size();
    lines.push(type, std::string_view(vstart, vsize), raw);

    if (type == 'a' && attribute_rank != rank::none) [[likely]] {
      if (!attributes.room())
        return fail_line(error::too_many_attributes, start, start, lines.size());
      // RFC 8866 §5.13: a=<attribute-name>[:<attribute-value>], attribute-name = token. The
      // name ends at the first byte that is not a token-char: a ':' or the end of the line.
      // Nearly every name is letters, digits and '-' (name_run16), shorter than 16 bytes and
      // followed by the ':' or the line end (k == vsize); the byte loop takes the others.
      std::size_t k;
      if (vstart + 16 <= p + n && (k = detail::name_run16(vstart)) - 1 < 15 &&
          (k == vsize || vstart[k] == ':')) [[likely]] {
      } else {
        k = detail::token_run(vstart, vsize, p + n);
        if (k == 0 || (k < vsize && vstart[k] != ':')) [[unlikely]]
          return fail_line(error::bad_attribute, vstart, start, lines.size());
      }
      // attribute-value = byte-string: at least one byte after the ':'.
      if (!Lenient && k + 1 == vsize) [[unlikely]]
        return fail_line(error::bad_attribute, vstart + k, start, lines.size());
      sdp::attribute& a = attributes.push(std::string_view(vstart, k), std::nullopt);
      if (k < vsize) a.value.emplace(vstart + k + 1, vsize - k - 1);
      last_ = attribute_rank;
      continue;
    }
    line_no_ = lines.size();
    line_start_ = start;
    lines.commit();
    attributes.commit();
    if (parse_error e = line(type, vstart, vsize)) return e;
    lines.reload();
    attributes.reload();
    // RFC 8866 §5.13: a= lines come after t= (and k=) at session level, anywhere after m= in a
    // media description.
    attribute_rank = last_ < rank::timing  ? rank::none
                     : last_ < rank::media ? rank::attribute
                                           : rank::media_attribute;
  }
  line_no_ = lines.size();
  lines.commit();
  attributes.commit();
  return finish(n);
}

// An error found by the line loop, on line `line_no` starting at `start`.
[[gnu::cold, gnu::noinline]] inline parse_error session_parser::fail_line(
    error e, const char* at, const char* start, std::size_t line_no) noexcept {
  line_no_ = line_no;
  line_start_ = start;
  return fail(e, at);
}

// Dispatches one line on its type letter.
inline parse_error session_parser::line(char type, const char* vstart, std::size_t vsize) noexcept {
  // The first three lines are fixed (RFC 8866 §5: v=, o=, s= in this order).
  if (last_ == rank::none && type != 'v') return fail(error::missing_version, line_start_);
  if (last_ == rank::version && type != 'o') return fail(error::missing_origin, line_start_);
  if (last_ == rank::origin && type != 's') return fail(error::missing_session_name, line_start_);

  switch (type) {
    case 'v':
      return version_line(vstart, vsize);
    case 'o':
      return origin_line(vstart, vsize);
    case 's':
      return session_name_line(vstart, vsize);
    case 'i':
      return information_line(vstart, vsize);
    case 'u':
      return uri_line(vstart, vsize);
    case 'e':
    case 'p':
      return email_phone_line(type, vstart, vsize);
    case 'c':
      return connection_line(vstart, vsize);
    case 'b':
      return bandwidth_line(vstart, vsize);
    case 't':
      return timing_line(vstart, vsize);
    case 'r':
      return repeat_line(vstart, vsize);
    case 'z':
      return zone_line(vstart, vsize);
    case 'k':
      return key_line(vstart, vsize);
    case 'a':
      // An a= line before the first t= (the a= lines after it took the path above).
      return fail(error::missing_timing, line_start_);
    case 'm':
      return media_line(vstart, vsize);
    default:
      return unknown_line();
  }
}

// RFC 8866 §5: "An SDP parser MUST completely ignore any session description that contains a
// type letter that it does not understand." Lenient mode keeps the line.
inline parse_error session_parser::unknown_line() noexcept {
  if (!lenient_) return fail(error::unknown_line_type, line_start_);
  out_.unknown_.push_back(out_.lines_.back());
  if (!in_media()) {
    if (unknown_.count == 0) unknown_.begin = size32(out_.unknown_.size() - 1);
    ++unknown_.count;
  }
  return {};
}

// After the last line: the mandatory lines that never came, then the spans (bound now that
// storage no longer moves) and the §5.7 c= rule, which needs every media description.
inline parse_error session_parser::finish(std::size_t n) noexcept {
  session& out = out_;
  ++line_no_;
  line_start_ = base_ + n;
  if (last_ < rank::origin) return fail(error::missing_origin, line_start_);
  if (last_ < rank::session_name) return fail(error::missing_session_name, line_start_);
  if (!any_timing_) return fail(error::missing_timing, line_start_);

  out.emails = detail::slice(out.strings_, emails_.begin, emails_.count);
  out.phones = detail::slice(out.strings_, phones_.begin, phones_.count);
  out.bandwidths = detail::slice(out.bandwidths_, bandwidths_.begin, bandwidths_.count);
  // The session-level a= lines are those before the first m=.
  out.attributes =
      detail::slice(out.attributes_, 0,
                    out.media_ranges_.empty() ? size32(out.attributes_.size())
                                              : out.media_ranges_.front().attributes.begin);
  out.unknown_lines = detail::slice(out.unknown_, unknown_.begin, unknown_.count);
  for (std::size_t i = 0; i < out.timings_.size(); ++i) {
    const auto& r = out.timing_repeats_[i];
    out.timings_[i].repeats = detail::slice(out.strings_, r.begin, r.count);
  }
  out.timings = {out.timings_.data(), out.timings_.size()};
  for (std::size_t i = 0; i < out.media_.size(); ++i) {
    auto& m = out.media_[i];
    auto& r = out.media_ranges_[i];
    r.lines.count = (i + 1 < out.media_.size() ? out.media_ranges_[i + 1].lines.begin
                                               : size32(out.lines_.size())) -
                    r.lines.begin;
    // A section's connections, bandwidths, attributes and unknown lines are contiguous and
    // end where the next section's begin.
    const bool last_media = i + 1 == out.media_.size();
    const auto end_of = [&](session::range session::media_ranges::*member, std::size_t total) {
      return last_media ? size32(total) : (out.media_ranges_[i + 1].*member).begin;
    };
    r.connections.count =
        end_of(&session::media_ranges::connections, out.connections_.size()) - r.connections.begin;
    r.bandwidths.count =
        end_of(&session::media_ranges::bandwidths, out.bandwidths_.size()) - r.bandwidths.begin;
    r.attributes.count =
        end_of(&session::media_ranges::attributes, out.attributes_.size()) - r.attributes.begin;
    r.unknown.count =
        end_of(&session::media_ranges::unknown, out.unknown_.size()) - r.unknown.begin;
    m.formats = detail::slice(out.strings_, r.formats.begin, r.formats.count);
    m.connections = detail::slice(out.connections_, r.connections.begin, r.connections.count);
    m.bandwidths = detail::slice(out.bandwidths_, r.bandwidths.begin, r.bandwidths.count);
    m.attributes = detail::slice(out.attributes_, r.attributes.begin, r.attributes.count);
    m.unknown_lines = detail::slice(out.unknown_, r.unknown.begin, r.unknown.count);
    m.lines = detail::slice(out.lines_, r.lines.begin, r.lines.count);
    // RFC 8866 §5.7: every media description needs a c= line unless the session has one.
    if (!lenient_ && !out.connection && m.connections.empty()) {
      return {.code = make_error_code(error::missing_connection),
              .offset = static_cast<std::size_t>(out.lines_[r.lines.begin].raw.data() - base_),
              .line = static_cast<std::size_t>(r.lines.begin) + 1,
              .column = 1};
    }
  }
  out.media = {out.media_.data(), out.media_.size()};
  out.lines = {out.lines_.data(), out.lines_.size()};
  return {};
}

}  // namespace detail

inline parse_error parse(std::string_view text, session& out,
                         const parse_options& options) noexcept {
  return detail::session_parser(text, out, options).run(text);
}

}  // namespace rtwire::sdp

// The line handlers (they need the class above).
#include "rtwire/sdp/detail/media_level_lines.hpp"
#include "rtwire/sdp/detail/session_level_lines.hpp"
