--[[
  Adopts a run unless another node that is still present (at the caller's now) runs it.

  Input:
    KEYS[1] run:<id>
    KEYS[2] presence (zset: node -> alive until)

    ARGV[1] node
    ARGV[2] now

  Output:
    { adopted (1/0), previous runner ('' for none) }
]]
local previous = redis.call('GET', KEYS[1])
local present = false
if previous and previous ~= ARGV[1] then
  local until_at = redis.call('ZSCORE', KEYS[2], previous)
  present = until_at and tonumber(until_at) > tonumber(ARGV[2])
end
if not present then
  redis.call('SET', KEYS[1], ARGV[1])
  return { 1, previous or '' }
end
return { 0, previous }
