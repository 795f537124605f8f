// rtwire — SDP internals: the session parser's handlers for the lines that exist only at session
// level (RFC 8866 §5.1-§5.3, §5.5, §5.6, §5.9-§5.11: v=, o=, s=, u=, e=, p=, t=, r=, z=), members
// of detail::session_parser (rtwire/sdp/detail/session_parser.hpp). Not public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rtwire/sdp/detail/session_parser.hpp"
#include "rtwire/sdp/detail/text.hpp"
#include "rtwire/sdp/error.hpp"
#include "rtwire/sdp/session.hpp"

namespace rtwire::sdp::detail {

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

}  // namespace rtwire::sdp::detail
