// rtwire — a STUN Binding responder (RFC 8489 §6.3, §7.3; RFC 3489 clients; RFC 5780 §7.2).
//
//   rtwire::stun::binding_responder responder;                  // one per server
//   std::array<std::byte, 576> out;
//   const std::size_t n = responder.respond(datagram, source, out);
//   if (n != 0) socket.send_to(std::span(out).first(n), source);  // else: silently discarded
//
// A Binding request gets a success response with XOR-MAPPED-ADDRESS (MAPPED-ADDRESS for an
// RFC 3489 request, which has no magic cookie), SOFTWARE only when configured, and FINGERPRINT
// exactly when the request carried one. Unknown comprehension-required attributes get a 420 with
// UNKNOWN-ATTRIBUTES (§6.3.1.1); CHANGE-REQUEST with no flag set is understood and ignored, with
// a flag set it is answered 420 (RFC 5780 §7.2: this server has no alternate address). A request
// for another method gets 400. Malformed datagrams, indications, responses and requests whose
// FINGERPRINT does not verify are discarded silently (§6.3) and counted. No state is kept per
// client, nothing allocates; one responder is not thread-safe (its counters), use one per thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rtwire/core/bytes.hpp"
#include "rtwire/stun/attributes.hpp"
#include "rtwire/stun/integrity.hpp"
#include "rtwire/stun/message.hpp"
#include "rtwire/stun/writer.hpp"

namespace rtwire::stun {

struct binding_options {
  /// SOFTWARE value for responses; empty (the default) sends none (RFC 8489 §16.1.2: it leaks
  /// the software's identity). A view: the characters must outlive the responder. At most 509
  /// bytes (RFC 8489 §14.14); a longer value makes every answer fail (counted as
  /// encode_failed), so check it when you read it from a configuration.
  std::string_view software{};
  /// Limits for parsing requests.
  stun::limits limits{};
};

/// What the responder did, for monitoring.
struct binding_counters {
  std::uint64_t success = 0;           ///< success responses written
  std::uint64_t error_responses = 0;   ///< 400 / 420 responses written
  std::uint64_t malformed = 0;         ///< discarded: parse() failed
  std::uint64_t not_request = 0;       ///< discarded: indications and responses
  std::uint64_t bad_fingerprint = 0;   ///< discarded: FINGERPRINT present and wrong
  std::uint64_t buffer_too_small = 0;  ///< discarded: the output buffer could not hold the answer
  std::uint64_t encode_failed =
      0;  ///< discarded: the answer could not be encoded (SOFTWARE too long)
};

class binding_responder {
 public:
  binding_responder() noexcept : binding_responder(binding_options{}) {}
  explicit binding_responder(binding_options o) noexcept : opts_(o) {}

  /// Answers one datagram received from `source`. Writes the response into `out` and returns its
  /// size, or returns 0 when the datagram is to be discarded silently. 576 bytes of `out` are
  /// always enough with the default options. `out` must not overlap `datagram` (the request's
  /// attributes are still read while the answer is written).
  [[nodiscard]] std::size_t respond(bytes_view datagram, const address& source,
                                    mutable_bytes_view out) noexcept {
    const auto r = parse(datagram, opts_.limits);
    if (!r) {
      ++counters_.malformed;
      return 0;
    }
    const message_view& m = r.value;
    // RFC 8489 §6.3: only requests are answered; indications and responses are not ours.
    if (m.cls() != message_class::request) {
      ++counters_.not_request;
      return 0;
    }
    // §7.3: a FINGERPRINT that does not verify means the datagram is not STUN: discard.
    const check fp = verify_fingerprint(m);
    if (fp == check::mismatch) {
      ++counters_.bad_fingerprint;
      return 0;
    }
    const bool fingerprint = fp == check::ok;
    if (m.method() != method::binding) {
      return answer_error(m, out, fingerprint, 400, "Bad Request", {});
    }
    // RFC 5780 §7.2: CHANGE-REQUEST is understood; with no flag it changes nothing. With a flag,
    // the request asks for an alternate address this server does not have: treat the attribute
    // as not understood.
    std::array<std::uint16_t, message_view::max_unknown + 1> unknown{};
    std::size_t n_unknown = 0;
    for (std::uint16_t t : m.unknown_required())
      unknown[n_unknown++] = t;
    if (const auto flags = change_request(m); flags && (*flags & (change_ip | change_port)) != 0)
      unknown[n_unknown++] = attr::change_request;
    if (n_unknown != 0) {
      return answer_error(m, out, fingerprint, 420, "Unknown Attribute",
                          std::span<const std::uint16_t>(unknown.data(), n_unknown));
    }
    writer w(out, message_type(message_class::success_response, method::binding),
             m.transaction_id());
    // RFC 8489 §12.1 (backwards compatibility): an RFC 3489 client understands only MAPPED-ADDRESS.
    if (m.has_magic_cookie()) {
      w.add_xor_address(attr::xor_mapped_address, source);
    } else {
      w.add_address(attr::mapped_address, source);
    }
    if (!opts_.software.empty()) w.add_text(attr::software, opts_.software);
    const auto n = w.seal(nullptr, fingerprint);
    if (!n) {
      ++(n.error == error::buffer_too_small ? counters_.buffer_too_small : counters_.encode_failed);
      return 0;
    }
    ++counters_.success;
    return n.value;
  }

  const binding_counters& counters() const noexcept { return counters_; }

 private:
  std::size_t answer_error(const message_view& m, mutable_bytes_view out, bool fingerprint,
                           int code, std::string_view reason,
                           std::span<const std::uint16_t> unknown) noexcept {
    writer w(out, message_type(message_class::error_response, m.method()), m.transaction_id());
    w.add_error_code(code, reason);
    if (!unknown.empty()) w.add_unknown_attributes(unknown);
    if (!opts_.software.empty()) w.add_text(attr::software, opts_.software);
    const auto n = w.seal(nullptr, fingerprint);
    if (!n) {
      ++(n.error == error::buffer_too_small ? counters_.buffer_too_small : counters_.encode_failed);
      return 0;
    }
    ++counters_.error_responses;
    return n.value;
  }

  binding_options opts_;
  binding_counters counters_{};
};

}  // namespace rtwire::stun
