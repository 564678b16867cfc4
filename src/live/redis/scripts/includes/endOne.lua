--[[
  Ends one session if it is live (reads and deletes it in one step, updates the indexes and
  counters) and appends its JSON and lastSeenAt to `out`.
  Needs: dec
  Uses:
    KEYS[1] sessions
    KEYS[2] count:region
    KEYS[3] count:shard
    KEYS[4] seen
    ARGV[1] session key prefix (`<p>{lifeline}:session:`)
    ARGV[2] player key prefix (`<p>{lifeline}:player:`)
    ARGV[3] holder key prefix (`<p>{lifeline}:holder:`)
]]
local function end_one(id, out)
  local key = ARGV[1] .. id
  local json = redis.call('GET', key)
  if not json then return end
  local s = cjson.decode(json)
  local seen = redis.call('ZSCORE', KEYS[4], id)
  redis.call('DEL', key)
  redis.call('SREM', KEYS[1], id)
  redis.call('SREM', ARGV[2] .. s.playerId, id)
  redis.call('SREM', ARGV[3] .. s.node, id)
  redis.call('ZREM', KEYS[4], id)
  dec(KEYS[2], s.region)
  dec(KEYS[3], s.shard)
  out[#out + 1] = json
  out[#out + 1] = seen or ''
end
