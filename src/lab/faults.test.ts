import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLifelineError } from '../errors/index.ts';
import { FaultSet, parseFault, parseFaults } from './faults.ts';
import { seededRandom } from './random.ts';

const refusedAt = (input: unknown, path: string) =>
  assert.throws(
    () => parseFaults(input),
    (err: unknown) => isLifelineError(err, 'LAB_FAULT_INVALID') && err.details?.path === path,
    path,
  );

test('parseFaults takes every kind of the vocabulary and refuses bad input naming the field', () => {
  const all = [
    { kind: 'down', mode: 'destroy' },
    { kind: 'error', rate: 0.3, status: 502 },
    { kind: 'latency', ms: 200, jitterMs: 50 },
    { kind: 'timeout', ms: 1000 },
    { kind: 'reset', rate: 0.5 },
    { kind: 'rate-limited', retryAfterSeconds: 7 },
    { kind: 'capacity', inFlight: 4, serviceMs: 10 },
    { kind: 'recover' },
  ];
  assert.deepEqual(parseFaults(all), all);
  refusedAt({ kind: 'down' }, 'faults');
  refusedAt([{ kind: 'flood' }], 'faults[0].kind');
  refusedAt([{ kind: 'error' }], 'faults[0].rate');
  refusedAt([{ kind: 'error', rate: 1.5 }], 'faults[0].rate');
  refusedAt([{ kind: 'error', rate: 1, status: 404 }], 'faults[0].status');
  refusedAt([{ kind: 'latency', ms: '200' }], 'faults[0].ms');
  refusedAt([{ kind: 'latency', ms: 10, colour: 'red' }], 'faults[0].colour');
  refusedAt([{ kind: 'down', mode: 'sulk' }], 'faults[0].mode');
  refusedAt([{ kind: 'rate-limited', retryAfterSeconds: 1.5 }], 'faults[0].retryAfterSeconds');
  refusedAt([{ kind: 'capacity' }], 'faults[0]');
  refusedAt([{ kind: 'capacity', inFlight: 2, perSecond: 10 }], 'faults[0]');
  refusedAt([{ kind: 'reset' }, { kind: 'reset', rate: 1 }], 'faults');
  assert.throws(
    () => parseFault(null),
    (err: unknown) => isLifelineError(err, 'LAB_FAULT_INVALID'),
  );
});

test('a fault set keeps one fault per kind; recover and clear empty it; listeners see every change', async () => {
  const set = new FaultSet();
  let changes = 0;
  set.onChange(async () => {
    changes++;
  });
  await set.set({ kind: 'latency', ms: 10 });
  await set.set({ kind: 'latency', ms: 20 });
  await set.set({ kind: 'error', rate: 1 });
  assert.deepEqual(set.list(), [
    { kind: 'latency', ms: 20 },
    { kind: 'error', rate: 1 },
  ]);
  await set.clear('latency');
  assert.deepEqual(set.list(), [{ kind: 'error', rate: 1 }]);
  await set.set({ kind: 'recover' });
  assert.deepEqual(set.list(), []);
  await set.replace([{ kind: 'reset' }, { kind: 'recover' }]);
  assert.deepEqual(set.list(), [{ kind: 'reset' }]);
  assert.equal(changes, 6);
});

test('seeded randomness repeats for a seed and differs between seeds', () => {
  const draws = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
  assert.deepEqual(draws(42), draws(42));
  assert.notDeepEqual(draws(42), draws(43));
  assert.ok(draws(7).every((x) => x >= 0 && x < 1));
});
