// rtwire — one TURN allocation's state (RFC 8656 §2.2, §9, §12): its relay, lifetime,
// permissions and channel bindings. Internal to turn::server; public for inspection in tests.
//
//   const rtwire::turn::allocation* a = server_of().find_allocation(alice);
//   if (a != nullptr && a->has_permission(peer, now)) { /* the peer may send to the client */ }
//
// Tables are small vectors scanned linearly: they are bounded by limits::max_permissions and
// limits::max_channels (64 each by default), where a scan beats a hash.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rtwire/stun/attributes.hpp"
#include "rtwire/stun/integrity.hpp"
#include "rtwire/turn/types.hpp"

namespace rtwire::turn {

/// RFC 8656 §9: a permission is for an IP address (the port is ignored).
struct permission {
  stun::address ip{};
  millis expires{};
};

/// RFC 8656 §12: a channel binding. After it expires, its number and its peer stay reserved for
/// `channel_cooldown` (§12.2: not rebindable to another peer or number for 5 minutes).
struct channel {
  std::uint16_t number = 0;
  stun::address peer{};
  millis expires{};
};

inline constexpr std::chrono::seconds channel_cooldown{300};

inline bool same_ip(const stun::address& a, const stun::address& b) noexcept {
  return a.family == b.family && std::equal(a.ip().begin(), a.ip().end(), b.ip().begin());
}

struct allocation {
  std::uint64_t token = 0;
  turn::client client{};
  std::string user;
  stun::key key;
  stun::family family = stun::family::ipv4;
  /// False until on_relay_opened(): the Allocate is still unanswered.
  bool open = false;
  stun::address relay{};
  millis expires{};
  std::chrono::seconds lifetime{};
  /// The Allocate's transaction ID and success response (RFC 8656 §7.2: a retransmission gets
  /// the same answer), and whether the request carried FINGERPRINT.
  std::array<std::byte, stun::transaction_id_size> transaction{};
  std::vector<std::byte> response;
  bool fingerprint = false;
  /// EVEN-PORT with the R bit: the port after the relay is reserved (RFC 8656 §7.2 step 6).
  bool reserve_next = false;
  std::vector<permission> permissions;
  std::vector<channel> channels;
  // limits::max_bytes_per_second: bytes relayed in the current one-second window.
  millis window_start{};
  std::size_t window_bytes = 0;

  bool has_permission(const stun::address& peer, millis now) const noexcept {
    for (const permission& p : permissions)
      if (same_ip(p.ip, peer)) return now < p.expires;
    return false;
  }
  /// The active binding of `number`, or nullptr.
  const channel* channel_by_number(std::uint16_t number, millis now) const noexcept {
    for (const channel& c : channels)
      if (c.number == number) return now < c.expires ? &c : nullptr;
    return nullptr;
  }
  /// The active binding to `peer` (address and port), or nullptr.
  const channel* channel_by_peer(const stun::address& peer, millis now) const noexcept {
    for (const channel& c : channels)
      if (c.peer == peer) return now < c.expires ? &c : nullptr;
    return nullptr;
  }
  /// True when `n` more bytes fit this second's budget (and counts them); `limit` 0: no limit.
  bool spend(std::size_t n, std::size_t limit, millis now) noexcept {
    if (limit == 0) return true;
    if (now - window_start >= std::chrono::seconds(1)) {
      window_start = now;
      window_bytes = 0;
    }
    if (window_bytes + n > limit) return false;
    window_bytes += n;
    return true;
  }
  /// The earliest time after `now` something in this allocation changes (after prune(now)).
  millis earliest(millis now) const noexcept {
    millis t = expires;
    for (const permission& p : permissions)
      t = std::min(t, p.expires);
    for (const channel& c : channels)
      t = std::min(t, c.expires > now ? c.expires : c.expires + channel_cooldown);
    return t;
  }
  /// Drops expired permissions and channel bindings past their cooldown.
  void prune(millis now) {
    std::erase_if(permissions, [&](const permission& p) { return p.expires <= now; });
    std::erase_if(channels, [&](const channel& c) { return c.expires + channel_cooldown <= now; });
  }
};

}  // namespace rtwire::turn
