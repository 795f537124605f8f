// rtwire_load: a load generator for WebSocket echo servers and SSE servers, on standalone Asio
// with rtwire's client handshake, frame codec, HTTP/1 response parser and SSE decoder. One
// thread: run it pinned to its own core (taskset) to measure a server pinned to another.
//
//   rtwire_load --url ws://127.0.0.1:9001/ --connections 100 --size 64 --duration 10
//               [--rate MSGS_PER_S] [--pipeline N] [--hold SECONDS] [--text]
//   rtwire_load --url 'http://127.0.0.1:8080/events?topic=load' --connections 100 --size 64
//
// WebSocket (ws://): opens --connections connections, then for --duration seconds sends binary
// messages of --size bytes (text with --text) and counts the echoes. Without --rate each
// connection keeps --pipeline messages in flight (closed loop: a new message as each echo
// returns); with --rate the connections together send that many messages per second (open
// loop; a connection never has more than --pipeline in flight: a due message waits for a free
// slot, so the achieved rate can stay below the target). Latency is from the write of a
// message to the arrival of its echo (echoes come back in order on one connection).
//
// SSE (http://): opens --connections event streams (GET URL), then publishes messages with
// `POST <--publish-path>?<the URL's query>` (sse_server's /publish?topic=T) and counts each
// event on every stream: one message sent is --connections deliveries. Latency is from the
// publish request to the event's arrival on a stream. Without --rate, --pipeline publishes are
// in flight until every stream received them.
//
// Output: progress on stderr once a second, then ONE JSON object on stdout:
//   {"url", "mode", "connections", "connections_requested", "connections_failed", "size",
//    "rate", "pipeline", "duration_s", "messages_sent", "messages_received", "lost",
//    "throughput_msgs_per_s", "throughput_bytes_per_s",
//    "latency_us": {"p50", "p99", "p999", "max", "mean", "samples"}, "errors", "error_samples"}
// `lost` = messages (WebSocket) or deliveries (SSE) sent but not received once the run and the
// drain time (--drain) are over. Exit status: 0 when every connection opened and nothing was
// lost, 1 otherwise, 2 for bad flags.
//
// --hold SECONDS keeps the connections open and idle that long before sending (to read a
// server's memory per idle connection); "rtwire_load: N connections open" is printed on stderr
// when they are. The process raises its own RLIMIT_NOFILE for 10 000 connections.
#include <rtwire/core/http1.hpp>
#include <rtwire/sse/decoder.hpp>
#include <rtwire/ws/connection.hpp>
#include <rtwire/ws/handshake.hpp>

#include <sys/resource.h>
#include <asio.hpp>
#include <nlohmann/json.hpp>

#include "../common/cli.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
namespace ws = rtwire::ws;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch())
      .count();
}

// ---------------------------------------------------------------------------------------------
// 1. Flags and the URL.
// ---------------------------------------------------------------------------------------------

struct settings {
  std::string url;
  std::size_t connections = 1;
  std::size_t size = 64;
  double rate = 0;  // messages per second, all connections together; 0: as fast as echoes return
  double duration = 10;
  std::size_t pipeline = 1;
  double hold = 0;
  double drain = 2;
  std::size_t connect_concurrency = 256;
  double connect_timeout = 30;
  bool text = false;
  std::string publish_path = "/publish";
};

struct parsed_url {
  bool websocket = true;
  std::string host;
  std::string port;
  std::string target;  // path + query
  std::string query;   // without '?'
};

/// ws://host[:port][/path][?query] or http://...; nullopt for anything else.
std::optional<parsed_url> parse_url(std::string_view url) {
  parsed_url u;
  if (url.starts_with("ws://")) {
    url.remove_prefix(5);
    u.port = "80";
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
    u.websocket = false;
    u.port = "80";
  } else {
    return std::nullopt;  // wss:// and https:// need TLS, which this tool does not speak
  }
  const std::size_t slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (u.target.front() == '?') u.target.insert(0, "/");
  if (const std::size_t q = u.target.find('?'); q != std::string::npos)
    u.query = u.target.substr(q + 1);
  if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    u.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
  }
  u.host = std::string(authority);
  if (u.host.empty() || u.port.empty() ||
      u.port.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return u;
}

/// RLIMIT_NOFILE: the soft limit up to what `wanted` descriptors need (and the hard limit too
/// when the process may raise it). Returns the soft limit in force.
rlim_t raise_fd_limit(std::size_t wanted) {
  rlimit l{};
  if (getrlimit(RLIMIT_NOFILE, &l) != 0) return 0;
  const auto need = static_cast<rlim_t>(wanted + 64);
  if (l.rlim_cur >= need) return l.rlim_cur;
  rlimit want = l;
  want.rlim_cur = need;
  if (want.rlim_max != RLIM_INFINITY && want.rlim_max < need) want.rlim_max = need;
  if (setrlimit(RLIMIT_NOFILE, &want) != 0) {  // not privileged: up to the hard limit
    want = l;
    want.rlim_cur = l.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) != 0) return l.rlim_cur;
  }
  return want.rlim_cur;
}

// ---------------------------------------------------------------------------------------------
// 2. Statistics: counters and a log-linear (HDR-style) latency histogram.
// ---------------------------------------------------------------------------------------------

/// Values in nanoseconds; 64 sub-buckets per power of two, so any reported percentile is within
/// 1/64 (1.6 %) of the recorded value. Fixed size, no allocation per sample.
class histogram {
 public:
  void record(std::int64_t ns) {
    const auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(ns, 0));
    ++counts_[index(v)];
    ++count_;
    sum_ += static_cast<double>(v);
    max_ = std::max(max_, v);
  }
  std::uint64_t count() const { return count_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0; }
  std::uint64_t max() const { return max_; }
  /// The value at quantile q (0..1): the midpoint of the bucket holding the q-th sample.
  std::uint64_t quantile(double q) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(midpoint(i), max_);
    }
    return max_;
  }

 private:
  static constexpr unsigned sub_bits = 7;  // values below 128 are exact
  static std::size_t index(std::uint64_t v) {
    if (v < (1u << sub_bits)) return static_cast<std::size_t>(v);
    const auto shift = static_cast<unsigned>(std::bit_width(v)) - sub_bits;
    return static_cast<std::size_t>(shift) * 64 + static_cast<std::size_t>(v >> shift);
  }
  static std::uint64_t midpoint(std::size_t i) {
    if (i < (1u << sub_bits)) return i;
    const std::size_t shift = i / 64 - 1;
    const std::uint64_t mantissa = i - shift * 64;
    return (mantissa << shift) + ((std::uint64_t{1} << shift) >> 1);
  }
  std::array<std::uint64_t, 64 * 60> counts_{};
  std::uint64_t count_ = 0;
  double sum_ = 0;
  std::uint64_t max_ = 0;
};

struct stats {
  std::size_t open = 0;
  std::size_t failed = 0;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t errors = 0;
  std::vector<std::string> error_samples;
  histogram latency;

  void error(const std::string& what) {
    ++errors;
    if (error_samples.size() < 10) error_samples.push_back(what);
  }
};

// ---------------------------------------------------------------------------------------------
// 3. The run: phases shared by both modes.
// ---------------------------------------------------------------------------------------------

enum class phase { connecting, holding, running, draining, closing, done };

struct run_state {
  run_state(const settings& c, parsed_url u) : config(c), url(std::move(u)) {}
  const settings& config;
  parsed_url url;
  asio::io_context io;
  tcp::endpoint endpoint;
  stats st;
  phase now = phase::connecting;
  std::string payload;  // the message every WebSocket connection sends
  std::mt19937_64 random{std::random_device{}()};
  std::int64_t run_start = 0;
  std::int64_t run_end = 0;
};

// ---------------------------------------------------------------------------------------------
// 4. One WebSocket connection: connect → handshake → send/echo → close.
// ---------------------------------------------------------------------------------------------

class ws_client : public std::enable_shared_from_this<ws_client> {
 public:
  explicit ws_client(run_state& run)
      : run_(run),
        socket_(run.io),
        conn_(ws::role::client, {.limit = {.max_frame_payload = run.config.size + 1024,
                                           .max_message_size = run.config.size + 1024,
                                           .max_buffered_bytes = run.config.size + 2048},
                                 .keys = keys_}),
        sent_at_(run.config.pipeline) {}

  /// `on_open(ok)` runs once, when the handshake succeeded or the connection failed.
  template <class F>
  void start(F on_open) {
    on_open_ = std::move(on_open);
    socket_.async_connect(run_.endpoint, [self = shared_from_this()](asio::error_code ec) {
      if (ec) return self->fail("connect: " + ec.message());
      asio::error_code ignored;
      self->socket_.set_option(tcp::no_delay(true), ignored);
      self->send_request();
    });
  }

  bool is_open() const { return open_; }
  std::size_t in_flight() const { return in_flight_; }
  bool can_send() const { return open_ && in_flight_ < sent_at_.size(); }

  /// Queues one message and writes it out (batched with whatever is already queued).
  void send() {
    const rtwire::bytes_view payload = rtwire::as_bytes(std::string_view(run_.payload));
    const auto ec = run_.config.text ? conn_.send_text(run_.payload) : conn_.send_binary(payload);
    if (ec) return fail("send: " + ec.message());
    sent_at_[(head_ + in_flight_) % sent_at_.size()] = now_ns();
    ++in_flight_;
    ++run_.st.sent;
    write();
  }

  /// Starts the closing handshake (RFC 6455 §7.1.2); the server closes TCP (§7.1.1).
  void close() {
    if (!open_) return;
    conn_.close(ws::close_code::normal);
    write();
  }

  std::string on_open_error;

 private:
  struct fast_keys {  // RFC 6455 §5.3 wants unpredictable keys: seeded from random_device
    std::mt19937 engine{std::random_device{}()};
    ws::masking_key operator()() {
      const auto v = static_cast<std::uint32_t>(engine());
      return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
              static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
    }
  };

  // 4a. The opening handshake (RFC 6455 §4.1).
  void send_request() {
    std::array<std::byte, 16> nonce;
    for (std::size_t i = 0; i < nonce.size(); i += 8) {
      const std::uint64_t v = run_.random();
      for (std::size_t j = 0; j < 8; ++j)
        nonce[i + j] = static_cast<std::byte>(v >> (8 * j));
    }
    handshake_.emplace();
    const std::string host = run_.url.host + ":" + run_.url.port;
    if (const auto ec =
            handshake_->write_request(wbuf_, {.host = host, .target = run_.url.target}, nonce))
      return fail("handshake request: " + ec.message());
    writing_ = true;
    asio::async_write(socket_, asio::buffer(wbuf_),
                      [self = shared_from_this()](asio::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->wbuf_.clear();
                        if (ec) return self->fail("write: " + ec.message());
                      });
    read();
  }

  void read() {
    if (rbuf_.empty()) rbuf_.resize(std::clamp<std::size_t>(run_.config.size + 64, 4096, 65536));
    socket_.async_read_some(
        asio::buffer(rbuf_),
        [self = shared_from_this()](asio::error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(asio::error_code ec, std::size_t n) {
    if (ec) {
      if (open_) conn_.receive_eof();
      if (!open_ || conn_.state() != ws::connection_state::closed)
        return fail("read: " +
                    (ec == asio::error::eof ? std::string("server closed") : ec.message()));
      return finish();
    }
    std::size_t at = 0;
    if (!open_) {
      const auto r = handshake_->feed(std::string_view(rbuf_.data(), n));
      if (r.status == ws::client_handshake::state::need_more) return read();
      if (r.status != ws::client_handshake::state::accepted)
        return fail("handshake: " + handshake_->error().message());
      handshake_.reset();  // its buffers are not needed any more
      open_ = true;
      on_open_(true);
      at = r.consumed;
    }
    on_frames(at, n - at);
  }

  // 4b. Echoes: each message received is the oldest one in flight.
  void on_frames(std::size_t at, std::size_t n) {
    conn_.feed(rbuf_.data() + at, n);
    for (ws::event ev = conn_.next(); ev.type != ws::event_type::need_more; ev = conn_.next()) {
      if (ev.type == ws::event_type::binary || ev.type == ws::event_type::text) {
        if (in_flight_ == 0 || ev.data.size() != run_.config.size) {
          fail("unexpected message of " + std::to_string(ev.data.size()) + " bytes");
          return;
        }
        const std::int64_t t = now_ns();
        run_.st.latency.record(t - sent_at_[head_]);
        head_ = (head_ + 1) % sent_at_.size();
        --in_flight_;
        ++run_.st.received;
        // Closed loop: one new message per echo while the run lasts.
        if (run_.now == phase::running && run_.config.rate == 0) send();
      } else if (ev.type == ws::event_type::error) {
        run_.st.error("protocol: " + conn_.failure().message());
        break;  // the close frame is queued
      }
    }
    write();
    if (conn_.state() == ws::connection_state::closed && !writing_) return finish();
    read();
  }

  // Writes what the connection queued. conn_.output() grows while a write is in flight (echoes
  // arrive and trigger sends), so the bytes are moved to wbuf_ first: the write's buffer never
  // moves under it.
  void write() {
    if (writing_ || conn_.output().empty() || !socket_.is_open()) return;
    const rtwire::bytes_view out = conn_.output();
    wbuf_.assign(reinterpret_cast<const char*>(out.data()), out.size());
    conn_.consume_output(out.size());
    writing_ = true;
    asio::async_write(socket_, asio::buffer(wbuf_),
                      [self = shared_from_this()](asio::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec) return self->fail("write: " + ec.message());
                        self->write();
                      });
  }

  void fail(std::string what) {
    if (failed_ || finished_) return;
    failed_ = true;
    asio::error_code ignored;
    socket_.close(ignored);
    if (run_.now != phase::closing) run_.st.error(what);
    if (!open_) {
      on_open_error = std::move(what);
      on_open_(false);
    } else {
      open_ = false;
    }
  }

  void finish() {
    finished_ = true;
    open_ = false;
    asio::error_code ignored;
    socket_.close(ignored);
  }

  run_state& run_;
  tcp::socket socket_;
  fast_keys keys_;
  std::optional<ws::client_handshake> handshake_;
  ws::connection conn_;
  std::vector<char> rbuf_;
  std::string wbuf_;
  bool writing_ = false;
  bool open_ = false;
  bool failed_ = false;
  bool finished_ = false;
  std::function<void(bool)> on_open_;
  std::vector<std::int64_t> sent_at_;  // ring of send times, oldest at head_
  std::size_t head_ = 0;
  std::size_t in_flight_ = 0;
};

// ---------------------------------------------------------------------------------------------
// 5. One SSE stream and the publisher.
// ---------------------------------------------------------------------------------------------

/// Publishes in flight (SSE): how many streams still have to receive each message.
struct sse_tracker {
  std::unordered_map<std::uint64_t, std::size_t> pending;
  std::size_t streams = 0;
  std::uint64_t next_seq = 0;
};

class sse_stream : public std::enable_shared_from_this<sse_stream> {
 public:
  sse_stream(run_state& run, sse_tracker& tracker, std::function<void()> on_delivered)
      : run_(run), tracker_(tracker), on_delivered_(std::move(on_delivered)), socket_(run.io) {}

  template <class F>
  void start(F on_open) {
    on_open_ = std::move(on_open);
    socket_.async_connect(run_.endpoint, [self = shared_from_this()](asio::error_code ec) {
      if (ec) return self->fail("connect: " + ec.message());
      asio::error_code ignored;
      self->socket_.set_option(tcp::no_delay(true), ignored);
      self->request_ = "GET " + self->run_.url.target +
                       " HTTP/1.1\r\nHost: " + self->run_.url.host + ":" + self->run_.url.port +
                       "\r\nAccept: text/event-stream\r\n\r\n";
      asio::async_write(self->socket_, asio::buffer(self->request_),
                        [self](asio::error_code e, std::size_t) {
                          if (e) self->fail("write: " + e.message());
                        });
      self->read();
    });
  }

  bool is_open() const { return open_; }
  void close() {
    asio::error_code ignored;
    socket_.close(ignored);
    open_ = false;
    closing_ = true;
  }
  std::string on_open_error;

 private:
  void read() {
    if (rbuf_.empty()) rbuf_.resize(16384);
    socket_.async_read_some(
        asio::buffer(rbuf_),
        [self = shared_from_this()](asio::error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(asio::error_code ec, std::size_t n) {
    if (ec) {
      if (closing_) return;
      return fail("read: " +
                  (ec == asio::error::eof ? std::string("server closed") : ec.message()));
    }
    std::string_view data(rbuf_.data(), n);
    if (!open_) {
      // 5a. The response head (RFC 9112 §4): 200 and text/event-stream, or a failure.
      const auto r = head_.feed(data);
      if (r.status == rtwire::http1::parse_status::need_more) return read();
      if (r.status != rtwire::http1::parse_status::done)
        return fail("response head: " + head_.error().message());
      if (head_.head().status != 200)
        return fail("response status " + std::to_string(head_.head().status));
      open_ = true;
      on_open_(true);
      data.remove_prefix(r.consumed);
    }
    // 5b. Events. The data is "<seq> <publish time ns> <padding>".
    if (const auto e = decoder_.feed(data)) return fail("sse: " + e.message());
    for (;;) {
      const auto r = decoder_.next();
      if (r.status == rtwire::sse::status::need_more) break;
      if (r.status != rtwire::sse::status::event) {
        if (r.status == rtwire::sse::status::error)
          return fail("sse: " + decoder_.error().message());
        continue;  // retry
      }
      std::uint64_t seq = 0;
      std::int64_t t = 0;
      const std::string_view d = r.event.data;
      const auto a = std::from_chars(d.data(), d.data() + d.size(), seq);
      const auto b = a.ec == std::errc{} && a.ptr != d.data() + d.size()
                         ? std::from_chars(a.ptr + 1, d.data() + d.size(), t)
                         : a;
      const auto it = tracker_.pending.find(seq);
      if (b.ec != std::errc{} || it == tracker_.pending.end()) continue;  // not ours (history)
      run_.st.latency.record(now_ns() - t);
      ++run_.st.received;
      if (--it->second == 0) {
        tracker_.pending.erase(it);
        on_delivered_();
      }
    }
    read();
  }

  void fail(std::string what) {
    if (failed_) return;
    failed_ = true;
    asio::error_code ignored;
    socket_.close(ignored);
    if (run_.now != phase::closing) run_.st.error(what);
    if (!open_) {
      on_open_error = std::move(what);
      on_open_(false);
    }
    open_ = false;
  }

  run_state& run_;
  sse_tracker& tracker_;
  std::function<void()> on_delivered_;
  tcp::socket socket_;
  std::string request_;
  std::vector<char> rbuf_;
  rtwire::http1::response_parser head_;
  rtwire::sse::decoder decoder_;
  std::function<void(bool)> on_open_;
  bool open_ = false;
  bool failed_ = false;
  bool closing_ = false;
};

/// One `POST /publish?...` on its own connection (the example servers answer with Connection:
/// close). `done(ok)` runs when the answer is read.
class publisher : public std::enable_shared_from_this<publisher> {
 public:
  publisher(run_state& run, std::string body, std::function<void(bool)> done)
      : run_(run), socket_(run.io), body_(std::move(body)), done_(std::move(done)) {}

  void start() {
    socket_.async_connect(run_.endpoint, [self = shared_from_this()](asio::error_code ec) {
      if (ec) return self->finish("publish connect: " + ec.message());
      const auto& u = self->run_.url;
      self->request_ =
          "POST " + self->run_.config.publish_path + (u.query.empty() ? "" : "?" + u.query) +
          " HTTP/1.1\r\nHost: " + u.host + ":" + u.port +
          "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(self->body_.size()) +
          "\r\n\r\n" + self->body_;
      asio::async_write(self->socket_, asio::buffer(self->request_),
                        [self](asio::error_code e, std::size_t) {
                          if (e) return self->finish("publish write: " + e.message());
                          self->read();
                        });
    });
  }

 private:
  void read() {
    socket_.async_read_some(
        asio::buffer(rbuf_), [self = shared_from_this()](asio::error_code ec, std::size_t n) {
          if (!ec) {
            self->answer_.append(self->rbuf_.data(), n);
            if (self->answer_.size() < 4096) return self->read();
          }
          if (ec && ec != asio::error::eof) return self->finish("publish read: " + ec.message());
          if (!self->answer_.starts_with("HTTP/1.1 200"))
            return self->finish("publish answered: " +
                                self->answer_.substr(0, self->answer_.find('\r')));
          self->finish({});
        });
  }
  void finish(const std::string& error) {
    asio::error_code ignored;
    socket_.close(ignored);
    if (!error.empty()) run_.st.error(error);
    done_(error.empty());
  }

  run_state& run_;
  tcp::socket socket_;
  std::string body_;
  std::function<void(bool)> done_;
  std::string request_;
  std::string answer_;
  std::array<char, 1024> rbuf_{};
};

// ---------------------------------------------------------------------------------------------
// 6. The driver: open, (hold), run, drain, close, report.
// ---------------------------------------------------------------------------------------------

class driver {
 public:
  explicit driver(run_state& run) : run_(run), timer_(run.io), ticker_(run.io) {}

  void start() {
    const auto& c = run_.config;
    if (run_.url.websocket) {
      run_.payload.assign(c.size, 'x');
      for (std::size_t i = 0; i < c.size; ++i)
        run_.payload[i] = static_cast<char>('a' + i % 26);
    }
    phase_start_ = now_ns();
    timer_.expires_after(std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double>(c.connect_timeout)));
    timer_.async_wait([this](asio::error_code ec) {
      if (!ec && run_.now == phase::connecting) {
        run_.st.error("connect timeout: " + std::to_string(pending_connects_) + " still pending");
        begin_hold();
      }
    });
    tick();
    for (std::size_t i = 0; i < std::min(c.connect_concurrency, c.connections); ++i)
      open_next();
  }

 private:
  // 6a. Connections are opened a bounded number at a time, so 10 000 of them do not overflow
  // the server's accept queue.
  void open_next() {
    if (launched_ == run_.config.connections || run_.now != phase::connecting) return;
    ++launched_;
    ++pending_connects_;
    auto on_open = [this](bool ok) {
      --pending_connects_;
      if (ok) {
        ++run_.st.open;
      } else {
        ++run_.st.failed;
      }
      if (run_.now != phase::connecting) return;
      if (launched_ == run_.config.connections && pending_connects_ == 0) return begin_hold();
      open_next();
    };
    if (run_.url.websocket) {
      auto c = std::make_shared<ws_client>(run_);
      ws_.push_back(c);
      c->start(on_open);
    } else {
      auto s = std::make_shared<sse_stream>(run_, tracker_, [this] { on_delivered(); });
      sse_.push_back(s);
      s->start(on_open);
    }
  }

  void begin_hold() {
    run_.now = phase::holding;
    timer_.cancel();
    std::fprintf(stderr, "rtwire_load: %zu connections open (%zu failed) in %.2f s\n", run_.st.open,
                 run_.st.failed, static_cast<double>(now_ns() - phase_start_) / 1e9);
    if (run_.config.hold <= 0) return begin_run();
    after(run_.config.hold, [this] { begin_run(); });
  }

  // 6b. The measured run.
  void begin_run() {
    run_.now = phase::running;
    run_.run_start = now_ns();
    tracker_.streams = run_.st.open;
    after(run_.config.duration, [this] { begin_drain(); });
    if (run_.st.open == 0) return;
    if (run_.config.rate > 0) return;  // the ticker sends
    if (run_.url.websocket) {
      for (auto& c : ws_)
        for (std::size_t i = 0; i < run_.config.pipeline && c->can_send(); ++i)
          c->send();
    } else {
      for (std::size_t i = 0; i < run_.config.pipeline; ++i)
        publish();
    }
  }

  void begin_drain() {
    run_.now = phase::draining;
    run_.run_end = now_ns();
    after(run_.config.drain, [this] { begin_close(); });
    if (in_flight() == 0) begin_close();
  }

  void begin_close() {
    if (run_.now == phase::closing || run_.now == phase::done) return;
    run_.now = phase::closing;
    for (auto& c : ws_)
      c->close();
    for (auto& s : sse_)
      s->close();
    // The servers close TCP after the closing handshake; do not wait long for stragglers.
    after(1.0, [this] { end(); });
  }

  void end() {
    if (run_.now == phase::done) return;
    run_.now = phase::done;
    ticker_.cancel();
    timer_.cancel();
    run_.io.stop();
  }

  bool any_open() const {
    return std::any_of(ws_.begin(), ws_.end(), [](const auto& c) { return c->is_open(); }) ||
           std::any_of(sse_.begin(), sse_.end(), [](const auto& s) { return s->is_open(); });
  }

  std::uint64_t in_flight() const {
    if (run_.url.websocket) {
      std::uint64_t n = 0;
      for (const auto& c : ws_)
        if (c->is_open()) n += c->in_flight();
      return n;
    }
    return tracker_.pending.size() + publishing_;
  }

  // 6c. SSE: one publish; the next one when every stream got it (closed loop).
  void publish() {
    const std::uint64_t seq = tracker_.next_seq++;
    std::string body = std::to_string(seq) + " " + std::to_string(now_ns()) + " ";
    if (body.size() < run_.config.size) body.append(run_.config.size - body.size(), 'x');
    tracker_.pending.emplace(seq, tracker_.streams);
    ++run_.st.sent;
    ++publishing_;
    std::make_shared<publisher>(run_, std::move(body), [this, seq](bool ok) {
      --publishing_;
      if (!ok) {
        tracker_.pending.erase(seq);
        --run_.st.sent;  // never published: nothing to deliver
      }
      if (!ok && run_.now == phase::running && run_.config.rate == 0) publish();
    })->start();
  }

  void on_delivered() {
    if (run_.now == phase::running && run_.config.rate == 0) return publish();
    if (run_.now == phase::draining && in_flight() == 0) begin_close();
  }

  // 6d. Once a millisecond: the open-loop sender (--rate); once a second: progress.
  void tick() {
    ticker_.expires_after(std::chrono::milliseconds(1));
    ticker_.async_wait([this](asio::error_code ec) {
      if (ec) return;
      const std::int64_t t = now_ns();
      if (run_.now == phase::running && run_.config.rate > 0) send_due(t);
      if (run_.now == phase::draining && in_flight() == 0) begin_close();
      if (run_.now == phase::closing && !any_open()) return end();
      if (t - last_progress_ >= 1'000'000'000) progress(t);
      tick();
    });
  }

  void send_due(std::int64_t t) {
    const auto due = static_cast<std::uint64_t>(run_.config.rate *
                                                static_cast<double>(t - run_.run_start) / 1e9);
    std::uint64_t issued = run_.st.sent;
    if (run_.url.websocket) {
      for (std::size_t tried = 0; issued < due && tried < ws_.size(); ++tried) {
        auto& c = ws_[next_ % ws_.size()];
        next_ = (next_ + 1) % ws_.size();
        if (!c->can_send()) continue;
        c->send();
        ++issued;
        tried = 0;
      }
    } else {
      while (issued < due && publishing_ < 64) {
        publish();
        ++issued;
      }
    }
  }

  void progress(std::int64_t t) {
    last_progress_ = t;
    const char* names[] = {"connecting", "holding", "running", "draining", "closing", "done"};
    const std::uint64_t received = run_.st.received;
    std::fprintf(stderr,
                 "rtwire_load: %-10s open %zu failed %zu sent %llu received %llu (+%llu/s) "
                 "p99 %.1f us errors %llu\n",
                 names[static_cast<int>(run_.now)], run_.st.open, run_.st.failed,
                 static_cast<unsigned long long>(run_.st.sent),
                 static_cast<unsigned long long>(received),
                 static_cast<unsigned long long>(received - last_received_),
                 static_cast<double>(run_.st.latency.quantile(0.99)) / 1e3,
                 static_cast<unsigned long long>(run_.st.errors));
    last_received_ = received;
  }

  template <class F>
  void after(double seconds, F f) {
    timer_.expires_after(
        std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds)));
    timer_.async_wait([f](asio::error_code ec) {
      if (!ec) f();
    });
  }

  run_state& run_;
  asio::steady_timer timer_;
  asio::steady_timer ticker_;
  std::vector<std::shared_ptr<ws_client>> ws_;
  std::vector<std::shared_ptr<sse_stream>> sse_;
  sse_tracker tracker_;
  std::size_t launched_ = 0;
  std::size_t pending_connects_ = 0;
  std::size_t publishing_ = 0;
  std::size_t next_ = 0;
  std::int64_t phase_start_ = 0;
  std::int64_t last_progress_ = 0;
  std::uint64_t last_received_ = 0;
};

// ---------------------------------------------------------------------------------------------
// 7. The summary.
// ---------------------------------------------------------------------------------------------

nlohmann::json summary(const run_state& run) {
  const auto& c = run.config;
  const auto& st = run.st;
  const double seconds =
      run.run_end > run.run_start ? static_cast<double>(run.run_end - run.run_start) / 1e9 : 0;
  const std::uint64_t expected =
      run.url.websocket ? st.sent : st.sent * static_cast<std::uint64_t>(st.open);
  const auto us = [&](double q) { return static_cast<double>(st.latency.quantile(q)) / 1e3; };
  // Throughput counts what came back during the run (the drain's late echoes are not counted
  // against a shorter time).
  const double msgs = seconds > 0 ? static_cast<double>(st.received) / seconds : 0;
  return {
      {"url", c.url},
      {"mode", run.url.websocket ? "websocket" : "sse"},
      {"connections", st.open},
      {"connections_requested", c.connections},
      {"connections_failed", st.failed},
      {"size", c.size},
      {"rate", c.rate},
      {"pipeline", c.pipeline},
      {"duration_s", seconds},
      {"messages_sent", st.sent},
      {"messages_received", st.received},
      {"lost", expected > st.received ? expected - st.received : 0},
      {"throughput_msgs_per_s", msgs},
      {"throughput_bytes_per_s", msgs * static_cast<double>(c.size)},
      {"latency_us",
       {{"p50", us(0.5)},
        {"p99", us(0.99)},
        {"p999", us(0.999)},
        {"max", static_cast<double>(st.latency.max()) / 1e3},
        {"mean", st.latency.mean() / 1e3},
        {"samples", st.latency.count()}}},
      {"errors", st.errors},
      {"error_samples", st.error_samples},
  };
}

int run(const settings& config, const parsed_url& url) {
  run_state run(config, url);
  tcp::resolver resolver(run.io);
  run.endpoint = resolver.resolve(url.host, url.port).begin()->endpoint();
  driver d(run);
  d.start();
  run.io.run();
  if (run.run_end == 0) run.run_end = now_ns();
  const nlohmann::json j = summary(run);
  std::printf("%s\n", j.dump().c_str());
  return run.st.failed == 0 && j["lost"].get<std::uint64_t>() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"rtwire_load: WebSocket echo / SSE load generator (rtwire + Asio)"};
  app.add_option("--url", s.url, "ws://host:port/path (echo) or http://host:port/path?query (SSE)")
      ->required();
  app.add_option("--connections", s.connections, "Connections (or SSE streams) to open")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
      ->capture_default_str();
  app.add_option("--size", s.size, "Message size, bytes")
      ->check(CLI::Range(std::size_t{0}, std::size_t{16} << 20))
      ->capture_default_str();
  app.add_option("--rate", s.rate, "Messages per second, all connections together (0: closed loop)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--duration", s.duration, "Seconds of sending")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--pipeline", s.pipeline, "Messages in flight per connection (SSE: in total)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{4096}))
      ->capture_default_str();
  app.add_option("--hold", s.hold, "Seconds to hold the connections idle before sending")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--drain", s.drain, "Seconds to wait for the last echoes after the run")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--connect-concurrency", s.connect_concurrency, "Connects in progress at once")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
      ->capture_default_str();
  app.add_option("--connect-timeout", s.connect_timeout, "Seconds to open every connection")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_flag("--text", s.text, "Send text messages (WebSocket; default binary)");
  app.add_option("--publish-path", s.publish_path, "SSE: path to POST messages to")
      ->capture_default_str();
  if (const auto code = rtwire_examples::parse_flags(app, argc, argv)) return *code;
  const auto url = parse_url(s.url);
  if (!url) {
    std::fprintf(stderr, "rtwire_load: --url must be ws://host[:port]/path or http://...\n");
    return 2;
  }
  // SSE: the data starts with "<seq> <publish time> "; shorter sizes are raised to 48.
  if (!url->websocket && s.size < 48) s.size = 48;
  const rlim_t limit = raise_fd_limit(s.connections + 128);
  if (limit < s.connections + 16)
    std::fprintf(stderr, "rtwire_load: RLIMIT_NOFILE is %llu: not enough for %zu connections\n",
                 static_cast<unsigned long long>(limit), s.connections);
  try {
    return run(s, *url);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rtwire_load: %s\n", e.what());
    return 1;
  }
}
