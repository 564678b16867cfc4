import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enrolmentHash, hashRequesterPart, isRequesterPartHash, newRequesterPart } from './enrolment.ts';

test('a requester part is 256 random bits, kept as a hash that hashRequesterPart reproduces', () => {
  const a = newRequesterPart();
  const b = newRequesterPart();
  assert.match(a.part, /^llr_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.part, b.part);
  assert.ok(isRequesterPartHash(a.hash));
  assert.ok(!a.hash.includes(a.part.slice(4)));
  assert.equal(hashRequesterPart(a.part), a.hash);
  for (const bad of [undefined, '', 'lle_x', a.part.slice(0, -1), `${a.part}x`, 42])
    assert.equal(hashRequesterPart(bad), null);
});

test('the stored enrolment hash binds both parts and shows neither', () => {
  const a = newRequesterPart();
  const b = newRequesterPart();
  const token = `lle_${'0'.repeat(16)}.${'A'.repeat(43)}`;
  const stored = enrolmentHash(a.hash, token);
  assert.match(stored, /^[0-9a-f]{64}$/);
  assert.equal(enrolmentHash(a.hash, token), stored);
  assert.notEqual(enrolmentHash(b.hash, token), stored, 'another request’s part');
  assert.notEqual(enrolmentHash(a.hash, `lle_${'0'.repeat(16)}.${'B'.repeat(43)}`), stored);
});
