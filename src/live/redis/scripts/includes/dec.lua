--[[
  Takes one from a counter hash's field, dropping the field at zero (so a count never shows 0).
]]
local function dec(h, f)
  if redis.call('HINCRBY', h, f, -1) <= 0 then redis.call('HDEL', h, f) end
end
