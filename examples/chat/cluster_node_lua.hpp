// chat: the Lua scripts of a cluster node (cluster_node.hpp) beyond the room log's own
// (cluster_redis.hpp): presence, who holds a session, direct messages between nodes, the node's
// registration and the cluster's stats. Each runs atomically in Redis, which is what makes
// "exactly one user-left per departed member, whichever node notices" hold: the member is removed
// by ZREM, and only the one script that removed it logs the event.
//
// Keys, besides rt:{<room>}:meta and rt:{<room>}:log:
//   rt:{<room>}:members  sorted set: clientId -> expiry (Redis ms), refreshed by the member's node
//   rt:{<room>}:names    hash: clientId -> display name as a JSON string ("\"ann\"")
//   rt:rooms             set of rooms with members (GET /stats)
//   rt:client:<clientId> the node id holding the session (PX: the member TTL)
//   rt:session:<token>   {"id","name","rooms"} (PX: grace + member TTL): resume on any node
//   rt:node:<nodeId>     the node's random instance id (PX: the member TTL): ids are unique
// and the Pub/Sub channel rt:node:<nodeId> ("dm <to> <type> <json>", "evict <clientId>").
//
// rt:rooms, rt:client:* and rt:session:* are not in a room's hash slot: the presence scripts
// touch rt:rooms and the direct script reads several rooms' sets, which a Redis Cluster would
// refuse (this example targets one Redis server; see README "Scaling out").
#pragma once

#include <string>

#include "cluster_redis.hpp"

namespace chat::cluster_lua {

using cluster_redis::lua_script;

/// Redis's clock in ms, in `now`.
inline constexpr std::string_view now_lua = R"lua(
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
)lua";

/// The user-left event of member `c` (its name JSON from the names hash), then its removal.
inline constexpr std::string_view remove_member_lua = R"lua(
local function rt_remove(room, c)
  redis.call('ZREM', KEYS[3], c)
  local n = redis.call('HGET', KEYS[4], c) or '""'
  redis.call('HDEL', KEYS[4], c)
  rt_append('user-left', '{"type":"user-left","room":"' .. room .. '","id":"',
            '","clientId":"' .. c .. '","name":' .. n .. '}')
end
)lua";

/// Join or refresh members. KEYS: meta, log, members, names, rt:rooms. ARGV: new epoch, MAXLEN,
/// channel, TTL ms, room, '1' to return the member list, then (clientId, name JSON) pairs. A
/// member not in the set is added and its user-joined logged; one in it gets a new expiry.
/// Returns {epoch, top offset, members added, [clientId, name JSON, ...]}.
inline const lua_script& join_script() {
  static const lua_script s(std::string(now_lua) + std::string(cluster_redis::epoch_lua) +
                            std::string(cluster_redis::append_lua) + R"lua(
local added = 0
for i = 7, #ARGV, 2 do
  local c, n = ARGV[i], ARGV[i + 1]
  if redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), c) == 1 then
    added = added + 1
    redis.call('HSET', KEYS[4], c, n)
    rt_append('user-joined', '{"type":"user-joined","room":"' .. ARGV[5] .. '","id":"',
              '","clientId":"' .. c .. '","name":' .. n .. '}')
  else
    redis.call('HSET', KEYS[4], c, n)
  end
end
redis.call('SADD', KEYS[5], ARGV[5])
local members = {}
if ARGV[6] == '1' then
  for _, c in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
    members[#members + 1] = c
    members[#members + 1] = redis.call('HGET', KEYS[4], c) or '""'
  end
end
return {e, s, added, members}
)lua");
  return s;
}

/// One member leaves. KEYS: meta, log, members, names, rt:rooms, rt:client:<clientId>. ARGV: new
/// epoch, MAXLEN, channel, room, clientId, node id ('' when the client asked; else the session
/// ended on that node, which removes it only if no other node holds the session now). Returns
/// {epoch, top offset, 1} when it removed the member (and logged user-left), else {'', 0, 0}.
inline const lua_script& leave_script() {
  static const lua_script s(std::string(R"lua(
if ARGV[6] ~= '' then
  local owner = redis.call('GET', KEYS[6])
  if owner and owner ~= ARGV[6] then return {'', 0, 0} end
end
if not redis.call('ZSCORE', KEYS[3], ARGV[5]) then return {'', 0, 0} end
)lua") + std::string(cluster_redis::epoch_lua) +
                            std::string(cluster_redis::append_lua) +
                            std::string(remove_member_lua) + R"lua(
rt_remove(ARGV[4], ARGV[5])
if redis.call('ZCARD', KEYS[3]) == 0 then redis.call('SREM', KEYS[5], ARGV[4]) end
return {e, s, 1}
)lua");
  return s;
}

/// Members whose node stopped refreshing them leave. KEYS: meta, log, members, names, rt:rooms.
/// ARGV: new epoch, MAXLEN, channel, room. Returns how many left.
inline const lua_script& expire_script() {
  static const lua_script s(std::string(now_lua) + R"lua(
local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
if #gone == 0 then
  if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('SREM', KEYS[5], ARGV[4]) end
  return 0
end
)lua" + std::string(cluster_redis::epoch_lua) +
                            std::string(cluster_redis::append_lua) +
                            std::string(remove_member_lua) + R"lua(
for _, c in ipairs(gone) do rt_remove(ARGV[4], c) end
if redis.call('ZCARD', KEYS[3]) == 0 then redis.call('SREM', KEYS[5], ARGV[4]) end
return #gone
)lua");
  return s;
}

/// A direct event (private, signal) for a client held by another node. KEYS: rt:client:<to>, then
/// the members set of every room of the sender. ARGV: to, "<type> <json>". Sent (returns 1) only
/// when `to` is held by some node and is a member of one of those rooms; else 0.
inline const lua_script& direct_script() {
  static const lua_script s(R"lua(
local node = redis.call('GET', KEYS[1])
if not node then return 0 end
for i = 2, #KEYS do
  if redis.call('ZSCORE', KEYS[i], ARGV[1]) then
    redis.call('PUBLISH', 'rt:node:' .. node, 'dm ' .. ARGV[1] .. ' ' .. ARGV[2])
    return 1
  end
end
return 0
)lua");
  return s;
}

/// This node holds session `id` now. KEYS: rt:client:<id>. ARGV: node id, TTL ms, id. The node
/// that held it before is told to let it go ("evict <id>"). Returns that node ('' if none).
inline const lua_script& claim_script() {
  static const lua_script s(R"lua(
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if old and old ~= ARGV[1] then redis.call('PUBLISH', 'rt:node:' .. old, 'evict ' .. ARGV[3]) end
return old or ''
)lua");
  return s;
}

/// Refreshes the sessions this node holds. KEYS: (rt:client:<id>, rt:session:<token>) pairs.
/// ARGV: node id, client TTL ms, session TTL ms, then each session's JSON. A session another node
/// holds now is left alone and reported. Returns one integer per session: 1 kept, 0 lost.
inline const lua_script& refresh_sessions_script() {
  static const lua_script s(R"lua(
local out = {}
for i = 1, #KEYS, 2 do
  local owner = redis.call('GET', KEYS[i])
  if owner and owner ~= ARGV[1] then
    out[#out + 1] = 0
  else
    redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2])
    redis.call('SET', KEYS[i + 1], ARGV[3 + (i + 1) / 2], 'PX', ARGV[3])
    out[#out + 1] = 1
  end
end
return out
)lua");
  return s;
}

/// Registers or refreshes node id KEYS[1] with instance ARGV[1] for ARGV[2] ms. Returns 0 when
/// another live instance holds the id.
inline const lua_script& node_script() {
  static const lua_script s(R"lua(
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
)lua");
  return s;
}

/// The cluster's rooms: KEYS[1] = rt:rooms. Returns [room, members, messages, ...].
inline const lua_script& stats_script() {
  static const lua_script s(R"lua(
local out = {}
for _, r in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  out[#out + 1] = r
  out[#out + 1] = redis.call('ZCARD', 'rt:{' .. r .. '}:members')
  out[#out + 1] = tonumber(redis.call('HGET', 'rt:{' .. r .. '}:meta', 'm') or '0') or 0
end
return out
)lua");
  return s;
}

}  // namespace chat::cluster_lua
