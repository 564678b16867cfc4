--[[
  Stores a session, or replaces it and moves it out of the old one's player, holder and counters,
  then indexes and counts it.
  Needs: dec
]]
local function write_session(key, id, json, player_prefix, player, holder_prefix, node,
    sessions, by_region, by_shard, seen, nodes, region, shard, at)
  local old = redis.call('GET', key)
  if old then
    local o = cjson.decode(old)
    redis.call('SREM', player_prefix .. o.playerId, id)
    redis.call('SREM', holder_prefix .. o.node, id)
    dec(by_region, o.region)
    dec(by_shard, o.shard)
  end
  redis.call('SET', key, json)
  redis.call('SADD', sessions, id)
  redis.call('SADD', player_prefix .. player, id)
  redis.call('SADD', holder_prefix .. node, id)
  redis.call('SADD', nodes, node)
  redis.call('HINCRBY', by_region, region, 1)
  redis.call('HINCRBY', by_shard, shard, 1)
  redis.call('ZADD', seen, at, id)
end
