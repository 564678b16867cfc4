--[[
  Nodes whose presence ran out (at the caller's now) while they still hold sessions. A lapsed
  node that holds none is forgotten here, in `nodes` and in `presence`, so both stay as small as
  the cluster.

  Input:
    KEYS[1] nodes
    KEYS[2] presence (zset: node -> alive until)

    ARGV[1] holder key prefix (`<p>{lifeline}:holder:`)
    ARGV[2] now

  Output:
    the lost nodes' names
]]
local now = tonumber(ARGV[2])
local lost = {}
for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local until_at = redis.call('ZSCORE', KEYS[2], n)
  if not until_at or tonumber(until_at) <= now then
    if redis.call('SCARD', ARGV[1] .. n) == 0 then
      redis.call('SREM', KEYS[1], n)
    else
      lost[#lost + 1] = n
    end
  end
end
for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  if redis.call('SISMEMBER', KEYS[1], n) == 0 then redis.call('ZREM', KEYS[2], n) end
end
return lost
