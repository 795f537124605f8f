// Shared by the examples: a Redis client on hiredis's asynchronous API (0.14, which has no Asio
// adapter and no timeouts of its own), driven by an Asio io_context. Not part of the library.
//
//   auto redis = rtwire_examples::redis_client::create(io, {.host = "127.0.0.1", .port = 6379});
//   redis->on_state([](bool up, const std::string& why) { log(up ? "redis up" : why); });
//   redis->start();                                  // connects, and reconnects with backoff
//   redis->command({"INCR", "counter"}, [](const rtwire_examples::redis_reply& r) {
//     if (r.failed()) return report(r.text);          // unavailable, timeout, connection lost
//     use(r.integer);
//   });
//
// What it guarantees:
// - Readiness, not I/O: hiredis owns the socket and does every read and write; this adapter only
//   waits for the socket to become readable or writable (asio::posix::stream_descriptor::
//   async_wait) while hiredis asks for it (its addRead/addWrite hooks), and never closes the fd
//   (hiredis does).
// - Every command's callback runs exactly once: with the reply, or failed() with a reason. A
//   command given while disconnected fails at once ("unavailable") and is never sent later, so
//   a caller that reports the failure never sees the command take effect afterwards.
// - Timeouts: connecting takes at most `connect_timeout`; a reply that does not come within the
//   command's timeout (options::command_timeout, or the per-command one for blocking commands
//   such as XREAD BLOCK) fails it ("timeout") and drops the connection, failing every command
//   still pending on it (replies come in order, so nothing after it can arrive either).
// - Reconnection: after a failed connect or a lost connection it tries again after 50 ms,
//   doubling up to `max_backoff` (2 s by default); on_state() reports each change.
// - One callback per command: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and MONITOR are refused.
// - Pub/Sub mode (options::pubsub, used by redis_subscriber.hpp on a connection of its own): then
//   command() refuses everything, send_pubsub() sends SUBSCRIBE / UNSUBSCRIBE, and every reply
//   they cause (confirmations, messages) goes to on_push(). TCP keepalive is on, as a quiet
//   subscriber has no replies whose timeout would notice a dead peer.
// - Lifetime: create() gives a shared_ptr; pending waits keep the client alive. stop() closes the
//   connection (failing what is pending) and stops reconnecting. Single-threaded: call it only
//   from the io_context's thread.
#pragma once

#include <rtwire/core/ascii.hpp>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rtwire_examples {

/// A reply, copied out of hiredis's redisReply (which hiredis frees after the callback).
struct redis_reply {
  enum class kind : std::uint8_t { failed, nil, integer, string, status, error, array };
  kind type = kind::failed;
  long long integer = 0;
  /// The bulk string, status or error text; for `failed`, why there is no reply.
  std::string text;
  std::vector<redis_reply> elements;

  bool failed() const noexcept { return type == kind::failed; }
  bool is_error() const noexcept { return type == kind::error; }
  bool is_nil() const noexcept { return type == kind::nil; }

  static redis_reply failure(std::string why) {
    redis_reply r;
    r.text = std::move(why);
    return r;
  }

  /// A copy of `r`; nesting deeper than max_depth fails instead of recursing further (Redis
  /// nests RESP2 arrays only a few levels: XREAD is 4).
  static redis_reply copy(const redisReply* r, int max_depth = 16) {
    if (r == nullptr) return failure("no reply");
    redis_reply out;
    switch (r->type) {
      case REDIS_REPLY_NIL:
        out.type = kind::nil;
        break;
      case REDIS_REPLY_INTEGER:
        out.type = kind::integer;
        out.integer = r->integer;
        break;
      case REDIS_REPLY_STRING:
      case REDIS_REPLY_STATUS:
      case REDIS_REPLY_ERROR:
        out.type = r->type == REDIS_REPLY_STRING   ? kind::string
                   : r->type == REDIS_REPLY_STATUS ? kind::status
                                                   : kind::error;
        out.text.assign(r->str, r->len);
        break;
      case REDIS_REPLY_ARRAY:
        if (max_depth == 0) return failure("reply nested too deeply");
        out.type = kind::array;
        out.elements.reserve(r->elements);
        for (std::size_t i = 0; i < r->elements; ++i) {
          out.elements.push_back(copy(r->element[i], max_depth - 1));
          if (out.elements.back().failed()) return std::move(out.elements.back());
        }
        break;
      default:
        return failure("unknown reply type " + std::to_string(r->type));
    }
    return out;
  }
};

class redis_client : public std::enable_shared_from_this<redis_client> {
 public:
  using millis = std::chrono::milliseconds;
  using reply_handler = std::function<void(const redis_reply&)>;
  using state_handler = std::function<void(bool connected, const std::string& why)>;

  struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    millis connect_timeout{2000};
    millis command_timeout{2000};
    millis max_backoff{2000};
    /// Pub/Sub mode: see the header comment.
    bool pubsub = false;
  };

  static std::shared_ptr<redis_client> create(asio::io_context& io, options o) {
    return std::shared_ptr<redis_client>(new redis_client(io, std::move(o)));
  }
  redis_client(const redis_client&) = delete;
  redis_client& operator=(const redis_client&) = delete;
  ~redis_client() {
    running_ = false;
    on_state_ = nullptr;
    on_push_ = nullptr;
    drop("client destroyed");
  }

  /// Called on every change: (true, "") when connected; (false, why) when a connect fails or the
  /// connection is lost.
  void on_state(state_handler h) { on_state_ = std::move(h); }

  /// Connects, and keeps reconnecting until stop().
  void start() {
    running_ = true;
    connect();
  }

  /// Closes the connection (pending commands fail with "stopped") and stops reconnecting.
  void stop() {
    running_ = false;
    retry_.cancel();
    drop("stopped");
  }

  bool connected() const noexcept { return ctx_ != nullptr && connected_; }

  /// Pub/Sub mode: where the replies of send_pubsub()'s commands go (each one a RESP array such
  /// as ["message", channel, payload] or ["subscribe", channel, count]), in order.
  void on_push(reply_handler h) { on_push_ = std::move(h); }

  /// Pub/Sub mode only: sends SUBSCRIBE or UNSUBSCRIBE with `args` (command name first). False
  /// when nothing was sent: not connected, not in Pub/Sub mode, another command, or hiredis
  /// refused it (it refuses UNSUBSCRIBE while the connection has no subscription).
  bool send_pubsub(const std::vector<std::string>& args) {
    using rtwire::ascii::iequals;
    if (!connected() || !options_.pubsub || args.empty()) return false;
    if (!iequals(args.front(), "SUBSCRIBE") && !iequals(args.front(), "UNSUBSCRIBE")) return false;
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    // The callback is kept by hiredis per channel and runs for every reply about it; it finds
    // this client through the context (c->data), so no per-command state is needed.
    return redisAsyncCommandArgv(ctx_, &redis_client::on_push_reply, nullptr,
                                 static_cast<int>(args.size()), argv.data(),
                                 lens.data()) == REDIS_OK;
  }

  /// Sends `args` (binary-safe) and calls `done` exactly once. `timeout` (default: options::
  /// command_timeout) bounds the wait for the reply; a blocking command needs more than it blocks.
  void command(const std::vector<std::string>& args, reply_handler done,
               std::optional<millis> timeout = std::nullopt) {
    if (options_.pubsub)
      return done(redis_reply::failure("not supported: the connection is in Pub/Sub mode"));
    if (!connected()) return done(redis_reply::failure("unavailable: not connected to Redis"));
    if (!args.empty() && is_push_command(args.front()))
      return done(
          redis_reply::failure("not supported: " + args.front() + " answers more than once"));
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* call = new pending_call{weak_from_this(), ++last_id_, std::move(done)};
    if (redisAsyncCommandArgv(ctx_, &redis_client::on_reply, call, static_cast<int>(args.size()),
                              argv.data(), lens.data()) != REDIS_OK) {
      auto handler = std::move(call->done);
      delete call;
      return handler(redis_reply::failure("unavailable: the command was not accepted"));
    }
    deadlines_.push_back({call->id, clock::now() + timeout.value_or(options_.command_timeout)});
    if (deadlines_.size() == 1) arm_command_timer();
  }

 private:
  using clock = std::chrono::steady_clock;
  struct pending_call {
    std::weak_ptr<redis_client> client;
    std::uint64_t id;
    reply_handler done;
  };
  struct deadline {
    std::uint64_t id;
    clock::time_point at;
  };

  redis_client(asio::io_context& io, options o)
      : options_(std::move(o)), socket_(io), connect_timer_(io), command_timer_(io), retry_(io) {}

  /// Pub/Sub and MONITOR answer a command many times; this client's contract is one callback per
  /// command, so they are refused (use a stream and XREAD BLOCK instead).
  static bool is_push_command(std::string_view name) noexcept {
    using rtwire::ascii::iequals;  // command names are case-insensitive
    return iequals(name, "SUBSCRIBE") || iequals(name, "PSUBSCRIBE") ||
           iequals(name, "SSUBSCRIBE") || iequals(name, "MONITOR");
  }

  // -- Connecting ------------------------------------------------------------------------------

  void connect() {
    if (!running_ || ctx_ != nullptr) return;
    redisAsyncContext* c = redisAsyncConnect(options_.host.c_str(), options_.port);
    if (c == nullptr) return schedule_retry("out of memory");
    if (c->err != 0) {
      const std::string why = c->errstr;
      redisAsyncFree(c);
      return schedule_retry("connect to Redis failed: " + why);
    }
    ctx_ = c;
    connected_ = false;
    if (options_.pubsub) (void)redisEnableKeepAlive(&c->c);  // best effort
    socket_.assign(c->c.fd);  // before the hooks: setting the connect callback calls addWrite
    c->data = this;
    c->ev.data = this;
    c->ev.addRead = [](void* p) { static_cast<redis_client*>(p)->want(read_, true); };
    c->ev.delRead = [](void* p) { static_cast<redis_client*>(p)->want(read_, false); };
    c->ev.addWrite = [](void* p) { static_cast<redis_client*>(p)->want(write_, true); };
    c->ev.delWrite = [](void* p) { static_cast<redis_client*>(p)->want(write_, false); };
    c->ev.cleanup = [](void* p) { static_cast<redis_client*>(p)->on_cleanup(); };
    redisAsyncSetConnectCallback(c, &redis_client::on_connect);
    // hiredis connects without blocking; setting the connect callback (above) asked for
    // writability, which tells the outcome. No disconnect callback: hiredis runs it after the
    // pending commands' callbacks and after cleanup, too late to say why they failed.
    connect_timer_.expires_after(options_.connect_timeout);
    connect_timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
      if (!ec && self->ctx_ != nullptr && !self->connected_) self->drop("connect timed out");
    });
  }

  static void on_connect(const redisAsyncContext* c, int status) {
    auto* self = static_cast<redis_client*>(c->data);
    self->connect_timer_.cancel();
    if (status != REDIS_OK) {
      // hiredis frees the context after this callback (on_cleanup runs).
      self->pending_reason_ = std::string("connect to Redis failed: ") + c->errstr;
      return;
    }
    self->connected_ = true;
    self->backoff_ = millis{0};
    if (self->on_state_) self->on_state_(true, "");
  }

  // -- Readiness -------------------------------------------------------------------------------

  static constexpr int read_ = 0;
  static constexpr int write_ = 1;

  /// hiredis's add/del hooks: it wants (or no longer wants) to hear of readability/writability.
  void want(int dir, bool on) {
    wanted_[dir] = on;
    if (on && !waiting_[dir]) wait(dir);
  }

  void wait(int dir) {
    waiting_[dir] = true;
    const auto what = dir == read_ ? asio::posix::stream_descriptor::wait_read
                                   : asio::posix::stream_descriptor::wait_write;
    socket_.async_wait(
        what, [self = shared_from_this(), dir, gen = generation_](const std::error_code& ec) {
          if (gen != self->generation_) return;  // a wait of an earlier connection
          self->waiting_[dir] = false;
          if (ec || self->ctx_ == nullptr || !self->wanted_[dir]) return;
          if (dir == read_)
            redisAsyncHandleRead(self->ctx_);
          else
            redisAsyncHandleWrite(self->ctx_);
          // hiredis registers interest once and expects it to persist (as a level-triggered event
          // loop would): wait again while it is still wanted and the context is still alive.
          if (gen == self->generation_ && self->ctx_ != nullptr && self->wanted_[dir] &&
              !self->waiting_[dir])
            self->wait(dir);
        });
  }

  // -- Replies and timeouts --------------------------------------------------------------------

  static void on_reply(redisAsyncContext* c, void* reply, void* privdata) {
    std::unique_ptr<pending_call> call(static_cast<pending_call*>(privdata));
    auto self = call->client.lock();
    if (self && !self->deadlines_.empty() && self->deadlines_.front().id == call->id) {
      self->deadlines_.pop_front();
      self->arm_command_timer();
    }
    if (reply == nullptr) {
      // The context is being freed: by drop() (which left its reason), or by hiredis after a
      // read or write error or EOF (whose reason is in errstr).
      return call->done(redis_reply::failure(
          "unavailable: " + (self ? self->reason(c) : std::string("connection lost"))));
    }
    call->done(redis_reply::copy(static_cast<const redisReply*>(reply)));
  }

  static void on_push_reply(redisAsyncContext* c, void* reply, void* /*privdata*/) {
    // nullptr: the context is being freed; on_cleanup() reports the lost connection.
    auto* self = static_cast<redis_client*>(c->data);
    if (reply == nullptr || self == nullptr || !self->on_push_) return;
    self->on_push_(redis_reply::copy(static_cast<const redisReply*>(reply)));
  }

  void arm_command_timer() {
    command_timer_.cancel();
    if (deadlines_.empty()) return;
    command_timer_.expires_at(deadlines_.front().at);
    command_timer_.async_wait(
        [self = shared_from_this(), id = deadlines_.front().id](const std::error_code& ec) {
          if (ec || self->deadlines_.empty() || self->deadlines_.front().id != id) return;
          self->drop("timeout: Redis did not answer in time");
        });
  }

  // -- Teardown --------------------------------------------------------------------------------

  /// Frees the context now: hiredis fails every pending command (reply == nullptr, with
  /// pending_reason_), then calls on_cleanup.
  void drop(const std::string& why) {
    if (ctx_ == nullptr) return;
    if (pending_reason_.empty()) pending_reason_ = why;
    redisAsyncContext* c = ctx_;
    redisAsyncFree(c);  // deferred by hiredis when called from inside one of its callbacks
  }

  /// Why the context is going away: drop()'s reason, else hiredis's error text.
  std::string reason(const redisAsyncContext* c) const {
    if (!pending_reason_.empty()) return pending_reason_;
    if (c != nullptr && c->errstr[0] != '\0') return std::string("connection lost: ") + c->errstr;
    return "connection lost";
  }

  /// hiredis is freeing the context (after a failed connect, a lost connection or drop()), after
  /// failing its pending commands.
  void on_cleanup() {
    const std::string why = reason(ctx_);
    const bool was_connected = connected_;
    ctx_ = nullptr;
    connected_ = false;
    ++generation_;
    wanted_[0] = wanted_[1] = waiting_[0] = waiting_[1] = false;
    asio::error_code ignored;
    socket_.cancel(ignored);
    (void)socket_.release();  // hiredis closes the fd itself
    connect_timer_.cancel();
    command_timer_.cancel();
    deadlines_.clear();
    pending_reason_.clear();
    if (on_state_ && (was_connected || running_)) on_state_(false, why);
    // Reconnect from the event loop, never from inside hiredis.
    if (running_) schedule_retry(why);
  }

  void schedule_retry(const std::string& /*why*/) {
    if (!running_) return;
    backoff_ = backoff_.count() == 0 ? millis{50} : std::min(backoff_ * 2, options_.max_backoff);
    retry_.expires_after(backoff_);
    retry_.async_wait([self = shared_from_this()](const std::error_code& ec) {
      if (!ec) self->connect();
    });
  }

  options options_;
  asio::posix::stream_descriptor socket_;
  asio::steady_timer connect_timer_;
  asio::steady_timer command_timer_;
  asio::steady_timer retry_;
  redisAsyncContext* ctx_ = nullptr;
  bool connected_ = false;
  bool running_ = false;
  bool wanted_[2] = {false, false};
  bool waiting_[2] = {false, false};
  std::uint64_t generation_ = 0;
  std::uint64_t last_id_ = 0;
  std::deque<deadline> deadlines_;
  std::string pending_reason_;
  millis backoff_{0};
  state_handler on_state_;
  reply_handler on_push_;
};

}  // namespace rtwire_examples
