--[[
  Returns a permit and moves the shared limit (the same steps as nextLimit in ../../port.ts).

  Input:
    KEYS[1] permits
    KEYS[2] limit

    ARGV[1] permit id
    ARGV[2] outcome (fast | slow | failed | unused)
    ARGV[3] initialLimit
    ARGV[4] minLimit
    ARGV[5] maxLimit

  Output:
    the limit, as a string
]]
redis.call('ZREM', KEYS[1], ARGV[1])
local lo = tonumber(ARGV[4])
local hi = tonumber(ARGV[5])
local limit = tonumber(redis.call('GET', KEYS[2]) or '') or math.min(hi, math.max(lo, tonumber(ARGV[3])))
if ARGV[2] == 'fast' then limit = math.min(hi, limit + 1 / limit)
elseif ARGV[2] == 'slow' then limit = math.max(lo, limit * 0.9)
elseif ARGV[2] == 'failed' then limit = math.max(lo, limit / 2) end
local text = string.format('%.17g', limit)
redis.call('SET', KEYS[2], text)
return text
