import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lifecycle } from './lifecycle.ts';

test('closes in reverse order, past a failing step, and rethrows the first failure once', async () => {
  const life = new Lifecycle();
  const closed: string[] = [];
  life.onClose('store', () => closed.push('store'));
  life.onClose('live', async () => {
    closed.push('live');
    throw new Error('live would not close');
  });
  life.onClose('timer', () => closed.push('timer'));
  assert.deepEqual(life.open, ['store', 'live', 'timer']);
  await assert.rejects(life.close(), /live would not close/);
  assert.deepEqual(closed, ['timer', 'live', 'store']);
  await assert.rejects(life.close(), /live would not close/);
  assert.deepEqual(closed, ['timer', 'live', 'store'], 'closing twice closes once');
});

test('a guarded step that throws closes what was opened and rethrows its own error', async () => {
  const life = new Lifecycle();
  const closed: string[] = [];
  await assert.rejects(
    life.guard(async () => {
      life.onClose('store', () => closed.push('store'));
      throw new Error('late step');
    }),
    /late step/,
  );
  assert.deepEqual(closed, ['store']);
  assert.deepEqual(life.open, []);
});
