// sse_server — Server-Sent Events with Last-Event-ID resume, on standalone Asio.
//
// Shows how to bring your own I/O to rtwire's sans-IO SSE codec: Asio moves the bytes,
// rtwire::http1 parses request heads, rtwire::log keeps each topic's history, and rtwire::sse
// writes the response head, the replay after a reconnect and every live event.
//
//   GET  /events?topic=T          text/event-stream of topic T. With a Last-Event-ID header,
//                                 first exactly the missed messages, or one `rtwire-reset` event
//                                 when the cursor cannot be honoured (see rtwire/sse/replay.hpp).
//   POST /publish?topic=T[&event=TYPE]   body = the data; answers the new event's id.
//   POST /drop?topic=T            closes every stream of T (to demonstrate resume); answers the
//                                 number of streams closed.
//
// One thread, no locks: every handler runs on the io_context. A subscriber whose unsent output
// exceeds --max-backlog is disconnected; its EventSource reconnects and resumes from the log, so
// a slow client costs bounded memory and loses nothing that is still retained.
//
//   sse_server --port 8080 &
//   curl -N localhost:8080/events?topic=news &
//   curl -d 'hello' 'localhost:8080/publish?topic=news'
#include <asio.hpp>
#include <rtwire/core/http1.hpp>
#include <rtwire/sse.hpp>

#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../common/cli.hpp"
#include "../common/history_flags.hpp"
#include "../common/http_server.hpp"

namespace {

using asio::ip::tcp;

struct settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::uint64_t retry_ms = 1000;
  rtwire_examples::history_flags history;
  unsigned heartbeat_s = 15;
  std::size_t max_backlog = std::size_t{4} << 20;
  rtwire_examples::http_limits http{.max_body = std::size_t{1} << 20};
  rtwire_examples::cors_policy cors;
};

using rtwire_examples::http_session;
using session_ptr = std::shared_ptr<http_session>;

struct topic {
  explicit topic(std::uint64_t epoch, rtwire::log::retention keep) : log(epoch, keep) {}
  rtwire::log::message_log log;
  std::vector<std::weak_ptr<http_session>> subscribers;
};

class server {
 public:
  server(asio::io_context& io, const settings& s)
      : settings_(s),
        listener_(io, rtwire_examples::resolve_listen(io, s.host, s.port),
                  [this](tcp::socket socket) {
                    std::make_shared<http_session>(std::move(socket), settings_.http,
                                                   settings_.cors,
                                                   [this](const session_ptr& c) { route(c); })
                        ->start();
                  }),
        heartbeat_(io) {}

  /// Listens; prints the bound address (port 0 picks a free port).
  void start() {
    const auto bound = listener_.local_endpoint();
    std::printf("sse_server listening on %s:%u\n", bound.address().to_string().c_str(),
                static_cast<unsigned>(bound.port()));
    std::fflush(stdout);
    listener_.start();
    schedule_heartbeat();
  }

  topic& get_topic(const std::string& name) {
    auto it = topics_.find(name);
    if (it == topics_.end()) {
      const rtwire::log::retention keep = settings_.history.retention();
      it = topics_.emplace(name, topic(settings_.history.epoch, keep)).first;
    }
    return it->second;
  }

  /// Appends to the topic's log and sends the event to every live subscriber.
  rtwire::log::append_result publish(const std::string& name, std::string_view data,
                                     std::string_view type);

  /// Closes every stream of the topic; returns how many.
  std::size_t drop(const std::string& name);

 private:
  void route(const session_ptr& c);
  void subscribe(const session_ptr& c, const std::string& name);
  void schedule_heartbeat();

  settings settings_;
  rtwire_examples::listener listener_;
  asio::steady_timer heartbeat_;
  std::map<std::string, topic> topics_;
};

void server::route(const session_ptr& c) {
  const auto& req = c->req();
  const auto topic_name = req.query("topic");
  const bool known = (req.path == "/events" && req.method == "GET") ||
                     (req.path == "/publish" && req.method == "POST") ||
                     (req.path == "/drop" && req.method == "POST");
  if (!known) return c->respond_text(404, "not found");
  if (topic_name.malformed()) return c->respond_text(400, "malformed query: topic");
  if (!topic_name.value || topic_name.value->empty()) return c->respond_text(400, "missing topic");
  const std::string& name = *topic_name.value;
  if (req.path == "/events") return subscribe(c, name);
  if (req.path == "/publish") {
    const auto event = req.query("event");
    if (event.malformed()) return c->respond_text(400, "malformed query: event");
    const auto r = publish(name, req.body, event.value.value_or(""));
    if (!r) return c->respond_text(413, r.error.message());
    return c->respond_text(200, rtwire::log::to_string({get_topic(name).log.epoch(), r.offset}));
  }
  c->respond_text(200, std::to_string(drop(name)));
}

void server::subscribe(const session_ptr& c, const std::string& name) {
  topic& t = get_topic(name);
  std::string out;
  // The event-stream head, through rtwire::http1, with CORS fields when the origin is allowed.
  namespace h = rtwire::http1;
  (void)h::write_status_line(out, 200);
  for (const auto& f : rtwire::sse::response_fields)
    (void)h::write_field(out, f.name, f.value);
  if (const auto origin = c->allowed_origin()) {
    (void)h::write_field(out, "Access-Control-Allow-Origin", *origin);
    (void)h::write_field(out, "Vary", "Origin");
  }
  h::write_end(out);
  // How long an EventSource waits before reconnecting (a retry-only line cannot fail).
  (void)rtwire::sse::write_event(out, {.retry = settings_.retry_ms});
  const auto last_id = c->req().header("Last-Event-ID");
  const std::optional<std::string_view> cursor =
      last_id && !last_id->empty() ? last_id : std::nullopt;
  const auto r = rtwire::sse::replay(out, t.log, cursor);
  if (r.had_cursor && !r.resume) {
    std::fprintf(stderr, "sse_server: %s: client at %.*s must reset: %s\n", name.c_str(),
                 static_cast<int>(cursor->size()), cursor->data(),
                 r.resume.reset.message().c_str());
  }
  t.subscribers.push_back(c);
  c->begin_stream();
  // A subscriber that cannot keep up is disconnected (it resumes from the log).
  c->set_max_backlog(settings_.max_backlog);
  c->send(out);
  c->watch_for_close();
}

void server::schedule_heartbeat() {
  heartbeat_.expires_after(std::chrono::seconds(settings_.heartbeat_s));
  heartbeat_.async_wait([this](asio::error_code ec) {
    if (ec) return;
    std::string beat;
    rtwire::sse::write_heartbeat(beat);
    for (auto& [name, t] : topics_) {
      for (auto& weak : t.subscribers)
        if (auto c = weak.lock()) c->send(beat);
      // Forget subscribers that went away; trim by age while we are here.
      std::erase_if(t.subscribers, [](const auto& w) { return w.expired(); });
      t.log.trim(rtwire_examples::mono_now());
    }
    schedule_heartbeat();
  });
}

rtwire::log::append_result server::publish(const std::string& name, std::string_view data,
                                           std::string_view type) {
  topic& t = get_topic(name);
  const auto r = t.log.append(data, type, rtwire_examples::mono_now());
  if (!r) return r;
  std::string out;
  if (const auto ec = rtwire::sse::write_message(out, *t.log.find(r.offset), t.log.epoch())) {
    std::fprintf(stderr, "sse_server: cannot encode event: %s\n", ec.message().c_str());
    return r;
  }
  for (auto& weak : t.subscribers)
    if (auto c = weak.lock()) c->send(out);
  std::erase_if(t.subscribers, [](const auto& w) { return w.expired(); });
  return r;
}

std::size_t server::drop(const std::string& name) {
  topic& t = get_topic(name);
  std::size_t n = 0;
  for (auto& weak : t.subscribers) {
    if (auto c = weak.lock()) {
      c->close();
      ++n;
    }
  }
  t.subscribers.clear();
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"sse_server: Server-Sent Events with Last-Event-ID resume (rtwire + Asio)"};
  rtwire_examples::listen_flags listen;
  listen.add_to(app);
  app.add_option("--retry", s.retry_ms, "Reconnection time sent to clients, ms")
      ->capture_default_str();
  s.history.add_to(app);
  app.add_option("--heartbeat", s.heartbeat_s, "Seconds between heartbeats")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-body", s.http.max_body, "Largest published body, bytes")
      ->capture_default_str();
  rtwire_examples::add_http_limit_flags(app, s.http);
  rtwire_examples::add_allow_origin(app, s.cors.allowed);
  if (const auto code = rtwire_examples::parse_flags(app, argc, argv)) return *code;
  s.host = listen.host;
  s.port = listen.port;
  s.history.epoch = s.history.epoch_or_boot_id();
  try {
    asio::io_context io;
    server srv(io, s);
    srv.start();
    io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sse_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
