--[[
  Ends up to a limit of the sessions a node holds (a lost node's, found by a survivor). The
  caller bounds the limit per call, so that no call holds Redis for long.

  Input:
    KEYS[1] sessions
    KEYS[2] count:region
    KEYS[3] count:shard
    KEYS[4] seen

    ARGV[1] session key prefix
    ARGV[2] player key prefix
    ARGV[3] holder key prefix
    ARGV[4] node
    ARGV[5] limit

  Output:
    { popped, JSON, lastSeenAt, JSON, lastSeenAt, ... }: how many ids were taken from the node's
    set (the caller stops when fewer than the limit), then the flat list of endSessions
]]
--- @include "includes/dec"
--- @include "includes/endOne"
local ids = redis.call('SPOP', ARGV[3] .. ARGV[4], tonumber(ARGV[5]))
local out = { #ids }
for _, id in ipairs(ids) do end_one(id, out) end
return out
