// rtwire — SDP (RFC 8866): the session model and its parser.
//
//   rtwire::sdp::session s;  // reuse it: steady-state parsing never allocates
//   if (auto err = rtwire::sdp::parse(offer, s)) return err.code;  // also err.line, err.column
//   for (const auto& m : s.media) use(m.type, m.port, m.attributes);
//
// The parser reads a whole description at once (an SDP is a complete document carried by a
// signaling message, never a stream). Every string in the model is a view into the parsed text:
// the model is valid as long as that text is alive and unchanged, and until the next parse into
// the same session object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "rtwire/sdp/detail/text.hpp"
#include "rtwire/sdp/error.hpp"
#include "rtwire/sdp/mode.hpp"

namespace rtwire::sdp {

/// Bounds on what one parse accepts; exceeding one is a limit_exceeded error (too_large,
/// too_many_lines, too_many_media, too_many_attributes). The defaults hold any browser SDP with
/// room to spare (a Chrome offer with audio, video and a data channel is ~6 KB, ~170 lines; one
/// with 16 simulcast video tracks ~60 KB) while bounding a session's memory to a few hundred KB.
struct limits {
  std::size_t max_bytes = 256 * 1024;
  std::size_t max_lines = 8192;
  std::size_t max_media = 256;
  std::size_t max_attributes = 8192;
};

/// Options of parse().
struct parse_options {
  sdp::mode mode = mode::strict;
  sdp::limits limits{};
};

/// One line of the description exactly as it was read.
struct line {
  /// The type letter ('v', 'o', 'a', ..., or an unknown letter kept in lenient mode); '\0' for a
  /// blank line (lenient mode only).
  char type = '\0';
  /// What follows "<type>=", without the line ending (and, in lenient mode, without trailing
  /// spaces and tabs on v= o= c= b= t= r= z= m= lines and on a= lines without a value; text
  /// fields and attribute values are byte-strings and are taken as is).
  std::string_view value;
  /// The whole line including its line ending ("\r\n", "\n", or "" for a last line without one).
  std::string_view raw;
};

/// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (RFC 8866 §5.2).
/// The ids are kept as text: browsers send 19- and 20-digit values.
struct origin {
  std::string_view username;
  std::string_view session_id;
  std::string_view session_version;
  std::string_view nettype;
  std::string_view addrtype;
  std::string_view address;
};

/// c=<nettype> <addrtype> <connection-address> (RFC 8866 §5.7); `address` is the whole
/// connection-address, including any /ttl/count suffix and mDNS names.
struct connection {
  std::string_view nettype;
  std::string_view addrtype;
  std::string_view address;
};

/// b=<bwtype>:<bandwidth> (RFC 8866 §5.8).
struct bandwidth {
  std::string_view type;
  std::uint64_t value = 0;
};

/// A time description (RFC 8866 §5.9 - §5.11): t=, its r= lines and its optional z= line.
struct timing {
  std::uint64_t start = 0;
  std::uint64_t stop = 0;
  std::span<const std::string_view> repeats;         // the values of the r= lines
  std::optional<std::string_view> zone_adjustments;  // the value of the z= line
};

/// a=<name>[:<value>] (RFC 8866 §5.13). `value` is std::nullopt for a property (flag)
/// attribute such as a=rtcp-mux, and the text after the first ':' otherwise.
struct attribute {
  std::string_view name;
  std::optional<std::string_view> value;
};

/// A media description (RFC 8866 §5.14): m= and the lines up to the next m=.
struct media {
  std::string_view type;                    // "audio", "video", "application", ...
  std::uint16_t port = 0;                   // 0 marks a rejected or disabled section
  std::optional<std::uint32_t> port_count;  // the /<number of ports> suffix, when present
  std::string_view protocol;                // "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", ...
  std::span<const std::string_view> formats;
  std::optional<std::string_view> information;
  std::span<const sdp::connection> connections;
  std::span<const sdp::bandwidth> bandwidths;
  std::optional<std::string_view> key;
  std::span<const sdp::attribute> attributes;  // in order, unknown ones included
  std::span<const sdp::line> unknown_lines;    // lenient mode: lines of unknown type
  std::span<const sdp::line> lines;            // every line of the section, m= first
};

/// A parsed session description. Fill it with parse(); reuse the object so that its storage is
/// reused (after the first parse of a given shape, parsing allocates nothing). Not copyable,
/// because its spans point into its own storage; movable.
class session {
 public:
  std::uint32_t version = 0;
  sdp::origin origin{};
  std::string_view session_name;
  std::optional<std::string_view> information;
  std::optional<std::string_view> uri;
  std::span<const std::string_view> emails;
  std::span<const std::string_view> phones;
  std::optional<sdp::connection> connection;
  std::span<const sdp::bandwidth> bandwidths;
  std::span<const sdp::timing> timings;
  /// The first z= line's value (RFC 8866 §5.11); see also timing::zone_adjustments.
  std::optional<std::string_view> time_zones;
  std::optional<std::string_view> key;
  std::span<const sdp::attribute> attributes;  // session-level, in order
  std::span<const sdp::line> unknown_lines;    // session-level, lenient mode
  std::span<const sdp::media> media;
  /// Every line of the description in order; concatenating their `raw` gives the input back.
  std::span<const sdp::line> lines;
  /// The text that was parsed.
  std::string_view text;

  session() = default;
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  session(session&&) noexcept = default;
  session& operator=(session&&) noexcept = default;
  ~session() = default;

 private:
  friend parse_error parse(std::string_view, session&, const parse_options&) noexcept;
  friend struct detail_parser_access;

  struct range {
    std::uint32_t begin = 0;
    std::uint32_t count = 0;
  };
  struct media_ranges {
    range formats, connections, bandwidths, attributes, unknown, lines;
  };

  std::vector<sdp::line> lines_;
  std::vector<std::string_view> strings_;  // emails, phones, repeats, formats (each contiguous)
  std::vector<sdp::connection> connections_;
  std::vector<sdp::bandwidth> bandwidths_;
  std::vector<sdp::timing> timings_;
  std::vector<range> timing_repeats_;
  std::vector<sdp::attribute> attributes_;
  std::vector<sdp::line> unknown_;
  std::vector<sdp::media> media_;
  std::vector<media_ranges> media_ranges_;
};

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

}  // namespace detail

/// Parses a whole session description (RFC 8866) into `out`.
///
/// Inputs: `text`, the complete description; `out`, a session to fill (its previous content is
/// discarded, its storage reused); `options`: strict or lenient mode and the limits.
/// Strict mode enforces the RFC 8866 §9 grammar: CRLF after every line, the §5 line order, known
/// line types only, a c= line at session level or in every media description (§5.7). Lenient
/// mode also accepts LF-only line ends, a missing final line end, trailing whitespace, blank
/// lines, unknown line types (kept in `unknown_lines`), empty text fields and non-numeric
/// origin ids.
/// Outcomes: an empty parse_error and `out` filled with views into `text` (valid while `text` is
/// alive and unchanged, until the next parse into `out`); or a parse_error with the first rule
/// broken and its 1-based line and column; `out`'s spans are then empty (its other fields hold
/// whatever was read before the error) and it can be reused.
/// Never throws; allocates only to grow `out`'s storage.
inline parse_error parse(std::string_view text, session& out,
                         const parse_options& options = {}) noexcept {
  using detail::rank;
  using detail::size32;
  const bool lenient = options.mode == mode::lenient;
  const limits& lim = options.limits;

  // Reset, keeping every vector's capacity.
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

  session::range emails, phones, bandwidths, attributes, unknown;

  if (text.size() > lim.max_bytes) return {.code = make_error_code(error::too_large)};
  if (text.empty())
    return {.code = make_error_code(error::empty), .offset = 0, .line = 1, .column = 1};

  const char* const base = text.data();
  const std::size_t n = text.size();
  std::size_t pos = 0;
  std::size_t line_no = 0;
  rank last = rank::none;
  bool any_timing = false;
  const char* line_start = base;
  detail::special_scanner scanner(base, n);
  std::size_t attribute_total = 0;

  const auto fail = [&](error e, const char* at) -> parse_error {
    return {.code = make_error_code(e),
            .offset = static_cast<std::size_t>(at - base),
            .line = line_no,
            .column = static_cast<std::size_t>(at - line_start) + 1};
  };

  while (pos < n) {
    if (++line_no > lim.max_lines)
      return {.code = make_error_code(error::too_many_lines),
              .offset = pos,
              .line = line_no,
              .column = 1};
    line_start = base + pos;
    // RFC 8866 §5: lines end with CRLF; byte-string (§9) excludes NUL, CR and LF inside a line.
    const std::size_t end = scanner.find(pos);
    std::size_t next = end;
    if (end == n) {
      if (!lenient) return fail(error::missing_final_line_ending, base + end);
    } else if (base[end] == '\n') {
      if (!lenient) return fail(error::bad_line_ending, base + end);
      next = end + 1;
    } else if (base[end] == '\r' && end + 1 < n && base[end + 1] == '\n') {
      next = end + 2;
    } else {
      return fail(error::forbidden_character, base + end);
    }
    const std::string_view content(base + pos, end - pos);
    const std::string_view raw(base + pos, next - pos);
    pos = next;

    if (content.empty() && lenient) {
      out.lines_.push_back({'\0', {}, raw});
      continue;
    }
    // RFC 8866 §5: <type>=<value>, <type> exactly one case-significant character.
    if (content.empty() || !detail::is(content[0], detail::cc_alpha))
      return fail(error::bad_line_syntax, line_start);
    if (content.size() < 2 || content[1] != '=')
      return fail(error::bad_line_syntax, line_start + 1);
    const char type = content[0];
    // The value is kept as two scalars and every string_view below is rebuilt from them: GCC
    // otherwise keeps `value` in memory and reloads it with one 16-byte load right after two
    // 8-byte stores, a store-forwarding stall that costs a third of the parse.
    const char* const vstart = content.data() + 2;
    std::size_t vsize = content.size() - 2;
    // Lenient mode drops trailing whitespace where the strict grammar cannot have any (the
    // structured lines, and a= property attributes such as "a=rtcp-mux "), so that it never
    // changes the meaning of a line that strict mode accepts (text and attribute values are
    // byte-strings, which may end with spaces).
    if (lenient && vsize > 0 && (vstart[vsize - 1] == ' ' || vstart[vsize - 1] == '\t') &&
        (std::string_view("vocbtrzm").find(type) != std::string_view::npos ||
         (type == 'a' && std::memchr(vstart, ':', vsize) == nullptr)))
      vsize = detail::trim_right(std::string_view(vstart, vsize)).size();
    const char* const vend = vstart + vsize;
    {
      sdp::line& l = out.lines_.emplace_back();
      l.type = type;
      l.value = std::string_view(vstart, vsize);
      l.raw = raw;
    }
    const std::string_view value(vstart, vsize);

    const bool in_media = last >= rank::media;

    if (type == 'a' && last >= rank::timing) {
      // RFC 8866 §5.13: a=<attribute-name>[:<attribute-value>], after the time descriptions (and
      // k=) at session level, anywhere after m= in a media description. Nine lines in ten of a
      // WebRTC SDP are a= lines: this path comes before the general dispatch.
      if (++attribute_total > lim.max_attributes)
        return fail(error::too_many_attributes, line_start);
      // The name is a token (no ':'), so a short scan finds the end of the name.
      std::size_t k = 0;
      while (k < vsize && detail::is(vstart[k], detail::cc_token))
        ++k;
      if (k == 0 || (k < vsize && vstart[k] != ':')) return fail(error::bad_attribute, vstart);
      // attribute-value = byte-string: at least one byte after the ':'.
      if (k + 1 == vsize && !lenient) return fail(error::bad_attribute, vstart + k);
      // Built in place: constructing a temporary and copying it costs a store-forwarding stall.
      sdp::attribute& a = out.attributes_.emplace_back();
      a.name = std::string_view(vstart, k);
      if (k < vsize) a.value = std::string_view(vstart + k + 1, vsize - k - 1);
      if (in_media) {
        last = rank::media_attribute;
      } else {
        if (attributes.count == 0) attributes.begin = size32(out.attributes_.size() - 1);
        ++attributes.count;
        last = rank::attribute;
      }
      continue;
    }
    // Where a field starts, for error columns; the end of the line when the field is missing.
    const auto at = [vend](std::string_view field) { return field.data() ? field.data() : vend; };

    // The first three lines are fixed (RFC 8866 §5: v=, o=, s= in this order).
    if (last == rank::none && type != 'v') return fail(error::missing_version, line_start);
    if (last == rank::version && type != 'o') return fail(error::missing_origin, line_start);
    if (last == rank::origin && type != 's') return fail(error::missing_session_name, line_start);

    switch (type) {
      case 'v': {
        if (last != rank::none) return fail(error::unexpected_line, line_start);
        // RFC 8866 §5.1: v=0.
        std::uint64_t v = 0;
        if (!detail::parse_uint(value, v, 9) || (!lenient && value != "0"))
          return fail(error::bad_version, vstart);
        out.version = static_cast<std::uint32_t>(v);
        last = rank::version;
        break;
      }
      case 'o': {
        // Declared per case: a field_reader in scope for every line would force `value` into
        // memory (a store-forwarding stall on the hot a= path).
        detail::field_reader fields{value};
        if (last != rank::version) return fail(error::unexpected_line, line_start);
        // RFC 8866 §5.2: o=<username> <sess-id> <sess-version> <nettype> <addrtype>
        // <unicast-address>; sess-id and sess-version are 1*DIGIT.
        sdp::origin o;
        // username = non-ws-string; lenient mode also takes non-numeric ids (non-ws-strings).
        if (!fields.next_nonempty(o.username) || !detail::is_non_ws_string(o.username))
          return fail(error::bad_origin, vstart);
        if (!fields.next_nonempty(o.session_id) ||
            !(lenient ? detail::is_non_ws_string(o.session_id) : detail::is_digits(o.session_id)))
          return fail(error::bad_origin, at(o.session_id));
        if (!fields.next_nonempty(o.session_version) ||
            !(lenient ? detail::is_non_ws_string(o.session_version)
                      : detail::is_digits(o.session_version)))
          return fail(error::bad_origin, at(o.session_version));
        if (!fields.next_nonempty(o.nettype) || !detail::is_token(o.nettype))
          return fail(error::bad_origin, at(o.nettype));
        if (!fields.next_nonempty(o.addrtype) || !detail::is_token(o.addrtype))
          return fail(error::bad_origin, at(o.addrtype));
        // unicast-address = IP4-address / IP6-address / FQDN / extn-addr (a non-ws-string).
        if (!fields.next_nonempty(o.address) || !detail::is_non_ws_string(o.address))
          return fail(error::bad_origin, at(o.address));
        if (!fields.done) return fail(error::bad_origin, fields.remainder().data());
        out.origin = o;
        last = rank::origin;
        break;
      }
      case 's':
        if (last != rank::origin) return fail(error::unexpected_line, line_start);
        // RFC 8866 §5.3: text = byte-string, at least one byte ("s= " when there is no name).
        if (value.empty() && !lenient) return fail(error::bad_session_name, vstart);
        out.session_name = value;
        last = rank::session_name;
        break;
      case 'i':
        if (value.empty() && !lenient) return fail(error::bad_text_field, vstart);
        if (in_media) {
          // RFC 8866 §5.4: at most one i= per media description, right after m=.
          if (last != rank::media) return fail(error::unexpected_line, line_start);
          out.media_.back().information = value;
          last = rank::media_information;
        } else {
          if (last != rank::session_name) return fail(error::unexpected_line, line_start);
          out.information = value;
          last = rank::information;
        }
        break;
      case 'u':
        // RFC 8866 §5.5: at most one u=, session level only, before e= and p=.
        if (in_media || last >= rank::uri) return fail(error::unexpected_line, line_start);
        if (value.empty() && !lenient) return fail(error::bad_text_field, vstart);
        out.uri = value;
        last = rank::uri;
        break;
      case 'e':
      case 'p': {
        // RFC 8866 §5.6: any number of e= then any number of p=, session level only.
        const rank r = type == 'e' ? rank::email : rank::phone;
        if (in_media || last > r) return fail(error::unexpected_line, line_start);
        if (value.empty() && !lenient) return fail(error::bad_text_field, vstart);
        session::range& g = type == 'e' ? emails : phones;
        if (g.count == 0) g.begin = size32(out.strings_.size());
        out.strings_.push_back(value);
        ++g.count;
        last = r;
        break;
      }
      case 'c': {
        detail::field_reader fields{value};
        // RFC 8866 §5.7: c=<nettype> <addrtype> <connection-address>; one at session level
        // (before b= and t=), any number per media description (before b=).
        if (in_media ? last > rank::media_connection : last >= rank::connection)
          return fail(error::unexpected_line, line_start);
        sdp::connection c;
        if (!fields.next_nonempty(c.nettype) || !detail::is_token(c.nettype))
          return fail(error::bad_connection, vstart);
        if (!fields.next_nonempty(c.addrtype) || !detail::is_token(c.addrtype))
          return fail(error::bad_connection, at(c.addrtype));
        // connection-address: an address, an FQDN (mDNS names too) or an extn-addr, all
        // non-ws-strings.
        if (!fields.next_nonempty(c.address) || !detail::is_non_ws_string(c.address))
          return fail(error::bad_connection, at(c.address));
        if (!fields.done) return fail(error::bad_connection, fields.remainder().data());
        if (in_media) {
          out.connections_.push_back(c);
          last = rank::media_connection;
        } else {
          out.connection = c;
          last = rank::connection;
        }
        break;
      }
      case 'b': {
        // RFC 8866 §5.8: b=<bwtype>:<bandwidth>, bwtype = token, bandwidth = 1*DIGIT.
        if (in_media ? last > rank::media_bandwidth : last > rank::bandwidth)
          return fail(error::unexpected_line, line_start);
        const auto colon = value.find(':');
        sdp::bandwidth b;
        if (colon == std::string_view::npos || !detail::is_token(detail::take(value, colon)) ||
            !detail::parse_uint(detail::drop(value, colon + 1), b.value, 19))
          return fail(error::bad_bandwidth, vstart);
        b.type = detail::take(value, colon);
        out.bandwidths_.push_back(b);
        if (in_media) {
          last = rank::media_bandwidth;
        } else {
          if (bandwidths.count == 0) bandwidths.begin = size32(out.bandwidths_.size() - 1);
          ++bandwidths.count;
          last = rank::bandwidth;
        }
        break;
      }
      case 't': {
        detail::field_reader fields{value};
        // RFC 8866 §5.9: one or more time descriptions after the session-level b= lines.
        if (in_media || last > rank::zone) return fail(error::unexpected_line, line_start);
        sdp::timing t;
        std::string_view start, stop;
        if (!fields.next_nonempty(start) || !detail::is_sdp_time(start, t.start, lenient))
          return fail(error::bad_timing, vstart);
        if (!fields.next_nonempty(stop) || !detail::is_sdp_time(stop, t.stop, lenient))
          return fail(error::bad_timing, at(stop));
        if (!fields.done) return fail(error::bad_timing, fields.remainder().data());
        out.timings_.push_back(t);
        out.timing_repeats_.push_back({size32(out.strings_.size()), 0});
        any_timing = true;
        last = rank::timing;
        break;
      }
      case 'r': {
        detail::field_reader fields{value};
        std::string_view f;
        // RFC 8866 §5.10: r=<repeat-interval> <active-duration> <offsets...>, after t=.
        if (last != rank::timing && last != rank::repeat)
          return fail(error::unexpected_line, line_start);
        std::size_t count = 0;
        while (fields.next(f)) {
          if (!detail::is_typed_time(f) || (count == 0 && f[0] == '0'))
            return fail(error::bad_repeat, at(f));
          ++count;
        }
        if (count < 3) return fail(error::bad_repeat, vstart);
        out.strings_.push_back(value);
        ++out.timing_repeats_.back().count;
        last = rank::repeat;
        break;
      }
      case 'z': {
        detail::field_reader fields{value};
        std::string_view f;
        // RFC 8866 §5.11: z=<adjustment time> <offset> ..., at most one per time description.
        if (last != rank::timing && last != rank::repeat)
          return fail(error::unexpected_line, line_start);
        std::size_t count = 0;
        while (fields.next(f)) {
          std::string_view check = f;
          if (count % 2 == 1 && !check.empty() && check[0] == '-') check.remove_prefix(1);
          std::uint64_t ignored = 0;
          if (count % 2 == 0 ? !detail::parse_uint(check, ignored, 19)
                             : !detail::is_typed_time(check))
            return fail(error::bad_time_zones, at(f));
          ++count;
        }
        if (count == 0 || count % 2 != 0) return fail(error::bad_time_zones, vstart);
        out.timings_.back().zone_adjustments = value;
        if (!out.time_zones) out.time_zones = value;
        last = rank::zone;
        break;
      }
      case 'k': {
        // RFC 8866 §5.12 (obsolete but still grammar): k=<method>[:<encryption key>], method a
        // token; at most one, after the time descriptions / after c= and b= in a media section.
        if (in_media ? last > rank::media_bandwidth : (last > rank::zone || !any_timing))
          return fail(any_timing ? error::unexpected_line : error::missing_timing, line_start);
        const std::string_view method = detail::take(value, value.find(':'));
        if (!detail::is_token(method)) return fail(error::bad_key, vstart);
        if (in_media) {
          out.media_.back().key = value;
          last = rank::media_key;
        } else {
          out.key = value;
          last = rank::key;
        }
        break;
      }
      case 'a':
        // An a= line before the first t= (the a= lines after it took the path above).
        return fail(error::missing_timing, line_start);
      case 'm': {
        detail::field_reader fields{value};
        std::string_view f;
        // RFC 8866 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ...
        if (!any_timing) return fail(error::missing_timing, line_start);
        if (out.media_.size() >= lim.max_media) return fail(error::too_many_media, line_start);
        sdp::media m;
        session::media_ranges r;
        r.lines.begin = size32(out.lines_.size() - 1);
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
        r.formats.begin = size32(out.strings_.size());
        while (fields.next(f)) {
          if (!detail::is_token(f)) return fail(error::bad_media, at(f));
          out.strings_.push_back(f);
          ++r.formats.count;
        }
        if (r.formats.count == 0) return fail(error::bad_media, vend);
        r.connections.begin = size32(out.connections_.size());
        r.bandwidths.begin = size32(out.bandwidths_.size());
        r.attributes.begin = size32(out.attributes_.size());
        r.unknown.begin = size32(out.unknown_.size());
        out.media_.push_back(m);
        out.media_ranges_.push_back(r);
        last = rank::media;
        break;
      }
      default:
        // RFC 8866 §5: "An SDP parser MUST completely ignore any session description that
        // contains a type letter that it does not understand." Lenient mode keeps the line.
        if (!lenient) return fail(error::unknown_line_type, line_start);
        out.unknown_.push_back(out.lines_.back());
        if (!in_media) {
          if (unknown.count == 0) unknown.begin = size32(out.unknown_.size() - 1);
          ++unknown.count;
        }
        break;
    }
  }

  // The mandatory lines that never came.
  ++line_no;
  line_start = base + n;
  if (last < rank::origin) return fail(error::missing_origin, line_start);
  if (last < rank::session_name) return fail(error::missing_session_name, line_start);
  if (!any_timing) return fail(error::missing_timing, line_start);

  // Bind the spans now that storage no longer moves.
  out.emails = detail::slice(out.strings_, emails.begin, emails.count);
  out.phones = detail::slice(out.strings_, phones.begin, phones.count);
  out.bandwidths = detail::slice(out.bandwidths_, bandwidths.begin, bandwidths.count);
  out.attributes = detail::slice(out.attributes_, attributes.begin, attributes.count);
  out.unknown_lines = detail::slice(out.unknown_, unknown.begin, unknown.count);
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
    if (!lenient && !out.connection && m.connections.empty()) {
      return {.code = make_error_code(error::missing_connection),
              .offset = static_cast<std::size_t>(out.lines_[r.lines.begin].raw.data() - base),
              .line = static_cast<std::size_t>(r.lines.begin) + 1,
              .column = 1};
    }
  }
  out.media = {out.media_.data(), out.media_.size()};
  out.lines = {out.lines_.data(), out.lines_.size()};
  return {};
}

}  // namespace rtwire::sdp
