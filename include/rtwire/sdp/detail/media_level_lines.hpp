// rtwire — SDP internals: the session parser's handlers for the lines a media description may
// hold (RFC 8866 §5.14 m=, and §5.4, §5.7, §5.8, §5.12: i=, c=, b=, k=, which may also appear at
// session level; each checks its place in the §5 order), members of detail::session_parser
// (rtwire/sdp/detail/session_parser.hpp, whose line loop parses the a= lines itself). Not public
// API.
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
  if (!any_timing_) return fail(error::missing_timing, line_start_);
  if (out_.media_.size() >= lim_.max_media) return fail(error::too_many_media, line_start_);
  // The fields go to locals, and the media description is built from them once the line is
  // valid, default-initialised in place (a value-initialised or copied sdp::media, 192 bytes,
  // costs GCC's slow `rep stos` / `rep movs`). Its spans are bound by finish().
  std::string_view type, port, protocol;
  if (!fields.next_nonempty(type) || !detail::is_token(type)) return fail(error::bad_media, vstart);
  if (!fields.next_nonempty(port)) return fail(error::bad_media, vend);
  const auto slash = port.find('/');
  std::uint64_t port_number = 0, port_count = 0;
  if (!detail::parse_uint(detail::take(port, slash), port_number, 5) || port_number > 65535)
    return fail(error::bad_media, port.data());
  if (slash != std::string_view::npos &&
      !detail::parse_uint(detail::drop(port, slash + 1), port_count, 9))
    return fail(error::bad_media, port.data() + slash + 1);
  // proto = token *("/" token)
  if (!fields.next_nonempty(protocol)) return fail(error::bad_media, vend);
  for (std::size_t i = 0, seg = 0; i <= protocol.size(); ++i) {
    if (i == protocol.size() || protocol[i] == '/') {
      if (seg == 0) return fail(error::bad_media, protocol.data());
      seg = 0;
    } else if (!detail::is(protocol[i], detail::cc_token)) {
      return fail(error::bad_media, protocol.data());
    } else {
      ++seg;
    }
  }
  // fmt = token, one or more, each after a single space (a browser's video m= line has 20-odd
  // formats). A format ends at its first byte that is not a token-char, which must be the space
  // before the next one or the end of the line. The byte at vend is not a token-char (a line
  // end, or the blank lenient mode trimmed) unless the line is the text's last and has no line
  // end: only then does the scan need a bound.
  if (fields.done) return fail(error::bad_media, vend);
  const bool stops_at_vend = vend < base_ + out_.text.size();
  detail::appender<std::string_view> formats(out_.strings_);
  const std::uint32_t formats_begin = size32(formats.size());
  for (const char* f = fields.remainder().data();;) {
    const char* q = f;
    if (stops_at_vend) {
      while (detail::is(*q, detail::cc_token))
        ++q;
    } else {
      while (q != vend && detail::is(*q, detail::cc_token))
        ++q;
    }
    // An empty field ("  ", a trailing ' ') or a byte that is not a token-char.
    if (q == f || (q != vend && *q != ' ')) return fail(error::bad_media, f);
    formats.emplace(f, static_cast<std::size_t>(q - f));
    if (q == vend) break;
    f = q + 1;
  }
  formats.commit();

  session::media_ranges& r = out_.media_ranges_.emplace_back();
  r.lines.begin = size32(out_.lines_.size() - 1);
  r.formats = {formats_begin, size32(formats.size()) - formats_begin};
  r.connections.begin = size32(out_.connections_.size());
  r.bandwidths.begin = size32(out_.bandwidths_.size());
  r.attributes.begin = size32(out_.attributes_.size());
  r.unknown.begin = size32(out_.unknown_.size());
  sdp::media& m = out_.media_.emplace_default();
  m.type = type;
  m.port = static_cast<std::uint16_t>(port_number);
  if (slash != std::string_view::npos) m.port_count = static_cast<std::uint32_t>(port_count);
  m.protocol = protocol;
  last_ = rank::media;
  return {};
}

}  // namespace rtwire::sdp::detail
