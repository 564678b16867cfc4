import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveStateContract } from './contract.ts';
import { MemoryBus, MemoryLiveState } from './memory.ts';

liveStateContract('memory', async () => ({ live: new MemoryLiveState(), bus: new MemoryBus() }));

test('in-process rate buckets forget only keys that have refilled', async () => {
  const live = new MemoryLiveState();
  const take = (key: string, at: number) => live.takeRateToken(key, 0.001, 1, at);
  assert.equal((await take('hot', 0)).ok, true);
  assert.equal((await take('hot', 0)).ok, false);
  // Thousands of other keys make the map sweep itself; the empty bucket must survive it.
  for (let i = 0; i < 5000; i++) await take(`k-${i}`, 1);
  assert.equal((await take('hot', 2)).ok, false, 'a bucket still refilling is kept');
  for (let i = 0; i < 5000; i++) await take(`later-${i}`, 10_000_000);
  assert.equal((await take('hot', 10_000_000)).ok, true);
});
