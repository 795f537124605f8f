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
// Every answer to a TURN request: success (signed with the user's key), or 400 (a malformed or
// missing attribute, a channel number out of range or bound otherwise, MESSAGE-INTEGRITY without
// USERNAME/REALM/NONCE), 401 (no or wrong credentials: with REALM and NONCE), 403 (a peer the
// policy denies, checked before the family), 420 (an unknown comprehension-required attribute;
// DONT-FRAGMENT unless options::dont_fragment), 437 (no allocation on this 5-tuple, or another
// Allocate on one that has it), 438 (a stale nonce: with a new one), 440 (an address family
// without relays), 441 (another user than the allocation's), 442 (not UDP), 443 (a peer or a
// Refresh of another family), 486 (the user's allocation quota), 508 (server capacity, the
// permission or channel quota, a relay that failed to open, an unknown reservation token).
//
// Lifetimes: send_peer::payload points into the bytes of the input that produced it (a TCP frame
// split across reads is copied); every other view in an output is valid until the next input
// call. A TCP connection's end must be reported with on_client_closed(). Not thread-safe: one
// server per thread.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/stun/attributes.hpp"
#include "rtwire/stun/framer.hpp"
#include "rtwire/stun/message.hpp"
#include "rtwire/stun/writer.hpp"
#include "rtwire/turn/allocation.hpp"
#include "rtwire/turn/detail/server_requests.hpp"
#include "rtwire/turn/detail/server_state.hpp"
#include "rtwire/turn/error.hpp"
#include "rtwire/turn/protocol.hpp"
#include "rtwire/turn/types.hpp"

namespace rtwire::turn {

class server : private detail::server_requests {
 public:
  /// Largest error or success response the server writes (REALM, NONCE, SOFTWARE, an
  /// ERROR-CODE phrase, UNKNOWN-ATTRIBUTES, addresses, integrity and fingerprint).
  using detail::server_state::max_response_bytes;

  /// `secret`: random bytes (16 or more) keying the nonces; the only randomness the server needs.
  server(const options& o, bytes_view secret) : detail::server_requests(o, secret) {}

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
  /// Calls f(const allocation&) for every allocation.
  template <class F>
  void for_each_allocation(F&& f) const {
    for (const auto& kv : allocs_)
      f(kv.second);
  }

  /// The allocation of `c` (open or still waiting for its relay), or nullptr.
  using detail::server_state::find_allocation;
  /// The nonce the server hands `c` at `now` (see detail/server_state.hpp).
  using detail::server_state::make_nonce;

 private:
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
    if ((first & 0xc0u) != 0) {
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
    // limits::max_message_bytes bounds requests; a Send indication may carry a whole datagram.
    if (m.cls() != stun::message_class::request || in.size() > opts_.limits.max_message_bytes) {
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
};

}  // namespace rtwire::turn
