// rtwire — permessage-deflate negotiation (RFC 7692 §5, §7.1): the server answers the client's
// offers under a policy, the client writes its offer and checks the server's answer. Pure text
// work on the handshake's parsed Sec-WebSocket-Extensions; no zlib here (the compression itself
// is rtwire/ws/deflate_codec.hpp, behind the optional rtwire::deflate target).
//
// Server role:
//   deflate_policy policy;                        // what this server accepts (windows, takeover)
//   deflate_answer answer = negotiate_deflate(request.extensions, policy);
//   accept_options opts;
//   if (answer.accepted) opts.extensions = answer.response();
//   // after accept(): answer.params configure the codec (deflate_codec(answer.params, ...))
//
// Client role:
//   deflate_offer offer = make_deflate_offer({.client_max_window_bits = 12});
//   request_options req;
//   req.extensions = offer.text();
//   // ... after client_handshake::feed() returned accepted:
//   deflate_params params;
//   bool compressed = false;
//   if (const auto ec = accept_deflate_response(accepted_extensions, offer, params, compressed))
//     return ec;  // _Fail the WebSocket Connection_ (RFC 7692 §7.1)
//
// The zlib 8-bit window rule. zlib cannot compress with a 256-byte window: since 1.2.9 a raw
// deflate stream refuses windowBits 8 (older versions silently used 9, i.e. emitted distances the
// peer was told it would never see). So rtwire never *compresses* with 8: a server refuses an
// offer whose server_max_window_bits is 8 (that offer is declined and the next one considered),
// policies and client offers are clamped to 9..15, and a client fails a response that asks it to
// compress with client_max_window_bits=8. It *inflates* with a 15-bit window whatever was agreed
// (a larger inflate window accepts every stream made with a smaller one; deflate_codec.hpp says
// why not smaller), so peers that really compress with 8, or with 9 after agreeing 8, are read
// correctly. Refusing rather than
// raising: Beast raises its server window to 9 in the answer, which answers 9 to an offer of 8,
// larger than offered (RFC 7692 §7.1.2.1 forbids it; a strict client fails the connection);
// declining that one offer keeps the handshake valid, and browsers never offer 8.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

#include "rtwire/ws/connection_options.hpp"
#include "rtwire/ws/error.hpp"
#include "rtwire/ws/handshake_base.hpp"

namespace rtwire::ws {

/// The extension token (RFC 7692 §6).
inline constexpr std::string_view permessage_deflate = "permessage-deflate";

/// The smallest LZ77 window zlib can compress with (see the 8-bit window rule above).
inline constexpr std::uint8_t min_deflate_window_bits = 9;

/// What both ends agreed (RFC 7692 §7.1), the same for both roles: the server_* fields describe
/// what the server compresses with, the client_* fields what the client compresses with.
struct deflate_params {
  /// RFC 7692 §7.1.1.1: the server resets its compression context after each message.
  bool server_no_context_takeover = false;
  /// RFC 7692 §7.1.1.2: the client resets its compression context after each message.
  bool client_no_context_takeover = false;
  /// RFC 7692 §7.1.2.1: the server's LZ77 window is at most 2^bits bytes (8..15).
  std::uint8_t server_max_window_bits = 15;
  /// RFC 7692 §7.1.2.2: the client's LZ77 window is at most 2^bits bytes (8..15).
  std::uint8_t client_max_window_bits = 15;

  friend bool operator==(const deflate_params&, const deflate_params&) = default;

  /// The window this endpoint compresses with (never below 9, see the 8-bit rule).
  std::uint8_t deflate_window_bits(role r) const noexcept {
    return std::max(r == role::server ? server_max_window_bits : client_max_window_bits,
                    min_deflate_window_bits);
  }
  /// The window the peer compresses with, raised to 9 (the codec inflates with 15 regardless).
  std::uint8_t inflate_window_bits(role r) const noexcept {
    return std::max(r == role::server ? client_max_window_bits : server_max_window_bits,
                    min_deflate_window_bits);
  }
  /// True if this endpoint must reset its compressor after each message.
  bool deflate_resets(role r) const noexcept {
    return r == role::server ? server_no_context_takeover : client_no_context_takeover;
  }
  /// True if the peer resets its compressor after each message (so this end may reset, or even
  /// release, its inflater between messages).
  bool inflate_resets(role r) const noexcept {
    return r == role::server ? client_no_context_takeover : server_no_context_takeover;
  }
};

/// Why one offer or response element was not usable (not an error code: a server simply
/// declines such an offer, RFC 7692 §7.1; a client maps any of these to bad_deflate_response).
enum class deflate_param_issue : std::uint8_t {
  none,
  unknown_parameter,    ///< a parameter RFC 7692 does not define (for this direction)
  duplicate_parameter,  ///< the same parameter twice
  invalid_value,        ///< a value where none is allowed, none where one is required, or not 8..15
  unsupported,          ///< valid, but not a configuration this endpoint can honour
};

/// The parameters of one permessage-deflate element, checked for syntax (RFC 7692 §7.1).
struct deflate_element {
  deflate_param_issue issue = deflate_param_issue::none;
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  /// 0 when absent, else 8..15.
  std::uint8_t server_max_window_bits = 0;
  /// Present without a value (client offers only): client_max_window_bits_flag.
  bool client_max_window_bits_flag = false;
  /// 0 when absent or without a value, else 8..15.
  std::uint8_t client_max_window_bits = 0;
};

namespace detail {

/// RFC 7692 §7.1.2.1/§7.1.2.2: "a decimal integer value without leading zeroes between 8 to 15,
/// inclusive" (a quoted-string value is given already unquoted by the handshake). 0 if not.
constexpr std::uint8_t window_bits_value(std::string_view v) noexcept {
  if (v.size() == 1 && v[0] >= '8' && v[0] <= '9') return static_cast<std::uint8_t>(v[0] - '0');
  if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5')
    return static_cast<std::uint8_t>(10 + (v[1] - '0'));
  return 0;
}

}  // namespace detail

/// Reads one permessage-deflate element's parameters (`e.name` is not checked). `offer`: from a
/// client's offer (client_max_window_bits may come without a value) or a server's response (it
/// must have one, RFC 7692 §7.1.2.2). The first problem found is in `issue`.
constexpr deflate_element parse_deflate_element(const extension& e, bool offer) noexcept {
  deflate_element d;
  bool seen[4] = {false, false, false, false};
  const auto problem = [&](deflate_param_issue i) {
    d.issue = i;
    return d;
  };
  for (const extension_param& p : e.params) {
    int which = -1;
    if (p.name == "server_no_context_takeover") which = 0;
    if (p.name == "client_no_context_takeover") which = 1;
    if (p.name == "server_max_window_bits") which = 2;
    if (p.name == "client_max_window_bits") which = 3;
    // RFC 7692 §7.1: a parameter not defined for use in an offer / a response.
    if (which < 0) return problem(deflate_param_issue::unknown_parameter);
    // RFC 7692 §7.1: "multiple extension parameters with the same name".
    if (seen[which]) return problem(deflate_param_issue::duplicate_parameter);
    seen[which] = true;
    switch (which) {
      case 0:
      case 1:
        // RFC 7692 §7.1.1.1/§7.1.1.2: these parameters have no value.
        if (p.value) return problem(deflate_param_issue::invalid_value);
        (which == 0 ? d.server_no_context_takeover : d.client_no_context_takeover) = true;
        break;
      case 2:
        // RFC 7692 §7.1.2.1: server_max_window_bits always has a value, 8..15.
        if (!p.value || (d.server_max_window_bits = detail::window_bits_value(*p.value)) == 0)
          return problem(deflate_param_issue::invalid_value);
        break;
      default:
        // RFC 7692 §7.1.2.2: in an offer the value may be omitted; a response must give one.
        if (!p.value) {
          if (!offer) return problem(deflate_param_issue::invalid_value);
          d.client_max_window_bits_flag = true;
        } else if ((d.client_max_window_bits = detail::window_bits_value(*p.value)) == 0) {
          return problem(deflate_param_issue::invalid_value);
        }
        break;
    }
  }
  return d;
}

// ------------------------------------------------------------------------------------------------
// Server role
// ------------------------------------------------------------------------------------------------

/// What a server accepts. Windows are clamped to 9..15 (the 8-bit rule above).
struct deflate_policy {
  /// false: never negotiate (the offers are ignored, no Sec-WebSocket-Extensions for it).
  bool enabled = true;
  /// The largest window this server compresses with; sent as server_max_window_bits when < 15
  /// (RFC 7692 §7.1.2.1: a server may include it even if not offered).
  std::uint8_t server_max_window_bits = 15;
  /// The largest window the client may compress with (bounds this server's inflate memory).
  /// Only enforceable when the client's offer has client_max_window_bits (RFC 7692 §7.1.2.2: a
  /// server MUST NOT send it otherwise); such an offer is then still accepted with window 15
  /// unless `require_client_window` is set, in which case it is declined.
  std::uint8_t client_max_window_bits = 15;
  bool require_client_window = false;
  /// Reset this server's compressor after each message (saves the window between messages).
  bool server_no_context_takeover = false;
  /// Ask the client to reset its compressor after each message (RFC 7692 §7.1.1.2: a server may
  /// include it even if not offered).
  bool client_no_context_takeover = false;
};

/// The server's answer: whether an offer was accepted, the agreed parameters, and the
/// Sec-WebSocket-Extensions element to send (held inside: copy the object, not just the view).
struct deflate_answer {
  bool accepted = false;
  deflate_params params{};
  /// Which offer (index among the permessage-deflate elements, in the client's order) won.
  std::size_t offer_index = 0;

  /// "permessage-deflate; ..." for accept_options::extensions (empty when not accepted).
  std::string_view response() const noexcept { return {text_.data(), size_}; }

  // The longest response: every parameter, two-digit windows (106 bytes).
  std::array<char, 128> text_{};
  std::size_t size_ = 0;
  void append(std::string_view s) noexcept {
    for (char c : s)
      text_[size_++] = c;
  }
  void append_bits(std::uint8_t bits) noexcept {
    if (bits >= 10) text_[size_++] = '1';
    text_[size_++] = static_cast<char>('0' + bits % 10);
  }
};

/// Answers one offer under `policy`: nullopt if the offer is unacceptable (RFC 7692 §7.1: invalid
/// or duplicate parameters, or a configuration this server does not support).
inline std::optional<deflate_params> answer_deflate_offer(const deflate_element& o,
                                                          const deflate_policy& policy) noexcept {
  if (o.issue != deflate_param_issue::none) return std::nullopt;
  const auto clamp = [](std::uint8_t b) {
    return std::clamp<std::uint8_t>(b, min_deflate_window_bits, 15);
  };
  deflate_params p;
  // RFC 7692 §7.1.2.1: accepting server_max_window_bits=N means compressing with at most N; zlib
  // cannot do 8, so such an offer is unsupported.
  p.server_max_window_bits = clamp(policy.server_max_window_bits);
  if (o.server_max_window_bits != 0) {
    if (o.server_max_window_bits < min_deflate_window_bits) return std::nullopt;
    p.server_max_window_bits = std::min(p.server_max_window_bits, o.server_max_window_bits);
  }
  // RFC 7692 §7.1.1.1: the client asked (or this server chooses) to reset the server's context.
  p.server_no_context_takeover = o.server_no_context_takeover || policy.server_no_context_takeover;
  p.client_no_context_takeover = o.client_no_context_takeover || policy.client_no_context_takeover;
  // RFC 7692 §7.1.2.2: without client_max_window_bits in the offer, the client may use 15.
  if (o.client_max_window_bits_flag || o.client_max_window_bits != 0) {
    p.client_max_window_bits = clamp(policy.client_max_window_bits);
    if (o.client_max_window_bits != 0)
      p.client_max_window_bits = std::min(p.client_max_window_bits, o.client_max_window_bits);
  } else if (policy.require_client_window && clamp(policy.client_max_window_bits) < 15) {
    return std::nullopt;
  }
  return p;
}

/// Picks the first acceptable permessage-deflate offer among `offers` (the client's
/// Sec-WebSocket-Extensions, in its order of preference: RFC 7692 §5) and builds the response.
/// Offers with invalid or duplicate parameters are skipped, never a handshake error (RFC 7692
/// §7.1: the server "MUST decline" that offer). Not accepted when the policy is disabled or no
/// offer fits.
inline deflate_answer negotiate_deflate(std::span<const extension> offers,
                                        const deflate_policy& policy) noexcept {
  deflate_answer a;
  if (!policy.enabled) return a;
  std::size_t index = 0;
  for (const extension& e : offers) {
    if (e.name != permessage_deflate) continue;
    const deflate_element o = parse_deflate_element(e, true);
    const std::optional<deflate_params> p = answer_deflate_offer(o, policy);
    if (!p) {
      ++index;
      continue;
    }
    a.accepted = true;
    a.params = *p;
    a.offer_index = index;
    a.append(permessage_deflate);
    if (p->server_no_context_takeover) a.append("; server_no_context_takeover");
    if (p->client_no_context_takeover) a.append("; client_no_context_takeover");
    // RFC 7692 §7.1.2.1: answer with the window when one was offered or ours is smaller.
    if (o.server_max_window_bits != 0 || p->server_max_window_bits < 15) {
      a.append("; server_max_window_bits=");
      a.append_bits(p->server_max_window_bits);
    }
    // RFC 7692 §7.1.2.2: only when offered; a value the client offered need not be repeated.
    if ((o.client_max_window_bits_flag || o.client_max_window_bits != 0) &&
        p->client_max_window_bits < 15 && p->client_max_window_bits != o.client_max_window_bits) {
      a.append("; client_max_window_bits=");
      a.append_bits(p->client_max_window_bits);
    }
    return a;
  }
  return a;
}

// ------------------------------------------------------------------------------------------------
// Client role
// ------------------------------------------------------------------------------------------------

/// What a client offers (one permessage-deflate element). Windows are clamped to 9..15.
struct deflate_offer_options {
  /// The largest window this client compresses with: 15 offers client_max_window_bits without a
  /// value ("I support the parameter", RFC 7692 §7.1.2.2), less offers the value.
  std::uint8_t client_max_window_bits = 15;
  /// Ask the server for at most this window (0: do not ask). Bounds this client's inflate memory.
  std::uint8_t server_max_window_bits = 0;
  bool client_no_context_takeover = false;
  bool server_no_context_takeover = false;
};

/// A client's offer: the element text for request_options::extensions, and what was offered
/// (for accept_deflate_response). Self-contained: copy the object, not just the view.
struct deflate_offer {
  deflate_offer_options offered{};
  std::string_view text() const noexcept { return answer_.response(); }
  deflate_answer answer_{};  // reuses its text buffer
};

inline deflate_offer make_deflate_offer(const deflate_offer_options& opts) noexcept {
  deflate_offer o;
  o.offered = opts;
  o.offered.client_max_window_bits =
      std::clamp<std::uint8_t>(opts.client_max_window_bits, min_deflate_window_bits, 15);
  if (opts.server_max_window_bits != 0)
    o.offered.server_max_window_bits =
        std::clamp<std::uint8_t>(opts.server_max_window_bits, min_deflate_window_bits, 15);
  deflate_answer& t = o.answer_;
  t.append(permessage_deflate);
  if (opts.server_no_context_takeover) t.append("; server_no_context_takeover");
  if (opts.client_no_context_takeover) t.append("; client_no_context_takeover");
  if (o.offered.server_max_window_bits != 0) {
    t.append("; server_max_window_bits=");
    t.append_bits(o.offered.server_max_window_bits);
  }
  t.append("; client_max_window_bits");
  if (o.offered.client_max_window_bits < 15) {
    t.append("=");
    t.append_bits(o.offered.client_max_window_bits);
  }
  return o;
}

/// Checks the server's accepted extensions (client_handshake::extensions()) against `offer`
/// (RFC 7692 §7.1). No permessage-deflate element: {} with `compressed` false (the server
/// declined; messages go uncompressed). A valid one: {} with `compressed` true and `params`
/// set. handshake_error::bad_deflate_response — _Fail the WebSocket Connection_ — when the
/// element has an unknown, duplicate or invalid parameter, appears twice, names a window larger
/// than offered, client_max_window_bits that was not offered, or asks this client to compress
/// with a window of 8 (which zlib cannot).
inline std::error_code accept_deflate_response(std::span<const extension> accepted,
                                               const deflate_offer& offer, deflate_params& params,
                                               bool& compressed) noexcept {
  compressed = false;
  const deflate_offer_options& o = offer.offered;
  for (const extension& e : accepted) {
    if (e.name != permessage_deflate) continue;
    // RFC 7692 §5 / RFC 6455 §9.1: one element per accepted extension.
    if (compressed) return handshake_error::bad_deflate_response;
    const deflate_element r = parse_deflate_element(e, false);
    if (r.issue != deflate_param_issue::none) return handshake_error::bad_deflate_response;
    deflate_params p;
    p.server_no_context_takeover = r.server_no_context_takeover;
    // RFC 7692 §7.1.1.2: the server may ask for it even if not offered.
    p.client_no_context_takeover = r.client_no_context_takeover || o.client_no_context_takeover;
    if (o.server_no_context_takeover && !r.server_no_context_takeover)
      return handshake_error::bad_deflate_response;  // §7.1.1.1: accepted only by echoing it
    // RFC 7692 §7.1.2.1: no larger than offered.
    if (r.server_max_window_bits != 0) {
      if (o.server_max_window_bits != 0 && r.server_max_window_bits > o.server_max_window_bits)
        return handshake_error::bad_deflate_response;
      p.server_max_window_bits = r.server_max_window_bits;
    } else if (o.server_max_window_bits != 0) {
      // §7.1.2.1: accepting an offer with server_max_window_bits means answering with it.
      return handshake_error::bad_deflate_response;
    }
    // RFC 7692 §7.1.2.2: every offer has client_max_window_bits (make_deflate_offer); the answer
    // may lower it, never raise it; 8 cannot be honoured by zlib (unsupported configuration).
    p.client_max_window_bits = o.client_max_window_bits;
    if (r.client_max_window_bits != 0) {
      if (r.client_max_window_bits > o.client_max_window_bits ||
          r.client_max_window_bits < min_deflate_window_bits)
        return handshake_error::bad_deflate_response;
      p.client_max_window_bits = r.client_max_window_bits;
    }
    params = p;
    compressed = true;
  }
  return {};
}

}  // namespace rtwire::ws
