// rtwire — an ICE connectivity-check responder (RFC 8445 §7.3, short-term credentials per
// RFC 8489 §9.1).
//
//   rtwire::stun::ice_responder ice("localUfrag", "localPassword",
//                                   rtwire::stun::ice_role::controlled, tie_breaker);
//   std::array<std::byte, 576> out;
//   const rtwire::stun::ice_check c = ice.respond(datagram, source, out);
//   if (c.size != 0) socket.send_to(std::span(out).first(c.size), source);
//   if (c.outcome == rtwire::stun::ice_outcome::success && c.use_candidate) nominate(source);
//   if (c.role_switched) switch_role(ice.role());  // §7.3.1.1
//
// A check is a Binding request carrying USERNAME "LFRAG:RFRAG" (LFRAG this agent's ufrag),
// MESSAGE-INTEGRITY under this agent's password, PRIORITY, ICE-CONTROLLED or ICE-CONTROLLING and
// FINGERPRINT. Outcomes: success (XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT), 400 when
// USERNAME, MESSAGE-INTEGRITY or PRIORITY is missing (RFC 8489 §9.1.3, RFC 8445 §7.1.1), 401 when
// the username or the MAC is wrong, 420 for unknown comprehension-required attributes, 487 on a
// role conflict that this agent wins by the tie-breaker (§7.3.1.1) — or a role switch when it
// loses. A datagram that is malformed, not a request, or without a valid FINGERPRINT (ICE
// mandates it, RFC 8445 §7.2.2) is discarded silently. The agent's state is its role; nothing
// is kept per check.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "rtwire/core/bytes.hpp"
#include "rtwire/stun/attributes.hpp"
#include "rtwire/stun/integrity.hpp"
#include "rtwire/stun/message.hpp"
#include "rtwire/stun/writer.hpp"

namespace rtwire::stun {

enum class ice_role : std::uint8_t { controlling, controlled };

enum class ice_outcome : std::uint8_t {
  discarded,           ///< silently dropped (size 0)
  success,             ///< a success response was written
  bad_request,         ///< 400 written
  unauthorized,        ///< 401 written
  unknown_attributes,  ///< 420 written
  role_conflict,       ///< 487 written
};

/// The result of one connectivity check.
struct ice_check {
  ice_outcome outcome = ice_outcome::discarded;
  /// Response bytes written to `out` (0 when discarded).
  std::size_t size = 0;
  /// RFC 8445 §7.3.1.5: the controlling agent nominates this pair.
  bool use_candidate = false;
  /// RFC 8445 §7.3.1.3: the PRIORITY of the peer's would-be peer-reflexive candidate.
  std::uint32_t priority = 0;
  /// RFC 8445 §7.3.1.1: this agent changed role (role() tells the new one).
  bool role_switched = false;
  /// The peer's ufrag (after the colon of USERNAME); a view into the request's bytes, valid as
  /// long as they are.
  std::string_view remote_ufrag{};
};

class ice_responder {
 public:
  /// `local_ufrag` and `local_password` are copied. `tie_breaker` is this agent's random 64-bit
  /// tie-breaker (RFC 8445 §7.1.3; the caller draws it).
  ice_responder(std::string_view local_ufrag, std::string_view local_password, ice_role role,
                std::uint64_t tie_breaker)
      : ufrag_(local_ufrag),
        key_(stun::key::short_term(local_password)),
        role_(role),
        tie_breaker_(tie_breaker) {}

  ice_role role() const noexcept { return role_; }
  void set_role(ice_role r) noexcept { role_ = r; }
  std::uint64_t tie_breaker() const noexcept { return tie_breaker_; }
  const stun::key& key() const noexcept { return key_; }

  /// Answers one datagram from `source`; see the file comment for the outcomes. `out` must not
  /// overlap `datagram`.
  [[nodiscard]] ice_check respond(bytes_view datagram, const address& source,
                                  mutable_bytes_view out) noexcept {
    ice_check c;
    const auto r = parse(datagram);
    if (!r) return c;
    const message_view& m = r.value;
    if (m.cls() != message_class::request || !m.has_magic_cookie()) return c;
    // RFC 8445 §7.2.2 / RFC 8489 §7.3: FINGERPRINT is mandatory for ICE; without a valid one
    // the datagram may not be STUN at all.
    if (verify_fingerprint(m) != check::ok) return c;
    if (m.method() != method::binding) return answer_error(c, m, out, 400, "Bad Request", false);
    const auto user = username(m);
    // RFC 8489 §9.1.3: a request without MESSAGE-INTEGRITY or USERNAME gets 400.
    if (!user || !m.has(attr::message_integrity)) {
      return answer_error(c, m, out, 400, "Bad Request", false);
    }
    // RFC 8445 §7.3: USERNAME is "LFRAG:RFRAG" with LFRAG this agent's ufrag.
    const std::size_t colon = user->find(':');
    if (colon == std::string_view::npos || user->substr(0, colon) != ufrag_) {
      return answer_error(c, m, out, 401, "Unauthorized", false);
    }
    // RFC 8489 §9.1.3: MESSAGE-INTEGRITY under the short-term password, else 401.
    if (verify_integrity_sha1(m, key_) != check::ok) {
      return answer_error(c, m, out, 401, "Unauthorized", false);
    }
    c.remote_ufrag = user->substr(colon + 1);
    if (!m.unknown_required().empty()) {
      return answer_error(c, m, out, 420, "Unknown Attribute", true, m.unknown_required());
    }
    // RFC 8445 §7.1.1: a check carries PRIORITY.
    const auto prio = priority(m);
    if (!prio) return answer_error(c, m, out, 400, "Bad Request", true);
    c.priority = *prio;
    // RFC 8445 §7.3.1.1: role conflicts, settled by comparing tie-breakers.
    if (const auto theirs = ice_controlling(m); theirs && role_ == ice_role::controlling) {
      if (tie_breaker_ >= *theirs) return answer_error(c, m, out, 487, "Role Conflict", true);
      role_ = ice_role::controlled;
      c.role_switched = true;
    } else if (const auto their = ice_controlled(m); their && role_ == ice_role::controlled) {
      if (tie_breaker_ >= *their) {
        role_ = ice_role::controlling;
        c.role_switched = true;
      } else {
        return answer_error(c, m, out, 487, "Role Conflict", true);
      }
    }
    c.use_candidate = use_candidate(m);
    writer w(out, message_type(message_class::success_response, method::binding),
             m.transaction_id());
    w.add_xor_address(attr::xor_mapped_address, source);
    const auto n = w.seal(&key_, true);
    if (!n) return c;  // out too small: nothing to send
    c.outcome = ice_outcome::success;
    c.size = n.value;
    return c;
  }

 private:
  ice_check& answer_error(ice_check& c, const message_view& m, mutable_bytes_view out, int code,
                          std::string_view reason, bool authenticated,
                          std::span<const std::uint16_t> unknown = {}) noexcept {
    writer w(out, message_type(message_class::error_response, m.method()), m.transaction_id());
    w.add_error_code(code, reason);
    if (!unknown.empty()) w.add_unknown_attributes(unknown);
    // RFC 8489 §9.1.3: an error to an unauthenticated request carries no MESSAGE-INTEGRITY.
    const auto n = w.seal(authenticated ? &key_ : nullptr, true);
    if (!n) {
      c = ice_check{};
      return c;
    }
    c.size = n.value;
    c.outcome = code == 400   ? ice_outcome::bad_request
                : code == 401 ? ice_outcome::unauthorized
                : code == 420 ? ice_outcome::unknown_attributes
                              : ice_outcome::role_conflict;
    return c;
  }

  std::string ufrag_;
  stun::key key_;
  ice_role role_;
  std::uint64_t tie_breaker_;
};

}  // namespace rtwire::stun
