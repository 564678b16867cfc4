--[[
  Puts a session while keeping its player to a cap, ending the player's oldest other sessions
  (replace-oldest) or writing nothing (refuse) when the others already fill it.

  Input:
    KEYS[1] sessions
    KEYS[2] count:region
    KEYS[3] count:shard
    KEYS[4] seen
    KEYS[5] nodes
    KEYS[6] session:<id>

    ARGV[1] session key prefix
    ARGV[2] player key prefix
    ARGV[3] holder key prefix
    ARGV[4] id
    ARGV[5] session JSON
    ARGV[6] playerId
    ARGV[7] region
    ARGV[8] shard
    ARGV[9] lastSeenAt
    ARGV[10] node
    ARGV[11] max
    ARGV[12] 1 to refuse, 0 to replace the oldest

  Output:
    { 0, held } when refused; else { 1, JSON, lastSeenAt, ... } for each session ended
]]
--- @include "includes/dec"
--- @include "includes/endOne"
--- @include "includes/writeSession"
local max = tonumber(ARGV[11])
local others = {}
for _, id in ipairs(redis.call('SMEMBERS', ARGV[2] .. ARGV[6])) do
  if id ~= ARGV[4] then
    local json = redis.call('GET', ARGV[1] .. id)
    if json then others[#others + 1] = { id, cjson.decode(json).createdAt } end
  end
end
local out = { 1 }
if #others >= max then
  if ARGV[12] == '1' then return { 0, #others } end
  table.sort(others, function(a, b)
    if a[2] == b[2] then return a[1] < b[1] end
    return a[2] < b[2]
  end)
  for i = 1, #others - max + 1 do end_one(others[i][1], out) end
end
write_session(KEYS[6], ARGV[4], ARGV[5], ARGV[2], ARGV[6], ARGV[3], ARGV[10],
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[7], ARGV[8], ARGV[9])
return out
