// rtwire_load: a load generator for WebSocket echo servers, SSE servers and chat_server, on
// standalone Asio with rtwire's client handshake, frame codec, HTTP/1 response parser and SSE
// decoder. One thread: run it pinned to its own core (taskset) to measure a server pinned to
// another. The mode follows the URL's scheme (ws://: echo, http://: SSE) unless --mode says
// websocket, sse or chat.
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
// Chat (--mode chat): clients of examples/chat's chat_server over WebSocket.
//
//   rtwire_load --mode chat --url ws://127.0.0.1:8080/ws,ws://127.0.0.1:8081/ws
//                 --connections 10000 --rooms 100 --room-rate 10 --duration 60 [--size 64]
//                 [--storm-at 30]
//
// Client i connects to the URLs round-robin (i mod the list's length), waits for `connected`
// {clientId, token}, joins room i mod --rooms ({"type":"join","room","name"}) and counts as open
// at its `joined`. Then each room gets --room-rate messages per second ({"type":"message",...}),
// each sent by the room's next joined client (round-robin); the text starts with
// "<seq> <send time ns> " (padded to --size, at least 48), so every `message` event received
// names its message. Per client: each message id at most once (else `duplicated`), ids
// increasing (else `out_of_order`), latency from the send to the receipt at each member (the
// sender too). A (client, message) delivery is expected when the message's offset in the room
// log is above the client's first `joined` cursor; `lost` counts expected deliveries never
// received, including messages GET /stats (of the first URL) counts in a room but nobody
// received. --storm-at S: S seconds into the run every connection is dropped at once (the
// queued bytes, then a FIN; nothing more is read from it) and each client connects to the NEXT
// URL with `?resume=TOKEN` (same clientId expected), then joins with `since` = the last cursor
// it received; at most --connect-concurrency connects are in flight; "storm": {"recover_ms"
// (drop to the last re-join's `joined`), "lost" and "duplicated" among the messages between a
// client's cursor at the drop and its re-join cursor, ...}. Chat output: the fields above
// without "pipeline", plus "rooms", "room_rate", "deliveries", "deliveries_per_s",
// "expected_deliveries", "duplicated", "duplicate_samples", "out_of_order", "resets",
// "messages_refused" (answered with an `error`), "messages_published_unseen",
// "connections_lost", and "storm" with --storm-at. Exit 0 only when every client joined and
// stayed connected, lost = duplicated = out_of_order = 0, no reset, and every storm client
// re-joined. chat_server limits each client to --rate messages/s: start it with a high one.
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

#include "../common/cli.hpp"
#include "chat_run.hpp"
#include "run_state.hpp"
#include "sse_stream.hpp"
#include "ws_client.hpp"

namespace rtwire_load {

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
    enter_hold(run_, timer_, phase_start_, [this] { begin_run(); });
  }

  // 6b. The measured run.
  void begin_run() {
    tracker_.streams = run_.st.open;
    enter_run(run_, timer_, [this] { begin_drain(); });
    if (run_.st.open == 0) return;
    if (run_.config.rate > 0) return;  // the ticker sends
    if (run_.url.websocket) {
      for (auto& c : ws_) {
        for (std::size_t i = 0; i < run_.config.pipeline && c->can_send(); ++i)
          c->send(false);
        c->flush();
      }
    } else {
      for (std::size_t i = 0; i < run_.config.pipeline; ++i)
        publish();
    }
  }

  void begin_drain() {
    run_.now = phase::draining;
    run_.run_end = now_ns();
    after(timer_, run_.config.drain, [this] { begin_close(); });
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
    after(timer_, 1.0, [this] { end(); });
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
    std::fprintf(stderr, "%s errors %llu\n",
                 progress_head(run_, "received", last_received_).c_str(),
                 static_cast<unsigned long long>(run_.st.errors));
    last_received_ = run_.st.received;
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
      {"latency_us", latency_json(st.latency)},
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

int run_chat(const settings& config, const std::vector<parsed_url>& urls) {
  run_state run(config, urls.front());
  tcp::resolver resolver(run.io);
  std::vector<tcp::endpoint> endpoints;
  for (const auto& u : urls)
    endpoints.push_back(resolver.resolve(u.host, u.port).begin()->endpoint());
  run.endpoint = endpoints.front();
  chat_driver d(run, urls, std::move(endpoints));
  d.start();
  run.io.run();
  if (run.run_end == 0) run.run_end = now_ns();
  std::printf("%s\n", d.summary().dump().c_str());
  return d.passed() ? 0 : 1;
}

}  // namespace rtwire_load

using namespace rtwire_load;

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
  app.add_option("--mode", s.mode, "websocket (echo), sse or chat; default: by the URL's scheme")
      ->check(CLI::IsMember({"websocket", "sse", "chat"}));
  app.add_option("--rooms", s.rooms, "Chat: rooms, the clients spread evenly over them")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
      ->capture_default_str();
  app.add_option("--room-rate", s.room_rate, "Chat: messages per second per room")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--storm-at", s.storm_at,
                 "Chat: seconds into the run to drop every connection and resume on the next URL")
      ->check(CLI::NonNegativeNumber);
  if (const auto code = rtwire_examples::parse_flags(app, argc, argv)) return *code;
  const bool chat = s.mode == "chat";
  const auto urls = parse_url_list(s.url);
  if (!urls || (!chat && urls->size() > 1)) {
    std::fprintf(
        stderr,
        "rtwire_load: --url must be ws://host[:port]/path or http://... (a comma-separated "
        "list only with --mode chat)\n");
    return 2;
  }
  const auto& url = urls->front();
  if (chat || s.mode == "websocket" || s.mode == "sse") {
    const bool want_ws = s.mode != "sse";
    if (std::any_of(urls->begin(), urls->end(),
                    [&](const auto& u) { return u.websocket != want_ws; })) {
      std::fprintf(stderr, "rtwire_load: --mode %s needs %s URLs\n", s.mode.c_str(),
                   want_ws ? "ws://" : "http://");
      return 2;
    }
  }
  if (chat) {
    // The text starts with "<seq> <send time ns> "; shorter sizes are raised to 48.
    if (s.size < 48) s.size = 48;
    if (s.size > 60000) {
      std::fprintf(stderr, "rtwire_load: --mode chat: --size is at most 60000\n");
      return 2;
    }
    const rlim_t limit = raise_fd_limit(2 * s.connections + 128);
    if (limit < s.connections + 16)
      std::fprintf(stderr, "rtwire_load: RLIMIT_NOFILE is %llu: not enough for %zu connections\n",
                   static_cast<unsigned long long>(limit), s.connections);
    try {
      return run_chat(s, *urls);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rtwire_load: %s\n", e.what());
      return 1;
    }
  }
  // SSE: the data starts with "<seq> <publish time> "; shorter sizes are raised to 48.
  if (!url.websocket && s.size < 48) s.size = 48;
  const rlim_t limit = raise_fd_limit(s.connections + 128);
  if (limit < s.connections + 16)
    std::fprintf(stderr, "rtwire_load: RLIMIT_NOFILE is %llu: not enough for %zu connections\n",
                 static_cast<unsigned long long>(limit), s.connections);
  try {
    return run(s, url);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rtwire_load: %s\n", e.what());
    return 1;
  }
}
