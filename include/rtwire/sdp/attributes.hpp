// rtwire — typed accessors for the SDP attributes WebRTC uses.
//
//   using namespace rtwire::sdp;
//   for (const attribute& a : m.attributes)
//     if (auto r = get<attr::rtpmap>(a)) use(r->payload_type, r->encoding_name, r->clock_rate);
//   auto mid = find<attr::mid>(m.attributes);           // std::optional<attr::mid>
//   bool mux = has<attr::rtcp_mux>(m.attributes);
//   auto dir = direction_of(m.attributes).value_or(direction::sendrecv);
//
// Every type T in rtwire::sdp::attr has `T::name` (the attribute name) and
// `T::parse(std::optional<std::string_view> value)`, which returns std::nullopt when the value
// does not follow the attribute's grammar (or a flag attribute carries a value). Parsed fields are
// views into the attribute's value, so into the parsed SDP text. Nothing here allocates; unknown
// attributes simply stay as name/value in the model.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

#include "rtwire/sdp/candidate.hpp"
#include "rtwire/sdp/detail/text.hpp"
#include "rtwire/sdp/session.hpp"

namespace rtwire::sdp {

/// Media direction (RFC 8866 §6.7 and RFC 3264 §5.1). Also used by a=extmap (RFC 8285 §7).
enum class direction : std::uint8_t { sendrecv, sendonly, recvonly, inactive };

/// The direction named `s` ("sendrecv", "sendonly", "recvonly", "inactive"), or std::nullopt.
inline std::optional<direction> parse_direction(std::string_view s) noexcept {
  if (s == "sendrecv") return direction::sendrecv;
  if (s == "sendonly") return direction::sendonly;
  if (s == "recvonly") return direction::recvonly;
  if (s == "inactive") return direction::inactive;
  return std::nullopt;
}

/// The text of a direction.
constexpr std::string_view to_string(direction d) noexcept {
  switch (d) {
    case direction::sendrecv:
      return "sendrecv";
    case direction::sendonly:
      return "sendonly";
    case direction::recvonly:
      return "recvonly";
    case direction::inactive:
      return "inactive";
  }
  return "sendrecv";
}

/// The first direction attribute (a=sendrecv / sendonly / recvonly / inactive) among `attrs`;
/// std::nullopt when there is none (RFC 8866 §6.7: the default is sendrecv, unless the session
/// level says otherwise).
inline std::optional<direction> direction_of(std::span<const attribute> attrs) noexcept {
  for (const auto& a : attrs)
    if (!a.value)
      if (auto d = parse_direction(a.name)) return d;
  return std::nullopt;
}

/// A view of space-separated tokens (a=group mids, a=ice-options, a=ssrc-group SSRCs, ...).
/// Runs of spaces count as one separator; iterating never yields an empty token.
class token_list {
 public:
  token_list() = default;
  explicit token_list(std::string_view text) noexcept : text_(text) {}

  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string_view*;
    using reference = std::string_view;

    iterator() = default;
    iterator(std::string_view rest) noexcept : rest_(rest) { advance(); }
    std::string_view operator*() const noexcept { return token_; }
    iterator& operator++() noexcept {
      advance();
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator old = *this;
      advance();
      return old;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.token_.data() == b.token_.data() && a.token_.size() == b.token_.size();
    }

   private:
    void advance() noexcept {
      std::size_t i = 0;
      while (i < rest_.size() && rest_[i] == ' ')
        ++i;
      rest_.remove_prefix(i);
      if (rest_.empty()) {
        token_ = {};
        return;
      }
      const std::size_t end = rest_.find(' ');
      token_ = rest_.substr(0, end);
      rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end);
    }
    std::string_view rest_;
    std::string_view token_;
  };

  iterator begin() const noexcept { return iterator(text_); }
  iterator end() const noexcept { return {}; }
  /// The number of tokens.
  std::size_t size() const noexcept {
    std::size_t n = 0;
    for (auto it = begin(); it != end(); ++it)
      ++n;
    return n;
  }
  bool empty() const noexcept { return begin() == end(); }
  /// True when one of the tokens equals `token`.
  bool contains(std::string_view token) const noexcept {
    for (const auto t : *this)
      if (t == token) return true;
    return false;
  }
  /// The underlying text.
  std::string_view text() const noexcept { return text_; }

 private:
  std::string_view text_;
};

/// One `key=value` of an a=fmtp parameter list; `value` is std::nullopt for a parameter without
/// '=' (such as RED's "111/111" or telephone-event's "0-15").
struct format_parameter {
  std::string_view key;
  std::optional<std::string_view> value;
};

/// A view of the ';'-separated parameters of a=fmtp (RFC 8866 §6.15: the syntax is the media
/// format's; nearly every WebRTC codec uses key=value;key=value). Spaces around ';' are skipped,
/// empty parameters are not yielded.
class parameter_list {
 public:
  parameter_list() = default;
  explicit parameter_list(std::string_view text) noexcept : text_(text) {}

  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = format_parameter;
    using difference_type = std::ptrdiff_t;
    using pointer = const format_parameter*;
    using reference = format_parameter;

    iterator() = default;
    iterator(std::string_view rest) noexcept : rest_(rest), done_(false) { advance(); }
    format_parameter operator*() const noexcept { return current_; }
    iterator& operator++() noexcept {
      advance();
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator old = *this;
      advance();
      return old;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.done_ == b.done_ && (a.done_ || a.current_.key.data() == b.current_.key.data());
    }

   private:
    void advance() noexcept {
      while (true) {
        if (rest_.empty() && raw_exhausted_) {
          done_ = true;
          current_ = {};
          return;
        }
        const std::size_t semi = rest_.find(';');
        std::string_view item = rest_.substr(0, semi);
        if (semi == std::string_view::npos) {
          rest_ = {};
          raw_exhausted_ = true;
        } else {
          rest_.remove_prefix(semi + 1);
        }
        item = detail::trim_right(detail::trim_left(item));
        if (item.empty()) continue;
        const std::size_t eq = item.find('=');
        if (eq == std::string_view::npos) {
          current_ = {item, std::nullopt};
        } else {
          current_ = {item.substr(0, eq), item.substr(eq + 1)};
        }
        return;
      }
    }
    std::string_view rest_;
    format_parameter current_{};
    bool done_ = true;
    bool raw_exhausted_ = false;
  };

  iterator begin() const noexcept { return iterator(text_); }
  iterator end() const noexcept { return {}; }
  /// The value of the first parameter called `key` (std::nullopt when absent; an empty view
  /// when present without '=' ).
  std::optional<std::string_view> find(std::string_view key) const noexcept {
    for (const auto p : *this)
      if (p.key == key) return p.value.value_or(std::string_view());
    return std::nullopt;
  }
  std::string_view text() const noexcept { return text_; }

 private:
  std::string_view text_;
};

namespace detail {

template <class Int>
inline bool parse_int(std::string_view s, Int& out, std::size_t max_digits) noexcept {
  std::uint64_t v = 0;
  if (!parse_uint(s, v, max_digits) || v > static_cast<std::uint64_t>(static_cast<Int>(~Int{0})))
    return false;
  out = static_cast<Int>(v);
  return true;
}

/// A decimal number such as "20", "0.5" or "29.97" (RFC 8866 §6.4, §6.8): 1*DIGIT ["." 1*DIGIT].
inline bool parse_decimal(std::string_view s, double& out) noexcept {
  const std::size_t dot = s.find('.');
  if (!is_digits(s.substr(0, dot))) return false;
  if (dot != std::string_view::npos && !is_digits(s.substr(dot + 1))) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// Splits `value` at its first space into head and tail (tail empty when there is none).
inline void split_first(std::string_view value, std::string_view& head, std::string_view& tail) {
  const std::size_t sp = value.find(' ');
  head = value.substr(0, sp);
  tail = sp == std::string_view::npos ? std::string_view() : value.substr(sp + 1);
}

/// A flag attribute (a=<name> without a value).
template <class Self>
struct flag {
  static std::optional<Self> parse(std::optional<std::string_view> value) noexcept {
    if (value) return std::nullopt;
    return Self{};
  }
};

/// An attribute whose whole value is one non-empty string.
template <class Self>
struct single_value {
  std::string_view value;
  static std::optional<Self> parse(std::optional<std::string_view> v) noexcept {
    if (!v || v->empty()) return std::nullopt;
    Self s;
    s.value = *v;
    return s;
  }
};

inline bool is_ice_chars(std::string_view s, std::size_t min, std::size_t max) noexcept {
  return s.size() >= min && s.size() <= max && all_of(s, cc_ice);
}

}  // namespace detail

/// The typed attributes. Each has `name` and `parse(value)`; see the file comment.
namespace attr {

/// a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>] (RFC 8866 §6.6).
struct rtpmap {
  static constexpr std::string_view name = "rtpmap";
  std::uint32_t payload_type = 0;
  std::string_view encoding_name;
  std::uint32_t clock_rate = 0;
  std::optional<std::string_view> encoding_parameters;  // e.g. "2" (channels) for opus

  static std::optional<rtpmap> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    rtpmap r;
    std::string_view pt, rest;
    detail::split_first(*v, pt, rest);
    if (!detail::parse_int(pt, r.payload_type, 3) || r.payload_type > 127) return std::nullopt;
    const std::size_t s1 = rest.find('/');
    if (s1 == std::string_view::npos) return std::nullopt;
    r.encoding_name = rest.substr(0, s1);
    if (!detail::is_token(r.encoding_name)) return std::nullopt;
    rest.remove_prefix(s1 + 1);
    const std::size_t s2 = rest.find('/');
    if (!detail::parse_int(rest.substr(0, s2), r.clock_rate, 10)) return std::nullopt;
    if (s2 != std::string_view::npos) {
      r.encoding_parameters = rest.substr(s2 + 1);
      if (r.encoding_parameters->empty()) return std::nullopt;
    }
    return r;
  }
};

/// a=fmtp:<format> <format specific parameters> (RFC 8866 §6.15). `parameters` keeps the raw
/// text; `params()` iterates it as key=value pairs.
struct fmtp {
  static constexpr std::string_view name = "fmtp";
  std::string_view format;
  std::string_view parameters;

  parameter_list params() const noexcept { return parameter_list(parameters); }

  static std::optional<fmtp> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    fmtp r;
    detail::split_first(*v, r.format, r.parameters);
    if (!detail::is_token(r.format) || r.parameters.empty()) return std::nullopt;
    return r;
  }
};

/// a=rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605 §2.1). The address may
/// be an mDNS name.
struct rtcp {
  static constexpr std::string_view name = "rtcp";
  std::uint16_t port = 0;
  std::optional<sdp::connection> address;

  static std::optional<rtcp> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    rtcp r;
    detail::field_reader f{*v};
    std::string_view port;
    if (!f.next(port) || !detail::parse_int(port, r.port, 5)) return std::nullopt;
    if (f.done) return r;
    sdp::connection c;
    if (!f.next_nonempty(c.nettype) || !f.next_nonempty(c.addrtype) ||
        !f.next_nonempty(c.address) || !f.done || !detail::is_token(c.nettype) ||
        !detail::is_token(c.addrtype))
      return std::nullopt;
    r.address = c;
    return r;
  }
};

/// a=rtcp-fb:<payload type or *> <type> [<parameters>] (RFC 4585 §4.2), e.g. "96 nack pli".
struct rtcp_fb {
  static constexpr std::string_view name = "rtcp-fb";
  std::string_view payload_type;               // a format or "*"
  std::string_view type;                       // "nack", "ccm", "goog-remb", "transport-cc", ...
  std::optional<std::string_view> parameters;  // "pli", "fir", ...

  static std::optional<rtcp_fb> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    rtcp_fb r;
    std::string_view rest;
    detail::split_first(*v, r.payload_type, rest);
    if (r.payload_type != "*" && !detail::is_token(r.payload_type)) return std::nullopt;
    std::string_view params;
    detail::split_first(rest, r.type, params);
    if (!detail::is_token(r.type)) return std::nullopt;
    if (!params.empty()) r.parameters = params;
    return r;
  }
};

/// a=extmap:<value>["/"<direction>] <URI> [<extension attributes>] (RFC 8285 §7).
struct extmap {
  static constexpr std::string_view name = "extmap";
  std::uint16_t id = 0;  // 1-14 (one-byte), 1-255 (two-byte), 4096-4351 (local)
  std::optional<sdp::direction> direction;
  std::string_view uri;
  std::optional<std::string_view> extension_attributes;

  static std::optional<extmap> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    extmap r;
    std::string_view head, rest;
    detail::split_first(*v, head, rest);
    const std::size_t slash = head.find('/');
    if (!detail::parse_int(head.substr(0, slash), r.id, 5) || r.id == 0) return std::nullopt;
    if (slash != std::string_view::npos) {
      r.direction = parse_direction(head.substr(slash + 1));
      if (!r.direction) return std::nullopt;
    }
    std::string_view attrs;
    detail::split_first(rest, r.uri, attrs);
    if (r.uri.empty()) return std::nullopt;
    if (!attrs.empty()) r.extension_attributes = attrs;
    return r;
  }
};

/// a=extmap-allow-mixed (RFC 8285 §6).
struct extmap_allow_mixed : detail::flag<extmap_allow_mixed> {
  static constexpr std::string_view name = "extmap-allow-mixed";
};

/// a=ssrc:<ssrc-id> <attribute>[:<value>] (RFC 5576 §4.1), e.g. "3865984914 cname:+5Dnp".
struct ssrc {
  static constexpr std::string_view name = "ssrc";
  std::uint32_t id = 0;
  std::string_view attribute;
  std::optional<std::string_view> value;

  static std::optional<ssrc> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    ssrc r;
    std::string_view id, rest;
    detail::split_first(*v, id, rest);
    if (!detail::parse_int(id, r.id, 10)) return std::nullopt;
    const std::size_t colon = rest.find(':');
    r.attribute = rest.substr(0, colon);
    if (!detail::is_token(r.attribute)) return std::nullopt;
    if (colon != std::string_view::npos) r.value = rest.substr(colon + 1);
    return r;
  }
};

/// a=ssrc-group:<semantics> <ssrc-id> ... (RFC 5576 §4.2), e.g. "FID 2819385437 1663718423".
struct ssrc_group {
  static constexpr std::string_view name = "ssrc-group";
  std::string_view semantics;  // "FID", "SIM", "FEC-FR", ...
  token_list ssrcs;

  static std::optional<ssrc_group> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    ssrc_group r;
    std::string_view rest;
    detail::split_first(*v, r.semantics, rest);
    if (!detail::is_token(r.semantics)) return std::nullopt;
    r.ssrcs = token_list(rest);
    for (const auto id : r.ssrcs) {
      std::uint32_t ignored = 0;
      if (!detail::parse_int(id, ignored, 10)) return std::nullopt;
    }
    return r;
  }
};

/// a=msid:<stream id> [<track id>] (RFC 8830 §2). Chrome sends "-" for a track without a stream;
/// Firefox wraps ids in braces ("{0f1c...}"); both are kept verbatim.
struct msid {
  static constexpr std::string_view name = "msid";
  std::string_view stream_id;
  std::optional<std::string_view> track_id;  // msid-appdata

  static std::optional<msid> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    msid r;
    std::string_view rest;
    detail::split_first(*v, r.stream_id, rest);
    // msid-id = 1*64token-char
    if (r.stream_id.size() > 64 || !detail::is_token(r.stream_id)) return std::nullopt;
    if (!rest.empty()) {
      if (rest.size() > 64 || !detail::is_token(rest)) return std::nullopt;
      r.track_id = rest;
    }
    return r;
  }
};

/// a=msid-semantic:<semantic> [<identifiers>] (the pre-RFC 8830 WebRTC form). Accepts Chrome's
/// "msid-semantic: WMS <id>" with a space after the colon and Firefox's "msid-semantic:WMS *".
struct msid_semantic {
  static constexpr std::string_view name = "msid-semantic";
  std::string_view semantic;  // "WMS"
  token_list identifiers;     // stream ids or "*"; may be empty

  static std::optional<msid_semantic> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    msid_semantic r;
    std::string_view rest;
    detail::split_first(detail::trim_left(*v), r.semantic, rest);
    if (!detail::is_token(r.semantic)) return std::nullopt;
    r.identifiers = token_list(rest);
    return r;
  }
};

/// a=group:<semantics> *(SP <identification-tag>) (RFC 5888 §5), e.g. "BUNDLE 0 1 2" (RFC 9143)
/// or "LS 1 2" (lip sync).
struct group {
  static constexpr std::string_view name = "group";
  std::string_view semantics;
  token_list mids;

  static std::optional<group> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    group r;
    std::string_view rest;
    detail::split_first(*v, r.semantics, rest);
    if (!detail::is_token(r.semantics)) return std::nullopt;
    r.mids = token_list(rest);
    for (const auto m : r.mids)
      if (!detail::is_token(m)) return std::nullopt;
    return r;
  }
};

/// a=mid:<identification-tag> (RFC 5888 §4; a token).
struct mid {
  static constexpr std::string_view name = "mid";
  std::string_view value;
  static std::optional<mid> parse(std::optional<std::string_view> v) noexcept {
    if (!v || !detail::is_token(*v)) return std::nullopt;
    return mid{*v};
  }
};

/// a=ice-ufrag:<ufrag> (RFC 8839 §5.4: 4 to 256 ice-chars).
struct ice_ufrag {
  static constexpr std::string_view name = "ice-ufrag";
  std::string_view value;
  static std::optional<ice_ufrag> parse(std::optional<std::string_view> v) noexcept {
    if (!v || !detail::is_ice_chars(*v, 4, 256)) return std::nullopt;
    return ice_ufrag{*v};
  }
};

/// a=ice-pwd:<password> (RFC 8839 §5.4: 22 to 256 ice-chars).
struct ice_pwd {
  static constexpr std::string_view name = "ice-pwd";
  std::string_view value;
  static std::optional<ice_pwd> parse(std::optional<std::string_view> v) noexcept {
    if (!v || !detail::is_ice_chars(*v, 22, 256)) return std::nullopt;
    return ice_pwd{*v};
  }
};

/// a=ice-options:<option> *(SP <option>) (RFC 8839 §5.6), e.g. "trickle renomination".
struct ice_options {
  static constexpr std::string_view name = "ice-options";
  token_list options;
  static std::optional<ice_options> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    ice_options r{token_list(*v)};
    if (r.options.empty()) return std::nullopt;
    for (const auto o : r.options)
      if (!detail::all_of(o, detail::cc_ice | detail::cc_token)) return std::nullopt;
    return r;
  }
};

/// a=ice-lite (RFC 8839 §5.3).
struct ice_lite : detail::flag<ice_lite> {
  static constexpr std::string_view name = "ice-lite";
};

/// a=fingerprint:<hash-func> <fingerprint> (RFC 8122 §5), e.g. "sha-256 72:79:...".
struct fingerprint {
  static constexpr std::string_view name = "fingerprint";
  std::string_view hash_function;
  std::string_view value;  // upper-case hex pairs separated by ':'

  static std::optional<fingerprint> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    fingerprint r;
    detail::split_first(*v, r.hash_function, r.value);
    if (!detail::is_token(r.hash_function) || r.value.size() < 2) return std::nullopt;
    // fingerprint = 2UHEX *(":" 2UHEX); lower case accepted, as browsers accept it.
    for (std::size_t i = 0; i < r.value.size(); ++i) {
      const bool colon_position = i % 3 == 2;
      if (colon_position ? r.value[i] != ':' : !detail::is_hex(r.value[i])) return std::nullopt;
    }
    if (r.value.size() % 3 != 2) return std::nullopt;
    return r;
  }
};

/// a=setup:<role> (RFC 4145 §4).
struct setup {
  static constexpr std::string_view name = "setup";
  enum class role : std::uint8_t { active, passive, actpass, holdconn };
  role value = role::actpass;

  static std::optional<setup> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    if (*v == "active") return setup{role::active};
    if (*v == "passive") return setup{role::passive};
    if (*v == "actpass") return setup{role::actpass};
    if (*v == "holdconn") return setup{role::holdconn};
    return std::nullopt;
  }
};

/// a=candidate:<...> (RFC 8839 §5.1), parsed strictly; use parse_candidate() on the value
/// directly for lenient parsing. Named ice_candidate so that it does not shadow the candidate
/// model it holds (sdp::candidate); its wire name is still "candidate".
struct ice_candidate {
  static constexpr std::string_view name = "candidate";
  sdp::candidate value;

  static std::optional<ice_candidate> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    ice_candidate r;
    if (parse_candidate(*v, r.value, {.mode = mode::strict}) ||
        r.value.prefix != candidate_prefix::none)
      return std::nullopt;
    return r;
  }
};

/// a=end-of-candidates (RFC 8840 §8.2).
struct end_of_candidates : detail::flag<end_of_candidates> {
  static constexpr std::string_view name = "end-of-candidates";
};

/// a=rtcp-mux (RFC 5761 §5.1.1).
struct rtcp_mux : detail::flag<rtcp_mux> {
  static constexpr std::string_view name = "rtcp-mux";
};

/// a=rtcp-mux-only (RFC 8858 §3).
struct rtcp_mux_only : detail::flag<rtcp_mux_only> {
  static constexpr std::string_view name = "rtcp-mux-only";
};

/// a=rtcp-rsize (RFC 5506 §5).
struct rtcp_rsize : detail::flag<rtcp_rsize> {
  static constexpr std::string_view name = "rtcp-rsize";
};

/// a=sctp-port:<port> (RFC 8841 §5.1).
struct sctp_port {
  static constexpr std::string_view name = "sctp-port";
  std::uint16_t port = 0;
  static std::optional<sctp_port> parse(std::optional<std::string_view> v) noexcept {
    sctp_port r;
    if (!v || !detail::parse_int(*v, r.port, 5)) return std::nullopt;
    return r;
  }
};

/// a=max-message-size:<size> (RFC 8841 §6; 0 means no limit).
struct max_message_size {
  static constexpr std::string_view name = "max-message-size";
  std::uint64_t size = 0;
  static std::optional<max_message_size> parse(std::optional<std::string_view> v) noexcept {
    max_message_size r;
    if (!v || !detail::parse_uint(*v, r.size, 19)) return std::nullopt;
    return r;
  }
};

/// a=sctpmap:<number> <app> [<max-num-of-streams>] (draft-ietf-mmusic-sctp-sdp-05, still sent
/// by older endpoints).
struct sctpmap {
  static constexpr std::string_view name = "sctpmap";
  std::uint16_t number = 0;
  std::string_view app;
  std::optional<std::uint32_t> streams;

  static std::optional<sctpmap> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    sctpmap r;
    detail::field_reader f{*v};
    std::string_view number, streams;
    if (!f.next(number) || !detail::parse_int(number, r.number, 5)) return std::nullopt;
    if (!f.next_nonempty(r.app) || !detail::is_token(r.app)) return std::nullopt;
    if (f.next(streams)) {
      std::uint32_t n = 0;
      if (!detail::parse_int(streams, n, 10) || !f.done) return std::nullopt;
      r.streams = n;
    }
    return r;
  }
};

/// a=simulcast:<dir> <alt-list> [<dir> <alt-list>] (RFC 8853 §5.1). The lists are kept raw
/// ("hi;~lo", "1,2;3"); at least one of send / recv is present.
struct simulcast {
  static constexpr std::string_view name = "simulcast";
  std::optional<std::string_view> send;
  std::optional<std::string_view> recv;

  static std::optional<simulcast> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    simulcast r;
    detail::field_reader f{*v};
    std::string_view dir, list;
    int count = 0;
    while (f.next(dir)) {
      if (!f.next_nonempty(list)) return std::nullopt;
      std::optional<std::string_view>& slot = dir == "send" ? r.send : r.recv;
      if ((dir != "send" && dir != "recv") || slot) return std::nullopt;
      slot = list;
      ++count;
    }
    if (count == 0) return std::nullopt;
    return r;
  }
};

/// a=rid:<rid-id> <send|recv> [<restrictions>] (RFC 8851 §10), e.g. "hi send pt=96;max-width=1280".
struct rid {
  static constexpr std::string_view name = "rid";
  enum class rid_direction : std::uint8_t { send, recv };
  std::string_view id;
  rid_direction direction = rid_direction::send;
  std::optional<std::string_view> restrictions;  // raw; iterate with params()

  parameter_list params() const noexcept { return parameter_list(restrictions.value_or("")); }

  static std::optional<rid> parse(std::optional<std::string_view> v) noexcept {
    if (!v) return std::nullopt;
    rid r;
    std::string_view rest, dir, restrictions;
    detail::split_first(*v, r.id, rest);
    // rid-id = 1*(alpha-numeric / "-" / "_")
    if (r.id.empty()) return std::nullopt;
    for (const char c : r.id)
      if (!detail::is(c, detail::cc_alpha | detail::cc_digit) && c != '-' && c != '_')
        return std::nullopt;
    detail::split_first(rest, dir, restrictions);
    if (dir == "send") {
      r.direction = rid_direction::send;
    } else if (dir == "recv") {
      r.direction = rid_direction::recv;
    } else {
      return std::nullopt;
    }
    if (!restrictions.empty()) r.restrictions = restrictions;
    return r;
  }
};

namespace detail_decimal {
template <class Self>
struct decimal {
  std::string_view text;
  double value = 0;
  static std::optional<Self> parse(std::optional<std::string_view> v) noexcept {
    Self r;
    if (!v || !rtwire::sdp::detail::parse_decimal(*v, r.value)) return std::nullopt;
    r.text = *v;
    return r;
  }
};
}  // namespace detail_decimal

/// a=ptime:<packet time in ms> (RFC 8866 §6.4; may be a decimal).
struct ptime : detail_decimal::decimal<ptime> {
  static constexpr std::string_view name = "ptime";
};

/// a=maxptime:<maximum packet time in ms> (RFC 8866 §6.5).
struct maxptime : detail_decimal::decimal<maxptime> {
  static constexpr std::string_view name = "maxptime";
};

/// a=framerate:<frames per second> (RFC 8866 §6.8; may be a decimal, e.g. 29.97).
struct framerate : detail_decimal::decimal<framerate> {
  static constexpr std::string_view name = "framerate";
};

/// a=tls-id:<id> (RFC 8842 §4: 20 to 255 of ALPHA / DIGIT / "+" / "/" / "-" / "_").
struct tls_id {
  static constexpr std::string_view name = "tls-id";
  std::string_view value;
  static std::optional<tls_id> parse(std::optional<std::string_view> v) noexcept {
    if (!v || v->size() < 20 || v->size() > 255) return std::nullopt;
    for (const char c : *v)
      if (!detail::is(c, detail::cc_ice) && c != '-' && c != '_') return std::nullopt;
    return tls_id{*v};
  }
};

}  // namespace attr

/// The attribute as T when its name is T::name and its value follows T's grammar; otherwise
/// std::nullopt.
template <class T>
std::optional<T> get(const attribute& a) noexcept {
  if (a.name != T::name) return std::nullopt;
  return T::parse(a.value);
}

/// The first attribute named T::name among `attrs`, parsed as T; std::nullopt when there is none
/// or when that first one is malformed.
template <class T>
std::optional<T> find(std::span<const attribute> attrs) noexcept {
  for (const auto& a : attrs)
    if (a.name == T::name) return T::parse(a.value);
  return std::nullopt;
}

/// True when an attribute named T::name is present and well-formed (for flags: a=rtcp-mux).
template <class T>
bool has(std::span<const attribute> attrs) noexcept {
  return find<T>(attrs).has_value();
}

/// How many attributes are named T::name (well-formed or not).
template <class T>
std::size_t count(std::span<const attribute> attrs) noexcept {
  std::size_t n = 0;
  for (const auto& a : attrs)
    n += a.name == T::name ? 1 : 0;
  return n;
}

/// The value of the first attribute called `name` (std::nullopt when absent; an attribute
/// without a value gives an empty view).
inline std::optional<std::string_view> find_value(std::span<const attribute> attrs,
                                                  std::string_view name) noexcept {
  for (const auto& a : attrs)
    if (a.name == name) return a.value.value_or(std::string_view());
  return std::nullopt;
}

}  // namespace rtwire::sdp
