// rtwire — a TURN relay server (RFC 8656) as a sans-IO state machine on the STUN codec.
//
//   rtwire::turn::options o;
//   o.realm = "example.org";
//   rtwire::turn::server relay(o, random_secret);  // >= 16 random bytes: nonces are keyed by it
//   relay.on_client_datagram(from, to, datagram, now);
//   while (auto out = relay.next()) {
//     if (auto* s = std::get_if<rtwire::turn::send_client>(&*out)) send_to(s->client, s->data);
//     else if (auto* p = std::get_if<rtwire::turn::send_peer>(&*out)) relay_send(*p);
//     else if (auto* o2 = std::get_if<rtwire::turn::open_relay>(&*out)) open_socket(*o2);
//     else if (auto* c = std::get_if<rtwire::turn::close_relay>(&*out)) close_socket(*c);
//     else if (auto* n = std::get_if<rtwire::turn::need_credentials>(&*out))
//       relay.on_credentials(n->token, store.lookup(n->user, n->realm, unix_now), now);
//   }
//   if (auto t = relay.next_deadline()) arm_timer(*t);  // then relay.on_timeout(now)
//
// Inputs: client datagrams (UDP) and client stream bytes (TCP, framed by stun::stream_framer:
// STUN and ChannelData padded to 4 bytes), datagrams arriving on relay sockets, the outcome of
// opening a relay socket and of a credential lookup, and the passing of time. Outputs, taken with
// next() after every input: bytes for a client, a datagram for a peer, a relay socket to open or
// close, a credential lookup. No socket, clock or random source inside: the nonce key is given.
//
// The server answers STUN Binding requests (RFC 8489; a TURN server is a STUN server) and the
// TURN methods with long-term credentials (RFC 8489 §9.2): Allocate (§7), Refresh (§8),
// CreatePermission (§9-10), ChannelBind (§12); it relays Send/Data indications (§10-11) and
// ChannelData (§12) both ways, applies turn::peer_policy before anything reaches a peer, and
// bounds every table by turn::limits. Malformed datagrams, indications and data it cannot relay
// are dropped silently and counted (RFC 8656 §10.2, §12.5); requests get the RFC's error codes.
//
// Lifetimes: send_peer::payload points into the bytes of the input that produced it; every other
// view in an output is valid until the next input call. Not thread-safe: one server per thread.
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

namespace rtwire::turn {

namespace detail {

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

}  // namespace detail

class server {
 public:
  /// Largest error or success response the server writes (REALM, NONCE, SOFTWARE, an
  /// ERROR-CODE phrase, UNKNOWN-ATTRIBUTES, addresses, integrity and fingerprint).
  static constexpr std::size_t max_response_bytes = 2048;

  /// `secret`: random bytes (16 or more) keying the nonces; the only randomness the server needs.
  server(const options& o, bytes_view secret)
      : opts_(o), nonce_key_(secret), binding_({.software = o.software}) {}

  // ---- inputs --------------------------------------------------------------------------------

  /// A UDP datagram from client `from` to the server's address `to`.
  void on_client_datagram(const stun::address& from, const stun::address& to, bytes_view bytes,
                          millis now) {
    begin_input(now);
    dispatch({transport::udp, from, to, 0}, bytes);
  }

  /// Bytes read from TCP connection `conn` (conn.transport tcp, conn.conn the caller's id).
  /// Returns an error when the stream is not STUN/ChannelData (the framer's error and stream
  /// offset) or too many TCP clients are held: close the connection, then on_client_closed().
  error_at on_client_stream(const client& conn, bytes_view bytes, millis now) {
    begin_input(now);
    auto it = framers_.find(conn.conn);
    if (it == framers_.end()) {
      if (framers_.size() >= opts_.limits.max_tcp_clients)
        return {make_error_code(error::too_many_streams), 0};
      stun::stream_framer::options fo;
      fo.legacy_channel_range = opts_.legacy_channel_range;
      it = framers_.emplace(conn.conn, stun::stream_framer(fo)).first;
    }
    const bytes_view input = bytes;
    while (true) {
      const auto r = it->second.next(bytes);
      bytes = bytes.subspan(r.consumed);
      if (r.status == stun::stream_framer::status::need_more) return {};
      if (r.status == stun::stream_framer::status::failed) return it->second.error();
      // A frame gathered across inputs lives in the framer's buffer until its next call, but a
      // send_peer view must stay valid until the caller drains next(): copy such a frame.
      const bool in_input =
          r.frame.data() >= input.data() && r.frame.data() < input.data() + input.size();
      dispatch(conn, in_input ? r.frame : stash(r.frame));
    }
  }

  /// TCP connection `conn` closed: RFC 8656 §3.1, its allocation goes with it.
  void on_client_closed(std::uint64_t conn, millis now) {
    begin_input(now);
    framers_.erase(conn);
    client c;
    c.transport = transport::tcp;
    c.conn = conn;
    if (auto it = by_client_.find(c); it != by_client_.end()) remove(it->second);
  }

  /// A datagram from `peer` arriving on the relay socket bound to `relay`.
  void on_peer_datagram(const stun::address& relay, const stun::address& peer, bytes_view bytes,
                        millis now) {
    begin_input(now);
    const auto it = by_relay_.find(relay);
    if (it == by_relay_.end()) {
      ++counters_.dropped_no_allocation;
      return;
    }
    allocation& a = allocs_.at(it->second);
    // RFC 8656 §11.3 / §12.6: only peers with a permission reach the client.
    if (!a.has_permission(peer, now_)) {
      ++counters_.dropped_no_permission;
      return;
    }
    if (!a.spend(bytes.size(), opts_.limits.max_bytes_per_second, now_)) {
      ++counters_.dropped_bandwidth;
      return;
    }
    ++counters_.to_client;
    if (const channel* ch = a.channel_by_peer(peer, now_)) {
      // §12.6: a bound peer's data goes as ChannelData; §12.5: padded over TCP.
      const std::size_t pad =
          a.client.transport == transport::tcp ? channel_data_padding(bytes.size()) : 0;
      std::byte* p = reserve(4 + bytes.size() + pad);
      const auto head = channel_data_header(ch->number, bytes.size());
      std::memcpy(p, head.data(), 4);
      if (!bytes.empty()) std::memcpy(p + 4, bytes.data(), bytes.size());
      std::memset(p + 4 + bytes.size(), 0, pad);
      commit(a.client, 4 + bytes.size() + pad);
      return;
    }
    // §11.3: otherwise a Data indication with XOR-PEER-ADDRESS and DATA.
    std::array<std::byte, stun::transaction_id_size> tid{};
    const std::uint64_t n = ++indications_;
    std::memcpy(tid.data(), &n, sizeof n);
    const std::size_t cap = 20 + 24 + 4 + bytes.size() + 3;
    stun::writer w(mutable_bytes_view(reserve(cap), cap),
                   stun::message_type(stun::message_class::indication, stun::method::data), tid);
    w.add_xor_address(attr::xor_peer_address, peer);
    w.add(attr::data, bytes);
    const auto size = w.seal();
    if (!size) {
      ++counters_.dropped_malformed;  // larger than a STUN message can carry
      arena_.resize(pending_start_);
      return;
    }
    commit(a.client, size.value);
  }

  /// The relay socket for `token` is bound to `relay`: the Allocate succeeds.
  std::error_code on_relay_opened(std::uint64_t token, const stun::address& relay, millis now) {
    begin_input(now);
    const auto it = allocs_.find(token);
    if (it == allocs_.end() || it->second.open) return make_error_code(error::unknown_token);
    return finish_allocate(it->second, relay);
  }

  /// The relay socket for `token` could not be opened: 508 (RFC 8656 §7.2).
  std::error_code on_relay_failed(std::uint64_t token, millis now) {
    begin_input(now);
    const auto it = allocs_.find(token);
    if (it == allocs_.end() || it->second.open) return make_error_code(error::unknown_token);
    const allocation& a = it->second;
    error_response(a.client, stun::method::allocate, a.transaction, code::insufficient_capacity,
                   &a.key, a.fingerprint);
    remove(token);
    return {};
  }

  /// The answer to need_credentials `token`: the user's long-term key, or none (unknown user:
  /// 401). The waiting request is processed now.
  std::error_code on_credentials(std::uint64_t token, const std::optional<stun::key>& k,
                                 millis now) {
    begin_input(now);
    const auto it = waiting_.find(token);
    if (it == waiting_.end()) return make_error_code(error::unknown_token);
    if (k) {
      if (keys_.size() >= opts_.limits.max_cached_keys) keys_.clear();
      keys_[it->second.user] = {*k, now_ + opts_.key_cache_lifetime};
    }
    answering_ = true;
    answer_ = k ? &*k : nullptr;
    const waiting_request w = std::move(it->second);
    waiting_.erase(it);
    dispatch(w.from, bytes_view(w.bytes));
    answering_ = false;
    answer_ = nullptr;
    return {};
  }

  /// Expires allocations (RFC 8656 §7: lifetime), permissions (§9: 300 s) and channel bindings
  /// (§12: 600 s, then 5 minutes reserved) due at `now`, and stale cached keys.
  void on_timeout(millis now) {
    begin_input(now);
    std::vector<std::uint64_t> gone;
    millis next = millis::max();
    for (auto& [token, a] : allocs_) {
      if (!a.open) continue;
      if (a.expires <= now_) {
        gone.push_back(token);
        continue;
      }
      a.prune(now_);
      next = std::min(next, a.earliest(now_));
    }
    for (std::uint64_t t : gone) {
      ++counters_.allocations_expired;
      remove(t);
    }
    for (auto r = reservations_.begin(); r != reservations_.end();) {
      if (r->second.expires <= now_) {
        queue_.push_back({close_relay{0, r->second.relay}, 0, 0});
        r = reservations_.erase(r);
      } else {
        next = std::min(next, r->second.expires);
        ++r;
      }
    }
    std::erase_if(keys_, [&](const auto& kv) { return kv.second.expires <= now_; });
    deadline_ = next;
  }

  // ---- outputs -------------------------------------------------------------------------------

  /// The next output, or nullopt when there is none.
  std::optional<output> next() {
    if (head_ == queue_.size()) return std::nullopt;
    queued& q = queue_[head_++];
    if (auto* s = std::get_if<send_client>(&q.out))
      s->data = bytes_view(arena_.data() + q.offset, q.size);
    return q.out;
  }

  /// When on_timeout() has work (never later than needed; possibly earlier), or nullopt.
  std::optional<millis> next_deadline() const noexcept {
    if (deadline_ == millis::max()) return std::nullopt;
    return deadline_;
  }

  // ---- inspection ----------------------------------------------------------------------------

  const turn::counters& counters() const noexcept { return counters_; }
  const options& config() const noexcept { return opts_; }
  std::size_t allocation_count() const noexcept { return allocs_.size(); }
  std::size_t waiting_count() const noexcept { return waiting_.size(); }
  /// The allocation of `c` (open or still waiting for its relay), or nullptr.
  const allocation* find_allocation(const client& c) const noexcept {
    const auto it = by_client_.find(c);
    return it == by_client_.end() ? nullptr : &allocs_.at(it->second);
  }
  /// Calls f(const allocation&) for every allocation.
  template <class F>
  void for_each_allocation(F&& f) const {
    for (const auto& kv : allocs_)
      f(kv.second);
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

 private:
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

  // ---- dispatch ------------------------------------------------------------------------------

  /// One datagram, or one frame of a stream: STUN (first bits 00) or ChannelData (01).
  void dispatch(const client& c, bytes_view in) {
    if (in.empty()) {
      ++counters_.dropped_malformed;
      return;
    }
    const unsigned first = std::to_integer<unsigned>(in[0]);
    // RFC 8656 §12.4 / RFC 7983: first two bits 01 are ChannelData.
    if ((first & 0xc0u) == 0x40u) {
      client_channel_data(c, in);
      return;
    }
    if ((first & 0xc0u) != 0 || in.size() > opts_.limits.max_message_bytes) {
      ++counters_.dropped_malformed;
      return;
    }
    const auto r = stun::parse(in);
    if (!r) {
      ++counters_.dropped_malformed;
      return;
    }
    const stun::message_view& m = r.value;
    // RFC 8489 §7.3: a FINGERPRINT that does not verify: not STUN, discard.
    const stun::check fp = stun::verify_fingerprint(m);
    if (fp == stun::check::mismatch) {
      ++counters_.dropped_malformed;
      return;
    }
    const bool fingerprint = fp == stun::check::ok;
    if (m.cls() == stun::message_class::indication && m.method() == stun::method::send) {
      client_send(c, m);
      return;
    }
    if (m.cls() != stun::message_class::request) {
      ++counters_.dropped_malformed;  // §6.3: other indications and responses are not ours
      return;
    }
    if (m.method() == stun::method::binding) {
      // A TURN server is a STUN server: Binding as RFC 8489 §7.3.1 (stun::binding_responder).
      std::byte* p = reserve(max_response_bytes);
      const std::size_t n =
          binding_.respond(in, c.remote, mutable_bytes_view(p, max_response_bytes));
      if (n == 0) {
        arena_.resize(pending_start_);
        ++counters_.dropped_malformed;
        return;
      }
      commit(c, n);
      return;
    }
    // RFC 8656 §2: TURN messages are RFC 5389+ messages (magic cookie).
    if (!m.has_magic_cookie()) {
      ++counters_.dropped_malformed;
      return;
    }
    const std::uint16_t method = m.method();
    if (method != stun::method::allocate && method != stun::method::refresh &&
        method != stun::method::create_permission && method != stun::method::channel_bind) {
      error_response(c, m, code::bad_request, nullptr, fingerprint);
      return;
    }
    const stun::key* k = nullptr;
    std::string_view user;
    if (authenticate(c, m, in, fingerprint, k, user) == auth::answered) return;
    switch (method) {
      case stun::method::allocate:
        allocate(c, m, *k, user, fingerprint);
        break;
      case stun::method::refresh:
        refresh(c, m, *k, user, fingerprint);
        break;
      case stun::method::create_permission:
        create_permission(c, m, *k, user, fingerprint);
        break;
      default:
        channel_bind(c, m, *k, user, fingerprint);
        break;
    }
  }

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

  // ---- relaying client -> peer ---------------------------------------------------------------

  allocation* open_allocation(const client& c) {
    const auto it = by_client_.find(c);
    if (it == by_client_.end()) return nullptr;
    allocation& a = allocs_.at(it->second);
    return a.open ? &a : nullptr;
  }

  void emit_peer(const allocation& a, const stun::address& peer, bytes_view payload) {
    ++counters_.to_peer;
    queue_.push_back({send_peer{a.relay, peer, payload}, 0, 0});
  }

  /// RFC 8656 §11.2: a Send indication; anything wrong drops it silently.
  void client_send(const client& c, const stun::message_view& m) {
    allocation* a = open_allocation(c);
    if (a == nullptr) {
      ++counters_.dropped_no_allocation;
      return;
    }
    const auto pa = m.find(attr::xor_peer_address);
    const auto data = m.find(attr::data);
    if (!pa || !data || !valid_address_value(pa->value) ||
        (m.has(attr::dont_fragment) && !opts_.dont_fragment)) {
      ++counters_.dropped_malformed;
      return;
    }
    const stun::address peer = stun::decode_xor_address(*pa, m);
    if (!opts_.policy.permits(peer)) {
      ++counters_.dropped_denied_peer;
      return;
    }
    if (peer.family != a->family || !a->has_permission(peer, now_)) {
      ++counters_.dropped_no_permission;
      return;
    }
    if (!a->spend(data->value.size(), opts_.limits.max_bytes_per_second, now_)) {
      ++counters_.dropped_bandwidth;
      return;
    }
    emit_peer(*a, peer, data->value);
  }

  /// RFC 8656 §12.5: ChannelData from the client goes to the channel's peer.
  void client_channel_data(const client& c, bytes_view in) {
    channel_data cd;
    if (!parse_channel_data(in, cd) ||
        cd.number > (opts_.legacy_channel_range ? max_legacy_channel : max_channel)) {
      ++counters_.dropped_malformed;
      return;
    }
    allocation* a = open_allocation(c);
    if (a == nullptr) {
      ++counters_.dropped_no_allocation;
      return;
    }
    const channel* ch = a->channel_by_number(cd.number, now_);
    if (ch == nullptr) {
      ++counters_.dropped_no_channel;
      return;
    }
    if (!a->spend(cd.payload.size(), opts_.limits.max_bytes_per_second, now_)) {
      ++counters_.dropped_bandwidth;
      return;
    }
    emit_peer(*a, ch->peer, cd.payload);
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

}  // namespace rtwire::turn
