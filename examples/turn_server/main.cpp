// turn_server: a TURN relay (RFC 8656) on standalone Asio, driving rtwire's sans-IO
// turn::server. UDP and TCP listeners on one port, one UDP relay socket per allocation. Also a
// STUN server (Binding). Enough for coturn's turnutils_uclient and browsers' `turn:` servers.
//
//   turn_server --host 127.0.0.1 --port 3478 --realm R --user U:P [--static-auth-secret S]
//               [--relay-ip IP] [--min-port N --max-port M] [--allow-loopback-peers]
//               [--legacy-channels] [--allow-peer CIDR] [--deny-peer CIDR]
//
// 1. Configuration: static users and/or the TURN REST API secret (either authenticates), relay
//    addresses (repeatable, IPv4 and/or IPv6; default: the listen address), the peer policy
//    (default deny of the special ranges and the relay's own addresses; --allow-peer wins over
//    --deny-peer; --allow-loopback-peers only for tests on one machine).
// 2. Inputs: client datagrams, client TCP bytes, datagrams on relay sockets, the timer. Each goes
//    to the server, then pump() carries out every output.
// 3. Outputs: bytes to a client (UDP send_to or the TCP session's queue), a datagram to a peer
//    (from its relay socket), a relay socket to open (a free port of --min-port..--max-port on
//    the relay address of the family asked) or to close, a credential lookup (answered at once
//    from the configured users and secret).
// 4. Logging: one line per allocation opened and per allocation closed; counters on exit.
#include <rtwire/turn/credentials.hpp>
#include <rtwire/turn/server.hpp>

#include <asio.hpp>

#include "../common/cli.hpp"
#include "../common/http_server.hpp"
#include "../common/stun_udp.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <exception>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using asio::ip::tcp;
using asio::ip::udp;
namespace stun = rtwire::stun;
namespace turn = rtwire::turn;

constexpr std::size_t max_pending_output = 1 << 20;  // per TCP client

turn::millis now() {
  return std::chrono::duration_cast<turn::millis>(
      std::chrono::steady_clock::now().time_since_epoch());
}

std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(std::time(nullptr));
}

asio::ip::address to_asio(const stun::address& a) {
  if (a.family == stun::family::ipv4) {
    return asio::ip::address_v4({a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3]});
  }
  asio::ip::address_v6::bytes_type b;
  std::copy(a.bytes.begin(), a.bytes.end(), b.begin());
  return asio::ip::address_v6(b);
}

std::string text(const stun::address& a) {
  const auto ip = to_asio(a);
  return (ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string()) + ":" + std::to_string(a.port);
}

class relay_app;

// One TCP client: read -> server, queued writes.
class tcp_session : public std::enable_shared_from_this<tcp_session> {
 public:
  tcp_session(tcp::socket s, relay_app& app, std::uint64_t id) : socket_(std::move(s)), app_(app) {
    asio::error_code ec;
    client_.transport = turn::transport::tcp;
    client_.conn = id;
    client_.remote = rtwire_examples::to_stun_address(socket_.remote_endpoint(ec));
    client_.local = rtwire_examples::to_stun_address(socket_.local_endpoint(ec));
  }
  void start() { read(); }
  void write(rtwire::bytes_view data) {
    if (pending_.size() + data.size() > max_pending_output) {
      close();  // the client does not read
      return;
    }
    pending_.append(reinterpret_cast<const char*>(data.data()), data.size());
    flush();
  }
  void close() {
    asio::error_code ignored;
    socket_.close(ignored);
  }
  const turn::client& client() const { return client_; }

 private:
  void read();
  void flush() {
    if (writing_ || pending_.empty()) return;
    writing_ = true;
    sending_.swap(pending_);
    asio::async_write(socket_, asio::buffer(sending_),
                      [self = shared_from_this()](asio::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->sending_.clear();
                        if (!ec) self->flush();
                      });
  }

  tcp::socket socket_;
  relay_app& app_;
  turn::client client_;
  std::array<std::byte, 65536> in_{};
  std::string pending_, sending_;
  bool writing_ = false;
};

// One allocation's relay socket.
struct relay_socket {
  udp::socket socket;
  stun::address address;
  udp::endpoint from;
  std::array<std::byte, 65536> in{};
  explicit relay_socket(asio::io_context& io) : socket(io) {}
};

class relay_app {
 public:
  relay_app(asio::io_context& io, const turn::options& o, rtwire::bytes_view secret,
            turn::credential_store store, std::vector<stun::address> relay_ips,
            std::uint16_t min_port, std::uint16_t max_port)
      : io_(io),
        server_(o, secret),
        store_(std::move(store)),
        relay_ips_(std::move(relay_ips)),
        min_port_(min_port),
        max_port_(max_port),
        next_port_(min_port),
        udp_(io),
        acceptor_(io),
        timer_(io) {}

  std::uint16_t listen(const asio::ip::address& at, const std::uint16_t requested) {
    // Port 0: UDP picks a free port and TCP takes the same number, which another program may
    // already hold over TCP: then both are tried again (UDP picks another port).
    std::uint16_t port = requested;
    for (int attempt = 1;; ++attempt) {
      udp_.open(at.is_v4() ? udp::v4() : udp::v6());
      udp_.bind({at, requested});
      port = udp_.local_endpoint().port();
      acceptor_.open(at.is_v4() ? tcp::v4() : tcp::v6());
      acceptor_.set_option(tcp::acceptor::reuse_address(true));
      asio::error_code ec;
      acceptor_.bind({at, port}, ec);
      if (!ec) break;
      acceptor_.close();
      udp_.close();
      if (requested != 0 || ec != asio::error::address_in_use || attempt == 32)
        throw asio::system_error(ec, "bind");
    }
    acceptor_.listen();
    local_ = rtwire_examples::to_stun_address(udp_.local_endpoint());
    receive_udp();
    accept();
    return port;
  }

  // 2. Inputs.
  void on_tcp_bytes(tcp_session& s, rtwire::bytes_view b) {
    const auto e = server_.on_client_stream(s.client(), b, now());
    pump();
    if (e) {
      std::fprintf(stderr, "tcp %s: closing: %s at byte %zu\n", text(s.client().remote).c_str(),
                   e.code.message().c_str(), e.offset);
      s.close();
    }
  }
  void on_tcp_closed(std::uint64_t id) {
    sessions_.erase(id);
    server_.on_client_closed(id, now());
    pump();
  }
  const turn::counters& counters() const { return server_.counters(); }

 private:
  void receive_udp() {
    udp_.async_receive_from(
        asio::buffer(udp_in_), udp_from_, [this](asio::error_code ec, std::size_t n) {
          if (ec == asio::error::operation_aborted) return;
          if (!ec) {
            server_.on_client_datagram(rtwire_examples::to_stun_address(udp_from_), local_,
                                       rtwire::bytes_view(udp_in_.data(), n), now());
            pump();
          }
          receive_udp();
        });
  }

  void accept() {
    acceptor_.async_accept([this](asio::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        const std::uint64_t id = ++last_session_;
        auto session = std::make_shared<tcp_session>(std::move(s), *this, id);
        sessions_[id] = session;
        session->start();
      }
      accept();
    });
  }

  void receive_relay(const std::shared_ptr<relay_socket>& r) {
    r->socket.async_receive_from(
        asio::buffer(r->in), r->from, [this, r](asio::error_code ec, std::size_t n) {
          if (ec == asio::error::operation_aborted || !r->socket.is_open()) return;
          if (!ec) {
            server_.on_peer_datagram(r->address, rtwire_examples::to_stun_address(r->from),
                                     rtwire::bytes_view(r->in.data(), n), now());
            pump();
          }
          receive_relay(r);
        });
  }

  // 3. Outputs.
  void pump() {
    while (auto out = server_.next()) {
      if (auto* s = std::get_if<turn::send_client>(&*out)) {
        if (s->client.transport == turn::transport::udp) {
          asio::error_code ignored;  // UDP: a lost datagram is the client's retransmission
          udp_.send_to(asio::buffer(s->data.data(), s->data.size()),
                       udp::endpoint(to_asio(s->client.remote), s->client.remote.port), 0, ignored);
        } else if (auto it = sessions_.find(s->client.conn); it != sessions_.end()) {
          it->second->write(s->data);
        }
      } else if (auto* p = std::get_if<turn::send_peer>(&*out)) {
        if (auto it = relays_.find(p->relay); it != relays_.end()) {
          asio::error_code ignored;
          it->second->socket.send_to(asio::buffer(p->payload.data(), p->payload.size()),
                                     udp::endpoint(to_asio(p->peer), p->peer.port), 0, ignored);
        }
      } else if (auto* o = std::get_if<turn::open_relay>(&*out)) {
        open(*o);
      } else if (auto* c = std::get_if<turn::close_relay>(&*out)) {
        if (auto it = relays_.find(c->relay); it != relays_.end()) {
          std::fprintf(stderr, "%s closed: relay=%s\n",
                       c->token == 0 ? "reservation" : "allocation", text(c->relay).c_str());
          asio::error_code ignored;
          it->second->socket.close(ignored);
          relays_.erase(it);
        }
      } else if (auto* n = std::get_if<turn::need_credentials>(&*out)) {
        const auto key = store_.lookup(n->user, n->realm, unix_now());
        (void)server_.on_credentials(n->token, key, now());
      }
    }
    arm_timer();
  }

  /// A UDP socket bound to ip:port, or nullptr when the port is taken.
  std::shared_ptr<relay_socket> bind_relay(const stun::address& ip, std::uint16_t port) {
    auto r = std::make_shared<relay_socket>(io_);
    asio::error_code ec;
    r->socket.open(ip.family == stun::family::ipv4 ? udp::v4() : udp::v6(), ec);
    if (!ec) r->socket.bind({to_asio(ip), port}, ec);
    if (ec) return nullptr;
    r->address = ip;
    r->address.port = port;
    return r;
  }

  void start_relay(const std::shared_ptr<relay_socket>& r) {
    relays_[r->address] = r;
    receive_relay(r);
  }

  void open(const turn::open_relay& o) {
    const std::string user(o.user);
    const turn::client who = o.client;
    const unsigned span = unsigned{max_port_} - min_port_ + 1;
    for (const stun::address& ip : relay_ips_) {
      if (ip.family != o.family) continue;
      for (unsigned tries = 0; tries < span; ++tries) {
        const std::uint16_t port = next_port_;
        next_port_ =
            next_port_ == max_port_ ? min_port_ : static_cast<std::uint16_t>(next_port_ + 1);
        // EVEN-PORT (RFC 8656 §7.2 step 6): an even port, and with the R bit port + 1 too.
        if (o.even_port && port % 2 != 0) continue;
        if (o.reserve_next && port == max_port_) continue;
        const auto r = bind_relay(ip, port);
        if (!r) continue;
        std::shared_ptr<relay_socket> reserved;
        if (o.reserve_next) {
          reserved = bind_relay(ip, static_cast<std::uint16_t>(port + 1));
          if (!reserved) continue;  // r closes as it goes
          start_relay(reserved);
        }
        start_relay(r);
        std::fprintf(stderr, "allocation: user=%s client=%s/%s relay=%s%s\n", user.c_str(),
                     text(who.remote).c_str(),
                     who.transport == turn::transport::udp ? "udp" : "tcp",
                     text(r->address).c_str(), reserved ? " (+1 reserved)" : "");
        (void)server_.on_relay_opened(o.token, r->address, now());
        return;
      }
    }
    std::fprintf(stderr, "allocation failed: user=%s client=%s: no relay port\n", user.c_str(),
                 text(who.remote).c_str());
    (void)server_.on_relay_failed(o.token, now());
  }

  void arm_timer() {
    const auto deadline = server_.next_deadline();
    if (!deadline || (armed_ && *armed_ <= *deadline)) return;
    armed_ = deadline;
    timer_.expires_at(std::chrono::steady_clock::time_point(*deadline));
    timer_.async_wait([this](asio::error_code ec) {
      if (ec) return;
      armed_.reset();
      server_.on_timeout(now());
      pump();
    });
  }

  asio::io_context& io_;
  turn::server server_;
  turn::credential_store store_;
  std::vector<stun::address> relay_ips_;
  std::uint16_t min_port_, max_port_, next_port_;
  udp::socket udp_;
  tcp::acceptor acceptor_;
  asio::steady_timer timer_;
  std::optional<turn::millis> armed_;
  stun::address local_;
  udp::endpoint udp_from_;
  std::array<std::byte, 65536> udp_in_{};
  std::uint64_t last_session_ = 0;
  std::unordered_map<std::uint64_t, std::shared_ptr<tcp_session>> sessions_;
  std::unordered_map<stun::address, std::shared_ptr<relay_socket>, turn::detail::address_hash>
      relays_;
};

void tcp_session::read() {
  socket_.async_read_some(
      asio::buffer(in_), [self = shared_from_this()](asio::error_code ec, std::size_t n) {
        if (ec) {
          self->app_.on_tcp_closed(self->client_.conn);  // peer closed, error, or we closed it
          return;
        }
        self->app_.on_tcp_bytes(*self, rtwire::bytes_view(self->in_.data(), n));
        if (self->socket_.is_open())
          self->read();
        else
          self->app_.on_tcp_closed(self->client_.conn);
      });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"turn_server: a TURN relay (RFC 8656) over UDP and TCP on one port"};
  rtwire_examples::listen_flags listen;
  listen.port = 3478;
  listen.add_to(app);
  std::string realm = "rtwire";
  std::vector<std::string> users, relay_ips, allow_peers, deny_peers;
  std::string secret;
  std::uint16_t min_port = 49152, max_port = 65535;
  bool allow_loopback = false, legacy_channels = false;
  app.add_option("--realm", realm, "REALM of the long-term credentials")->capture_default_str();
  app.add_option("--user", users, "A static user USER:PASSWORD (repeatable)")
      ->type_name("U:P")
      ->check([](const std::string& v) {
        return v.find(':') == std::string::npos || v.front() == ':' ? "expected USER:PASSWORD"
                                                                    : std::string();
      });
  app.add_option("--static-auth-secret", secret,
                 "TURN REST API secret: username = expiry[:user], password = "
                 "base64(HMAC-SHA1(secret, username))");
  app.add_option("--relay-ip", relay_ips,
                 "Address relay sockets bind to (repeatable: IPv4 and/or IPv6; default --host)")
      ->type_name("IP");
  app.add_option("--min-port", min_port, "Lowest relay port")->capture_default_str();
  app.add_option("--max-port", max_port, "Highest relay port")->capture_default_str();
  app.add_flag("--allow-loopback-peers", allow_loopback,
               "Let peers be loopback addresses (tests on one machine only)");
  app.add_flag("--legacy-channels", legacy_channels,
               "Accept channel numbers up to 0x7FFF (coturn's turnutils_uclient)");
  app.add_option("--allow-peer", allow_peers, "Peers allowed (CIDR, repeatable; wins over deny)")
      ->type_name("CIDR");
  app.add_option("--deny-peer", deny_peers, "Peers denied (CIDR, repeatable)")->type_name("CIDR");
  if (const auto code = rtwire_examples::parse_flags(app, argc, argv)) return *code;

  // 1. Configuration.
  turn::options o;
  o.realm = realm;
  o.legacy_channel_range = legacy_channels;
  o.policy.allow_loopback = allow_loopback;
  if (min_port > max_port) {
    std::fprintf(stderr, "turn_server: --min-port is above --max-port\n");
    return 2;
  }
  for (const auto& [list, allow] : {std::pair{&allow_peers, true}, std::pair{&deny_peers, false}}) {
    for (const std::string& c : *list) {
      const auto r = turn::parse_cidr(c);
      if (!r) {
        std::fprintf(stderr, "turn_server: %s '%s': %s\n", allow ? "--allow-peer" : "--deny-peer",
                     c.c_str(), r.error.code.message().c_str());
        return 2;
      }
      allow ? o.policy.allow(r.value) : o.policy.deny(r.value);
    }
  }
  turn::credential_store store;
  for (const std::string& u : users) {
    const auto colon = u.find(':');
    store.add_user(u.substr(0, colon), u.substr(colon + 1));
  }
  if (!secret.empty()) store.set_rest_secret(secret);
  if (store.empty()) {
    std::fprintf(stderr, "turn_server: give --user U:P and/or --static-auth-secret S\n");
    return 2;
  }
  try {
    asio::io_context io;
    const auto at = rtwire_examples::resolve_listen(io, listen.host, listen.port).address();
    if (relay_ips.empty()) relay_ips.push_back(at.to_string());
    std::vector<stun::address> relays;
    for (const std::string& text_ip : relay_ips) {
      auto ip = turn::parse_ip(text_ip);
      if (!ip || turn::detail::all_zero(ip->bytes.data(), 16)) {
        std::fprintf(stderr, "turn_server: --relay-ip '%s' is not a concrete IP address\n",
                     text_ip.c_str());
        return 2;
      }
      relays.push_back(*ip);
      o.policy.add_relay_address(*ip);
      (ip->family == stun::family::ipv4 ? o.ipv4_relays : o.ipv6_relays) = true;
    }
    o.ipv4_relays = o.ipv6_relays = false;
    for (const auto& r : relays)
      (r.family == stun::family::ipv4 ? o.ipv4_relays : o.ipv6_relays) = true;
    // The nonce key: the only randomness the sans-IO server needs.
    std::array<std::byte, 32> key{};
    std::random_device rd;
    for (auto& b : key)
      b = static_cast<std::byte>(rd());
    relay_app relay(io, o, key, std::move(store), relays, min_port, max_port);
    const std::uint16_t port = relay.listen(at, listen.port);
    std::fprintf(stderr, "listening on %s:%u (udp+tcp)\n", listen.host.c_str(),
                 static_cast<unsigned>(port));
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](asio::error_code, int) { io.stop(); });
    io.run();
    const auto& c = relay.counters();
    std::fprintf(stderr,
                 "allocations=%llu to_peer=%llu to_client=%llu errors=%llu malformed=%llu "
                 "denied=%llu no_permission=%llu\n",
                 static_cast<unsigned long long>(c.allocations),
                 static_cast<unsigned long long>(c.to_peer),
                 static_cast<unsigned long long>(c.to_client),
                 static_cast<unsigned long long>(c.error_responses),
                 static_cast<unsigned long long>(c.dropped_malformed),
                 static_cast<unsigned long long>(c.dropped_denied_peer),
                 static_cast<unsigned long long>(c.dropped_no_permission));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "turn_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
