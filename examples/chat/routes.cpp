// chat: the server object and its HTTP routes.
//
//   GET  /            the page (--web-root), and its files     GET /healthz -> 200 ok
//   GET  /ws          WebSocket                                GET /stats   -> the stats object
//   GET  /sse         event stream                             GET /config  -> {"iceServers":[..]}
//   GET  /poll        long poll                                POST /send   -> 202 {"ok":true}
#include <cstdio>
#include <ctime>

#include <rtwire/turn/credentials.hpp>

#include "server.hpp"

namespace chat {

void respond_error(const session_ptr& http, const error& e) {
  http->respond(e.status, "application/json", e.to_json());
}

std::optional<join_query> read_join_query(const session_ptr& http) {
  const auto& req = http->req();
  if (rtwire_examples::query_is_malformed(req.target)) {
    respond_error(http, {"bad-request", "malformed query (a bad %XX escape)", 400});
    return std::nullopt;
  }
  join_query q{req.query("room").value.value_or(""), req.query("name").value.value_or("")};
  if (!valid_room_name(q.room)) {
    respond_error(http, {"bad-request", "room must match [A-Za-z0-9_-]{1,64}", 400});
    return std::nullopt;
  }
  if (!valid_user_name(q.name)) {
    respond_error(http, {"bad-request", "name must be 1-32 characters of UTF-8", 400});
    return std::nullopt;
  }
  return q;
}

server::server(asio::io_context& io, settings s)
    : io_(io),
      settings_(std::move(s)),
      hub_(settings_.room, static_cast<std::uint64_t>(wall_now_ms()), mono_now()),
      listener_(io, rtwire_examples::resolve_listen(io, settings_.host, settings_.port),
                [this](tcp::socket socket) {
                  std::make_shared<http_session>(std::move(socket), settings_.http, settings_.cors,
                                                 [this](const session_ptr& h) { route(h); })
                      ->start();
                }),
      sweep_(io),
      heartbeat_(io),
      polls_(make_longpoll_sessions(*this)) {}

server::~server() = default;

void server::start() {
  listener_.start();
  tick();
  heartbeat();
}

bool server::origin_allowed(std::optional<std::string_view> origin,
                            std::optional<std::string_view> host) const {
  if (!origin) return true;  // not a browser: nothing to hijack
  if (host && *origin == "http://" + std::string(*host)) return true;
  return settings_.cors.allow(origin).has_value();
}

// Expiry: sessions past their grace period leave their rooms.
void server::tick() {
  sweep_.expires_after(std::chrono::milliseconds(100));
  sweep_.async_wait([this](asio::error_code ec) {
    if (ec) return;
    const millis now = mono_now();
    sweep_longpoll(*polls_, now);
    hub_.expire(now, wall_now_ms());
    tick();
  });
}

void server::heartbeat() {
  heartbeat_.expires_after(std::chrono::milliseconds(settings_.heartbeat_ms));
  heartbeat_.async_wait([this](asio::error_code ec) {
    if (ec) return;
    heartbeat_streams(sse_streams_);
    heartbeat();
  });
}

void server::route(const session_ptr& http) {
  const auto& req = http->req();
  const std::string& path = req.path;
  const bool get = req.method == "GET";
  if (path == "/ws" && get) return serve_websocket(http);
  if (path == "/sse" && get) return serve_sse(http);
  if (path == "/poll" && get) return serve_poll(http);
  if (path == "/send") {
    if (req.method != "POST") return http->respond_text(405, "use POST");
    return serve_send(http);
  }
  if (path == "/healthz" && get) return http->respond(200, "text/plain", "ok");
  if (path == "/stats" && get)
    return hub_.stats(mono_now(),
                      [http](json st) { http->respond(200, "application/json", st.dump()); });
  if (path == "/config" && get) return serve_config(http);
  if (get) return serve_static(http);
  http->respond_text(405, "method not allowed");
}

// GET /config: RTCConfiguration.iceServers for the page. With --stun-port, the built-in STUN
// server comes first as stun:HOST:PORT, HOST being the host the page was loaded from (the Host
// header without its port), so a browser reaches it wherever it reached the page.
void server::serve_config(const session_ptr& http) {
  json servers = json::parse(settings_.ice_servers_json);  // validated at start: an array
  if (settings_.stun_port != 0) {
    std::string_view host = http->req().header("Host").value_or(std::string_view{});
    if (host.empty()) host = settings_.host;
    if (!host.empty() && host.front() == '[') {
      host = host.substr(0, host.find(']') + 1);  // "[::1]:8080" -> "[::1]"
    } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
      host = host.substr(0, colon);
    }
    servers.insert(servers.begin(), json{{"urls", "stun:" + std::string(host) + ":" +
                                                      std::to_string(settings_.stun_port)}});
  }
  // --turn: the TURN REST API credentials, minted per request and valid for --turn-ttl.
  if (!settings_.turn.empty()) {
    const auto expiry = static_cast<std::uint64_t>(std::time(nullptr)) + settings_.turn_ttl;
    const std::string username = rtwire::turn::rest_username(expiry, settings_.turn_user);
    servers.push_back(
        json{{"urls", "turn:" + settings_.turn},
             {"username", username},
             {"credential", rtwire::turn::rest_password(settings_.turn_secret, username)}});
  }
  http->respond(200, "application/json", json{{"iceServers", servers}}.dump());
}

// POST /send: Authorization: Bearer <token>, a JSON client message as the body.
void server::serve_send(const session_ptr& http) {
  const auto auth = http->req().header("Authorization");
  constexpr std::string_view bearer = "Bearer ";
  std::string token;
  if (auth && auth->size() > bearer.size() &&
      rtwire::http1::iequals(auth->substr(0, bearer.size()), bearer))
    token = std::string(auth->substr(bearer.size()));
  // In a cluster, a session another node held moves here (its stream there closes).
  hub_.find_by_token(token, transport::sse, [this, http](session* s) {
    if (!s) return respond_error(http, {"unauthorized", "missing or unknown bearer token", 401});
    // Answered when the hub has answered: in a cluster, once Redis took the message (or 503).
    hub_.handle(*s, http->req().body, mono_now(), wall_now_ms(), [http](std::optional<error> err) {
      if (err) return respond_error(http, *err);
      http->respond(202, "application/json", R"({"ok":true})");
    });
  });
}

}  // namespace chat
