// rtwire — the typed ICE, DTLS and SCTP transport attributes: ice-ufrag, ice-pwd, ice-options,
// ice-lite, candidate, end-of-candidates, fingerprint, setup, tls-id, rtcp-mux, rtcp-mux-only,
// rtcp-rsize, sctp-port, max-message-size, sctpmap.
//
//   using namespace rtwire::sdp;
//   if (auto f = attr::fingerprint::parse(value)) use(f->hash_function, f->value);
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
#include "rtwire/sdp/candidate.hpp"
#include "rtwire/sdp/detail/attribute_grammar.hpp"

namespace rtwire::sdp::attr {

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

}  // namespace rtwire::sdp::attr
