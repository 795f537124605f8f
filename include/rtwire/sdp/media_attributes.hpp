// rtwire — the typed RTP and media-description attributes: rtpmap, fmtp, rtcp, rtcp-fb, extmap,
// ssrc, ssrc-group, msid, group, mid, simulcast, rid, ptime, maxptime, framerate.
//
//   using namespace rtwire::sdp;
//   if (auto r = attr::rtpmap::parse(value)) use(r->encoding_name, r->clock_rate);
//
// Each type has `name` and `parse(std::optional<std::string_view> value)`, which returns
// std::nullopt when the value does not follow the attribute's grammar; parsed fields are views
// into the value. Use them through get<T>/find<T> in sdp/attributes.hpp.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

#include "rtwire/sdp/attribute_values.hpp"
#include "rtwire/sdp/detail/attribute_grammar.hpp"
#include "rtwire/sdp/session.hpp"

namespace rtwire::sdp::attr {

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

/// a=ptime:<packet time in ms> (RFC 8866 §6.4; may be a decimal).
struct ptime : detail::decimal<ptime> {
  static constexpr std::string_view name = "ptime";
};

/// a=maxptime:<maximum packet time in ms> (RFC 8866 §6.5).
struct maxptime : detail::decimal<maxptime> {
  static constexpr std::string_view name = "maxptime";
};

/// a=framerate:<frames per second> (RFC 8866 §6.8; may be a decimal, e.g. 29.97).
struct framerate : detail::decimal<framerate> {
  static constexpr std::string_view name = "framerate";
};

}  // namespace rtwire::sdp::attr
