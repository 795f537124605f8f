// chat_server — the real-time chat system of issue #11: rooms over WebSocket, SSE and long
// polling, WebRTC signaling over WebSocket, and the browser page, on one io_context.
//
//   chat_server --host 127.0.0.1 --port 8080 [--web-root DIR] [--allow-origin ORIGIN]...
//   chat_server ... --redis HOST:PORT [--node-id ID] [--member-ttl-ms MS]   (several nodes)
//
// Files: room.hpp (a room, its log and the rate limiter), hub.hpp/.cpp (sessions and every
// protocol rule, no sockets), signal.hpp (signal validation), ws_transport.cpp,
// sse_transport.cpp, longpoll_transport.cpp, routes.cpp (HTTP routes, POST /send),
// static_files.cpp (the page). The HTTP plumbing is examples/common/. With --redis the rooms
// live in Redis and several nodes serve one chat: hub_cluster.cpp (the hub's side),
// cluster_node.hpp (presence, sessions, direct events), cluster_log.hpp (the rooms' logs).
#include <rtwire/stun/binding.hpp>

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "../common/cli.hpp"
#include "../common/stun_udp.hpp"
#include "server.hpp"
#ifdef CHAT_CLUSTER
#include "cluster_node.hpp"
#endif

#ifndef CHAT_WEB_ROOT
#define CHAT_WEB_ROOT "web"
#endif

int main(int argc, char** argv) {
  chat::settings s;
  s.web_root = CHAT_WEB_ROOT;
  std::size_t max_text = s.room.max_text;
  double rate = s.room.rate;
  unsigned grace_ms = 10'000;
  std::size_t history = s.room.history;
  CLI::App app{"chat_server: rooms over WebSocket, SSE and long polling, WebRTC signaling"};
  rtwire_examples::listen_flags listen;
  listen.add_to(app);
  app.add_option("--heartbeat-ms", s.heartbeat_ms, "SSE heartbeat interval, ms")
      ->check(CLI::Range(10u, 3'600'000u))
      ->capture_default_str();
  app.add_option("--grace-ms", grace_ms, "How long a dropped session keeps its identity, ms")
      ->check(CLI::Range(0u, 3'600'000u))
      ->capture_default_str();
  app.add_option("--max-text", max_text, "Largest message text, UTF-8 bytes")
      ->check(CLI::Range(std::size_t{1}, std::size_t{128} << 10))
      ->capture_default_str();
  app.add_option("--rate", rate, "Messages per second per client (burst: twice as many)")
      ->check(CLI::Range(0.1, 100000.0))
      ->capture_default_str();
  app.add_option("--max-buffered", s.max_buffered,
                 "Unsent bytes to one client before it is closed (1008; it resumes)")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30))
      ->capture_default_str();
  app.add_option("--history", history, "Events kept per room for resume")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--web-root", s.web_root, "Directory of the page")->capture_default_str();
  app.add_option("--ice-servers", s.ice_servers_json,
                 "JSON array GET /config returns as iceServers")
      ->capture_default_str();
  std::optional<std::uint16_t> stun_port;
  app.add_option("--stun-port", stun_port,
                 "Also answer STUN Binding requests on this UDP port (0: a free one) and list "
                 "stun:HOST:PORT in GET /config")
      ->check(CLI::Range(0, 65535));
  app.add_option("--turn", s.turn,
                 "A TURN server HOST:PORT listed in GET /config as turn:HOST:PORT with TURN REST "
                 "API credentials (needs --turn-secret)")
      ->type_name("HOST:PORT");
  app.add_option("--turn-secret", s.turn_secret,
                 "The TURN REST API secret shared with the TURN server (--static-auth-secret)");
  app.add_option("--turn-user", s.turn_user, "User part of the TURN REST username")
      ->capture_default_str();
  app.add_option("--turn-ttl", s.turn_ttl, "Seconds the TURN credentials stay valid")
      ->check(CLI::Range(60u, 7u * 86400u))
      ->capture_default_str();
  std::string redis, node_id;
  unsigned member_ttl_ms = 15'000;
  app.add_option("--redis", redis,
                 "Redis HOST:PORT: rooms, presence and sessions shared by several nodes")
      ->type_name("HOST:PORT");
  app.add_option("--node-id", node_id, "This node's unique id (default: HOSTNAME:PORT)");
  app.add_option("--member-ttl-ms", member_ttl_ms,
                 "With --redis: a member whose node stops refreshing it leaves after this long")
      ->check(CLI::Range(300u, 3'600'000u))
      ->capture_default_str();
  rtwire_examples::add_allow_origin(app, s.cors.allowed);
  rtwire_examples::add_http_limit_flags(app, s.http);
  if (const auto code = rtwire_examples::parse_flags(app, argc, argv)) return *code;
  if (!chat::json::accept(s.ice_servers_json) ||
      !chat::json::parse(s.ice_servers_json).is_array()) {
    std::fprintf(stderr, "chat_server: --ice-servers must be a JSON array\n");
    return 2;
  }
  if (s.turn.empty() != s.turn_secret.empty()) {
    std::fprintf(stderr, "chat_server: --turn and --turn-secret go together\n");
    return 2;
  }
  s.host = listen.host;
  s.port = listen.port;
  s.room.max_text = max_text;
  s.room.rate = rate;
  s.room.grace = chat::millis{grace_ms};
  s.room.history = history;
  s.http.max_body = s.max_message;
  // POST /send answers every error as {"type":"error","code","message"}, also the ones the HTTP
  // layer gives before the route runs (413 too-large, 411 for a chunked body).
  s.http.refused_body = [](std::string_view path, int status,
                           std::string_view reason) -> std::optional<std::string> {
    if (path != "/send") return std::nullopt;
    return chat::error{status == 413 ? "too-large" : "bad-request", std::string(reason), status}
        .to_json();
  };
  try {
    asio::io_context io;
    // The STUN server binds first, so that GET /config can name its port (0 picks one).
    rtwire::stun::binding_responder stun_responder;
    std::unique_ptr<rtwire_examples::stun_udp_server> stun;
    if (stun_port) {
      const auto at = rtwire_examples::resolve_listen(io, s.host, *stun_port);
      stun = std::make_unique<rtwire_examples::stun_udp_server>(
          io, asio::ip::udp::endpoint(at.address(), *stun_port), stun_responder);
      s.stun_port = stun->port();
      stun->start();
      std::fprintf(stderr, "chat_server: STUN on udp %s:%u\n", at.address().to_string().c_str(),
                   static_cast<unsigned>(s.stun_port));
    }
    chat::server srv(io, s);
    const auto ep = srv.local_endpoint();
    const auto serve = [&] {
      srv.start();
      std::printf("chat_server listening on %s:%u\n", ep.address().to_string().c_str(),
                  static_cast<unsigned>(ep.port()));
      std::fflush(stdout);
    };
    int status = 0;
#ifdef CHAT_CLUSTER
    std::shared_ptr<chat::cluster_node> node;
    if (!redis.empty()) {
      const auto colon = redis.rfind(':');
      unsigned redis_port = 0;
      if (colon == std::string::npos || colon == 0 ||
          std::sscanf(redis.c_str() + colon + 1, "%u", &redis_port) != 1 || redis_port == 0 ||
          redis_port > 65535) {
        std::fprintf(stderr, "chat_server: --redis must be HOST:PORT\n");
        return 2;
      }
      if (node_id.empty()) {
        char host[256] = {};
        (void)gethostname(host, sizeof host - 1);
        node_id = std::string(host) + ":" + std::to_string(ep.port());
      }
      node = chat::cluster_node::create(io, srv.rooms(),
                                        {.host = redis.substr(0, colon),
                                         .port = static_cast<std::uint16_t>(redis_port),
                                         .node_id = node_id,
                                         .member_ttl = chat::millis{member_ttl_ms},
                                         .grace = s.room.grace,
                                         .history = s.room.history});
      srv.rooms().use_cluster(node.get());
      node->start([&](const std::string& why) {
        if (!why.empty()) {
          std::fprintf(stderr, "chat_server: %s\n", why.c_str());
          status = 1;
          return io.stop();
        }
        std::fprintf(stderr, "chat_server: node %s on redis %s\n", node_id.c_str(), redis.c_str());
        serve();
      });
    } else {
      serve();
    }
#else
    if (!redis.empty()) {
      std::fprintf(stderr, "chat_server: built without hiredis: --redis is not available\n");
      return 2;
    }
    serve();
#endif
    io.run();
#ifdef CHAT_CLUSTER
    if (node) node->stop();
#endif
    return status;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chat_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
