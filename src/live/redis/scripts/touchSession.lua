--[[
  Marks a session seen, only if it is still live (a touch racing an end never resurrects it).

  Input:
    KEYS[1] session:<id>
    KEYS[2] seen

    ARGV[1] id
    ARGV[2] at

  Output:
    1 if the session is live, 0 if not
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('ZADD', KEYS[2], 'XX', ARGV[2], ARGV[1])
  return 1
end
return 0
