/**
 * The rotation decision: which superseded keys `rotateKeys` retires, and when. Times are the
 * rotation's `now`; the store is a real SQLite in memory.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { TokenAlgorithm } from '../config/index.ts';
import { Sealer } from '../secrets/index.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import { KEY_PICKUP_MS, rotateKeys } from './index.ts';

const lifetimes = { accessTtlSeconds: 600, refreshTtlSeconds: 7 * 86_400, resumeTtlSeconds: 3600 };
/** A signing key verifies access tokens only; a MAC key refresh and resume tokens. */
const signingGrace = lifetimes.accessTtlSeconds * 1000 + KEY_PICKUP_MS;
const macGrace = Math.max(lifetimes.refreshTtlSeconds, lifetimes.resumeTtlSeconds) * 1000 + KEY_PICKUP_MS;

function rotator() {
  const store = new SqliteRecordStore(':memory:');
  const sealer = new Sealer(randomBytes(32));
  return (now: number, algorithm: TokenAlgorithm = 'EdDSA', retirePrevious = false) =>
    rotateKeys(store, sealer, { ...lifetimes, algorithm, now, retirePrevious });
}

test('a signing key retires once its successor has issued for the access TTL and the pick-up margin, not before', async () => {
  const rotate = rotator();
  const t0 = 1_000_000;
  const first = await rotate(t0);
  const t1 = t0 + 1000;
  assert.deepEqual((await rotate(t1)).retiredSigning, []);
  const early = await rotate(t1 + signingGrace - 1);
  assert.ok(!early.retiredSigning.includes(first.signing.kid), JSON.stringify(early));
  const due = await rotate(t1 + signingGrace);
  assert.deepEqual(due.retiredSigning, [first.signing.kid], 'the first key, and no younger one');
  assert.deepEqual(due.retiredMac, [], 'its MAC key still verifies refresh tokens');
  const later = await rotate(t1 + macGrace + 1);
  assert.ok(!later.retiredSigning.includes(first.signing.kid), 'a retired key is not retired again');
});

test('a MAC key retires once its successor has issued for the longer of the refresh and resume TTLs', async () => {
  const rotate = rotator();
  const t0 = 1_000_000;
  const first = await rotate(t0);
  const t1 = t0 + 1000;
  await rotate(t1);
  assert.ok(!(await rotate(t1 + macGrace - 1)).retiredMac.includes(first.mac.kid));
  assert.ok((await rotate(t1 + macGrace)).retiredMac.includes(first.mac.kid));
});

test('retirePrevious retires every older key at once and keeps the new ones', async () => {
  const rotate = rotator();
  const t0 = 1_000_000;
  const a = await rotate(t0);
  const b = await rotate(t0 + 1000);
  const c = await rotate(t0 + 2000, 'EdDSA', true);
  assert.deepEqual(new Set(c.retiredSigning), new Set([a.signing.kid, b.signing.kid]));
  assert.deepEqual(new Set(c.retiredMac), new Set([a.mac.kid, b.mac.kid]));
});

test('a key of the algorithm nodes stopped signing with is taken over by the first key of the new one', async () => {
  const rotate = rotator();
  const t0 = 1_000_000;
  const ed = await rotate(t0, 'EdDSA');
  const t1 = t0 + 1000;
  const es = await rotate(t1, 'ES256');
  assert.equal(es.signing.alg, 'ES256');
  assert.deepEqual((await rotate(t1 + signingGrace - 1, 'ES256')).retiredSigning, []);
  assert.deepEqual((await rotate(t1 + signingGrace, 'ES256')).retiredSigning, [ed.signing.kid]);
});
