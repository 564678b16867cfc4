import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FirstLogin } from '../fleet/types.ts';
import { allInRatio, firstEtaError } from './storm.ts';

const login = (startedAt: number, inAt: number | null, eta?: [number, number]): FirstLogin => ({
  startedAt,
  inAt,
  etaSeconds: eta ? eta[0] : null,
  quotedAt: eta ? eta[1] : null,
});

test('all in over N/C: from the first asked to the last in, on the wall clock, over N / capacity', () => {
  // 500 players, capacity 250/s: N/C = 2 s. The first asks at scenario second 10, the last is in
  // at 30; at ×5 that is 4 wall seconds: twice N/C.
  const logins = Array.from({ length: 499 }, (_, i) => login(10 + i / 1000, 11));
  const f = allInRatio([...logins, login(10.5, 30)], 250, 5);
  assert.equal(f.value, 2);
  assert.match(f.detail, /all 500 in 4 wall s/);
});

test('all in is not measured while a player never got in, nor with nobody asking', () => {
  const f = allInRatio([login(0, 1), login(0, null), login(1, null)], 250, 1);
  assert.equal(f.value, null);
  assert.match(f.detail, /2 of 3 players never got in/);
  assert.equal(allInRatio([], 250, 1).value, null);
});

test('first-ETA error: |ETA − wait| / max(1 s, wait) at the 90th percentile, waits on the wall clock', () => {
  // Quoted at scenario second 10 at ×2; in at 30 is a 10 s wall wait.
  const exact = Array.from({ length: 9 }, () => login(9, 30, [10, 10]));
  const off = login(9, 30, [15, 10]); // 50% long
  const f = firstEtaError([...exact, off], 2);
  // Ten errors, nine 0 and one 0.5: the 90th percentile (index 8) is 0.
  assert.equal(f.value, 0);
  const g = firstEtaError([...exact.slice(0, 5), off, off, off, off, off], 2);
  assert.equal(g.value, 0.5);
  assert.match(g.detail, /over 10 queued players: median 0%, p90 50%/);
});

test('first-ETA error: a wait under a second counts against a second; players never quoted or never in are left out', () => {
  // Quoted 1 s ETA, in 0.2 s later: |1 − 0.2| / 1.
  const f = firstEtaError([login(0, 0.2, [1, 0]), login(0, 5), login(0, null, [3, 0])], 1);
  assert.ok(Math.abs((f.value as number) - 0.8) < 1e-9);
  assert.match(f.detail, /over 1 queued players/);
  assert.equal(firstEtaError([login(0, 1)], 1).value, null);
});

test('first-ETA error at exactly the target is the target: told 1.2 s, in after 1.5 s is 20%, not a bit over', () => {
  // In seconds, (1.2 − 1.5) / 1.5 is −0.20000000000000004; the drill's 0.2 target then failed.
  const f = firstEtaError([login(3.5, 5, [1.2, 3.5])], 1);
  assert.equal(f.value, 0.2);
  const scaled = firstEtaError([login(3.5, 3.5 + 1.5 * 40, [1.2, 3.5])], 40);
  assert.equal(scaled.value, 0.2, 'the same at ×40: the wait is taken on the wall clock');
});
