// rtwire_load: one SSE stream and the publisher that feeds its topic. Part of examples/load (see
// main.cpp); not part of the library.
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

#include "run_state.hpp"

namespace rtwire_load {
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
    read_some(
        socket_, rbuf_, 16384,
        [self = shared_from_this()](asio::error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(asio::error_code ec, std::size_t n) {
    if (ec) {
      if (closing_) return;
      return fail(read_failure(ec));
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

}  // namespace rtwire_load
