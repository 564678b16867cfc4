import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Bucket, takeToken } from './frame-limits.ts';

test('a full bucket lets a burst through, then refuses until time refills it', () => {
  const bucket: Bucket = { tokens: 3, refilledAt: 0 };
  assert.deepEqual(
    [1, 2, 3, 4].map(() => takeToken(bucket, 0, 2, 3)),
    [true, true, true, false],
  );
  // 2 per second: one token every 500 ms.
  assert.equal(takeToken(bucket, 499, 2, 3), false);
  assert.equal(takeToken(bucket, 500, 2, 3), true);
  assert.equal(takeToken(bucket, 500, 2, 3), false);
});

test('a client at the sustained rate is never refused, and idle time refills no more than the burst', () => {
  const bucket: Bucket = { tokens: 2, refilledAt: 0 };
  for (let at = 0; at < 60_000; at += 100) assert.ok(takeToken(bucket, at, 10, 2), `refused at ${at} ms`);
  assert.ok(takeToken(bucket, 3_600_000, 10, 2));
  assert.ok(takeToken(bucket, 3_600_000, 10, 2));
  assert.equal(takeToken(bucket, 3_600_000, 10, 2), false);
});

test('a clock that steps back refills nothing', () => {
  const bucket: Bucket = { tokens: 1, refilledAt: 1000 };
  assert.ok(takeToken(bucket, 1000, 1, 1));
  assert.equal(takeToken(bucket, 0, 1, 1), false);
  assert.equal(takeToken(bucket, 1500, 1, 1), false);
  assert.ok(takeToken(bucket, 2000, 1, 1));
});
