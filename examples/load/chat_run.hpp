// rtwire_load: the chat mode (--mode chat): clients of chat_server (examples/chat) in rooms, a
// message rate per room, the accounting of every delivery (latency, loss, duplicates, order) and
// an optional reconnect storm. Part of examples/load (see main.cpp); not part of the library.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>
#include <asio.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chat_client.hpp"
#include "chat_model.hpp"
#include "run_state.hpp"

namespace rtwire_load {
// ---------------------------------------------------------------------------------------------
// 10. The chat driver: open and join, run (messages per room), storm, drain, count, close.
// ---------------------------------------------------------------------------------------------

class chat_driver : public chat_events {
 public:
  chat_driver(run_state& run, std::vector<parsed_url> urls, std::vector<tcp::endpoint> endpoints)
      : run_(run),
        urls_(std::move(urls)),
        endpoints_(std::move(endpoints)),
        timer_(run.io),
        ticker_(run.io) {}

  void start() {
    const auto& c = run_.config;
    char tag[17];
    std::snprintf(tag, sizeof tag, "%08llx",
                  static_cast<unsigned long long>(run_.random() & 0xffffffffu));
    rooms_.resize(c.rooms);
    for (std::size_t r = 0; r < c.rooms; ++r)
      rooms_[r].name = "load-" + std::string(tag) + "-" + std::to_string(r);
    members_.resize(c.connections);
    for (std::size_t i = 0; i < c.connections; ++i) {
      members_[i].room = static_cast<std::uint32_t>(i % c.rooms);
      members_[i].url = i % urls_.size();
      rooms_[i % c.rooms].members.push_back(static_cast<std::uint32_t>(i));
    }
    phase_start_ = now_ns();
    after(timer_, c.connect_timeout, [this] {
      if (run_.now != phase::connecting) return;
      run_.st.error("connect timeout: " + std::to_string(pending_connects_) + " still pending");
      begin_hold();
    });
    tick();
    for (std::size_t i = 0; i < std::min(c.connect_concurrency, c.connections); ++i)
      open_next();
  }

  nlohmann::json summary() const;
  bool passed() const;

 private:
  // 10a. Opening: a bounded number of connects at a time (the initial ones, then the storm's).
  void open_next() {
    while (pending_connects_ < run_.config.connect_concurrency && !connect_queue_.empty()) {
      const std::size_t i = connect_queue_.front();
      connect_queue_.pop_front();
      connect(i);
    }
    if (run_.now != phase::connecting) return;
    while (pending_connects_ < run_.config.connect_concurrency &&
           launched_ < run_.config.connections)
      connect(launched_++);
  }

  void connect(std::size_t i) {
    chat_member& m = members_[i];
    const parsed_url& u = urls_[m.url];
    chat_target t{endpoints_[m.url], u.host + ":" + u.port, u.target};
    if (!m.token.empty())
      t.target += (t.target.find('?') == std::string::npos ? "?resume=" : "&resume=") + m.token;
    m.now = chat_member::state::connecting;
    ++pending_connects_;
    m.conn = std::make_shared<chat_conn>(run_, *this, i, ++next_conn_id_, std::move(t));
    m.conn->start();
  }

  bool current(std::size_t i, std::uint64_t conn_id) const {
    return members_[i].conn && members_[i].conn->id() == conn_id;
  }

  // A client is open once it joined its room (the first time) or re-joined (the storm).
  void on_joined(std::size_t i, std::uint64_t offset) {
    chat_member& m = members_[i];
    m.now = chat_member::state::ready;
    --pending_connects_;
    if (!m.joined) {
      m.joined = offset;
      ++run_.st.open;
      after_open();
    } else {
      m.storm_to = offset;
      ++storm_rejoined_;
      if (storm_rejoined_ == storm_members_) storm_recovered_ns_ = now_ns() - storm_start_;
      open_next();
    }
  }

  void on_open_failed(std::size_t i, const std::string& why, bool retry = true) {
    chat_member& m = members_[i];
    --pending_connects_;
    if (!m.joined) {
      m.now = chat_member::state::dead;
      ++run_.st.failed;
      run_.st.error(why);
      return after_open();
    }
    // The storm: try again (the server may still be busy) until the connect timeout.
    const std::int64_t t = now_ns();
    if (!retry || t - storm_start_ > static_cast<std::int64_t>(run_.config.connect_timeout * 1e9)) {
      m.now = chat_member::state::dead;
      run_.st.error("storm: " + why);
      return open_next();
    }
    ++storm_retries_;
    m.now = chat_member::state::dropped;
    retry_queue_.push_back({t + 100'000'000, i});  // again in 100 ms
    open_next();
  }

  void after_open() {
    if (run_.now != phase::connecting) return;
    if (launched_ == run_.config.connections && pending_connects_ == 0) return begin_hold();
    open_next();
  }

  // chat_events: what the connections report.
  void on_ws_open(std::size_t i, std::uint64_t conn_id, bool ok, const std::string& why) override {
    if (!current(i, conn_id)) return;
    if (!ok) return on_open_failed(i, why);
    members_[i].now = chat_member::state::joining;  // `connected` comes first
  }

  void on_ws_lost(std::size_t i, std::uint64_t conn_id, const std::string& why) override {
    if (!current(i, conn_id)) return;
    chat_member& m = members_[i];
    if (m.now != chat_member::state::ready) return on_open_failed(i, why);
    m.now = chat_member::state::dead;
    ++connections_lost_;
    run_.st.error("connection lost: " + why);
  }

  void on_ws_text(std::size_t i, std::uint64_t conn_id, std::string_view text) override {
    if (!current(i, conn_id)) return;
    chat_member& m = members_[i];
    const auto type = json_field(text, "type");
    if (!type) return run_.st.error("an event without a type: " + std::string(text.substr(0, 80)));
    if (*type == "message") return on_message(i, text);
    if (*type == "connected") return on_connected(i, text);
    if (*type == "joined") {
      const auto cursor = json_field(text, "cursor");
      const auto c = cursor ? rtwire::log::parse_cursor(*cursor) : std::nullopt;
      if (!c) return run_.st.error("joined without a cursor");
      if (!note_cursor(m, *cursor, *c)) return;
      if (m.now == chat_member::state::joining) on_joined(i, c->offset);
      return;
    }
    if (*type == "error") {
      // Rate limit, unavailable...: the oldest message in flight was refused (the server answers
      // one client's messages in order).
      if (!m.pending.empty()) {
        messages_[m.pending.front()].refused = true;
        m.pending.pop_front();
        ++refused_;
      }
      return run_.st.error("server error: " + std::string(text.substr(0, 160)));
    }
    if (*type == "reset") {
      ++resets_;
      return run_.st.error("reset (the room's history is gone): " + std::string(text));
    }
    // user-joined, user-left...: only the cursor matters.
    if (const auto id = json_field(text, "id"))
      if (const auto c = rtwire::log::parse_cursor(*id)) note_cursor(m, *id, *c);
  }

  /// Every event with an id moves the client's cursor; one epoch per run is expected.
  bool note_cursor(chat_member& m, std::string_view id, const rtwire::log::cursor& c) {
    if (!m.epoch) m.epoch = c.epoch;
    if (c.epoch != m.epoch) {
      ++epoch_changes_;
      run_.st.error("epoch changed: " + std::string(id));
      return false;
    }
    if (c.offset >= m.last_offset) {
      m.last_offset = c.offset;
      m.last_cursor.assign(id);  // reuses the capacity: no allocation per event
    }
    return true;
  }

  void on_connected(std::size_t i, std::string_view text) {
    chat_member& m = members_[i];
    const auto client = json_field(text, "clientId");
    const auto token = json_field(text, "token");
    if (!client || !token) return run_.st.error("connected without clientId/token");
    if (!m.client_id.empty() && *client != m.client_id) {
      // The resume did not find the session: a new identity, not the same client any more.
      m.conn->drop();
      return on_open_failed(i, "resume gave a new clientId (the session was lost)", false);
    }
    m.client_id = std::string(*client);
    m.token = std::string(*token);
    std::string join = R"({"type":"join","room":")" + rooms_[m.room].name + R"(","name":"u)" +
                       std::to_string(i) + '"';
    if (!m.last_cursor.empty()) join += R"(,"since":")" + m.last_cursor + '"';
    join += '}';
    m.conn->send_text(join);
  }

  // 10b. A message: latency, duplicate, order, and the message's offset in its room.
  void on_message(std::size_t i, std::string_view text) {
    chat_member& m = members_[i];
    const auto id = json_field(text, "id");
    const auto body = json_field(text, "text");
    const auto from = json_field(text, "from");
    const auto c = id ? rtwire::log::parse_cursor(*id) : std::nullopt;
    if (!c || !body || !from)
      return run_.st.error("bad message: " + std::string(text.substr(0, 120)));
    std::uint64_t seq = 0;
    std::int64_t sent = 0;
    const char* end = body->data() + body->size();
    const auto r1 = std::from_chars(body->data(), end, seq);
    const auto r2 = r1.ptr < end ? std::from_chars(r1.ptr + 1, end, sent) : r1;
    if (r1.ec != std::errc{} || r2.ec != std::errc{} || seq >= messages_.size())
      return run_.st.error("a message this run did not send: " + std::string(text.substr(0, 120)));
    if (!note_cursor(m, *id, *c)) return;
    chat_message& msg = messages_[seq];
    if (msg.room != m.room) return run_.st.error("a message of another room");
    if (!msg.offset) {
      msg.offset = c->offset;
      ++rooms_[m.room].messages_seen;
    } else if (*msg.offset != c->offset) {
      return run_.st.error("one message under two ids: " + std::string(*id));
    }
    if (c->offset > max_offset) return run_.st.error("offset out of this tool's range");
    if (m.got.size() <= c->offset)
      m.got.resize(std::max<std::size_t>(c->offset + 1, m.got.size() * 2));
    if (m.got[c->offset] != 0) {
      ++duplicated_;
      m.duplicates.push_back(c->offset);
      if (duplicate_samples_.size() < 5)
        duplicate_samples_.push_back({{"client", "u" + std::to_string(i)},
                                      {"room", rooms_[m.room].name},
                                      {"id", std::string(*id)},
                                      {"before_joined", m.now != chat_member::state::ready}});
      return;
    }
    m.got[c->offset] = 1;
    if (m.last_message_offset >= c->offset && m.last_message_offset != 0) ++out_of_order_;
    m.last_message_offset = std::max(m.last_message_offset, c->offset);
    if (m.storm_from && !m.storm_to) ++storm_before_rejoin_;  // before the re-join's `joined`
    ++run_.st.received;
    run_.st.latency.record(now_ns() - msg.sent_ns);
    if (*from == m.client_id && msg.sender == i) {
      const auto it = std::find(m.pending.begin(), m.pending.end(), seq);
      if (it != m.pending.end()) m.pending.erase(it);
    }
  }

  void begin_hold() {
    enter_hold(run_, timer_, phase_start_, [this] { begin_run(); });
  }

  void begin_run() {
    enter_run(run_, timer_, [this] { begin_drain(); });
  }

  void begin_drain() {
    send_due(now_ns());  // the last ones due (the timer may fire before the tick)
    run_.now = phase::draining;
    run_.run_end = now_ns();
    drain_deadline_ = run_.run_end + static_cast<std::int64_t>(run_.config.drain * 1e9);
  }

  /// Drained: every sender saw its messages back (or was refused) and every member of each
  /// room has every message whose offset is known. (Messages in flight at the storm's drop
  /// may never have been published: they do not hold the drain up.)
  bool drained() const {
    if (storm_rejoined_ < storm_members_) return false;
    for (const auto& m : members_)
      if (m.now == chat_member::state::ready && !m.pending.empty()) return false;
    return run_.st.received >= expected_so_far();
  }

  std::uint64_t expected_so_far() const {
    std::uint64_t n = 0;
    for (const auto& r : rooms_) {
      std::uint64_t joined = 0;
      for (const std::uint32_t i : r.members)
        if (members_[i].joined && members_[i].now != chat_member::state::dead) ++joined;
      n += r.messages_seen * joined;
    }
    return n;
  }

  // 10c. Once a millisecond: messages due per room, the storm, the drain; once a second:
  // progress.
  void tick() {
    ticker_.expires_after(std::chrono::milliseconds(1));
    ticker_.async_wait([this](asio::error_code ec) {
      if (ec) return;
      const std::int64_t t = now_ns();
      while (!retry_queue_.empty() && retry_queue_.front().first <= t) {
        connect_queue_.push_back(retry_queue_.front().second);
        retry_queue_.pop_front();
        open_next();
      }
      if (run_.now == phase::running) {
        if (run_.config.storm_at >= 0 && storm_start_ == 0 &&
            t - run_.run_start >= static_cast<std::int64_t>(run_.config.storm_at * 1e9))
          storm(t);
        send_due(t);
      }
      if (run_.now == phase::draining &&
          (t >= drain_deadline_ || (t - last_drain_check_ > 50'000'000 && drained_now(t))))
        return finish();
      if (t - last_progress_ >= 1'000'000'000) progress(t);
      tick();
    });
  }

  bool drained_now(std::int64_t t) {
    last_drain_check_ = t;
    return drained();
  }

  void send_due(std::int64_t t) {
    // Due by now, never more than --duration's worth (the tick may run just past the end).
    const double elapsed =
        std::min(static_cast<double>(t - run_.run_start) / 1e9, run_.config.duration);
    const double total = run_.config.room_rate * run_.config.duration;
    for (std::size_t r = 0; r < rooms_.size(); ++r) {
      chat_room& room = rooms_[r];
      // The rooms' messages are spread evenly over each interval (room r is r/rooms of an
      // interval ahead), as independent rooms' traffic is: all rooms sending on the same tick
      // would measure one burst of rooms × members deliveries, not the rate.
      const double phase = static_cast<double>(r) / static_cast<double>(rooms_.size());
      const auto due = static_cast<std::uint64_t>(
          std::min(total, std::floor(run_.config.room_rate * elapsed + phase)));
      while (room.sent < due) {
        // One sender per message, round-robin over the room's clients that are joined now.
        std::optional<std::uint32_t> sender;
        for (std::size_t k = 0; k < room.members.size() && !sender; ++k) {
          const std::uint32_t i = room.members[(room.next_sender + k) % room.members.size()];
          if (members_[i].now == chat_member::state::ready) {
            sender = i;
            room.next_sender = (room.next_sender + k + 1) % room.members.size();
          }
        }
        if (!sender) break;  // nobody joined at the moment (the storm): sent when one is
        send(*sender, t);
        ++room.sent;
      }
    }
  }

  void send(std::uint32_t i, std::int64_t t) {
    chat_member& m = members_[i];
    const std::uint64_t seq = messages_.size();
    messages_.push_back({m.room, i, t, std::nullopt, false});
    std::string body = std::to_string(seq) + " " + std::to_string(t) + " ";
    if (body.size() < run_.config.size) body.append(run_.config.size - body.size(), 'x');
    const std::string frame =
        R"({"type":"message","room":")" + rooms_[m.room].name + R"(","text":")" + body + R"("})";
    m.pending.push_back(seq);
    ++run_.st.sent;
    m.conn->send_text(frame);
  }

  // 10d. The storm: every joined client drops its connection at once and resumes on the next
  // URL with its token, then re-joins with `since` = the last cursor it received.
  void storm(std::int64_t t) {
    storm_start_ = t;
    for (std::size_t i = 0; i < members_.size(); ++i) {
      chat_member& m = members_[i];
      if (m.now != chat_member::state::ready) continue;
      m.conn->drop();
      m.storm_from = m.last_offset;
      // Messages in flight on the dropped connection may or may not have been published:
      // their first receipt (if any) tells; they no longer hold the drain up.
      m.pending.clear();
      m.now = chat_member::state::dropped;
      m.url = (m.url + 1) % urls_.size();
      ++storm_members_;
      connect_queue_.push_back(i);
    }
    std::fprintf(stderr, "rtwire_load: storm: %zu connections dropped\n", storm_members_);
    open_next();
  }

  void finish() {
    run_.now = phase::closing;
    fetch_server_stats();
    for (auto& m : members_)
      if (m.conn) m.conn->close();
    after(timer_, 1.0, [this] { end(); });
    close_wait();
  }

  void close_wait() {
    ticker_.expires_after(std::chrono::milliseconds(10));
    ticker_.async_wait([this](asio::error_code ec) {
      if (ec) return;
      if (std::all_of(members_.begin(), members_.end(),
                      [](const chat_member& m) { return !m.conn || m.conn->is_finished(); }))
        return end();
      close_wait();
    });
  }

  void end() {
    if (run_.now == phase::done) return;
    run_.now = phase::done;
    ticker_.cancel();
    timer_.cancel();
    for (auto& m : members_)
      if (m.conn) m.conn->abort();
    run_.io.stop();
  }

  /// GET /stats of the first URL's server (blocking, at the end, a 3 s limit): rooms[R].messages
  /// counts the messages the cluster published in each room, so a message published and received
  /// by nobody is still counted as lost.
  void fetch_server_stats() {
    try {
      tcp::socket s(run_.io);
      s.connect(endpoints_[0]);
      timeval tv{3, 0};
      ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      const std::string req = "GET /stats HTTP/1.1\r\nHost: " + urls_[0].host + ":" +
                              urls_[0].port + "\r\nConnection: close\r\n\r\n";
      asio::write(s, asio::buffer(req));
      std::string in;
      std::array<char, 65536> buf;
      std::size_t body_at = std::string::npos;
      std::size_t length = 0;
      while (true) {
        asio::error_code ec;
        const std::size_t n = s.read_some(asio::buffer(buf), ec);
        in.append(buf.data(), n);
        if (body_at == std::string::npos) {
          if (const std::size_t h = in.find("\r\n\r\n"); h != std::string::npos) {
            body_at = h + 4;
            std::string head = in.substr(0, h);
            std::transform(head.begin(), head.end(), head.begin(),
                           [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
            const std::size_t cl = head.find("content-length:");
            if (cl == std::string::npos) throw std::runtime_error("no Content-Length");
            length = std::stoul(head.substr(cl + 15));
          }
        }
        if (body_at != std::string::npos && in.size() >= body_at + length) break;
        if (ec) throw std::runtime_error(ec.message());
      }
      const auto j = nlohmann::json::parse(in.substr(body_at, length));
      server_messages_.emplace();
      const auto& rooms = j.at("rooms");
      for (const auto& r : rooms_) {
        const auto it = rooms.find(r.name);
        server_messages_->push_back(it == rooms.end() ? 0
                                                      : it->at("messages").get<std::uint64_t>());
      }
    } catch (const std::exception& e) {
      run_.st.error(std::string("GET /stats: ") + e.what());
      server_messages_.reset();
    }
  }

  void progress(std::int64_t t) {
    last_progress_ = t;
    std::fprintf(stderr, "%s dup %llu errors %llu%s\n",
                 progress_head(run_, "delivered", last_received_).c_str(),
                 static_cast<unsigned long long>(duplicated_),
                 static_cast<unsigned long long>(run_.st.errors),
                 storm_start_ != 0 && storm_rejoined_ < storm_members_
                     ? (" storm: " + std::to_string(storm_rejoined_) + "/" +
                        std::to_string(storm_members_) + " re-joined")
                           .c_str()
                     : "");
    last_received_ = run_.st.received;
  }

  static constexpr std::uint64_t max_offset = std::uint64_t{1} << 26;

  run_state& run_;
  std::vector<parsed_url> urls_;
  std::vector<tcp::endpoint> endpoints_;
  asio::steady_timer timer_;
  asio::steady_timer ticker_;
  std::vector<chat_member> members_;
  std::vector<chat_room> rooms_;
  std::vector<chat_message> messages_;
  std::deque<std::size_t> connect_queue_;
  std::deque<std::pair<std::int64_t, std::size_t>> retry_queue_;  // (when, client)
  std::size_t launched_ = 0;
  std::size_t pending_connects_ = 0;
  std::uint64_t next_conn_id_ = 0;
  std::uint64_t duplicated_ = 0;
  std::uint64_t out_of_order_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t resets_ = 0;
  std::uint64_t epoch_changes_ = 0;
  std::size_t connections_lost_ = 0;
  std::int64_t storm_start_ = 0;
  std::size_t storm_members_ = 0;
  std::size_t storm_rejoined_ = 0;
  std::size_t storm_retries_ = 0;
  std::uint64_t storm_before_rejoin_ = 0;
  nlohmann::json duplicate_samples_ = nlohmann::json::array();
  std::int64_t storm_recovered_ns_ = -1;
  std::optional<std::vector<std::uint64_t>> server_messages_;
  std::int64_t phase_start_ = 0;
  std::int64_t drain_deadline_ = 0;
  std::int64_t last_drain_check_ = 0;
  std::int64_t last_progress_ = 0;
  std::uint64_t last_received_ = 0;
};

// ---------------------------------------------------------------------------------------------
// 11. The chat summary. A (member, message) pair is expected when the member had joined the
// room before the message was published: its first `joined` cursor is below the message's
// offset (the log's total order). Lost = expected pairs never received; a message the server
// counted in GET /stats but nobody received is lost for every member. The storm's share: the
// pairs whose offset lies between the member's cursor at the drop and its re-join's cursor
// (those had to come from the replay).
// ---------------------------------------------------------------------------------------------

inline nlohmann::json chat_driver::summary() const {
  const auto& c = run_.config;
  const auto& st = run_.st;
  const double seconds =
      run_.run_end > run_.run_start ? static_cast<double>(run_.run_end - run_.run_start) / 1e9 : 0;
  std::uint64_t expected = 0, lost = 0, storm_lost = 0, storm_duplicated = 0, unseen = 0;
  std::vector<std::vector<std::uint64_t>> offsets(rooms_.size());
  for (const auto& msg : messages_)
    if (msg.offset) offsets[msg.room].push_back(*msg.offset);
  for (std::size_t r = 0; r < rooms_.size(); ++r) {
    std::uint64_t members = 0;
    for (const std::uint32_t i : rooms_[r].members) {
      const chat_member& m = members_[i];
      if (!m.joined) continue;
      ++members;
      for (const std::uint64_t o : offsets[r]) {
        if (o <= *m.joined) continue;
        ++expected;
        const bool got = o < m.got.size() && m.got[o] != 0;
        if (got) continue;
        ++lost;
        if (m.storm_from && o > *m.storm_from && (!m.storm_to || o <= *m.storm_to)) ++storm_lost;
      }
      for (const std::uint64_t o : m.duplicates)
        if (m.storm_from && o > *m.storm_from && (!m.storm_to || o <= *m.storm_to))
          ++storm_duplicated;
    }
    if (server_messages_ && (*server_messages_)[r] > rooms_[r].messages_seen) {
      const std::uint64_t n = (*server_messages_)[r] - rooms_[r].messages_seen;
      unseen += n;
      expected += n * members;
      lost += n * members;
    }
  }
  const double per_s = seconds > 0 ? static_cast<double>(st.received) / seconds : 0;
  nlohmann::json j{
      {"url", c.url},
      {"mode", "chat"},
      {"connections", st.open},
      {"connections_requested", c.connections},
      {"connections_failed", st.failed},
      {"connections_lost", connections_lost_},
      {"size", c.size},
      {"rooms", c.rooms},
      {"room_rate", c.room_rate},
      {"rate", c.room_rate * static_cast<double>(c.rooms)},
      {"duration_s", seconds},
      {"messages_sent", st.sent},
      {"messages_refused", refused_},
      {"messages_published_unseen", server_messages_ ? nlohmann::json(unseen) : nlohmann::json()},
      {"deliveries", st.received},
      {"deliveries_per_s", per_s},
      {"expected_deliveries", expected},
      {"messages_received", st.received},
      {"lost", lost},
      {"duplicated", duplicated_},
      {"duplicate_samples", duplicate_samples_},
      {"out_of_order", out_of_order_},
      {"resets", resets_},
      {"throughput_msgs_per_s", per_s},
      {"throughput_bytes_per_s", per_s * static_cast<double>(c.size)},
      {"latency_us", latency_json(st.latency)},
      {"errors", st.errors},
      {"error_samples", st.error_samples},
  };
  if (c.storm_at >= 0) {
    j["storm"] = {
        {"at_s", c.storm_at},
        {"connections", storm_members_},
        {"rejoined", storm_rejoined_},
        {"reconnect_retries", storm_retries_},
        {"received_before_rejoin", storm_before_rejoin_},
        {"recover_ms", storm_recovered_ns_ >= 0
                           ? nlohmann::json(static_cast<double>(storm_recovered_ns_) / 1e6)
                           : nlohmann::json()},
        {"lost", storm_lost},
        {"duplicated", storm_duplicated},
    };
  }
  return j;
}

/// Exit 0: every connection opened (and stayed), nothing lost, duplicated or out of order, one
/// epoch, and after a storm every client re-joined.
inline bool chat_driver::passed() const {
  const nlohmann::json j = summary();
  return run_.st.failed == 0 && run_.st.open == run_.config.connections && connections_lost_ == 0 &&
         j["lost"].get<std::uint64_t>() == 0 && duplicated_ == 0 && out_of_order_ == 0 &&
         epoch_changes_ == 0 && resets_ == 0 &&
         (storm_start_ == 0 || storm_rejoined_ == storm_members_) &&
         (run_.config.storm_at < 0 || storm_start_ != 0);
}

}  // namespace rtwire_load
