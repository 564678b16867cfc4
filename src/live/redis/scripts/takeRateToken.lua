--[[
  A token bucket.

  Input:
    KEYS[1] rate:<key> (hash: tokens, at)

    ARGV[1] perSecond
    ARGV[2] burst
    ARGV[3] now

  Output:
    { ok (1/0), retryAfterMs }
]]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + ((now - at) / 1000) * rate)
local ok = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
else
  retry = math.ceil(((1 - tokens) / rate) * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', now))
-- Garbage collection only: an absent bucket is a full one, which it would be by then anyway.
redis.call('PEXPIRE', KEYS[1], math.ceil((burst / rate) * 1000) + 60000)
return { ok, retry }
