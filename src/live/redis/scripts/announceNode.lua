--[[
  Presence: says a node is alive until now + ttl, on the caller's clock (as every `now` of the
  live-state port), so a virtual clock applies here as in memory.

  Input:
    KEYS[1] presence (zset: node -> alive until)

    ARGV[1] node
    ARGV[2] ttlMs
    ARGV[3] now

  Output:
    1 if the node's presence was still current at now, else 0 (first time, or after a lapse)
]]
local now = tonumber(ARGV[3])
local until_at = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
if until_at and tonumber(until_at) > now then return 1 end
return 0
