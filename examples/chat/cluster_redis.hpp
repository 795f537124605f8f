// chat: the Redis side of the cluster room log (cluster_log.hpp): its Lua scripts and the
// parsing of what Redis answers. Every parser takes anything Redis (or a client writing to the
// same keys) may hold and returns nullopt rather than trusting it.
#pragma once

#include <rtwire/core/log_cursor.hpp>
#include <rtwire/core/sha1.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster_log.hpp"
#include "common/redis_client.hpp"

namespace chat::cluster_redis {

using kind = rtwire_examples::redis_reply::kind;

/// A Lua script and its SHA-1 (what EVALSHA names it by), computed once.
struct lua_script {
  std::string body;
  std::string sha;
  explicit lua_script(std::string text) : body(std::move(text)) {
    static constexpr char hex[] = "0123456789abcdef";
    for (const std::uint8_t b : rtwire::sha1::hash(std::string_view(body))) {
      sha += hex[b >> 4];
      sha += hex[b & 0xf];
    }
  }
};

// Every script of a room: KEYS[1] = rt:{room}:meta, KEYS[2] = rt:{room}:log (one hash slot), and
// ARGV[1] = a new epoch. A missing epoch is created from ARGV[1], a random value the node chose;
// the stream is deleted with it, as whatever it held belongs to a history nobody can name any
// more. The scripts that append also take ARGV[2] = MAXLEN and ARGV[3] = the room's channel.

/// What every room script starts with: the room's epoch in `e` (created when missing) and its
/// top offset in `s`, both checked.
inline constexpr std::string_view epoch_lua = R"lua(
local e = redis.call('HGET', KEYS[1], 'e')
if not e then
  e = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', e, 's', '0')
end
if not string.match(e, '^[0-9a-f]+$') or #e > 16 or string.match(e, '^0.') then
  return redis.error_reply('RTCORRUPT the epoch in ' .. KEYS[1] .. ' is not lowercase hex')
end
local top = redis.call('HGET', KEYS[1], 's') or '0'
if not string.match(top, '^%d+$') or #top > 15 then
  return redis.error_reply('RTCORRUPT the top offset in ' .. KEYS[1] .. ' is not a number')
end
local s = tonumber(top)
)lua";

/// rt_append(type, prefix, suffix): logs one event at the next offset, its text being prefix +
/// cursor + suffix, and notifies the nodes serving the room. XADD comes before HINCRBY raises
/// `s`: Redis does not roll a script back, so a failing XADD must come first to change nothing.
/// `m` counts `message` events (GET /stats).
inline constexpr std::string_view append_lua = R"lua(
local function rt_append(t, prefix, suffix)
  local id = string.format('%d', s + 1)
  local text = prefix .. e .. '-' .. id .. suffix
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], id .. '-0', 't', t, 'j', text)
  s = s + 1
  redis.call('HINCRBY', KEYS[1], 's', 1)
  if t == 'message' then redis.call('HINCRBY', KEYS[1], 'm', 1) end
  redis.call('PUBLISH', ARGV[3], e .. ' ' .. id .. ' ' .. t .. ' ' .. text)
end
)lua";

/// ARGV: new epoch, MAXLEN, channel, deadline (Redis ms), type, prefix, suffix. Returns {epoch,
/// offset}.
inline const lua_script& publish_script() {
  static const lua_script s(std::string(R"lua(
local t = redis.call('TIME')
if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(ARGV[4]) then
  return redis.error_reply('RTEXPIRED the publish reached Redis after its deadline')
end
)lua") + std::string(epoch_lua) +
                            std::string(append_lua) + R"lua(
rt_append(ARGV[5], ARGV[6], ARGV[7])
return {e, s}
)lua");
  return s;
}

/// ARGV: new epoch, known epoch ('' if none), XRANGE start (exclusive "(<offset>-0"), count.
/// Returns {epoch, top offset, entries}: the entries after the start, or the newest `count` ones
/// when the epoch is not the known one.
inline const lua_script& read_script() {
  static const lua_script s(std::string(epoch_lua) + R"lua(
local from = ARGV[3]
if e ~= ARGV[2] then from = string.format('%d-0', math.max(1, s - tonumber(ARGV[4]) + 1)) end
return {e, s, redis.call('XRANGE', KEYS[2], from, '+', 'COUNT', ARGV[4])}
)lua");
  return s;
}

/// Runs `script` by its SHA-1 (EVALSHA), sending its body (EVAL) when Redis does not have it: its
/// script cache is empty after a restart or SCRIPT FLUSH.
inline void run_script(rtwire_examples::redis_client& commands, const lua_script& script,
                       std::vector<std::string> keys, std::vector<std::string> args,
                       std::function<void(const rtwire_examples::redis_reply&)> done,
                       std::optional<rtwire_examples::redis_client::millis> timeout = {}) {
  std::vector<std::string> cmd{"EVALSHA", script.sha, std::to_string(keys.size())};
  cmd.insert(cmd.end(), keys.begin(), keys.end());
  cmd.insert(cmd.end(), args.begin(), args.end());
  commands.command(
      cmd,
      [commands = commands.shared_from_this(), cmd, &script, done = std::move(done),
       timeout](const rtwire_examples::redis_reply& r) mutable {
        if (!r.is_error() || r.text.rfind("NOSCRIPT", 0) != 0) return done(r);
        cmd[0] = "EVAL";
        cmd[1] = script.body;
        commands->command(cmd, std::move(done), timeout);
      },
      timeout);
}

inline bool valid_type(std::string_view t) noexcept {
  if (t.empty() || t.size() > 64) return false;
  return std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

inline std::string epoch_hex(std::uint64_t epoch) {
  std::string s = rtwire::log::to_string({epoch, 0});
  s.resize(s.size() - 2);  // "-0"
  return s;
}

/// `<epoch hex>` and `<offset decimal>` in their one strict form (rtwire::log::parse_cursor).
inline std::optional<cursor> parse_position(std::string_view epoch, std::string_view offset) {
  std::string text(epoch);
  text += '-';
  text += offset;
  return rtwire::log::parse_cursor(text);
}

/// An XRANGE entry [`<offset>-0`, [field, value, ...]] with fields t and j.
inline std::optional<cluster_event> parse_entry(const rtwire_examples::redis_reply& e,
                                                std::uint64_t epoch) {
  if (e.type != kind::array || e.elements.size() != 2) return std::nullopt;
  const std::string& id = e.elements[0].text;
  const auto& fields = e.elements[1].elements;
  if (id.size() < 3 || id.compare(id.size() - 2, 2, "-0") != 0) return std::nullopt;
  const auto at = parse_position(epoch_hex(epoch), std::string_view(id).substr(0, id.size() - 2));
  if (!at || at->offset == 0) return std::nullopt;
  cluster_event ev{*at, {}, {}};
  bool type = false, json = false;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (fields[i].text == "t") ev.type = fields[i + 1].text, type = true;
    if (fields[i].text == "j") ev.json = fields[i + 1].text, json = true;
  }
  if (!type || !json || !valid_type(ev.type)) return std::nullopt;
  return ev;
}

/// The read script's reply: epoch, top offset and the entries that parse (`skipped` counts the
/// others).
struct stream_view {
  cursor top;
  std::vector<cluster_event> entries;
  std::uint64_t skipped = 0;
};

inline std::optional<stream_view> parse_read(const rtwire_examples::redis_reply& r) {
  if (r.type != kind::array || r.elements.size() != 3 || r.elements[1].type != kind::integer ||
      r.elements[1].integer < 0 || r.elements[2].type != kind::array)
    return std::nullopt;
  const auto top = parse_position(r.elements[0].text, std::to_string(r.elements[1].integer));
  if (!top) return std::nullopt;
  stream_view v{*top, {}, 0};
  for (const auto& e : r.elements[2].elements) {
    if (auto ev = parse_entry(e, top->epoch))
      v.entries.push_back(std::move(*ev));
    else
      ++v.skipped;
  }
  return v;
}

inline std::string why_failed(const rtwire_examples::redis_reply& r) {
  if (r.failed()) return r.text;
  if (r.is_error()) return "Redis refused: " + r.text;
  return "Redis answered something unexpected";
}

}  // namespace chat::cluster_redis
