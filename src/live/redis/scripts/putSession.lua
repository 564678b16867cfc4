--[[
  Stores (or replaces) a session and keeps the indexes and counters right.

  Input:
    KEYS[1] session:<id>
    KEYS[2] sessions
    KEYS[3] count:region
    KEYS[4] count:shard
    KEYS[5] seen
    KEYS[6] nodes

    ARGV[1] id
    ARGV[2] session JSON
    ARGV[3] player key prefix (`<p>{lifeline}:player:`)
    ARGV[4] playerId
    ARGV[5] region
    ARGV[6] shard
    ARGV[7] lastSeenAt
    ARGV[8] holder key prefix (`<p>{lifeline}:holder:`)
    ARGV[9] node

  Output:
    1
]]
--- @include "includes/dec"
--- @include "includes/writeSession"
write_session(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[8], ARGV[9],
  KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[5], ARGV[6], ARGV[7])
return 1
