--[[
  Ends sessions by id, each returned to exactly one caller. The caller sends a bounded chunk of
  ids per call, so that no call holds Redis for long.

  Input:
    KEYS[1] sessions
    KEYS[2] count:region
    KEYS[3] count:shard
    KEYS[4] seen

    ARGV[1] session key prefix
    ARGV[2] player key prefix
    ARGV[3] holder key prefix
    ARGV[4..] session ids

  Output:
    a flat list, JSON, lastSeenAt, JSON, lastSeenAt, ..., for the sessions that were live
]]
--- @include "includes/dec"
--- @include "includes/endOne"
local out = {}
for i = 4, #ARGV do end_one(ARGV[i], out) end
return out
