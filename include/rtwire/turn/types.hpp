// rtwire — the TURN server's configuration, clients and outputs (turn/server.hpp uses them).
//
//   rtwire::turn::options o;
//   o.realm = "example.org";
//   o.limits.max_allocations = 1000;
//   o.legacy_channel_range = true;  // coturn's turnutils_uclient uses channels above 0x4FFF
//   use(o);
//
// Times are rtwire::turn::millis on the caller's monotonic clock (any epoch); durations are
// std::chrono::seconds. Views in outputs are valid until the next call into the server, except
// send_peer::payload, which points into the bytes given to the input that produced it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "rtwire/core/bytes.hpp"
#include "rtwire/stun/attributes.hpp"
#include "rtwire/turn/peer_policy.hpp"

namespace rtwire::turn {

/// The caller's monotonic time.
using millis = std::chrono::milliseconds;

/// Limits: every table the server keeps is bounded by one of these.
struct limits {
  std::size_t max_allocations = 10000;         ///< total; beyond: 508 (RFC 8656 §7.2 step 9)
  std::size_t max_allocations_per_user = 100;  ///< beyond: 486 (§7.2 step 8)
  std::size_t max_permissions = 64;            ///< per allocation; beyond: 508
  std::size_t max_channels = 64;               ///< per allocation; beyond: 508
  std::size_t max_tcp_clients = 10000;         ///< stream framers held; beyond: the stream fails
  std::size_t max_pending_credentials = 256;   ///< requests waiting for on_credentials; beyond:
                                               ///< dropped (the client retransmits)
  std::size_t max_cached_keys = 4096;          ///< keys remembered per username
  std::size_t max_message_bytes = 4096;        ///< a longer STUN request is dropped (not a Send)
  /// Relayed bytes per second per allocation, both ways; 0: unlimited. Excess is dropped.
  std::size_t max_bytes_per_second = 0;
};

struct options {
  /// REALM (RFC 8489 §14.9). A view: must outlive the server.
  std::string_view realm = "rtwire";
  /// SOFTWARE in responses; empty sends none. A view: must outlive the server.
  std::string_view software{};
  /// Relay address families this server can open (RFC 8656 §7.2: else 440).
  bool ipv4_relays = true;
  bool ipv6_relays = false;
  /// RFC 8656 §7.2 step 4: DONT-FRAGMENT is honoured (else answered 420).
  bool dont_fragment = false;
  /// Accept channel numbers up to 0x7FFF (RFC 5766's range); never changes the peer policy.
  bool legacy_channel_range = false;
  /// RFC 8656 §7.2: default and maximum allocation lifetime.
  std::chrono::seconds default_lifetime{600};
  std::chrono::seconds max_lifetime{3600};
  /// RFC 8656 §9: permissions live 300 s; §11: channel bindings 600 s.
  std::chrono::seconds permission_lifetime{300};
  std::chrono::seconds channel_lifetime{600};
  /// A nonce older than this is stale (438, RFC 8489 §9.2.4).
  std::chrono::seconds nonce_lifetime{600};
  /// How long a key given by on_credentials() is reused without asking again.
  std::chrono::seconds key_cache_lifetime{300};
  turn::limits limits{};
  turn::peer_policy policy{};
};

enum class transport : std::uint8_t { udp, tcp };

/// A client's 5-tuple: UDP source and destination, or one TCP connection (`conn`, the caller's
/// id) with its addresses.
struct client {
  turn::transport transport = turn::transport::udp;
  stun::address remote{};
  stun::address local{};
  std::uint64_t conn = 0;
  /// The same 5-tuple: the same TCP connection, or the same UDP addresses.
  friend bool operator==(const client& a, const client& b) noexcept {
    if (a.transport != b.transport) return false;
    return a.transport == turn::transport::tcp ? a.conn == b.conn
                                               : a.remote == b.remote && a.local == b.local;
  }
};

// ---- outputs, taken with server::next() --------------------------------------------------------

/// Send `data` to the client (over TCP: write it to connection client.conn).
struct send_client {
  turn::client client{};
  bytes_view data{};
};
/// Send `payload` from the relay socket bound to `relay` to `peer`.
struct send_peer {
  stun::address relay{};
  stun::address peer{};
  bytes_view payload{};
};
/// Open a UDP relay socket of `family` for the allocation `token`, then call on_relay_opened
/// (token, its address) or on_relay_failed(token). `client` and `user` are for logging.
/// With `even_port`, the port must be even; with `reserve_next`, the caller also binds port + 1
/// and keeps it until a close_relay names it (RFC 8656 §7.2 step 6, EVEN-PORT with the R bit).
struct open_relay {
  std::uint64_t token = 0;
  stun::family family = stun::family::ipv4;
  bool even_port = false;
  bool reserve_next = false;
  turn::client client{};
  std::string_view user{};
};
/// Close the relay socket bound to `relay` (the allocation `token` is gone; token 0: a reserved
/// port that was never claimed).
struct close_relay {
  std::uint64_t token = 0;
  stun::address relay{};
};
/// Look up the long-term key of `user` in `realm` and call on_credentials(token, key or none).
struct need_credentials {
  std::string_view user{};
  std::string_view realm{};
  std::uint64_t token = 0;
};

using output = std::variant<send_client, send_peer, open_relay, close_relay, need_credentials>;

/// What the server did, for monitoring and tests.
struct counters {
  std::uint64_t allocations = 0;  ///< allocations created
  std::uint64_t allocations_expired = 0;
  std::uint64_t error_responses = 0;
  std::uint64_t success_responses = 0;
  std::uint64_t to_peer = 0;            ///< datagrams relayed client -> peer
  std::uint64_t to_client = 0;          ///< datagrams relayed peer -> client
  std::uint64_t dropped_malformed = 0;  ///< not STUN/ChannelData, bad FINGERPRINT, too large
  std::uint64_t dropped_no_allocation = 0;
  std::uint64_t dropped_no_permission = 0;  ///< a Send/peer datagram without a permission
  std::uint64_t dropped_denied_peer = 0;    ///< a Send to a peer the policy denies
  std::uint64_t dropped_no_channel = 0;
  std::uint64_t dropped_bandwidth = 0;
  std::uint64_t dropped_pending_full = 0;
};

}  // namespace rtwire::turn
