--[[
  Takes admission permits under the shared limit, after letting lapsed leases go.

  Input:
    KEYS[1] permits (zset: permit id -> lease end)
    KEYS[2] limit

    ARGV[1] want
    ARGV[2] leaseMs
    ARGV[3] now
    ARGV[4] unique permit prefix
    ARGV[5] initialLimit
    ARGV[6] minLimit
    ARGV[7] maxLimit

  Output:
    { limit (string), inFlight, permit ids... }
]]
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local limit = tonumber(redis.call('GET', KEYS[2]) or '') or math.min(tonumber(ARGV[7]), math.max(tonumber(ARGV[6]), tonumber(ARGV[5])))
local inflight = redis.call('ZCARD', KEYS[1])
local n = math.min(tonumber(ARGV[1]), math.floor(limit) - inflight)
local out = { string.format('%.17g', limit), 0 }
for i = 1, n do
  local id = ARGV[4] .. ':' .. i
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
  out[#out + 1] = id
end
out[2] = inflight + math.max(n, 0)
return out
