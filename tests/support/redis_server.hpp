// Test support for the Redis-backed examples: a redis-server started on a free local port
// without persistence (`--save '' --appendonly no`), and a loop runner for Asio tests.
// Needs RTWIRE_REDIS_SERVER (the redis-server path, set by examples/CMakeLists.txt) and Catch.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "catch.hpp"

namespace rtwire_test {

/// A local TCP port that was free a moment ago.
inline std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

inline bool port_accepts(std::uint16_t port) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  asio::error_code ec;
  s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  return !ec;
}

/// redis-server on 127.0.0.1:port, without persistence; killed when destroyed.
class redis_process {
 public:
  explicit redis_process(std::uint16_t port) : port_(port) { start(); }
  ~redis_process() { kill(SIGTERM); }
  redis_process(const redis_process&) = delete;
  redis_process& operator=(const redis_process&) = delete;

  std::uint16_t port() const noexcept { return port_; }

  void start() {
    const std::string port = std::to_string(port_);
    pid_ = fork();
    if (pid_ == 0) {
      const int null = open("/dev/null", O_WRONLY);  // keep the test's output readable
      dup2(null, 1);
      dup2(null, 2);
      execl(RTWIRE_REDIS_SERVER, "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--loglevel", "warning",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    REQUIRE(pid_ > 0);
    for (int i = 0; i < 500 && !port_accepts(port_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(port_accepts(port_));
  }

  /// Sends `signal`; SIGSTOP and SIGCONT leave the process running, any other waits for it.
  void kill(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    if (signal == SIGSTOP || signal == SIGCONT) return;
    if (signal != SIGKILL) ::kill(pid_, SIGCONT);  // a stopped process cannot handle SIGTERM
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  std::uint16_t port_;
  pid_t pid_ = -1;
};

/// Runs `io` until `done()` holds or `limit` passes; true when done() held.
inline bool run_until(asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  io.restart();
  while (!done() && std::chrono::steady_clock::now() < end)
    io.run_for(std::chrono::milliseconds(5));
  return done();
}

/// Runs `io` for `d` (lets late, unwanted callbacks show up).
inline void run_for(asio::io_context& io, std::chrono::milliseconds d) {
  io.restart();
  io.run_for(d);
}

}  // namespace rtwire_test
