// rtwire — SDP internals: the session parser's handlers for the lines a media description may
// hold (RFC 8866 §5.14 m=, and §5.4, §5.7, §5.8, §5.12, §5.13: i=, c=, b=, k=, a=, which may also
// appear at session level; each checks its place in the §5 order), members of
// detail::session_parser (rtwire/sdp/detail/session_parser.hpp). Not public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rtwire/sdp/detail/session_parser.hpp"
#include "rtwire/sdp/detail/text.hpp"
#include "rtwire/sdp/error.hpp"
#include "rtwire/sdp/session.hpp"

namespace rtwire::sdp::detail {

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

}  // namespace rtwire::sdp::detail
