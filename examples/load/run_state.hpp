// rtwire_load: flags and the URL, the latency histogram and counters, and the run state both modes
// share. Part of examples/load (see main.cpp); not part of the library.
#pragma once

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

namespace rtwire_load {
using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
namespace ws = rtwire::ws;

inline std::int64_t now_ns() {
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
  // Chat mode (--mode chat; see chat_run.hpp).
  std::string mode;  // "websocket", "sse", "chat"; empty: chosen by the URL's scheme
  std::size_t rooms = 1;
  double room_rate = 1;  // messages per second per room
  double storm_at = -1;  // seconds into the run; < 0: no reconnect storm
};

struct parsed_url {
  bool websocket = true;
  std::string host;
  std::string port;
  std::string target;  // path + query
  std::string query;   // without '?'
};

/// ws://host[:port][/path][?query] or http://...; nullopt for anything else.
inline std::optional<parsed_url> parse_url(std::string_view url) {
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

/// A comma-separated list of URLs (chat mode spreads its clients over them); nullopt when one
/// of them does not parse or the list is empty.
inline std::optional<std::vector<parsed_url>> parse_url_list(std::string_view list) {
  std::vector<parsed_url> out;
  while (true) {
    const std::size_t comma = list.find(',');
    const auto one = parse_url(list.substr(0, comma));
    if (!one) return std::nullopt;
    out.push_back(*one);
    if (comma == std::string_view::npos) return out;
    list.remove_prefix(comma + 1);
  }
}

/// RLIMIT_NOFILE: the soft limit up to what `wanted` descriptors need (and the hard limit too
/// when the process may raise it). Returns the soft limit in force.
inline rlim_t raise_fd_limit(std::size_t wanted) {
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

/// The report's "latency_us" object (every mode): percentiles, max, mean and count in µs.
inline nlohmann::json latency_json(const histogram& h) {
  const auto us = [&](double q) { return static_cast<double>(h.quantile(q)) / 1e3; };
  return {{"p50", us(0.5)},         {"p99", us(0.99)},
          {"p999", us(0.999)},      {"max", static_cast<double>(h.max()) / 1e3},
          {"mean", h.mean() / 1e3}, {"samples", h.count()}};
}

/// The start every mode's progress line shares: "rtwire_load: PHASE open N failed N sent N
/// RECEIVED N (+N/s) p99 X us" (`received_word` names the count: "received", "delivered").
inline std::string progress_head(const run_state& run, const char* received_word,
                                 std::uint64_t last_received) {
  const char* names[] = {"connecting", "holding", "running", "draining", "closing", "done"};
  const std::uint64_t received = run.st.received;
  char line[256];
  std::snprintf(line, sizeof line,
                "rtwire_load: %-10s open %zu failed %zu sent %llu %s %llu (+%llu/s) p99 %.1f us",
                names[static_cast<int>(run.now)], run.st.open, run.st.failed,
                static_cast<unsigned long long>(run.st.sent), received_word,
                static_cast<unsigned long long>(received),
                static_cast<unsigned long long>(received - last_received),
                static_cast<double>(run.st.latency.quantile(0.99)) / 1e3);
  return line;
}

/// Runs `f` after `seconds` on `timer`, unless the timer is cancelled first.
template <class F>
void after(asio::steady_timer& timer, double seconds, F f) {
  timer.expires_after(
      std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds)));
  timer.async_wait([f](asio::error_code ec) {
    if (!ec) f();
  });
}

/// Every connection is open or failed (`connect_start`: when connecting began): the hold before
/// the measured run, then `begin_run()` (at once without --hold).
template <class F>
void enter_hold(run_state& run, asio::steady_timer& timer, std::int64_t connect_start,
                F begin_run) {
  run.now = phase::holding;
  timer.cancel();
  std::fprintf(stderr, "rtwire_load: %zu connections open (%zu failed) in %.2f s\n", run.st.open,
               run.st.failed, static_cast<double>(now_ns() - connect_start) / 1e9);
  if (run.config.hold <= 0) return begin_run();
  after(timer, run.config.hold, begin_run);
}

/// The measured run starts now; `begin_drain()` after --duration.
template <class F>
void enter_run(run_state& run, asio::steady_timer& timer, F begin_drain) {
  run.now = phase::running;
  run.run_start = now_ns();
  after(timer, run.config.duration, begin_drain);
}

/// One read of a client connection: into `buf` (`size` bytes, allocated on first use), then
/// `on_read(ec, n)`. It waits for readability, then reads: the generator must cost less per
/// message than the servers it measures, and async_read_some's speculative read of a socket that
/// has nothing yet (the reply to what was just sent) is one failed syscall per message.
template <class F>
void read_some(tcp::socket& socket, std::vector<char>& buf, std::size_t size, F on_read) {
  if (buf.empty()) buf.resize(size);
  if (!socket.non_blocking()) {
    asio::error_code ec;
    socket.non_blocking(true, ec);
    if (ec) return on_read(ec, 0);
  }
  socket.async_wait(tcp::socket::wait_read,
                    [&socket, &buf, size, f = std::move(on_read)](asio::error_code ec) mutable {
                      std::size_t n = 0;
                      if (!ec) n = socket.read_some(asio::buffer(buf), ec);
                      if (ec == asio::error::would_block || ec == asio::error::try_again)
                        return read_some(socket, buf, size, std::move(f));
                      f(ec, n);
                    });
}

/// What a client reports when a read fails: "read: server closed" for EOF.
inline std::string read_failure(asio::error_code ec) {
  return "read: " + (ec == asio::error::eof ? std::string("server closed") : ec.message());
}

}  // namespace rtwire_load
