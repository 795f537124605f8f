// chat: one room — its members and its log (rtwire::log), no sockets.
//
// Room events (`message`, `user-joined`, `user-left`) are appended to the room's log; their `id`
// is the log cursor's text form (`<epoch hex>-<offset dec>`), the same string on every transport.
#pragma once

#include <rtwire/core/log.hpp>
#include <rtwire/core/utf8.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace chat {

/// Milliseconds on the caller's monotonic clock (only differences matter).
using millis = std::chrono::milliseconds;

/// Room names: [A-Za-z0-9_-]{1,64}.
inline bool valid_room_name(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

/// Display names: valid UTF-8 of 1..32 code points.
inline bool valid_user_name(std::string_view s) noexcept {
  if (s.empty() || !rtwire::utf8::is_valid(s)) return false;
  std::size_t code_points = 0;
  for (const char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++code_points;
  return code_points <= 32;
}

/// One room: members (clientId -> name), the log of its events, and its `message` count.
class room {
 public:
  room(std::string name, std::uint64_t epoch, rtwire::log::retention keep)
      : name_(std::move(name)), log_(epoch, keep) {}

  const std::string& name() const noexcept { return name_; }
  /// The room's log: its own, or in a cluster the mirror of the shared one (use_history()).
  const rtwire::log::message_log& log() const noexcept { return shared_ ? *shared_ : log_; }
  /// Cluster mode: the history lives elsewhere and is not here yet (ready() is false until
  /// use_history() gives it).
  void await_history() noexcept { clustered_ = true; }
  void use_history(const rtwire::log::message_log* shared) noexcept { shared_ = shared; }
  bool ready() const noexcept { return !clustered_ || shared_ != nullptr; }
  const std::map<std::string, std::string>& members() const noexcept { return members_; }
  bool has(const std::string& client) const { return members_.count(client) != 0; }
  void add(const std::string& client, const std::string& display) { members_[client] = display; }
  void remove(const std::string& client) { members_.erase(client); }
  /// `message` events ever appended (GET /stats rooms[r].messages).
  std::uint64_t messages() const noexcept { return messages_; }

  /// The cursor text the next appended event will have.
  std::string next_id() const {
    return rtwire::log::to_string({log_.epoch(), log_.last_offset() + 1});
  }
  /// The cursor text of the head (the newest event; offset 0 when none yet).
  std::string head_id() const { return rtwire::log::to_string(log_.head()); }

  /// Appends an event whose JSON (built with next_id() as its "id") is `json`. Returns false if
  /// the log refused it (larger than its byte bound).
  bool append(std::string_view type, std::string_view json, millis now) {
    const auto r = log_.append(json, type, now);
    if (r && type == "message") ++messages_;
    return static_cast<bool>(r);
  }

 private:
  std::string name_;
  rtwire::log::message_log log_;
  const rtwire::log::message_log* shared_ = nullptr;
  bool clustered_ = false;
  std::map<std::string, std::string> members_;
  std::uint64_t messages_ = 0;
};

/// A token bucket: `rate` tokens per second, at most `burst`; each counted message takes one.
class rate_limiter {
 public:
  rate_limiter(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}

  /// Takes a token at time `now`; false (nothing taken) when the bucket is empty.
  bool take(millis now) {
    if (started_) {
      const double elapsed = static_cast<double>((now - last_).count()) / 1000.0;
      tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    }
    started_ = true;
    last_ = now;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_, burst_, tokens_;
  millis last_{0};
  bool started_ = false;
};

}  // namespace chat
