// Shared by the example servers: the Asio HTTP/1.1 plumbing, once. Not part of the library.
//
//   1. listener      binds (a host name is resolved), accepts; when the process is out of file
//                    descriptors (EMFILE/ENFILE) it backs off with a timer instead of spinning.
//   2. http_session  reads one request: the head through rtwire::http1::request_parser with its
//                    limits (431 for an oversize head), a head timeout and an idle timeout
//                    (slowloris), the body as header_list::request_body() frames it
//                    (Content-Length only: chunked gets 411 Length Required, > max_body 413).
//                    CORS preflights (OPTIONS) are answered here; then the handler runs.
//   3. responses     written through rtwire::http1's writer: the status line carries
//                    reason_phrase(status); every field value is validated.
//
// A request is answered once and the connection closed (Connection: close): the examples keep no
// idle connections. A handler may instead keep the session as a stream (SSE, a parked long poll:
// send() + watch_for_close()) or take its socket for an upgrade (take_socket()).
//
// One thread: every handler runs on the io_context; nothing here locks.
#pragma once

#include <asio.hpp>
#include <rtwire/core/http1.hpp>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli.hpp"
#include "query.hpp"

namespace rtwire_examples {

using asio::ip::tcp;

/// Bounds on one request.
struct http_limits {
  /// Head limits (size, field count, line length): exceeding one answers 431.
  rtwire::http1::limits head{};
  /// Largest request body accepted (413 above).
  std::size_t max_body = std::size_t{64} << 10;
  /// The whole head must arrive within this (slowloris): 408, then close.
  std::chrono::milliseconds head_timeout{10'000};
  /// Longest silence while a body is being read: 408, then close.
  std::chrono::milliseconds idle_timeout{30'000};
  /// Shapes the answer to a request refused before its handler runs for a bad body (411, 413,
  /// a bad Content-Length): given the path, status and reason, a JSON body to send instead of
  /// the plain-text reason, or nullopt for the plain text. Null: plain text everywhere.
  std::function<std::optional<std::string>(std::string_view path, int status,
                                           std::string_view reason)>
      refused_body = nullptr;
};

/// Which page origins may call the server from a browser (CORS, exact match; "*" for any).
struct cors_policy {
  std::vector<std::string> allowed;

  /// The Access-Control-Allow-Origin value for a request from `origin`: "*" when every origin is
  /// allowed, the origin itself when it is listed, nullopt otherwise (no CORS fields are sent,
  /// so the browser keeps the response from the page).
  std::optional<std::string> allow(std::optional<std::string_view> origin) const {
    if (!origin) return std::nullopt;
    for (const std::string& a : allowed)
      if (a == "*") return std::string("*");
    for (const std::string& a : allowed)
      if (a == *origin) return a;
    return std::nullopt;
  }
};

/// One header field to add to a response.
struct field {
  std::string_view name;
  std::string_view value;
};

/// Appends a complete response with a body (Content-Length, Connection: close) to `out`, through
/// rtwire::http1's writer. Invalid extra fields are a bug in the caller: they are skipped and
/// reported on stderr rather than written.
inline void write_response(std::string& out, int status, std::string_view content_type,
                           std::string_view body, std::initializer_list<field> extra = {},
                           std::span<const field> more = {}) {
  namespace h = rtwire::http1;
  (void)h::write_status_line(out, status);  // a 3-digit status and its standard reason: no error
  (void)h::write_field(out, "Content-Type", content_type);
  (void)h::write_field(out, "Content-Length", std::to_string(body.size()));
  (void)h::write_field(out, "Cache-Control", "no-store");
  (void)h::write_field(out, "Connection", "close");
  const auto add = [&](const field& f) {
    if (const auto ec = h::write_field(out, f.name, f.value))
      std::fprintf(stderr, "http: field %.*s not written: %s\n", static_cast<int>(f.name.size()),
                   f.name.data(), ec.message().c_str());
  };
  for (const field& f : extra)
    add(f);
  for (const field& f : more)
    add(f);
  h::write_end(out);
  out.append(body);
}

/// Resolves `host` (a name such as "localhost", or an address) for listening on `port`; throws
/// std::runtime_error naming the host when it cannot be resolved.
inline tcp::endpoint resolve_listen(asio::io_context& io, const std::string& host,
                                    std::uint16_t port) {
  asio::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) return {address, port};
  tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
  if (ec || results.empty())
    throw std::runtime_error("cannot resolve --host " + host + ": " +
                             (ec ? ec.message() : std::string("no address")));
  // Prefer IPv4 (what "localhost" users mean with 127.0.0.1 clients), else the first result.
  for (const auto& r : results)
    if (r.endpoint().address().is_v4()) return r.endpoint();
  return results.begin()->endpoint();
}

/// The accept loop. Out of file descriptors (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM),
/// accept() fails at once and would fail again at once: it waits `backoff` before retrying, so
/// the process does not spin at 100 % CPU while connections are closing.
class listener {
 public:
  using on_socket_fn = std::function<void(tcp::socket)>;

  listener(asio::io_context& io, const tcp::endpoint& ep, on_socket_fn on_socket,
           std::chrono::milliseconds backoff = std::chrono::milliseconds(100))
      : acceptor_(io), timer_(io), on_socket_(std::move(on_socket)), backoff_(backoff) {
    acceptor_.open(ep.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }

  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  /// How many times accept() was paused for lack of descriptors or memory.
  std::size_t backoffs() const noexcept { return backoffs_; }

  void start() { accept(); }

 private:
  static bool out_of_resources(const asio::error_code& ec) {
    if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
        ec == asio::error::no_memory)
      return true;
    return ec.category() == asio::system_category() && ec.value() == ENFILE;
  }

  void accept() {
    acceptor_.async_accept([this](asio::error_code ec, tcp::socket socket) {
      if (!ec) {
        on_socket_(std::move(socket));
        return accept();
      }
      if (ec == asio::error::operation_aborted) return;
      if (out_of_resources(ec)) {
        if (backoffs_++ % 100 == 0)
          std::fprintf(stderr, "accept: %s; pausing %lld ms\n", ec.message().c_str(),
                       static_cast<long long>(backoff_.count()));
        timer_.expires_after(backoff_);
        timer_.async_wait([this](asio::error_code) { accept(); });
        return;
      }
      accept();  // a connection that failed before it was accepted (ECONNABORTED): next one
    });
  }

  tcp::acceptor acceptor_;
  asio::steady_timer timer_;
  on_socket_fn on_socket_;
  std::chrono::milliseconds backoff_;
  std::size_t backoffs_ = 0;
};

/// A parsed request, owning its bytes (the parser's views are copied out).
struct request {
  std::string method;
  std::string target;
  /// The target without its query.
  std::string path;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body;
  /// The bytes of the head as received (e.g. to feed a WebSocket handshake).
  std::string raw_head;
  /// Bytes received after the body (for an upgrade: the first frames).
  std::string leftover;

  /// The first field called `name` (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const {
    for (const auto& [n, v] : fields)
      if (rtwire::http1::iequals(n, name)) return std::string_view(v);
    return std::nullopt;
  }
  /// The query parameter `key`: absent, malformed (a bad %XX escape), or its decoded value.
  query_value query(std::string_view key) const { return query_lookup(target, key); }
};

/// One connection's request/response: see the header comment.
class http_session : public std::enable_shared_from_this<http_session> {
 public:
  using handler_fn = std::function<void(const std::shared_ptr<http_session>&)>;

  http_session(tcp::socket socket, const http_limits& limits, const cors_policy& cors,
               handler_fn handler)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        limits_(limits),
        cors_(cors),
        handler_(std::move(handler)),
        parser_(rtwire::http1::options{.limit = limits.head}) {}

  void start() {
    asio::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    arm_timer(limits_.head_timeout);
    read_head();
  }

  request& req() noexcept { return req_; }
  const cors_policy& cors() const noexcept { return cors_; }
  /// The Access-Control-Allow-Origin value for this request (see cors_policy::allow()).
  std::optional<std::string> allowed_origin() const { return cors_.allow(req_.header("Origin")); }

  /// Answers with a body and closes. CORS fields are added when the request's Origin is allowed.
  void respond(int status, std::string_view content_type, std::string_view body,
               std::initializer_list<field> extra = {}) {
    if (responded_ || closed_) return;
    responded_ = true;
    std::vector<field> more;
    const auto origin = allowed_origin();
    if (origin) {
      more.push_back({"Access-Control-Allow-Origin", *origin});
      more.push_back({"Vary", "Origin"});
    }
    std::string out;
    write_response(out, status, content_type, body, extra, more);
    send(out);
    close_after_send();
  }

  /// A plain-text answer (the body is `text` and a newline).
  void respond_text(int status, std::string_view text) {
    respond(status, "text/plain; charset=utf-8", std::string(text) + "\n");
  }

  /// Marks the request as answered by a stream the handler writes itself (SSE): further
  /// respond() calls are ignored.
  void begin_stream() { responded_ = true; }
  bool responded() const noexcept { return responded_; }

  /// Queues bytes for the peer. With a backlog limit, a peer that stops reading is disconnected
  /// once the unsent bytes would exceed it (returns false); the bytes are then not queued.
  bool send(std::string_view bytes) {
    if (closed_) return false;
    if (max_backlog_ != 0 && out_.size() + sending_.size() + bytes.size() > max_backlog_) {
      close();
      return false;
    }
    out_.append(bytes);
    if (!writing_) write_some();
    return true;
  }
  void set_max_backlog(std::size_t bytes) noexcept { max_backlog_ = bytes; }
  std::size_t backlog() const noexcept { return out_.size() + sending_.size(); }

  /// Closes once the queued bytes are written.
  void close_after_send() {
    close_after_write_ = true;
    if (!writing_) close();
  }

  /// Closes now (queued bytes are dropped); runs the on_close callback once.
  void close() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    asio::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    if (on_close) {
      auto f = std::move(on_close);
      on_close = nullptr;
      f();
    }
  }
  bool closed() const noexcept { return closed_; }

  /// A stream's client sends nothing more: a read completes only when it goes away (or sends
  /// garbage), and then the session closes.
  void watch_for_close() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buf_), [this, self](asio::error_code ec, std::size_t) {
      if (ec || closed_) return close();
      watch_for_close();
    });
  }

  /// Hands the socket over (an upgrade); this session is finished and does nothing more.
  tcp::socket take_socket() {
    closed_ = true;
    timer_.cancel();
    return std::move(socket_);
  }

  /// Called once when the session closes (client gone, write error, close()).
  std::function<void()> on_close;

 private:
  void arm_timer(std::chrono::milliseconds after) {
    timer_.expires_after(after);
    auto self = shared_from_this();
    timer_.async_wait([this, self](asio::error_code ec) {
      if (ec || closed_ || dispatched_) return;
      // RFC 9110 §15.5.9: 408 when the client took too long to send its request.
      respond_text(408, "request timeout: the request did not arrive in time");
    });
  }

  /// Answers a request whose body is refused: the route's JSON (http_limits::refused_body) or
  /// the plain-text reason.
  void refuse_body(int status, const std::string& reason) {
    if (limits_.refused_body)
      if (const auto json = limits_.refused_body(req_.path, status, reason))
        return respond(status, "application/json", *json);
    respond_text(status, reason);
  }

  void read_head() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buf_), [this, self](asio::error_code ec, std::size_t n) {
      if (ec || closed_) return close();
      const std::string_view data(buf_.data(), n);
      const auto r = parser_.feed(data);
      req_.raw_head.append(data.substr(0, r.consumed));
      if (r.status == rtwire::http1::parse_status::need_more) return read_head();
      if (r.status == rtwire::http1::parse_status::error) {
        const int status = rtwire::http1::status_for(parser_.error().code);
        // 431 is about size, not syntax: say which limit, never "bad request".
        return respond_text(
            status, status == 431
                        ? "request header fields too large: " + parser_.error().code.message()
                        : "bad request: " + parser_.error().code.message());
      }
      // Copy what we need: the head's views may point into buf_, which the next read reuses.
      const auto& head = parser_.head();
      req_.method = head.method;
      req_.target = head.target;
      req_.path = req_.target.substr(0, req_.target.find('?'));
      for (const auto& f : head.headers.all())
        req_.fields.emplace_back(std::string(f.name), std::string(f.value));
      // RFC 9112 §6.3: how the body is delimited. These servers read Content-Length bodies only,
      // so they refuse a chunked one with 411 Length Required instead of misreading it.
      const auto body = head.headers.request_body();
      if (body.ec) return refuse_body(rtwire::http1::status_for(body.ec), body.ec.message());
      if (body.kind == rtwire::http1::body_kind::chunked)
        return refuse_body(411, "length required: send the body with Content-Length");
      if (body.length > limits_.max_body)
        return refuse_body(413, "content too large: the body exceeds " +
                                    std::to_string(limits_.max_body) + " bytes");
      body_length_ = static_cast<std::size_t>(body.length);
      req_.body.assign(data.substr(r.consumed));
      if (req_.body.size() >= body_length_) return dispatch();
      arm_timer(limits_.idle_timeout);
      read_body();
    });
  }

  void read_body() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buf_), [this, self](asio::error_code ec, std::size_t n) {
      if (ec || closed_) return close();
      req_.body.append(buf_.data(), n);
      if (req_.body.size() >= body_length_) return dispatch();
      arm_timer(limits_.idle_timeout);
      read_body();
    });
  }

  void dispatch() {
    dispatched_ = true;
    timer_.cancel();
    req_.leftover = req_.body.substr(body_length_);
    req_.body.resize(body_length_);
    // CORS preflight (Fetch standard §3.2.2): answer it here for every route.
    if (req_.method == "OPTIONS" && req_.header("Access-Control-Request-Method")) {
      if (!allowed_origin()) return respond_text(403, "forbidden: origin not allowed");
      return respond(
          204, "text/plain", "",
          {{"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
           {"Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID"},
           {"Access-Control-Max-Age", "600"}});
    }
    // A handler's exception is a bug in one request: answer 500, keep serving the others.
    try {
      handler_(shared_from_this());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "http: %s %s: %s\n", req_.method.c_str(), req_.target.c_str(), e.what());
      respond_text(500, "internal server error");
    }
  }

  void write_some() {
    writing_ = true;
    sending_.swap(out_);
    out_.clear();
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(sending_),
                      [this, self](asio::error_code ec, std::size_t) {
                        writing_ = false;
                        sending_.clear();
                        if (ec) return close();
                        if (!out_.empty()) return write_some();
                        if (close_after_write_) close();
                      });
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  const http_limits& limits_;
  const cors_policy& cors_;
  handler_fn handler_;
  rtwire::http1::request_parser parser_;
  std::array<char, 8192> buf_{};
  request req_;
  std::size_t body_length_ = 0;
  std::string out_, sending_;
  std::size_t max_backlog_ = 0;
  bool writing_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
  bool responded_ = false;
  bool dispatched_ = false;
};

/// --head-timeout-ms, --idle-timeout-ms, --max-body for a server's http_limits.
inline void add_http_limit_flags(CLI::App& app, http_limits& l) {
  app.add_option_function<unsigned>(
         "--head-timeout-ms", [&l](unsigned ms) { l.head_timeout = std::chrono::milliseconds(ms); },
         "Time allowed for a whole request head, ms (default 10000)")
      ->check(CLI::PositiveNumber);
  app.add_option_function<unsigned>(
         "--idle-timeout-ms", [&l](unsigned ms) { l.idle_timeout = std::chrono::milliseconds(ms); },
         "Longest silence while a body is read, ms (default 30000)")
      ->check(CLI::PositiveNumber);
}

}  // namespace rtwire_examples
