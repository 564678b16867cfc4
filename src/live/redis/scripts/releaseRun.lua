--[[
  Gives a run up, only if this node is its runner (a node that adopted it since keeps it).

  Input:
    KEYS[1] run:<id>

    ARGV[1] node

  Output:
    1
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
