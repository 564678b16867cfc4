--[[
  The kick breaker's sliding window. Forgets kicks at or before now - windowMs, sums the rest
  (used), and grants when used + count <= cap, recording the claim (a claim of 0 records nothing).

  Input:
    KEYS[1] kicks (zset: score = time, member = `<unique>:<count>`)

    ARGV[1] count
    ARGV[2] cap
    ARGV[3] windowMs
    ARGV[4] now
    ARGV[5] unique member id

  Output:
    { granted (1/0), used }
]]
local count = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  used = used + tonumber(string.match(m, ':(%d+)$'))
end
if used + count > cap then return { 0, used } end
if count > 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. count)
  -- Garbage collection only: the window itself is enforced by the scores above.
  redis.call('PEXPIRE', KEYS[1], window + 60000)
end
return { 1, used }
