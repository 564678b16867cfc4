import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timeOrderedBytes, uuid7 } from './index.ts';

test('uuid7 is a version-7 RFC 9562 UUID whose text sorts by time', () => {
  const a = uuid7(1_700_000_000_000);
  const b = uuid7(1_700_000_000_001);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(a < b);
  assert.equal(Number.parseInt(a.replaceAll('-', '').slice(0, 12), 16), 1_700_000_000_000);
});

test('ids made in the same millisecond differ', () => {
  const seen = new Set(Array.from({ length: 10_000 }, () => timeOrderedBytes(5).toString('hex')));
  assert.equal(seen.size, 10_000);
});
