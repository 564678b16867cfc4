/**
 * Live state and bus on Redis (or Redis Cluster), so several gateway nodes share sessions, the
 * kick window and rate buckets, and can ask one another to act on a socket.
 *
 *   client.ts      the connection's settings, with the scripts registered
 *   scripts.ts     the Lua scripts (./scripts/*.lua, KEYS and ARGV in each header), called by SHA
 *   keys.ts        every key and channel, and why they share one hash tag
 *   live-state.ts  RedisLiveState; its session reads, writes and (chunked) ends in reads.ts,
 *                  writes.ts and ending.ts
 *   bus.ts         RedisBus, on pub/sub
 *   connection.ts  openRedisLive
 */
export { RedisBus } from './bus.ts';
export { openRedisLive } from './connection.ts';
export { RedisLiveState } from './live-state.ts';
