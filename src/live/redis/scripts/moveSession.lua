--[[
  Moves a live session to another holder node; nothing if it is no longer live.

  Input:
    KEYS[1] session:<id>
    KEYS[2] nodes

    ARGV[1] id
    ARGV[2] node
    ARGV[3] holder key prefix (`<p>{lifeline}:holder:`)

  Output:
    1 if the session is live (and now held by the node), else 0
]]
local json = redis.call('GET', KEYS[1])
if not json then return 0 end
local s = cjson.decode(json)
if s.node ~= ARGV[2] then
  redis.call('SREM', ARGV[3] .. s.node, ARGV[1])
  s.node = ARGV[2]
  redis.call('SET', KEYS[1], cjson.encode(s))
  redis.call('SADD', ARGV[3] .. ARGV[2], ARGV[1])
  redis.call('SADD', KEYS[2], ARGV[2])
end
return 1
