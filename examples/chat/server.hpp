// chat: what every transport file shares — settings, clocks, the hub and the per-transport
// entry points called by the HTTP routing (routes.cpp).
#pragma once

#include <asio.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../common/http_server.hpp"
#include "hub.hpp"

namespace chat {

using asio::ip::tcp;
using rtwire_examples::http_session;
using session_ptr = std::shared_ptr<http_session>;

struct settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned heartbeat_ms = 15'000;
  std::size_t max_buffered = std::size_t{4} << 20;
  /// Largest WebSocket message / POST /send body: at least 256 KiB so that an oversize SDP is
  /// answered `bad-signal`, not closed 1009.
  std::size_t max_message = std::size_t{1} << 20;
  std::string web_root;
  /// The `iceServers` array GET /config returns, as JSON text (RTCConfiguration.iceServers).
  std::string ice_servers_json = "[]";
  /// The UDP port of the built-in STUN server (--stun-port), 0 when it is off. GET /config then
  /// lists `stun:HOST:PORT` first, HOST being the host the page was loaded from.
  std::uint16_t stun_port = 0;
  /// --turn HOST:PORT with --turn-secret: GET /config also lists `turn:HOST:PORT` with TURN REST
  /// API credentials (username `expiry:user`, credential base64(HMAC-SHA1(secret, username)))
  /// valid for turn_ttl seconds, for a TURN server sharing the secret (turn_server
  /// --static-auth-secret). Empty: no TURN server.
  std::string turn;
  std::string turn_secret;
  std::string turn_user = "chat";
  std::uint32_t turn_ttl = 86400;
  config room{};
  rtwire_examples::http_limits http{};
  rtwire_examples::cors_policy cors;
};

/// The caller's clocks: monotonic for every timeout, wall time for `ts`.
inline millis mono_now() {
  return std::chrono::duration_cast<millis>(std::chrono::steady_clock::now().time_since_epoch());
}
inline std::int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class sse_stream;
class longpoll_sessions;

class server {
 public:
  server(asio::io_context& io, settings s);
  ~server();

  void start();
  asio::io_context& io() { return io_; }
  const settings& config() const { return settings_; }
  hub& rooms() { return hub_; }
  tcp::endpoint local_endpoint() const { return listener_.local_endpoint(); }

  /// "The server's own origin" (http:// + Host), no Origin at all, or an --allow-origin entry.
  bool origin_allowed(std::optional<std::string_view> origin,
                      std::optional<std::string_view> host) const;

  // Transports (one file each).
  void serve_websocket(const session_ptr& http);  // ws_transport.cpp
  void serve_sse(const session_ptr& http);        // sse_transport.cpp
  void serve_poll(const session_ptr& http);       // longpoll_transport.cpp
  void poll_session(const session_ptr& http, session* s, const std::string& room_name,
                    const std::string& name, const std::string& cursor, millis timeout);
  void serve_send(const session_ptr& http);    // routes.cpp
  void serve_static(const session_ptr& http);  // static_files.cpp
  void serve_config(const session_ptr& http);  // routes.cpp

  std::vector<std::weak_ptr<sse_stream>>& sse_streams() { return sse_streams_; }
  longpoll_sessions& polls() { return *polls_; }

 private:
  void route(const session_ptr& http);
  void tick();
  void heartbeat();

  asio::io_context& io_;
  settings settings_;
  hub hub_;
  rtwire_examples::listener listener_;
  asio::steady_timer sweep_, heartbeat_;
  std::vector<std::weak_ptr<sse_stream>> sse_streams_;
  std::shared_ptr<longpoll_sessions> polls_;
};

std::shared_ptr<longpoll_sessions> make_longpoll_sessions(server& srv);
void sweep_longpoll(longpoll_sessions& p, millis now);
/// A heartbeat comment on every open SSE stream (forgets the closed ones).
void heartbeat_streams(std::vector<std::weak_ptr<sse_stream>>& streams);

/// A JSON error body, {"type":"error","code","message"}, answered with `status`.
void respond_error(const session_ptr& http, const error& e);

/// The `room` and `name` of a GET /sse or /poll query, validated as a WebSocket join is; on a
/// malformed query or an invalid room or name it answers 400 itself and gives nullopt.
struct join_query {
  std::string room;
  std::string name;
};
std::optional<join_query> read_join_query(const session_ptr& http);

}  // namespace chat
