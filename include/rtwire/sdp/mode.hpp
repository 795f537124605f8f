// rtwire — the two parsing modes shared by the SDP and ICE candidate parsers.
#pragma once

#include <cstdint>

namespace rtwire::sdp {

/// How much a parser accepts beyond the RFC grammar.
enum class mode : std::uint8_t {
  /// The RFC 8866 / RFC 8839 grammar exactly: CRLF line ends, the RFC line order, no unknown
  /// line types, no trailing whitespace in structured fields, RFC value ranges.
  strict,
  /// What real browsers emit and accept: LF-only line ends, a missing final line end, trailing
  /// whitespace, unknown line types (kept), and the candidate quirks Chrome tolerates (empty
  /// foundation, component 0, priority up to 2^32-1). Everything is still bounded and
  /// round-trips byte for byte.
  lenient,
};

}  // namespace rtwire::sdp
