// rtwire — internal: the TURN server's tables, output queue, nonces and the plumbing shared by
// its request handlers (detail/server_requests.hpp) and its public face (turn/server.hpp).
// Nothing here is public API.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/ct_equal.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/core/hmac.hpp"
#include "rtwire/stun/attributes.hpp"
#include "rtwire/stun/binding.hpp"
#include "rtwire/stun/framer.hpp"
#include "rtwire/stun/integrity.hpp"
#include "rtwire/stun/message.hpp"
#include "rtwire/stun/writer.hpp"
#include "rtwire/turn/allocation.hpp"
#include "rtwire/turn/error.hpp"
#include "rtwire/turn/protocol.hpp"
#include "rtwire/turn/types.hpp"

namespace rtwire::turn::detail {

inline std::size_t mix(std::size_t h, std::uint64_t v) noexcept {
  // FNV-1a style on 64-bit words: the tables are bounded, this only spreads buckets.
  h ^= static_cast<std::size_t>(v);
  return h * 0x100000001b3ull;
}
inline std::size_t hash_address(std::size_t h, const stun::address& a) noexcept {
  std::uint64_t w0 = 0, w1 = 0;
  std::memcpy(&w0, a.bytes.data(), 8);
  std::memcpy(&w1, a.bytes.data() + 8, 8);
  return mix(mix(mix(h, w0), w1), (std::uint64_t{a.port} << 8) | static_cast<unsigned>(a.family));
}
struct address_hash {
  std::size_t operator()(const stun::address& a) const noexcept {
    return hash_address(0xcbf29ce484222325ull, a);
  }
};
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
struct client_hash {
  std::size_t operator()(const client& c) const noexcept {
    if (c.transport == transport::tcp) return mix(0x84222325cbf29ce4ull, c.conn);
    return hash_address(hash_address(0xcbf29ce484222325ull, c.remote), c.local);
  }
};

inline std::uint32_t u32(bytes_view v) noexcept {
  return stun::detail::load32(v.data());
}

/// The state of a turn::server (members are public to the server's own layers only: the server
/// inherits privately).
class server_state {
 public:
  static constexpr std::size_t max_response_bytes = 2048;

  server_state(const options& o, bytes_view secret)
      : opts_(o), nonce_key_(secret), binding_({.software = o.software}) {}

  struct queued {
    output out;
    std::size_t offset = 0;
    std::size_t size = 0;
  };
  struct cached_key {
    stun::key key;
    millis expires{};
  };
  struct waiting_request {
    client from{};
    std::string user;
    std::vector<std::byte> bytes;
  };
  enum class auth { ok, answered };

  /// The allocation of `c` (open or still waiting for its relay), or nullptr.
  const allocation* find_allocation(const client& c) const noexcept {
    const auto it = by_client_.find(c);
    return it == by_client_.end() ? nullptr : &allocs_.at(it->second);
  }
  /// The nonce the server hands `c` at `now` (RFC 8489 §9.2: opaque to the client): the time
  /// and a MAC of the time and the client's address under the secret, so no table is kept.
  std::string make_nonce(const client& c, millis now) const {
    const auto t = static_cast<std::uint64_t>(now.count());
    std::string out(16 + 20, '0');
    constexpr char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; ++i)
      out[static_cast<std::size_t>(i)] = hex[(t >> (60 - 4 * i)) & 0xfu];
    const sha1::digest d = nonce_mac(c, t);
    for (std::size_t i = 0; i < 10; ++i) {
      out[16 + 2 * i] = hex[d[i] >> 4];
      out[17 + 2 * i] = hex[d[i] & 0xfu];
    }
    return out;
  }

  // ---- plumbing ------------------------------------------------------------------------------

  /// The relay is bound: RFC 8656 §7.3's success response (XOR-RELAYED-ADDRESS, LIFETIME,
  /// XOR-MAPPED-ADDRESS, and RESERVATION-TOKEN when the next port was reserved), kept for
  /// retransmissions.
  std::error_code finish_allocate(allocation& a, const stun::address& relay) {
    a.open = true;
    a.relay = relay;
    a.expires = now_ + a.lifetime;
    by_relay_[relay] = a.token;
    lower_deadline(a.expires);
    std::array<std::byte, 8> rtoken{};
    if (a.reserve_next) {
      // §7.2 step 6: the R bit reserved relay port + 1 (the caller bound it) under a token.
      const sha1::digest d = nonce_key_.mac(std::string_view("reservation"));
      const std::uint64_t id = ++reservation_count_;
      for (std::size_t i = 0; i < 8; ++i)
        rtoken[i] = static_cast<std::byte>(d[i] ^ static_cast<std::uint8_t>(id >> (8 * i)));
      stun::address next = relay;
      next.port = static_cast<std::uint16_t>(relay.port + 1);
      std::uint64_t key = 0;
      std::memcpy(&key, rtoken.data(), 8);
      reservations_[key] = {next, now_ + reservation_lifetime};
      lower_deadline(now_ + reservation_lifetime);
    }
    std::byte* p = reserve(max_response_bytes);
    stun::writer w(
        mutable_bytes_view(p, max_response_bytes),
        stun::message_type(stun::message_class::success_response, stun::method::allocate),
        a.transaction);
    w.add_xor_address(attr::xor_relayed_address, relay);
    w.add_u32(attr::lifetime, static_cast<std::uint32_t>(a.lifetime.count()));
    if (a.reserve_next) w.add(attr::reservation_token, rtoken);
    w.add_xor_address(stun::attr::xor_mapped_address, a.client.remote);
    if (!opts_.software.empty()) w.add_text(stun::attr::software, opts_.software);
    const auto n = w.seal(&a.key, a.fingerprint);
    if (!n) {
      arena_.resize(pending_start_);
      return n.error.code;
    }
    a.response.assign(p, p + n.value);
    ++counters_.success_responses;
    ++counters_.allocations;
    commit(a.client, n.value);
    return {};
  }

  void begin_input(millis now) {
    now_ = std::max(now_, now);  // time never goes back
    if (head_ == queue_.size()) {
      queue_.clear();
      head_ = 0;
      arena_.clear();
      stashed_.clear();
    }
  }

  std::byte* reserve(std::size_t n) {
    pending_start_ = arena_.size();
    arena_.resize(pending_start_ + n);
    return arena_.data() + pending_start_;
  }
  void commit(const client& to, std::size_t n) {
    arena_.resize(pending_start_ + n);
    queue_.push_back({send_client{to, {}}, pending_start_, n});
  }
  /// A copy of a frame gathered across stream inputs, stable until the queue is drained.
  bytes_view stash(bytes_view b) {
    stashed_.emplace_back(b.begin(), b.end());
    return stashed_.back();
  }
  void lower_deadline(millis t) noexcept { deadline_ = std::min(deadline_, t); }

  void remove(std::uint64_t token) {
    const auto it = allocs_.find(token);
    if (it == allocs_.end()) return;
    allocation& a = it->second;
    if (a.open) {
      by_relay_.erase(a.relay);
      queue_.push_back({close_relay{token, a.relay}, 0, 0});
    }
    by_client_.erase(a.client);
    if (auto u = per_user_.find(a.user); u != per_user_.end() && --u->second == 0)
      per_user_.erase(u);
    allocs_.erase(it);
  }

  sha1::digest nonce_mac(const client& c, std::uint64_t t) const noexcept {
    auto h = nonce_key_.begin();
    std::array<std::byte, 8 + 16 + 2 + 1> in{};
    for (std::size_t i = 0; i < 8; ++i)
      in[i] = static_cast<std::byte>(t >> (56 - 8 * i));
    std::memcpy(in.data() + 8, c.remote.bytes.data(), 16);
    in[24] = static_cast<std::byte>(c.remote.port >> 8);
    in[25] = static_cast<std::byte>(c.remote.port);
    in[26] = static_cast<std::byte>(c.remote.family);
    h.update(bytes_view(in));
    return nonce_key_.finish(h);
  }

  enum class nonce_state { valid, stale };
  /// RFC 8489 §9.2.4: a nonce this server issued to this client, younger than nonce_lifetime.
  nonce_state check_nonce(std::string_view n, const client& c) const noexcept {
    if (n.size() != 36) return nonce_state::stale;
    std::uint64_t t = 0;
    for (std::size_t i = 0; i < 16; ++i) {
      const int v = detail::hex_value(n[i]);
      if (v < 0) return nonce_state::stale;
      t = (t << 4) | static_cast<unsigned>(v);
    }
    const sha1::digest d = nonce_mac(c, t);
    std::array<std::byte, 10> got{};
    for (std::size_t i = 0; i < 10; ++i) {
      const int hi = detail::hex_value(n[16 + 2 * i]);
      const int lo = detail::hex_value(n[17 + 2 * i]);
      if (hi < 0 || lo < 0) return nonce_state::stale;
      got[i] = static_cast<std::byte>(hi * 16 + lo);
    }
    if (!ct_equal(std::as_bytes(std::span(d)).first(10), bytes_view(got)))
      return nonce_state::stale;
    const auto issued = millis(static_cast<std::int64_t>(t));
    if (issued > now_ || now_ - issued >= opts_.nonce_lifetime) return nonce_state::stale;
    return nonce_state::valid;
  }

  options opts_;
  hmac_key<hmac_sha1> nonce_key_;
  stun::binding_responder binding_;
  turn::counters counters_{};
  millis now_{};
  millis deadline_ = millis::max();

  std::unordered_map<std::uint64_t, allocation> allocs_;
  std::unordered_map<client, std::uint64_t, detail::client_hash> by_client_;
  std::unordered_map<stun::address, std::uint64_t, detail::address_hash> by_relay_;
  std::unordered_map<std::string, std::size_t, detail::string_hash, std::equal_to<>> per_user_;
  std::unordered_map<std::string, cached_key, detail::string_hash, std::equal_to<>> keys_;
  std::map<std::uint64_t, waiting_request> waiting_;
  struct reservation {
    stun::address relay{};
    millis expires{};
  };
  /// RFC 8656 §7.2 step 6: a reserved port is held 30 s (RFC 8656 §14.9: "approximately 30
  /// seconds"); at most one per allocation made with the R bit, so bounded like them.
  static constexpr std::chrono::seconds reservation_lifetime{30};
  std::unordered_map<std::uint64_t, reservation> reservations_;
  std::uint64_t reservation_count_ = 0;
  std::unordered_map<std::uint64_t, stun::stream_framer> framers_;
  std::uint64_t next_token_ = 1;
  std::uint64_t indications_ = 0;
  // on_credentials(): the key given (nullptr: none) for the request being replayed.
  bool answering_ = false;
  const stun::key* answer_ = nullptr;

  std::vector<queued> queue_;
  std::size_t head_ = 0;
  std::vector<std::byte> arena_;
  std::deque<std::vector<std::byte>> stashed_;
  std::size_t pending_start_ = 0;
};

}  // namespace rtwire::turn::detail
