// rtwire — ICE candidates: the RFC 8839 §5.1 candidate-attribute grammar and the RFC 8445
// priority formulas.
//
//   rtwire::sdp::candidate c;
//   if (auto err = rtwire::sdp::parse_candidate(init.candidate, c)) return err.code;  // .column
//   use(c.address, c.port, c.type);                  // views into init.candidate
//   std::string again = rtwire::sdp::to_string(c);   // == init.candidate
//
// A parsed candidate holds views into the input text: it stays valid as long as that text does.
// Parsing never allocates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "rtwire/core/bytes.hpp"
#include "rtwire/sdp/detail/address_grammar.hpp"
#include "rtwire/sdp/detail/text.hpp"
#include "rtwire/sdp/error.hpp"
#include "rtwire/sdp/mode.hpp"

namespace rtwire::sdp {

/// How a connection address is written.
enum class address_kind : std::uint8_t { ipv4, ipv6, fqdn };

/// Classifies a connection address: IPv4, IPv6 (with an optional %zone id) or an FQDN
/// (including mDNS ".local" names). std::nullopt when it is none of them.
inline std::optional<address_kind> classify_address(std::string_view s) noexcept {
  // Cheapest first: each check stops at the first character it cannot take (an FQDN never
  // contains ':', an IPv4 address never contains a letter).
  if (detail::is_ipv4(s)) return address_kind::ipv4;
  if (detail::is_fqdn(s)) return address_kind::fqdn;
  if (detail::is_ipv6(s)) return address_kind::ipv6;
  return std::nullopt;
}

// ------------------------------------------------------------------------------------------------
// Priorities (RFC 8445 §5.1.2.1 and §6.1.2.3)
// ------------------------------------------------------------------------------------------------

/// The three inputs of a candidate priority.
struct priority_parts {
  std::uint32_t type_preference = 0;   // 0 - 126
  std::uint32_t local_preference = 0;  // 0 - 65535
  std::uint32_t component = 0;         // 1 - 256
  friend bool operator==(const priority_parts&, const priority_parts&) = default;
};

/// RFC 8445 §5.1.2.1: priority = 2^24 * type preference + 2^8 * local preference
/// + (256 - component ID). Returns std::nullopt when an input is out of its range (type
/// preference 0-126, local preference 0-65535, component 1-256).
constexpr std::optional<std::uint32_t> candidate_priority(std::uint32_t type_preference,
                                                          std::uint32_t local_preference,
                                                          std::uint32_t component) noexcept {
  if (type_preference > 126 || local_preference > 65535 || component < 1 || component > 256)
    return std::nullopt;
  return (type_preference << 24) + (local_preference << 8) + (256 - component);
}

/// The inverse of candidate_priority() for any 32-bit priority (a low byte of 0 means component
/// 256). parse_candidate() never yields a priority above 2^32-1; for such a value the low 32 bits
/// are decomposed.
constexpr priority_parts decompose_priority(std::uint64_t priority) noexcept {
  const auto p = static_cast<std::uint32_t>(priority);
  return {p >> 24, (p >> 8) & 0xffffu, 256 - (p & 0xffu)};
}

/// RFC 8445 §6.1.2.3: pair priority = 2^32 * MIN(G, D) + 2 * MAX(G, D) + (G > D ? 1 : 0), where G
/// is the controlling agent's candidate priority and D the controlled agent's. Needs 64 bits.
constexpr std::uint64_t pair_priority(std::uint32_t controlling,
                                      std::uint32_t controlled) noexcept {
  const std::uint64_t g = controlling;
  const std::uint64_t d = controlled;
  return (std::uint64_t{1} << 32) * (g < d ? g : d) + 2 * (g > d ? g : d) + (g > d ? 1 : 0);
}

/// The standard type preferences RFC 8445 §5.1.2.2 recommends.
inline constexpr std::uint32_t type_preference_host = 126;
inline constexpr std::uint32_t type_preference_prflx = 110;
inline constexpr std::uint32_t type_preference_srflx = 100;
inline constexpr std::uint32_t type_preference_relay = 0;

// ------------------------------------------------------------------------------------------------
// The candidate
// ------------------------------------------------------------------------------------------------

/// Which prefix the candidate text carried (kept so that serialising reproduces it).
enum class candidate_prefix : std::uint8_t {
  none,         // "1 1 udp ..."
  candidate,    // "candidate:1 1 udp ..."  (RTCIceCandidateInit.candidate)
  a_candidate,  // "a=candidate:1 1 udp ..." (an SDP line)
};

/// One `<name> <value>` extension pair after the candidate type (RFC 8839 §5.1 cand-extension),
/// e.g. generation 0, ufrag EsAw, network-id 1, network-cost 10.
struct candidate_extension {
  std::string_view name;
  std::string_view value;
  friend bool operator==(const candidate_extension&, const candidate_extension&) = default;
};

/// An ICE candidate (RFC 8839 §5.1). Parsed strings are views into the parsed text; a candidate
/// built in code points at strings the caller keeps alive.
struct candidate {
  /// The most extension pairs one candidate holds (raddr, rport and tcptype not counted); more is
  /// error::too_many_extensions. Chrome sends 4 (generation, ufrag, network-id, network-cost).
  static constexpr std::size_t max_extensions = 16;
  /// Marks raddr / rport / tcptype that have no recorded position (see *_index below).
  static constexpr std::uint8_t no_index = 0xff;

  candidate_prefix prefix = candidate_prefix::candidate;
  std::string_view foundation;  // 1-32 ice-chars (lenient: may be empty)
  std::uint32_t component = 1;  // 1-256 (lenient: also 0)
  std::string_view transport;   // as written: "UDP", "udp", "tcp", or another token
  std::uint64_t priority = 0;   // 1 - 2^31-1 (lenient: 0 - 2^32-1); never wrapped
  std::string_view address;     // IPv4, IPv6 (with zone) or FQDN, as written
  std::uint16_t port = 0;
  std::string_view type;                      // "host", "srflx", "prflx", "relay" or another token
  std::string_view related_address;           // raddr; empty when absent
  std::optional<std::uint16_t> related_port;  // rport
  std::string_view tcptype;  // RFC 6544 §4.5 "active", "passive", "so"; empty if absent
  std::array<candidate_extension, max_extensions> extension_storage{};
  std::uint8_t extension_count = 0;
  /// Where raddr, rport and tcptype stood among all the pairs after the type (0 = first pair),
  /// so that a parsed candidate serialises back exactly; no_index places them first, in the
  /// order raddr, rport, tcptype (the RFC order).
  std::uint8_t related_address_index = no_index;
  std::uint8_t related_port_index = no_index;
  std::uint8_t tcptype_index = no_index;

  /// The extension pairs, in input order.
  std::span<const candidate_extension> extensions() const noexcept {
    return {extension_storage.data(), extension_count};
  }
  /// Appends an extension pair; false (and nothing added) when max_extensions are held.
  bool add_extension(std::string_view name, std::string_view value) noexcept {
    if (extension_count == max_extensions) return false;
    extension_storage[extension_count++] = {name, value};
    return true;
  }
  /// The value of the first extension called `name` (e.g. "ufrag"), or std::nullopt.
  std::optional<std::string_view> extension(std::string_view name) const noexcept {
    for (const auto& e : extensions())
      if (e.name == name) return e.value;
    return std::nullopt;
  }
  /// The RFC 8445 §5.1.2.1 parts of `priority`.
  sdp::priority_parts decomposed_priority() const noexcept { return decompose_priority(priority); }
  /// True for transport "UDP" in any case (RFC 8839 §5.1: the transport is case-insensitive).
  bool is_udp() const noexcept { return detail::iequals(transport, "udp"); }
  /// True for transport "TCP" in any case (RFC 6544).
  bool is_tcp() const noexcept { return detail::iequals(transport, "tcp"); }
};

namespace detail {

// Reads the space-separated fields of a candidate, checking each field's characters in the same
// pass that finds its end (one pass over the text instead of a split then a check).
struct candidate_reader {
  std::string_view text;  // the whole input, for columns
  const char* p;
  const char* end;
  bool done = false;
  std::size_t field_start = 0;

  enum class status { missing, bad, ok };

  // The next field, all of whose bytes must be in `cls`: ok (f set, field_start updated), bad (a
  // byte outside `cls` before the next space; field_start updated), or missing (no field left).
  [[gnu::always_inline]] inline status read(std::string_view& f, std::uint8_t cls) noexcept {
    if (done) return status::missing;
    const char* const start = p;
    field_start = static_cast<std::size_t>(start - text.data());
    while (p < end && is(*p, cls))
      ++p;
    if (p < end && *p != ' ') return status::bad;
    f = std::string_view(start, static_cast<std::size_t>(p - start));
    if (p == end) {
      done = true;
    } else {
      ++p;  // the separating space
    }
    return status::ok;
  }
  [[gnu::always_inline]] inline bool read_ok(std::string_view& f, std::uint8_t cls) noexcept {
    return read(f, cls) == status::ok;
  }
  parse_error fail(error e) const noexcept {
    return {
        .code = make_error_code(e), .offset = field_start, .line = 1, .column = field_start + 1};
  }
  parse_error fail_at_end(error e) const noexcept {
    return {
        .code = make_error_code(e), .offset = text.size(), .line = 1, .column = text.size() + 1};
  }
};

inline bool parse_port(std::string_view s, std::uint16_t& out) noexcept {
  std::uint64_t v = 0;
  if (!parse_uint(s, v, 5) || v > 65535) return false;
  out = static_cast<std::uint16_t>(v);
  return true;
}

}  // namespace detail

/// How parse_candidate() reads a candidate: the same options style as sdp::parse()
/// (`{.mode = rtwire::sdp::mode::lenient}`).
struct candidate_options {
  /// strict: the RFC 8839 §5.1 grammar. lenient: also an empty foundation, component 0,
  /// priority 0 or up to 2^32-1, trailing whitespace or line end, raddr / rport anywhere among
  /// the extension pairs (what browsers accept).
  sdp::mode mode = mode::strict;
};

/// Parses one ICE candidate: `candidate-attribute` of RFC 8839 §5.1, with or without the "a=" and
/// "candidate:" prefixes (RTCIceCandidateInit.candidate carries "candidate:").
///
/// Inputs: `text`, the candidate; `opts.mode` (see candidate_options).
/// Outcomes: an empty parse_error and `out` filled (views into `text`, valid while `text` is); or
/// a parse_error whose code names the broken rule (bad_foundation, bad_component, bad_priority,
/// ...) and whose column (1-based, line always 1) is where the offending field starts; `out` is
/// then unspecified. Never allocates.
inline parse_error parse_candidate(std::string_view text, candidate& out,
                                   const candidate_options& opts = {}) noexcept {
  using detail::parse_uint;
  const bool lenient = opts.mode == mode::lenient;
  // Reset every field but the extension storage (only its first extension_count entries are
  // meaningful; clearing all of it would cost more than the parse).
  out.related_address = {};
  out.related_port.reset();
  out.tcptype = {};
  out.extension_count = 0;
  out.related_address_index = out.related_port_index = out.tcptype_index = candidate::no_index;
  std::string_view s = text;
  std::size_t n = s.size();
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
    --n;
  if (lenient) {
    s = detail::take(s, n);
  } else if (n != s.size()) {
    // RFC 8839 §5.1: the grammar ends with the last field; say so instead of blaming the field
    // the whitespace happens to follow.
    return {.code = make_error_code(error::trailing_whitespace),
            .offset = n,
            .line = 1,
            .column = n + 1};
  }
  // RFC 8839 §5.1: candidate-attribute = "candidate" ":" foundation SP component-id SP ...
  if (detail::starts_with(s, "a=")) {
    if (!detail::starts_with(s, "a=candidate:"))
      return {.code = make_error_code(error::bad_candidate_prefix),
              .offset = 0,
              .line = 1,
              .column = 1};
    out.prefix = candidate_prefix::a_candidate;
    s.remove_prefix(12);
  } else if (detail::starts_with(s, "candidate:")) {
    out.prefix = candidate_prefix::candidate;
    s.remove_prefix(10);
  } else {
    out.prefix = candidate_prefix::none;
  }
  detail::candidate_reader r{text, s.data(), s.data() + s.size()};
  r.field_start = static_cast<std::size_t>(s.data() - text.data());
  std::string_view f;
  using cls = detail::char_class;

  // foundation = 1*32ice-char
  if (lenient ? !r.read_ok(f, cls::cc_vchar)
              : (!r.read_ok(f, cls::cc_ice) || f.empty() || f.size() > 32))
    return r.fail(error::bad_foundation);
  out.foundation = f;

  // component-id = 1*3DIGIT, 1-256 (RFC 8445 §5.1.2.1 bounds the component ID by 256)
  std::uint64_t v = 0;
  if (!r.read_ok(f, cls::cc_digit) || !parse_uint(f, v, 3) || v > 256 || (v == 0 && !lenient))
    return r.fail(error::bad_component);
  out.component = static_cast<std::uint32_t>(v);

  // transport = "UDP" / transport-extension; transport-extension = token
  if (!r.read_ok(f, cls::cc_token) || f.empty()) return r.fail(error::bad_transport);
  out.transport = f;

  // priority = 1*10DIGIT; RFC 8445 §5.1.2.1: a positive integer from 1 to 2^31-1. Parsed in 64
  // bits so that no 10-digit value is ever wrapped.
  if (!r.read_ok(f, cls::cc_digit) || !parse_uint(f, v, 10)) return r.fail(error::bad_priority);
  if (lenient ? v > 0xffffffffu : (v == 0 || v > 0x7fffffffu)) return r.fail(error::bad_priority);
  out.priority = v;

  // connection-address (RFC 8866 §9): IPv4, IPv6 or FQDN
  if (!r.read_ok(f, cls::cc_vchar) || !classify_address(f)) return r.fail(error::bad_address);
  out.address = f;

  // port = 1*DIGIT
  if (!r.read_ok(f, cls::cc_digit) || !detail::parse_port(f, out.port))
    return r.fail(error::bad_port);

  // cand-type = "typ" SP candidate-types
  const auto typ = r.read(f, cls::cc_vchar);
  if (typ == detail::candidate_reader::status::missing)
    return r.fail_at_end(error::missing_candidate_type);
  if (typ != detail::candidate_reader::status::ok || !detail::equals(f, "typ"))
    return r.fail(error::missing_candidate_type);
  // candidate-types = "host" / "srflx" / "prflx" / "relay" / token
  if (!r.read_ok(f, cls::cc_token) || f.empty()) return r.fail(error::bad_candidate_type);
  out.type = f;

  // [SP rel-addr] [SP rel-port] *(SP cand-extension), every one a <name> <value> pair.
  std::uint8_t index = 0;
  while (true) {
    const auto name_status = r.read(f, cls::cc_token);
    if (name_status == detail::candidate_reader::status::missing) break;
    const std::size_t name_start = r.field_start;
    const std::string_view name = f;
    if (name_status != detail::candidate_reader::status::ok || name.empty())
      return r.fail(error::bad_extension);
    std::string_view value;
    // A value of visible characters; anything else fails below with the pair's own error.
    const bool has_value = r.read_ok(value, cls::cc_vchar) && !value.empty();
    r.field_start = name_start;  // errors about a pair point at its name
    if (detail::equals(name, "raddr")) {
      // RFC 8839 §5.1: rel-addr = "raddr" SP connection-address, right after the type.
      if (!has_value || !classify_address(value) || !out.related_address.empty() ||
          (!lenient && index != 0))
        return r.fail(error::bad_related_address);
      out.related_address = value;
      out.related_address_index = index;
    } else if (detail::equals(name, "rport")) {
      // RFC 8839 §5.1: rel-port = "rport" SP port, after rel-addr when both are present.
      std::uint16_t port = 0;
      if (!has_value || !detail::parse_port(value, port) || out.related_port ||
          (!lenient && index != (out.related_address.empty() ? 0 : 1)))
        return r.fail(error::bad_related_port);
      out.related_port = port;
      out.related_port_index = index;
    } else if (detail::equals(name, "tcptype")) {
      // RFC 6544 §4.5: tcp-type-ext = "tcptype" SP tcp-type; tcp-type = "active" / "passive" /
      // "so".
      if (!has_value ||
          (!detail::equals(value, "active") && !detail::equals(value, "passive") &&
           !detail::equals(value, "so")) ||
          !out.tcptype.empty())
        return r.fail(error::bad_tcptype);
      out.tcptype = value;
      out.tcptype_index = index;
    } else {
      // extension-att-value = *VCHAR; a value is required to tell "name value" from "name ".
      if (!has_value) return r.fail(error::bad_extension);
      if (!out.add_extension(name, value)) return r.fail(error::too_many_extensions);
    }
    ++index;
  }
  return {};
}

/// Appends the candidate to `out`: the recorded prefix, then the RFC 8839 §5.1 fields separated
/// by single spaces, raddr / rport / tcptype at their recorded positions and the extension pairs
/// in order. For a candidate parsed from canonical text (no leading zeros in numbers, no
/// lenient-only trailing whitespace) this reproduces the input byte for byte.
template <output_buffer B>
void serialize(const candidate& c, B& out) {
  using rtwire::detail::append;
  const auto put = [&out](std::string_view s) { append(out, s); };
  switch (c.prefix) {
    case candidate_prefix::none:
      break;
    case candidate_prefix::candidate:
      put("candidate:");
      break;
    case candidate_prefix::a_candidate:
      put("a=candidate:");
      break;
  }
  put(c.foundation);
  put(" ");
  detail::append_uint(put, c.component);
  put(" ");
  put(c.transport);
  put(" ");
  detail::append_uint(put, c.priority);
  put(" ");
  put(c.address);
  put(" ");
  detail::append_uint(put, c.port);
  put(" typ ");
  put(c.type);
  const bool has_raddr = !c.related_address.empty();
  const bool has_rport = c.related_port.has_value();
  const bool has_tcptype = !c.tcptype.empty();
  const auto raddr = [&] {
    put(" raddr ");
    put(c.related_address);
  };
  const auto rport = [&] {
    put(" rport ");
    detail::append_uint(put, *c.related_port);
  };
  const auto tcptype = [&] {
    put(" tcptype ");
    put(c.tcptype);
  };
  // Pairs without a recorded position go first, in RFC order.
  if (has_raddr && c.related_address_index == candidate::no_index) raddr();
  if (has_rport && c.related_port_index == candidate::no_index) rport();
  if (has_tcptype && c.tcptype_index == candidate::no_index) tcptype();
  std::size_t ext = 0;
  const std::size_t total = c.extension_count + std::size_t{has_raddr} + std::size_t{has_rport} +
                            std::size_t{has_tcptype};
  for (std::size_t i = 0; i < total; ++i) {
    if (has_raddr && c.related_address_index == i) {
      raddr();
    } else if (has_rport && c.related_port_index == i) {
      rport();
    } else if (has_tcptype && c.tcptype_index == i) {
      tcptype();
    } else if (ext < c.extension_count) {
      put(" ");
      put(c.extension_storage[ext].name);
      put(" ");
      put(c.extension_storage[ext].value);
      ++ext;
    }
  }
}

/// The candidate as text (see serialize()).
inline std::string to_string(const candidate& c) {
  std::string s;
  serialize(c, s);
  return s;
}

}  // namespace rtwire::sdp
