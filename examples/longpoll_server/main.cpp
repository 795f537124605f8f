// longpoll_server — a chat-style long-polling service on rtwire's sans-IO queue, on standalone
// Asio.
//
// Shows how to bring your own I/O to rtwire::longpoll::queue: Asio moves the bytes,
// rtwire::http1 parses request heads, the queue decides every answer, and one steady_timer set to
// queue::next_deadline() drives timeouts. One thread, no locks, no thread or timer per poll: a
// parked poll is a waiter in the queue plus its idle socket, so thousands fit easily.
//
//   POST /publish?topic=T            body = message (UTF-8) -> 200 {"cursor":"C"}; oversize 413
//   GET  /poll?topic=T[&cursor=C][&from=oldest][&timeout=MS][&session=S]
//        -> 200 {"cursor":"NEXT","messages":[{"cursor":"..","data":".."}]}
//           (empty `messages` and the cursor unchanged on timeout or when superseded)
//        -> 409 {"reset":true,"cursor":"HEAD"} when the cursor cannot be honoured
//        -> 400 {"error":".."} for a malformed request; 429/503 for session and waiter limits
//   Without `cursor` a poll starts at the newest message (waits for the next one);
//   `from=oldest` starts at the oldest retained message. `session=S` applies the queue's
//   duplicate-poll policy (--on-duplicate).
//   GET  /poll?topics=A,B[&cursors=CA,CB][&from=oldest][&timeout=MS][&session=S]
//        one poll over several topics (at most 16; an empty cursor element: no cursor)
//        -> 200 {"topics":[{"topic":"A","cursor":"NEXT","messages":[..]},..]} every topic, in
//           request order, answered as soon as any of them has a message
//        -> 409 {"reset":true,"topic":"B","cursor":"HEAD"} for the topic that cannot be honoured
//
//   longpoll_server --port 8080 &
//   curl 'localhost:8080/poll?topic=chat&from=oldest' &
//   curl -d 'hello' 'localhost:8080/publish?topic=chat'
#include <asio.hpp>
#include <rtwire/core/http1.hpp>
#include <rtwire/core/utf8.hpp>
#include <rtwire/longpoll.hpp>

#include <CLI/CLI.hpp>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../common/cli.hpp"
#include "../common/history_flags.hpp"
#include "../common/http_server.hpp"

namespace {

using asio::ip::tcp;
namespace lp = rtwire::longpoll;
using json = nlohmann::json;

struct settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  rtwire_examples::history_flags history;
  rtwire_examples::http_limits http{};
  rtwire_examples::cors_policy cors;
  std::size_t max_waiters = 100'000;
  std::int64_t max_timeout_ms = 60'000;
  std::string on_duplicate = "supersede";
};

using rtwire_examples::http_session;

/// query_param() for a request's target: absent or malformed both read as "none" here; route()
/// rejects a malformed query first.
std::optional<std::string> query_param(const std::string& target, std::string_view key) {
  return rtwire_examples::query_param(target, key);
}

/// A session name as the queue's 64-bit key (FNV-1a): no table of names to grow without bound.
std::uint64_t session_key(std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

class connection;

class server {
 public:
  server(asio::io_context& io, const settings& s, lp::options opts)
      : settings_(s),
        listener_(io, rtwire_examples::resolve_listen(io, s.host, s.port),
                  [this](tcp::socket socket) { on_socket(std::move(socket)); }),
        timer_(io),
        queue_(opts) {}

  /// Listens; prints the bound address (port 0 picks a free port).
  void start() {
    const auto bound = listener_.local_endpoint();
    std::printf("longpoll_server listening on %s:%u\n", bound.address().to_string().c_str(),
                static_cast<unsigned>(bound.port()));
    std::fflush(stdout);
    listener_.start();
  }

  const settings& config() const { return settings_; }
  lp::queue& queue() { return queue_; }

  /// The topic named `name`, created on first use; nullopt when the queue holds max_topics.
  std::optional<lp::topic_id> topic(const std::string& name) {
    if (const auto it = topics_.find(name); it != topics_.end()) return it->second;
    const rtwire::log::retention keep = settings_.history.retention();
    const auto id = queue_.add_topic(settings_.history.epoch, keep);
    if (!id) return std::nullopt;  // error::too_many_topics
    topics_.emplace(name, *id);
    return *id;
  }

  std::uint64_t next_token() { return ++tokens_; }
  void park(std::uint64_t token, std::weak_ptr<connection> c) { parked_[token] = std::move(c); }
  void unpark(std::uint64_t token) { parked_.erase(token); }

  /// Answers every completion the queue produced, then re-arms the deadline timer.
  void deliver(std::vector<lp::completion>& done);
  void rearm();

 private:
  void on_socket(tcp::socket socket);

  settings settings_;
  rtwire_examples::listener listener_;
  asio::steady_timer timer_;
  lp::queue queue_;
  std::map<std::string, lp::topic_id> topics_;
  std::unordered_map<std::uint64_t, std::weak_ptr<connection>> parked_;
  std::uint64_t tokens_ = 0;
  std::optional<lp::millis> armed_;
};

/// The JSON body of a 200 poll answer, as a value.
json poll_json(lp::cursor next, const lp::batch& messages) {
  json body;
  body["cursor"] = rtwire::log::to_string(next);
  json list = json::array();
  for (const auto& m : messages)
    list.push_back({{"cursor", rtwire::log::to_string({next.epoch, m.offset()})},
                    {"data", std::string(m.payload())}});
  body["messages"] = std::move(list);
  return body;
}

std::string poll_body(lp::cursor next, const lp::batch& messages) {
  return poll_json(next, messages).dump();
}

std::string reset_body(lp::cursor head) {
  return json{{"reset", true}, {"cursor", rtwire::log::to_string(head)}}.dump();
}

/// The topics of a multi-topic poll, in request order, by name and id.
struct topic_names {
  std::vector<std::string> names;
  std::vector<lp::topic_id> ids;

  std::string name_of(lp::topic_id id) const {
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (ids[i] == id) return names[i];
    return {};
  }
};

/// The JSON body of a 200 answer to a multi-topic poll: the first topic's entry, then `also`.
std::string topics_body(const topic_names& t, lp::cursor next, const lp::batch& messages,
                        const std::vector<lp::topic_batch>& also) {
  json list = json::array();
  const auto add = [&](lp::topic_id id, lp::cursor c, const lp::batch& b) {
    json entry = poll_json(c, b);
    entry["topic"] = t.name_of(id);
    list.push_back(std::move(entry));
  };
  add(t.ids[0], next, messages);
  for (const lp::topic_batch& e : also)
    add(e.topic, e.next, e.messages);
  return json{{"topics", std::move(list)}}.dump();
}

std::string topic_reset_body(const topic_names& t, lp::topic_id id, lp::cursor head) {
  return json{{"reset", true}, {"topic", t.name_of(id)}, {"cursor", rtwire::log::to_string(head)}}
      .dump();
}

/// Splits a comma-separated list (no escaping: topic names and cursors hold no commas).
std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  for (;;) {
    const std::size_t comma = s.find(',');
    out.emplace_back(s.substr(0, comma));
    if (comma == std::string_view::npos) return out;
    s.remove_prefix(comma + 1);
  }
}

std::string error_body(std::string_view message) {
  return json{{"error", std::string(message)}}.dump();
}

/// One request, read by rtwire_examples::http_session; this object decides its answer and, for
/// a parked poll, outlives the handler call (held by the server's parked_ table and the session).
class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(std::shared_ptr<http_session> session, server& srv)
      : session_(std::move(session)),
        server_(srv),
        target_(session_->req().target),
        method_(session_->req().method),
        body_(session_->req().body) {}

  void start() { route(); }

  /// Sends a complete response and closes.
  void respond(int status, const std::string& body) {
    if (closed_ || responded_) return;
    responded_ = true;
    if (waiter_) {
      server_.unpark(token_);
      waiter_.reset();
    }
    session_->respond(status, "application/json", body);
  }

  /// Answers this connection's parked poll from a queue completion.
  void complete(const lp::completion& c) {
    waiter_.reset();  // the queue forgot it already
    if (multi_) {
      if (c.reason == lp::completion_reason::reset)
        return respond(409, topic_reset_body(*multi_, c.topic, c.next));
      return respond(200, topics_body(*multi_, c.next, c.messages, c.also));
    }
    if (c.reason == lp::completion_reason::reset) return respond(409, reset_body(c.next));
    respond(200, poll_body(c.next, c.messages));
  }

 private:
  void close() {
    if (closed_) return;
    closed_ = true;
    // A parked poll whose client went away: the queue forgets it, consuming nothing.
    if (waiter_) {
      server_.queue().cancel(*waiter_);
      server_.unpark(token_);
      waiter_.reset();
    }
    session_->close();
  }

  void route() {
    const std::string_view path = session_->req().path;
    const auto name = query_param(target_, "topic");
    const bool is_publish = path == "/publish" && method_ == "POST";
    const bool is_poll = path == "/poll" && method_ == "GET";
    if (!is_publish && !is_poll) return respond(404, error_body("not found"));
    if (rtwire_examples::query_is_malformed(target_))
      return respond(400, error_body("malformed query (a bad %XX escape)"));
    if (is_poll && !name) {
      if (const auto names = query_param(target_, "topics")) return poll_many(*names);
    }
    if (!name || name->empty() || name->size() > 256) return respond(400, error_body("bad topic"));
    const auto topic = server_.topic(*name);
    if (!topic) return respond(503, error_body("too many topics"));
    if (is_publish) return publish(*topic);
    poll(*topic);
  }

  void publish(lp::topic_id topic) {
    if (!rtwire::utf8::is_valid(body_)) return respond(400, error_body("body is not UTF-8"));
    std::vector<lp::completion> done;
    const auto r = server_.queue().publish(topic, body_, rtwire_examples::mono_now(), done);
    if (!r) return respond(413, error_body(r.error.message()));
    respond(200, json{{"cursor", rtwire::log::to_string(r.at)}}.dump());
    server_.deliver(done);
  }

  /// Where a poll of one topic starts: after `cursor`, or (none given) at the newest message or,
  /// with from=oldest, the oldest retained one.
  lp::position start_at(const std::optional<std::string>& cursor) const {
    if (cursor) return lp::position::from_text(*cursor);
    if (query_param(target_, "from").value_or("") == "oldest") return lp::position::oldest();
    return lp::position::newest();
  }

  void poll(lp::topic_id topic) {
    poll_with({.topic = topic, .from = start_at(query_param(target_, "cursor"))});
  }

  void poll_many(const std::string& list) {
    topic_names t;
    t.names = split_commas(list);
    const std::size_t most = server_.queue().config().max_poll_topics;
    if (t.names.size() > most) return respond(400, error_body("too many topics in one poll"));
    std::vector<std::string> cursors;
    if (const auto c = query_param(target_, "cursors")) {
      cursors = split_commas(*c);
      if (cursors.size() != t.names.size())
        return respond(400, error_body("cursors must match topics one to one"));
    }
    std::vector<lp::topic_position> at;
    for (std::size_t i = 0; i < t.names.size(); ++i) {
      if (t.names[i].empty() || t.names[i].size() > 256)
        return respond(400, error_body("bad topic"));
      const auto id = server_.topic(t.names[i]);
      if (!id) return respond(503, error_body("too many topics"));
      t.ids.push_back(*id);
      const bool has_cursor = !cursors.empty() && !cursors[i].empty();
      at.push_back({*id, start_at(has_cursor ? std::optional(cursors[i]) : std::nullopt)});
    }
    multi_ = std::move(t);
    poll_with({.topic = at[0].topic,
               .from = at[0].from,
               .also = std::span<const lp::topic_position>(at).subspan(1)});
  }

  void poll_with(lp::poll_request req) {
    if (const auto t = query_param(target_, "timeout")) {
      std::int64_t ms = 0;
      const auto [end, err] = std::from_chars(t->data(), t->data() + t->size(), ms);
      if (err != std::errc() || end != t->data() + t->size() || ms < 0)
        return respond(400, error_body("bad timeout"));
      req.timeout = lp::millis{ms};
    }
    if (const auto s = query_param(target_, "session")) req.session = session_key(*s);
    token_ = server_.next_token();
    req.token = token_;

    auto r = server_.queue().poll(req, rtwire_examples::mono_now());
    if (r.superseded) {
      std::vector<lp::completion> done;
      done.push_back(std::move(*r.superseded));
      server_.deliver(done);
    }
    switch (r.status) {
      case lp::poll_status::ready:
        if (multi_) return respond(200, topics_body(*multi_, r.next, r.messages, r.also));
        return respond(200, poll_body(r.next, r.messages));
      case lp::poll_status::reset:
        if (multi_) return respond(409, topic_reset_body(*multi_, r.topic, r.next));
        return respond(409, reset_body(r.next));
      case lp::poll_status::rejected: {
        const int status = r.error == rtwire::log::error::malformed_cursor ||
                                   r.error == lp::error::duplicate_topic ||
                                   r.error == lp::error::too_many_poll_topics
                               ? 400
                           : r.error == lp::error::too_many_waiters ? 503
                                                                    : 429;
        return respond(status, error_body(r.error.message()));
      }
      case lp::poll_status::parked:
        waiter_ = r.waiter;
        server_.park(token_, weak_from_this());
        server_.rearm();
        watch_for_close();
        return;
    }
  }

  // A parked poll's client sends nothing more; a read completes only when it goes away.
  void watch_for_close() {
    session_->on_close = [self = shared_from_this()] { self->close(); };
    session_->watch_for_close();
  }

  std::shared_ptr<http_session> session_;
  server& server_;
  const std::string& target_;
  const std::string& method_;
  const std::string& body_;
  std::optional<lp::waiter_id> waiter_;
  std::optional<topic_names> multi_;  // a multi-topic poll's topics
  std::uint64_t token_ = 0;
  bool responded_ = false;
  bool closed_ = false;
};

void server::on_socket(tcp::socket socket) {
  std::make_shared<http_session>(std::move(socket), settings_.http, settings_.cors,
                                 [this](const std::shared_ptr<http_session>& s) {
                                   std::make_shared<connection>(s, *this)->start();
                                 })
      ->start();
}

void server::deliver(std::vector<lp::completion>& done) {
  for (const lp::completion& c : done) {
    const auto it = parked_.find(c.token);
    if (it == parked_.end()) continue;
    const auto conn = it->second.lock();
    parked_.erase(it);
    if (conn) conn->complete(c);
  }
  done.clear();
  rearm();
}

void server::rearm() {
  const auto next = queue_.next_deadline();
  if (!next) {
    if (armed_) timer_.cancel();
    armed_.reset();
    return;
  }
  if (armed_ && *armed_ == *next) return;
  armed_ = *next;
  timer_.expires_at(std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(*next)));
  timer_.async_wait([this](asio::error_code ec) {
    if (ec) return;  // cancelled or re-armed
    armed_.reset();
    std::vector<lp::completion> done;
    queue_.expire(rtwire_examples::mono_now(), done);
    deliver(done);
  });
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"longpoll_server: chat-style long polling on rtwire's sans-IO queue (Asio)"};
  rtwire_examples::listen_flags listen;
  listen.add_to(app);
  app.add_option("--max-body", s.http.max_body, "Largest message accepted, bytes")
      ->capture_default_str();
  app.add_option("--max-waiters", s.max_waiters, "Most parked polls")->capture_default_str();
  app.add_option("--max-timeout", s.max_timeout_ms, "Longest poll, ms")->capture_default_str();
  app.add_option("--on-duplicate", s.on_duplicate, "Second poll of a session while one is parked")
      ->check(CLI::IsMember({"supersede", "reject_new", "allow_concurrent"}))
      ->capture_default_str();
  s.history.add_to(app);
  rtwire_examples::add_http_limit_flags(app, s.http);
  rtwire_examples::add_allow_origin(app, s.cors.allowed);
  if (const auto code = rtwire_examples::parse_flags(app, argc, argv)) return *code;
  s.host = listen.host;
  s.port = listen.port;
  s.history.epoch = s.history.epoch_or_boot_id();
  lp::options opts;
  opts.max_message_bytes = s.http.max_body;  // one limit: the body read and the queue's
  opts.max_waiters = s.max_waiters;
  opts.max_timeout = lp::millis{s.max_timeout_ms};
  opts.on_duplicate = s.on_duplicate == "reject_new"         ? lp::duplicate_poll::reject_new
                      : s.on_duplicate == "allow_concurrent" ? lp::duplicate_poll::allow_concurrent
                                                             : lp::duplicate_poll::supersede;
  try {
    asio::io_context io;
    server srv(io, s, opts);
    srv.start();
    io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "longpoll_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
