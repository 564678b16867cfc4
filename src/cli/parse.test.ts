import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from './parse.ts';

test('parseDuration reads ms, s, m and plain milliseconds', () => {
  assert.equal(parseDuration('500ms', '--interval'), 500);
  assert.equal(parseDuration('5s', '--interval'), 5000);
  assert.equal(parseDuration('1.5s', '--interval'), 1500);
  assert.equal(parseDuration('2m', '--timeout'), 120_000);
  assert.equal(parseDuration(' 250 ', '--interval'), 250);
});

test('a bad duration is VALIDATION_FAILED naming the option it was given to', () => {
  for (const [text, flag] of [
    ['soon', '--timeout'],
    ['5h', '--interval'],
    ['-1s', '--timeout'],
  ] as const)
    assert.throws(
      () => parseDuration(text, flag),
      (err: Error & { code?: string }) =>
        err.code === 'VALIDATION_FAILED' && err.message.startsWith(`${flag} takes a duration`),
    );
});
