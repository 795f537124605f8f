// rtwire — internal: the TURN server's request handlers: long-term credentials (RFC 8489
// §9.2.4), Allocate (RFC 8656 §7.2), Refresh (§8.2), CreatePermission (§10.2) and ChannelBind
// (§12.2), with their answers. Nothing here is public API: turn::server inherits privately.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "rtwire/stun/attributes.hpp"
#include "rtwire/stun/integrity.hpp"
#include "rtwire/stun/message.hpp"
#include "rtwire/stun/writer.hpp"
#include "rtwire/turn/allocation.hpp"
#include "rtwire/turn/detail/server_state.hpp"
#include "rtwire/turn/protocol.hpp"
#include "rtwire/turn/types.hpp"

namespace rtwire::turn::detail {

class server_requests : public server_state {
 public:
  using server_state::server_state;

  // ---- long-term credentials (RFC 8489 §9.2.4) -----------------------------------------------

  auth authenticate(const client& c, const stun::message_view& m, bytes_view in, bool fp,
                    const stun::key*& k, std::string_view& user) {
    // §9.2.4 1: no integrity at all: 401 with REALM and NONCE, no integrity in the answer.
    if (!m.has(stun::attr::message_integrity) && !m.has(stun::attr::message_integrity_sha256)) {
      challenge(c, m, code::unauthenticated, fp);
      return auth::answered;
    }
    const auto u = stun::username(m);
    const auto r = stun::realm(m);
    const auto n = stun::nonce(m);
    // §9.2.4 2: integrity without USERNAME, REALM or NONCE: 400.
    if (!u || !r || !n) {
      error_response(c, m, code::bad_request, nullptr, fp);
      return auth::answered;
    }
    // §9.2.4 3: a nonce that is no longer valid: 438 with a new one.
    if (check_nonce(*n, c) != nonce_state::valid) {
      challenge(c, m, code::stale_nonce, fp);
      return auth::answered;
    }
    if (*r != opts_.realm) {
      challenge(c, m, code::unauthenticated, fp);
      return auth::answered;
    }
    user = *u;
    if (answering_) {
      k = answer_;  // on_credentials(): nullptr for an unknown user
    } else if (const allocation* a = find_allocation(c); a != nullptr && a->user == user) {
      k = &a->key;
    } else if (auto it = keys_.find(user); it != keys_.end() && now_ < it->second.expires) {
      k = &it->second.key;
    } else {
      park(c, user, in);
      return auth::answered;
    }
    // §9.2.4 4-5: unknown user or integrity mismatch: 401.
    if (k == nullptr || stun::verify_integrity(m, *k) != stun::check::ok) {
      challenge(c, m, code::unauthenticated, fp);
      return auth::answered;
    }
    return auth::ok;
  }

  /// Keeps a request until on_credentials() and asks for the user's key.
  void park(const client& c, std::string_view user, bytes_view in) {
    if (waiting_.size() >= opts_.limits.max_pending_credentials) {
      ++counters_.dropped_pending_full;  // the client retransmits
      return;
    }
    const std::uint64_t token = next_token_++;
    waiting_request& w = waiting_[token];
    w.from = c;
    w.user.assign(user);
    w.bytes.assign(in.begin(), in.end());
    queue_.push_back({need_credentials{w.user, opts_.realm, token}, 0, 0});
  }

  // ---- responses -----------------------------------------------------------------------------

  /// Writes an answer to `m`; `fill(writer&)` adds the attributes. Integrity under `k` when
  /// given, FINGERPRINT when the request had one.
  template <class Fill>
  void respond(const client& c, std::uint16_t method, bytes_view tid, stun::message_class cls,
               const stun::key* k, bool fp, Fill&& fill) {
    std::byte* p = reserve(max_response_bytes);
    stun::writer w(mutable_bytes_view(p, max_response_bytes), stun::message_type(cls, method), tid);
    fill(w);
    if (!opts_.software.empty()) w.add_text(stun::attr::software, opts_.software);
    const auto n = w.seal(k, fp);
    if (!n) {
      arena_.resize(pending_start_);  // only an over-long SOFTWARE can do this
      return;
    }
    ++(cls == stun::message_class::success_response ? counters_.success_responses
                                                    : counters_.error_responses);
    commit(c, n.value);
  }

  void error_response(const client& c, std::uint16_t method, bytes_view tid, int code,
                      const stun::key* k, bool fp, std::span<const std::uint16_t> unknown = {}) {
    respond(c, method, tid, stun::message_class::error_response, k, fp, [&](stun::writer& w) {
      w.add_error_code(code, reason_phrase(code));
      if (!unknown.empty()) w.add_unknown_attributes(unknown);
    });
  }
  void error_response(const client& c, const stun::message_view& m, int code, const stun::key* k,
                      bool fp, std::span<const std::uint16_t> unknown = {}) {
    error_response(c, m.method(), m.transaction_id(), code, k, fp, unknown);
  }

  /// 401 / 438 with REALM and a fresh NONCE (RFC 8489 §9.2.4), without integrity.
  void challenge(const client& c, const stun::message_view& m, int code, bool fp) {
    const std::string nonce = make_nonce(c, now_);
    respond(c, m.method(), m.transaction_id(), stun::message_class::error_response, nullptr, fp,
            [&](stun::writer& w) {
              w.add_error_code(code, reason_phrase(code));
              w.add_text(stun::attr::realm, opts_.realm);
              w.add_text(stun::attr::nonce, nonce);
            });
  }

  /// RFC 8489 §6.3.1.1: unknown comprehension-required attributes get 420 listing them.
  bool reject_unknown(const client& c, const stun::message_view& m, const stun::key& k, bool fp) {
    std::array<std::uint16_t, stun::message_view::max_unknown> list{};
    std::size_t n = 0;
    for (const std::uint16_t t : m.unknown_required()) {
      // RFC 8656 §7.2 step 4: DONT-FRAGMENT is unknown unless the server supports it.
      if (understood(t) || (t == attr::dont_fragment && opts_.dont_fragment)) continue;
      list[n++] = t;
    }
    if (n == 0) return false;
    error_response(c, m, code::unknown_attribute, &k, fp, std::span(list.data(), n));
    return true;
  }

  /// LIFETIME (RFC 8656 §7.2 / §8): min(requested, max), no less than the default; 0 stays 0.
  /// nullopt when the attribute is malformed.
  std::optional<std::chrono::seconds> desired_lifetime(const stun::message_view& m) const {
    const auto l = m.find(attr::lifetime);
    if (!l) return opts_.default_lifetime;
    if (l->value.size() != 4) return std::nullopt;
    const std::chrono::seconds asked{detail::u32(l->value)};
    if (asked.count() == 0) return asked;
    return std::max(std::min(asked, opts_.max_lifetime), opts_.default_lifetime);
  }

  // ---- Allocate (RFC 8656 §7.2) --------------------------------------------------------------

  void allocate(const client& c, const stun::message_view& m, const stun::key& k,
                std::string_view user, bool fp) {
    const bytes_view tid = m.transaction_id();
    // Step 2: the 5-tuple is in use. A retransmission of the request that made the allocation
    // gets its answer again (RFC 8489 §6.3.4 / RFC 8656 §7.2); anything else gets 437.
    if (const auto it = by_client_.find(c); it != by_client_.end()) {
      const allocation& a = allocs_.at(it->second);
      if (std::equal(tid.begin(), tid.end(), a.transaction.begin())) {
        if (a.open) {
          std::byte* p = reserve(a.response.size());
          std::memcpy(p, a.response.data(), a.response.size());
          commit(c, a.response.size());
        }
        return;  // still opening its relay: the answer is coming
      }
      error_response(c, m, code::allocation_mismatch, &k, fp);
      return;
    }
    // Step 3: REQUESTED-TRANSPORT is required; only UDP (17) is relayed here.
    const auto rt = m.find(attr::requested_transport);
    if (!rt || rt->value.size() != 4) return error_response(c, m, code::bad_request, &k, fp);
    if (std::to_integer<std::uint8_t>(rt->value[0]) != protocol_udp)
      return error_response(c, m, code::unsupported_transport_protocol, &k, fp);
    // Step 4 (and RFC 8489 §6.3.1.1): DONT-FRAGMENT and other unknown attributes.
    if (reject_unknown(c, m, k, fp)) return;
    // Steps 5-6: RESERVATION-TOKEN names a port reserved by an earlier EVEN-PORT with the R
    // bit (an unknown or expired token: 508); with EVEN-PORT or REQUESTED-ADDRESS-FAMILY: 400.
    const auto even = m.find(attr::even_port);
    const auto rtok = m.find(attr::reservation_token);
    if (rtok && (even || m.has(attr::requested_address_family) || rtok->value.size() != 8))
      return error_response(c, m, code::bad_request, &k, fp);
    if (even && even->value.size() != 1) return error_response(c, m, code::bad_request, &k, fp);
    std::optional<stun::address> reserved;
    if (rtok) {
      std::uint64_t key = 0;
      std::memcpy(&key, rtok->value.data(), 8);
      const auto r = reservations_.find(key);
      if (r == reservations_.end() || r->second.expires <= now_)
        return error_response(c, m, code::insufficient_capacity, &k, fp);
      reserved = r->second.relay;
    }
    // Step 7: REQUESTED-ADDRESS-FAMILY, IPv4 by default.
    stun::family fam = stun::family::ipv4;
    if (const auto f = m.find(attr::requested_address_family)) {
      if (f->value.size() != 4) return error_response(c, m, code::bad_request, &k, fp);
      const unsigned v = std::to_integer<unsigned>(f->value[0]);
      if (v != 0x01 && v != 0x02)
        return error_response(c, m, code::address_family_not_supported, &k, fp);
      fam = v == 0x01 ? stun::family::ipv4 : stun::family::ipv6;
    }
    if (reserved) fam = reserved->family;
    if ((fam == stun::family::ipv4 && !opts_.ipv4_relays) ||
        (fam == stun::family::ipv6 && !opts_.ipv6_relays))
      return error_response(c, m, code::address_family_not_supported, &k, fp);
    const auto lifetime = desired_lifetime(m);
    if (!lifetime) return error_response(c, m, code::bad_request, &k, fp);
    // Step 8: the user's quota (486); step 9: the server's capacity (508).
    const auto pu = per_user_.find(user);
    if (pu != per_user_.end() && pu->second >= opts_.limits.max_allocations_per_user)
      return error_response(c, m, code::allocation_quota_reached, &k, fp);
    if (allocs_.size() >= opts_.limits.max_allocations)
      return error_response(c, m, code::insufficient_capacity, &k, fp);
    const std::uint64_t token = next_token_++;
    allocation& a = allocs_[token];
    a.token = token;
    a.client = c;
    a.user.assign(user);
    a.key = k;
    a.family = fam;
    a.lifetime = lifetime->count() == 0 ? opts_.default_lifetime : *lifetime;
    std::copy(tid.begin(), tid.end(), a.transaction.begin());
    a.fingerprint = fp;
    by_client_[c] = token;
    ++per_user_[a.user];
    if (reserved) {
      // Step 5: the reserved socket becomes this allocation's relay; nothing to open.
      std::uint64_t key = 0;
      std::memcpy(&key, rtok->value.data(), 8);
      reservations_.erase(key);
      (void)finish_allocate(a, *reserved);
      return;
    }
    // Step 6: EVEN-PORT asks for an even relay port; with its R bit (0x80) the caller also
    // binds port + 1, reserved for a later Allocate with the RESERVATION-TOKEN.
    a.reserve_next = even && (std::to_integer<unsigned>(even->value[0]) & 0x80u) != 0;
    queue_.push_back({open_relay{token, fam, even.has_value(), a.reserve_next, c, a.user}, 0, 0});
  }

  /// The open allocation of `c` made by `user`, or nullptr after answering 437 / 441.
  allocation* owned(const client& c, const stun::message_view& m, const stun::key& k,
                    std::string_view user, bool fp) {
    const auto it = by_client_.find(c);
    // RFC 8656 §5: a request on a 5-tuple without an allocation gets 437.
    if (it == by_client_.end() || !allocs_.at(it->second).open) {
      error_response(c, m, code::allocation_mismatch, &k, fp);
      return nullptr;
    }
    allocation& a = allocs_.at(it->second);
    // §5: other credentials than the allocation's: 441.
    if (a.user != user) {
      error_response(c, m, code::wrong_credentials, &k, fp);
      return nullptr;
    }
    return &a;
  }

  // ---- Refresh (RFC 8656 §8.2) ---------------------------------------------------------------

  void refresh(const client& c, const stun::message_view& m, const stun::key& k,
               std::string_view user, bool fp) {
    allocation* a = owned(c, m, k, user, fp);
    if (a == nullptr) return;
    if (const auto f = m.find(attr::requested_address_family)) {
      if (f->value.size() != 4) return error_response(c, m, code::bad_request, &k, fp);
      const unsigned v = std::to_integer<unsigned>(f->value[0]);
      if (v != static_cast<unsigned>(a->family))
        return error_response(c, m, code::peer_address_family_mismatch, &k, fp);
    }
    if (reject_unknown(c, m, k, fp)) return;
    const auto lifetime = desired_lifetime(m);
    if (!lifetime) return error_response(c, m, code::bad_request, &k, fp);
    const stun::key key = a->key;  // the allocation may go below
    respond(c, m.method(), m.transaction_id(), stun::message_class::success_response, &key, fp,
            [&](stun::writer& w) {
              w.add_u32(attr::lifetime, static_cast<std::uint32_t>(lifetime->count()));
            });
    // "desired lifetime" zero deletes the allocation.
    if (lifetime->count() == 0) {
      remove(a->token);
      return;
    }
    a->expires = now_ + *lifetime;
    a->lifetime = *lifetime;
  }

  /// Every XOR-PEER-ADDRESS of `m` (at most `out.size()`); nullopt when one is malformed.
  static std::optional<std::size_t> peer_addresses(const stun::message_view& m,
                                                   std::span<stun::address> out) {
    std::size_t n = 0;
    for (const stun::attribute a : m.attributes()) {
      if (a.type != attr::xor_peer_address) continue;
      if (!valid_address_value(a.value) || n == out.size()) return std::nullopt;
      out[n++] = stun::decode_xor_address(a, m);
    }
    return n;
  }

  /// Installs or refreshes the permission for `peer`'s IP (RFC 8656 §9).
  void permit(allocation& a, stun::address peer) {
    peer.port = 0;
    const millis expires = now_ + opts_.permission_lifetime;
    lower_deadline(expires);
    for (permission& p : a.permissions) {
      if (same_ip(p.ip, peer)) {
        p.expires = expires;
        return;
      }
    }
    a.permissions.push_back({peer, expires});
  }

  // ---- CreatePermission (RFC 8656 §10.2) -----------------------------------------------------

  void create_permission(const client& c, const stun::message_view& m, const stun::key& k,
                         std::string_view user, bool fp) {
    allocation* a = owned(c, m, k, user, fp);
    if (a == nullptr) return;
    if (reject_unknown(c, m, k, fp)) return;
    std::array<stun::address, stun::message_view::capacity> peers{};
    const auto n = peer_addresses(m, peers);
    // §10.2: at least one XOR-PEER-ADDRESS.
    if (!n || *n == 0) return error_response(c, m, code::bad_request, &k, fp);
    const std::span<const stun::address> list(peers.data(), *n);
    // §21.2.2 (issue #17): the peer policy first, so a denied address gets 403 whatever its
    // family; then §10.2: a family other than the relay's is 443.
    for (const stun::address& p : list)
      if (!opts_.policy.permits(p)) return error_response(c, m, code::forbidden, &k, fp);
    for (const stun::address& p : list)
      if (p.family != a->family)
        return error_response(c, m, code::peer_address_family_mismatch, &k, fp);
    std::size_t added = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      bool known = false;  // an entry (live or not) exists, or the list repeats the IP
      for (const permission& q : a->permissions)
        known = known || same_ip(q.ip, list[i]);
      for (std::size_t j = 0; j < i && !known; ++j)
        known = same_ip(list[j], list[i]);
      added += known ? 0 : 1;
    }
    if (a->permissions.size() + added > opts_.limits.max_permissions)
      return error_response(c, m, code::insufficient_capacity, &k, fp);
    for (const stun::address& p : list)
      permit(*a, p);
    respond(c, m.method(), m.transaction_id(), stun::message_class::success_response, &a->key, fp,
            [](stun::writer&) {});
  }

  // ---- ChannelBind (RFC 8656 §12.2) ----------------------------------------------------------

  void channel_bind(const client& c, const stun::message_view& m, const stun::key& k,
                    std::string_view user, bool fp) {
    allocation* a = owned(c, m, k, user, fp);
    if (a == nullptr) return;
    if (reject_unknown(c, m, k, fp)) return;
    const auto cn = m.find(attr::channel_number);
    std::array<stun::address, 1> peer{};
    const auto n = peer_addresses(m, peer);
    // §12.2: CHANNEL-NUMBER and exactly one XOR-PEER-ADDRESS.
    if (!cn || cn->value.size() != 4 || !n || *n != 1)
      return error_response(c, m, code::bad_request, &k, fp);
    const std::uint16_t number = stun::detail::load16(cn->value.data());
    // §12: 0x4000-0x4FFF (0x7FFF with legacy_channel_range, RFC 5766 §11).
    if (number < min_channel ||
        number > (opts_.legacy_channel_range ? max_legacy_channel : max_channel))
      return error_response(c, m, code::bad_request, &k, fp);
    if (!opts_.policy.permits(peer[0])) return error_response(c, m, code::forbidden, &k, fp);
    if (peer[0].family != a->family)
      return error_response(c, m, code::peer_address_family_mismatch, &k, fp);
    // §12.2: the number bound to another peer, or the peer to another number (live or within
    // its 5-minute reservation): 400.
    channel* bound = nullptr;
    for (channel& ch : a->channels) {
      const bool same_number = ch.number == number;
      const bool same_peer = ch.peer == peer[0];
      if (same_number != same_peer) return error_response(c, m, code::bad_request, &k, fp);
      if (same_number) bound = &ch;
    }
    bool has_perm = false;
    for (const permission& p : a->permissions)
      has_perm = has_perm || same_ip(p.ip, peer[0]);
    if ((bound == nullptr && a->channels.size() >= opts_.limits.max_channels) ||
        (!has_perm && a->permissions.size() >= opts_.limits.max_permissions))
      return error_response(c, m, code::insufficient_capacity, &k, fp);
    const millis expires = now_ + opts_.channel_lifetime;
    if (bound != nullptr) {
      bound->expires = expires;
    } else {
      a->channels.push_back({number, peer[0], expires});
    }
    lower_deadline(expires);
    permit(*a, peer[0]);  // §12.2: the binding installs or refreshes the permission too
    respond(c, m.method(), m.transaction_id(), stun::message_class::success_response, &a->key, fp,
            [](stun::writer&) {});
  }
};

}  // namespace rtwire::turn::detail
