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

#include "rtwire/sdp/detail/storage.hpp"
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

namespace detail {
class session_parser;
}

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
  friend class detail::session_parser;

  struct range {
    std::uint32_t begin = 0;
    std::uint32_t count = 0;
  };
  struct media_ranges {
    range formats, connections, bandwidths, attributes, unknown, lines;
  };

  detail::pod_buffer<sdp::line> lines_;
  detail::pod_buffer<std::string_view>
      strings_;  // emails, phones, repeats, formats (each contiguous)
  std::vector<sdp::connection> connections_;
  std::vector<sdp::bandwidth> bandwidths_;
  std::vector<sdp::timing> timings_;
  std::vector<range> timing_repeats_;
  detail::pod_buffer<sdp::attribute> attributes_;
  std::vector<sdp::line> unknown_;
  detail::pod_buffer<sdp::media> media_;
  std::vector<media_ranges> media_ranges_;
  detail::pod_buffer<std::uint64_t> scan_;  // the parser's bitmap of line ends (scratch)
};

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
                         const parse_options& options = {}) noexcept;

}  // namespace rtwire::sdp

// The parser (one function per line type) and parse()'s definition.
#include "rtwire/sdp/detail/session_parser.hpp"
