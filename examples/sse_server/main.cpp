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

#include "../common/query.hpp"

namespace {

using asio::ip::tcp;

struct settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::uint64_t retry_ms = 1000;
  std::size_t max_messages = 10'000;
  std::size_t max_bytes = std::size_t{16} << 20;
  std::int64_t max_age_s = 0;
  std::uint64_t epoch = 0;  // 0: derive a boot id from the clock
  unsigned heartbeat_s = 15;
  std::size_t max_body = std::size_t{1} << 20;
  std::size_t max_backlog = std::size_t{4} << 20;
};

/// The caller's clock for the log's age retention (rtwire itself reads no clock).
rtwire::log::millis now_ms() {
  return std::chrono::duration_cast<rtwire::log::millis>(
      std::chrono::steady_clock::now().time_since_epoch());
}

using rtwire_examples::query_param;

class connection;

struct topic {
  explicit topic(std::uint64_t epoch, rtwire::log::retention keep) : log(epoch, keep) {}
  rtwire::log::message_log log;
  std::vector<std::weak_ptr<connection>> subscribers;
};

class server {
 public:
  server(asio::io_context& io, const settings& s) : settings_(s), acceptor_(io), heartbeat_(io) {}

  /// Binds and listens; prints the bound address (port 0 picks a free port).
  void start() {
    const tcp::endpoint ep(asio::ip::make_address(settings_.host), settings_.port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    const auto bound = acceptor_.local_endpoint();
    std::printf("sse_server listening on %s:%u\n", bound.address().to_string().c_str(),
                static_cast<unsigned>(bound.port()));
    std::fflush(stdout);
    accept();
    schedule_heartbeat();
  }

  topic& get_topic(const std::string& name) {
    auto it = topics_.find(name);
    if (it == topics_.end()) {
      rtwire::log::retention keep;
      keep.max_messages = settings_.max_messages;
      keep.max_bytes = settings_.max_bytes;
      keep.max_age = std::chrono::seconds(settings_.max_age_s);
      it = topics_.emplace(name, topic(settings_.epoch, keep)).first;
    }
    return it->second;
  }

  const settings& config() const { return settings_; }

  /// Appends to the topic's log and sends the event to every live subscriber.
  rtwire::log::append_result publish(const std::string& name, std::string_view data,
                                     std::string_view type);

  /// Closes every stream of the topic; returns how many.
  std::size_t drop(const std::string& name);

 private:
  void accept();
  void schedule_heartbeat();

  settings settings_;
  tcp::acceptor acceptor_;
  asio::steady_timer heartbeat_;
  std::map<std::string, topic> topics_;
};

class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(tcp::socket socket, server& srv) : socket_(std::move(socket)), server_(srv) {}

  void start() { read_head(); }

  /// Queues bytes for the peer. A subscriber that cannot keep up is disconnected (it resumes).
  void send(std::string_view bytes) {
    if (closed_) return;
    if (out_.size() + bytes.size() > server_.config().max_backlog) {
      close();
      return;
    }
    out_.append(bytes);
    if (!writing_) write_some();
  }

  /// Ends the connection once queued bytes are sent.
  void close_after_send() {
    close_after_write_ = true;
    if (!writing_) close();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    asio::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  void read_head() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buf_), [this, self](asio::error_code ec, std::size_t n) {
      if (ec) return close();
      const std::string_view data(buf_.data(), n);
      const auto r = parser_.feed(data);
      if (r.status == rtwire::http1::parse_status::need_more) return read_head();
      if (r.status == rtwire::http1::parse_status::error) {
        return respond(rtwire::http1::status_for(parser_.error().code), "bad request\n");
      }
      // Copy what we need: the head's views may point into buf_, which the next read reuses.
      const auto& head = parser_.head();
      method_ = head.method;
      target_ = head.target;
      if (const auto id = rtwire::sse::last_event_id(head.headers)) last_event_id_ = *id;
      // RFC 9112 §6.3: how the body is delimited. This example reads Content-Length bodies
      // only, so it refuses a chunked one (411) instead of misreading it.
      const auto body = head.headers.request_body();
      if (body.ec) return respond(rtwire::http1::status_for(body.ec), body.ec.message() + "\n");
      if (body.kind == rtwire::http1::body_kind::chunked)
        return respond(411, "send the body with Content-Length\n");
      if (body.length > server_.config().max_body) return respond(413, "body too large\n");
      body_length_ = static_cast<std::size_t>(body.length);
      body_.assign(data.substr(r.consumed));
      if (body_.size() >= body_length_) return route();
      read_body();
    });
  }

  void read_body() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buf_), [this, self](asio::error_code ec, std::size_t n) {
      if (ec) return close();
      body_.append(buf_.data(), n);
      if (body_.size() >= body_length_) return route();
      read_body();
    });
  }

  void route() {
    body_.resize(body_length_);
    const std::string_view path = std::string_view(target_).substr(0, target_.find('?'));
    const auto topic_name = query_param(target_, "topic");
    if (path == "/events" && method_ == "GET") {
      if (!topic_name || topic_name->empty()) return respond(400, "missing topic\n");
      return subscribe(*topic_name);
    }
    if (path == "/publish" && method_ == "POST") {
      if (!topic_name || topic_name->empty()) return respond(400, "missing topic\n");
      const std::string type = query_param(target_, "event").value_or("");
      const auto r = server_.publish(*topic_name, body_, type);
      if (!r) return respond(413, r.error.message() + "\n");
      return respond(
          200,
          rtwire::log::to_string({server_.get_topic(*topic_name).log.epoch(), r.offset}) + "\n");
    }
    if (path == "/drop" && method_ == "POST") {
      if (!topic_name || topic_name->empty()) return respond(400, "missing topic\n");
      return respond(200, std::to_string(server_.drop(*topic_name)) + "\n");
    }
    respond(404, "not found\n");
  }

  void subscribe(const std::string& name) {
    topic& t = server_.get_topic(name);
    std::string out;
    rtwire::sse::write_response_head(out);
    // How long an EventSource waits before reconnecting (a retry-only line cannot fail).
    (void)rtwire::sse::write_event(out, {.retry = server_.config().retry_ms});
    const std::optional<std::string_view> cursor =
        last_event_id_ ? std::optional<std::string_view>(*last_event_id_) : std::nullopt;
    const auto r = rtwire::sse::replay(out, t.log, cursor);
    if (r.had_cursor && !r.resume) {
      std::fprintf(stderr, "sse_server: %s: client at %s must reset: %s\n", name.c_str(),
                   last_event_id_->c_str(), r.resume.reset.message().c_str());
    }
    t.subscribers.push_back(weak_from_this());
    send(out);
    watch_for_close();
  }

  // A stream's client sends nothing more; a read completes only when it goes away.
  void watch_for_close() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buf_), [this, self](asio::error_code ec, std::size_t) {
      if (ec) return close();
      watch_for_close();
    });
  }

  void respond(int status, const std::string& body) {
    const char* reason = status == 200   ? "OK"
                         : status == 404 ? "Not Found"
                         : status == 413 ? "Content Too Large"
                         : status == 431 ? "Request Header Fields Too Large"
                         : status == 505 ? "HTTP Version Not Supported"
                                         : "Bad Request";
    std::string out =
        "HTTP/1.1 " + std::to_string(status) + " " + reason +
        "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n" + body;
    send(out);
    close_after_send();
  }

  void write_some() {
    writing_ = true;
    sending_.swap(out_);
    out_.clear();
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(sending_),
                      [this, self](asio::error_code ec, std::size_t) {
                        writing_ = false;
                        if (ec) return close();
                        if (!out_.empty()) return write_some();
                        if (close_after_write_) close();
                      });
  }

  tcp::socket socket_;
  server& server_;
  std::array<char, 4096> buf_{};
  rtwire::http1::request_parser parser_;
  std::string method_, target_, body_;
  std::optional<std::string> last_event_id_;
  std::size_t body_length_ = 0;
  std::string out_, sending_;
  bool writing_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
};

void server::accept() {
  acceptor_.async_accept([this](asio::error_code ec, tcp::socket socket) {
    if (!ec) std::make_shared<connection>(std::move(socket), *this)->start();
    accept();
  });
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
      t.log.trim(now_ms());
    }
    schedule_heartbeat();
  });
}

rtwire::log::append_result server::publish(const std::string& name, std::string_view data,
                                           std::string_view type) {
  topic& t = get_topic(name);
  const auto r = t.log.append(data, type, now_ms());
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
  app.add_option("--host", s.host, "Address to listen on")->capture_default_str();
  app.add_option("--port", s.port, "TCP port (0: any free port)")->capture_default_str();
  app.add_option("--retry", s.retry_ms, "Reconnection time sent to clients, ms")
      ->capture_default_str();
  app.add_option("--max-messages", s.max_messages, "Messages kept per topic")
      ->capture_default_str();
  app.add_option("--max-bytes", s.max_bytes, "Message bytes kept per topic")->capture_default_str();
  app.add_option("--max-age", s.max_age_s, "Seconds a message is kept (0: no limit)")
      ->capture_default_str();
  app.add_option("--epoch", s.epoch, "Log epoch (default: a boot id from the clock)");
  app.add_option("--heartbeat", s.heartbeat_s, "Seconds between heartbeats")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (s.epoch == 0) {
    // A boot id: history from a previous run of this process (lost, it lives in memory) must not
    // be mistaken for this run's, so cursors of another run resume as epoch_mismatch.
    s.epoch = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  }
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
