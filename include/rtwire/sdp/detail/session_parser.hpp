// rtwire — SDP internals: the session parser behind sdp::parse() (rtwire/sdp/session.hpp), one
// member function per line type of RFC 8866 §5. Included at the end of session.hpp. Not public
// API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

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

template <class T>
inline std::span<const T> slice(const std::vector<T>& v, std::uint32_t begin, std::uint32_t count) {
  return {v.data() + begin, count};
}

inline std::uint32_t size32(std::size_t n) noexcept {
  return static_cast<std::uint32_t>(n);
}

// typed-time = 1*DIGIT [fixed-len-time-unit]; fixed-len-time-unit = "d" / "h" / "m" / "s"
inline bool is_typed_time(std::string_view s) noexcept {
  if (!s.empty() && (s.back() == 'd' || s.back() == 'h' || s.back() == 'm' || s.back() == 's'))
    s.remove_suffix(1);
  return s.size() <= 19 && is_digits(s);
}

// time = POS-DIGIT 9*DIGIT; start-time / stop-time = time / "0"
inline bool is_sdp_time(std::string_view s, std::uint64_t& v, bool lenient) noexcept {
  if (!parse_uint(s, v, 19)) return false;
  if (lenient || s == "0") return true;
  return s.size() >= 10 && s[0] != '0';
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
  parse_error line(char type, const char* vstart, std::size_t vsize) noexcept;
  error attribute_line(const char* vstart, std::size_t vsize, rank& last, const char*& at) noexcept;
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
  session::range emails_, phones_, bandwidths_, attributes_, unknown_;
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

  const std::size_t n = text.size();
  std::size_t pos = 0;
  detail::special_scanner scanner(base_, n);
  // The a= path's state stays in registers: the rank is handed to the other lines' functions
  // through last_, the only state they share with it.
  rank last = rank::none;
  std::size_t attribute_total = 0;
  while (pos < n) {
    if (++line_no_ > lim_.max_lines)
      return {.code = make_error_code(error::too_many_lines),
              .offset = pos,
              .line = line_no_,
              .column = 1};
    line_start_ = base_ + pos;
    // RFC 8866 §5: lines end with CRLF; byte-string (§9) excludes NUL, CR and LF inside a line.
    const std::size_t end = scanner.find(pos);
    std::size_t next = end;
    if (end == n) {
      if (!lenient_) return fail(error::missing_final_line_ending, base_ + end);
    } else if (base_[end] == '\n') {
      if (!lenient_) return fail(error::bad_line_ending, base_ + end);
      next = end + 1;
    } else if (base_[end] == '\r' && end + 1 < n && base_[end + 1] == '\n') {
      next = end + 2;
    } else {
      return fail(error::forbidden_character, base_ + end);
    }
    const std::string_view content(base_ + pos, end - pos);
    const std::string_view raw(base_ + pos, next - pos);
    pos = next;

    if (content.empty() && lenient_) {
      out_.lines_.push_back({'\0', {}, raw});
      continue;
    }
    // RFC 8866 §5: <type>=<value>, <type> exactly one case-significant character.
    if (content.empty() || !detail::is(content[0], detail::cc_alpha))
      return fail(error::bad_line_syntax, line_start_);
    if (content.size() < 2 || content[1] != '=')
      return fail(error::bad_line_syntax, line_start_ + 1);
    const char type = content[0];
    const char* const vstart = content.data() + 2;
    std::size_t vsize = content.size() - 2;
    // Lenient mode drops trailing whitespace where the strict grammar cannot have any (the
    // structured lines, and a= property attributes such as "a=rtcp-mux "), so that it never
    // changes the meaning of a line that strict mode accepts (text and attribute values are
    // byte-strings, which may end with spaces).
    if (lenient_ && vsize > 0 && (vstart[vsize - 1] == ' ' || vstart[vsize - 1] == '\t') &&
        (std::string_view("vocbtrzm").find(type) != std::string_view::npos ||
         (type == 'a' && std::memchr(vstart, ':', vsize) == nullptr)))
      vsize = detail::trim_right(std::string_view(vstart, vsize)).size();
    {
      sdp::line& l = out_.lines_.emplace_back();
      l.type = type;
      l.value = std::string_view(vstart, vsize);
      l.raw = raw;
    }
    // Nine lines in ten of a WebRTC SDP are a= lines: their path comes before the dispatch.
    if (type == 'a' && last >= rank::timing) {
      if (++attribute_total > lim_.max_attributes)
        return fail(error::too_many_attributes, line_start_);
      const char* at = nullptr;
      if (const error e = attribute_line(vstart, vsize, last, at); e != error{}) return fail(e, at);
      continue;
    }
    last_ = last;
    if (parse_error e = line(type, vstart, vsize)) return e;
    last = last_;
  }
  last_ = last;
  return finish(n);
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

// RFC 8866 §5.13: a=<attribute-name>[:<attribute-value>], after the time descriptions (and k=)
// at session level, anywhere after m= in a media description (`last` is the rank, updated).
// Answers error{} or the rule broken, with `at` where.
inline error session_parser::attribute_line(const char* vstart, std::size_t vsize, rank& last,
                                            const char*& at) noexcept {
  // The name is a token (no ':'), so a short scan finds the end of the name.
  std::size_t k = 0;
  while (k < vsize && detail::is(vstart[k], detail::cc_token))
    ++k;
  if (k == 0 || (k < vsize && vstart[k] != ':')) {
    at = vstart;
    return error::bad_attribute;
  }
  // attribute-value = byte-string: at least one byte after the ':'.
  if (k + 1 == vsize && !lenient_) {
    at = vstart + k;
    return error::bad_attribute;
  }
  // Built in place: constructing a temporary and copying it costs a store-forwarding stall.
  sdp::attribute& a = out_.attributes_.emplace_back();
  a.name = std::string_view(vstart, k);
  if (k < vsize) a.value = std::string_view(vstart + k + 1, vsize - k - 1);
  if (last >= rank::media) {
    last = rank::media_attribute;
  } else {
    if (attributes_.count == 0) attributes_.begin = size32(out_.attributes_.size() - 1);
    ++attributes_.count;
    last = rank::attribute;
  }
  return error{};
}

// RFC 8866 §5.1: v=0.
inline parse_error session_parser::version_line(const char* vstart, std::size_t vsize) noexcept {
  const std::string_view value(vstart, vsize);
  if (last_ != rank::none) return fail(error::unexpected_line, line_start_);
  std::uint64_t v = 0;
  if (!detail::parse_uint(value, v, 9) || (!lenient_ && value != "0"))
    return fail(error::bad_version, vstart);
  out_.version = static_cast<std::uint32_t>(v);
  last_ = rank::version;
  return {};
}

// RFC 8866 §5.2: o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>;
// sess-id and sess-version are 1*DIGIT.
inline parse_error session_parser::origin_line(const char* vstart, std::size_t vsize) noexcept {
  const char* const vend = vstart + vsize;
  detail::field_reader fields{std::string_view(vstart, vsize)};
  if (last_ != rank::version) return fail(error::unexpected_line, line_start_);
  sdp::origin o;
  // username = non-ws-string; lenient mode also takes non-numeric ids (non-ws-strings).
  if (!fields.next_nonempty(o.username) || !detail::is_non_ws_string(o.username))
    return fail(error::bad_origin, vstart);
  if (!fields.next_nonempty(o.session_id) ||
      !(lenient_ ? detail::is_non_ws_string(o.session_id) : detail::is_digits(o.session_id)))
    return fail(error::bad_origin, field_at(o.session_id, vend));
  if (!fields.next_nonempty(o.session_version) ||
      !(lenient_ ? detail::is_non_ws_string(o.session_version)
                 : detail::is_digits(o.session_version)))
    return fail(error::bad_origin, field_at(o.session_version, vend));
  if (!fields.next_nonempty(o.nettype) || !detail::is_token(o.nettype))
    return fail(error::bad_origin, field_at(o.nettype, vend));
  if (!fields.next_nonempty(o.addrtype) || !detail::is_token(o.addrtype))
    return fail(error::bad_origin, field_at(o.addrtype, vend));
  // unicast-address = IP4-address / IP6-address / FQDN / extn-addr (a non-ws-string).
  if (!fields.next_nonempty(o.address) || !detail::is_non_ws_string(o.address))
    return fail(error::bad_origin, field_at(o.address, vend));
  if (!fields.done) return fail(error::bad_origin, fields.remainder().data());
  out_.origin = o;
  last_ = rank::origin;
  return {};
}

// RFC 8866 §5.3: text = byte-string, at least one byte ("s= " when there is no name).
inline parse_error session_parser::session_name_line(const char* vstart,
                                                     std::size_t vsize) noexcept {
  if (last_ != rank::origin) return fail(error::unexpected_line, line_start_);
  if (vsize == 0 && !lenient_) return fail(error::bad_session_name, vstart);
  out_.session_name = std::string_view(vstart, vsize);
  last_ = rank::session_name;
  return {};
}

// RFC 8866 §5.4: i=<session description> after s=, or at most one per media description,
// right after m=.
inline parse_error session_parser::information_line(const char* vstart,
                                                    std::size_t vsize) noexcept {
  const std::string_view value(vstart, vsize);
  if (value.empty() && !lenient_) return fail(error::bad_text_field, vstart);
  if (in_media()) {
    if (last_ != rank::media) return fail(error::unexpected_line, line_start_);
    out_.media_.back().information = value;
    last_ = rank::media_information;
  } else {
    if (last_ != rank::session_name) return fail(error::unexpected_line, line_start_);
    out_.information = value;
    last_ = rank::information;
  }
  return {};
}

// RFC 8866 §5.5: at most one u=, session level only, before e= and p=.
inline parse_error session_parser::uri_line(const char* vstart, std::size_t vsize) noexcept {
  if (in_media() || last_ >= rank::uri) return fail(error::unexpected_line, line_start_);
  if (vsize == 0 && !lenient_) return fail(error::bad_text_field, vstart);
  out_.uri = std::string_view(vstart, vsize);
  last_ = rank::uri;
  return {};
}

// RFC 8866 §5.6: any number of e= then any number of p=, session level only.
inline parse_error session_parser::email_phone_line(char type, const char* vstart,
                                                    std::size_t vsize) noexcept {
  const rank r = type == 'e' ? rank::email : rank::phone;
  if (in_media() || last_ > r) return fail(error::unexpected_line, line_start_);
  if (vsize == 0 && !lenient_) return fail(error::bad_text_field, vstart);
  session::range& g = type == 'e' ? emails_ : phones_;
  if (g.count == 0) g.begin = size32(out_.strings_.size());
  out_.strings_.push_back(std::string_view(vstart, vsize));
  ++g.count;
  last_ = r;
  return {};
}

// RFC 8866 §5.7: c=<nettype> <addrtype> <connection-address>; one at session level (before b=
// and t=), any number per media description (before b=).
inline parse_error session_parser::connection_line(const char* vstart, std::size_t vsize) noexcept {
  const char* const vend = vstart + vsize;
  detail::field_reader fields{std::string_view(vstart, vsize)};
  if (in_media() ? last_ > rank::media_connection : last_ >= rank::connection)
    return fail(error::unexpected_line, line_start_);
  sdp::connection c;
  if (!fields.next_nonempty(c.nettype) || !detail::is_token(c.nettype))
    return fail(error::bad_connection, vstart);
  if (!fields.next_nonempty(c.addrtype) || !detail::is_token(c.addrtype))
    return fail(error::bad_connection, field_at(c.addrtype, vend));
  // connection-address: an address, an FQDN (mDNS names too) or an extn-addr, all
  // non-ws-strings.
  if (!fields.next_nonempty(c.address) || !detail::is_non_ws_string(c.address))
    return fail(error::bad_connection, field_at(c.address, vend));
  if (!fields.done) return fail(error::bad_connection, fields.remainder().data());
  if (in_media()) {
    out_.connections_.push_back(c);
    last_ = rank::media_connection;
  } else {
    out_.connection = c;
    last_ = rank::connection;
  }
  return {};
}

// RFC 8866 §5.8: b=<bwtype>:<bandwidth>, bwtype = token, bandwidth = 1*DIGIT.
inline parse_error session_parser::bandwidth_line(const char* vstart, std::size_t vsize) noexcept {
  const std::string_view value(vstart, vsize);
  if (in_media() ? last_ > rank::media_bandwidth : last_ > rank::bandwidth)
    return fail(error::unexpected_line, line_start_);
  const auto colon = value.find(':');
  sdp::bandwidth b;
  if (colon == std::string_view::npos || !detail::is_token(detail::take(value, colon)) ||
      !detail::parse_uint(detail::drop(value, colon + 1), b.value, 19))
    return fail(error::bad_bandwidth, vstart);
  b.type = detail::take(value, colon);
  out_.bandwidths_.push_back(b);
  if (in_media()) {
    last_ = rank::media_bandwidth;
  } else {
    if (bandwidths_.count == 0) bandwidths_.begin = size32(out_.bandwidths_.size() - 1);
    ++bandwidths_.count;
    last_ = rank::bandwidth;
  }
  return {};
}

// RFC 8866 §5.9: t=<start-time> <stop-time>; one or more time descriptions after the
// session-level b= lines.
inline parse_error session_parser::timing_line(const char* vstart, std::size_t vsize) noexcept {
  const char* const vend = vstart + vsize;
  detail::field_reader fields{std::string_view(vstart, vsize)};
  if (in_media() || last_ > rank::zone) return fail(error::unexpected_line, line_start_);
  sdp::timing t;
  std::string_view start, stop;
  if (!fields.next_nonempty(start) || !detail::is_sdp_time(start, t.start, lenient_))
    return fail(error::bad_timing, vstart);
  if (!fields.next_nonempty(stop) || !detail::is_sdp_time(stop, t.stop, lenient_))
    return fail(error::bad_timing, field_at(stop, vend));
  if (!fields.done) return fail(error::bad_timing, fields.remainder().data());
  out_.timings_.push_back(t);
  out_.timing_repeats_.push_back({size32(out_.strings_.size()), 0});
  any_timing_ = true;
  last_ = rank::timing;
  return {};
}

// RFC 8866 §5.10: r=<repeat-interval> <active-duration> <offsets...>, after t=.
inline parse_error session_parser::repeat_line(const char* vstart, std::size_t vsize) noexcept {
  const char* const vend = vstart + vsize;
  const std::string_view value(vstart, vsize);
  detail::field_reader fields{value};
  std::string_view f;
  if (last_ != rank::timing && last_ != rank::repeat)
    return fail(error::unexpected_line, line_start_);
  std::size_t count = 0;
  while (fields.next(f)) {
    if (!detail::is_typed_time(f) || (count == 0 && f[0] == '0'))
      return fail(error::bad_repeat, field_at(f, vend));
    ++count;
  }
  if (count < 3) return fail(error::bad_repeat, vstart);
  out_.strings_.push_back(value);
  ++out_.timing_repeats_.back().count;
  last_ = rank::repeat;
  return {};
}

// RFC 8866 §5.11: z=<adjustment time> <offset> ..., at most one per time description.
inline parse_error session_parser::zone_line(const char* vstart, std::size_t vsize) noexcept {
  const char* const vend = vstart + vsize;
  const std::string_view value(vstart, vsize);
  detail::field_reader fields{value};
  std::string_view f;
  if (last_ != rank::timing && last_ != rank::repeat)
    return fail(error::unexpected_line, line_start_);
  std::size_t count = 0;
  while (fields.next(f)) {
    std::string_view check = f;
    if (count % 2 == 1 && !check.empty() && check[0] == '-') check.remove_prefix(1);
    std::uint64_t ignored = 0;
    if (count % 2 == 0 ? !detail::parse_uint(check, ignored, 19) : !detail::is_typed_time(check))
      return fail(error::bad_time_zones, field_at(f, vend));
    ++count;
  }
  if (count == 0 || count % 2 != 0) return fail(error::bad_time_zones, vstart);
  out_.timings_.back().zone_adjustments = value;
  if (!out_.time_zones) out_.time_zones = value;
  last_ = rank::zone;
  return {};
}

// RFC 8866 §5.12 (obsolete but still grammar): k=<method>[:<encryption key>], method a token;
// at most one, after the time descriptions / after c= and b= in a media section.
inline parse_error session_parser::key_line(const char* vstart, std::size_t vsize) noexcept {
  const std::string_view value(vstart, vsize);
  if (in_media() ? last_ > rank::media_bandwidth : (last_ > rank::zone || !any_timing_))
    return fail(any_timing_ ? error::unexpected_line : error::missing_timing, line_start_);
  const std::string_view method = detail::take(value, value.find(':'));
  if (!detail::is_token(method)) return fail(error::bad_key, vstart);
  if (in_media()) {
    out_.media_.back().key = value;
    last_ = rank::media_key;
  } else {
    out_.key = value;
    last_ = rank::key;
  }
  return {};
}

// RFC 8866 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ...
inline parse_error session_parser::media_line(const char* vstart, std::size_t vsize) noexcept {
  const char* const vend = vstart + vsize;
  detail::field_reader fields{std::string_view(vstart, vsize)};
  std::string_view f;
  if (!any_timing_) return fail(error::missing_timing, line_start_);
  if (out_.media_.size() >= lim_.max_media) return fail(error::too_many_media, line_start_);
  sdp::media m;
  session::media_ranges r;
  r.lines.begin = size32(out_.lines_.size() - 1);
  if (!fields.next_nonempty(m.type) || !detail::is_token(m.type))
    return fail(error::bad_media, vstart);
  std::string_view port;
  if (!fields.next_nonempty(port)) return fail(error::bad_media, vend);
  const auto slash = port.find('/');
  std::uint64_t v = 0;
  if (!detail::parse_uint(detail::take(port, slash), v, 5) || v > 65535)
    return fail(error::bad_media, port.data());
  m.port = static_cast<std::uint16_t>(v);
  if (slash != std::string_view::npos) {
    if (!detail::parse_uint(detail::drop(port, slash + 1), v, 9))
      return fail(error::bad_media, port.data() + slash + 1);
    m.port_count = static_cast<std::uint32_t>(v);
  }
  // proto = token *("/" token)
  if (!fields.next_nonempty(m.protocol)) return fail(error::bad_media, vend);
  for (std::size_t i = 0, seg = 0; i <= m.protocol.size(); ++i) {
    if (i == m.protocol.size() || m.protocol[i] == '/') {
      if (seg == 0) return fail(error::bad_media, m.protocol.data());
      seg = 0;
    } else if (!detail::is(m.protocol[i], detail::cc_token)) {
      return fail(error::bad_media, m.protocol.data());
    } else {
      ++seg;
    }
  }
  r.formats.begin = size32(out_.strings_.size());
  while (fields.next(f)) {
    if (!detail::is_token(f)) return fail(error::bad_media, field_at(f, vend));
    out_.strings_.push_back(f);
    ++r.formats.count;
  }
  if (r.formats.count == 0) return fail(error::bad_media, vend);
  r.connections.begin = size32(out_.connections_.size());
  r.bandwidths.begin = size32(out_.bandwidths_.size());
  r.attributes.begin = size32(out_.attributes_.size());
  r.unknown.begin = size32(out_.unknown_.size());
  out_.media_.push_back(m);
  out_.media_ranges_.push_back(r);
  last_ = rank::media;
  return {};
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
  out.attributes = detail::slice(out.attributes_, attributes_.begin, attributes_.count);
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
