import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventStream } from '../events/index.ts';
import { DetectionService } from './detection.ts';
import type { RaiseInput } from './records.ts';

const STEP = 10_000;

/** A DetectionService on a clock the test moves, recording what it raises and resolves. */
function rig() {
  const events = new EventStream();
  let now = 1_000 * STEP;
  const raised: RaiseInput[] = [];
  const resolved: string[] = [];
  const detection = new DetectionService({
    events,
    signals: {
      raise: async (input) => {
        raised.push(input);
        return { signal: {} as never, change: 'raised' };
      },
      resolve: async (fingerprint) => {
        resolved.push(fingerprint);
        return null;
      },
    },
    online: async () => 0,
    clock: () => now,
    logger: { warn: () => {} },
    options: { stepMs: STEP, failures: { warmupMs: 10 * STEP }, drop: {}, reports: {} },
  });
  detection.start();
  const step = async () => {
    now += STEP;
    return detection.poll();
  };
  return { events, detection, raised, resolved, step };
}

const shards = [
  ['na', 'na-1'],
  ['na', 'na-2'],
  ['eu', 'eu-1'],
  ['eu', 'eu-2'],
] as const;

function logins(
  events: EventStream,
  perShard: number,
  failing: (shard: string, i: number) => string | undefined,
) {
  for (const [region, shard] of shards)
    for (let i = 0; i < perShard; i++) {
      const code = failing(shard, i);
      if (code === undefined) events.emit('login', { outcome: 'ok', region, shard, clientVersion: '1.2' });
      else
        events.emit('login', {
          outcome: code === 'IDENTITY_UNAVAILABLE' ? 'unavailable' : 'rejected',
          region,
          shard,
          code,
        });
    }
}

test('logins failing on one shard raise login-failures naming the shard and the code, resolved once they stop', async (t) => {
  const { events, detection, raised, resolved, step } = rig();
  t.after(() => detection.stop());
  for (let i = 0; i < 12; i++) {
    // A player's refused credential, a closed login and Lifeline's own shedding (a player over
    // their limit, a session cap) are not the service failing the login.
    logins(events, 20, (_, k) =>
      k === 0
        ? 'IDENTITY_REJECTED'
        : k === 1
          ? 'PLAYER_RATE_LIMITED'
          : k === 2
            ? 'SESSION_LIMIT_REACHED'
            : undefined,
    );
    events.emit('login', { outcome: 'closed' });
    assert.equal(await step(), 1);
  }
  assert.equal(raised.length, 0, 'quiet while nothing the service owns fails');
  const failing = (shard: string, k: number) =>
    shard === 'eu-2' && k % 2 === 0 ? 'UPSTREAM_DNS_FAILURE' : undefined;
  logins(events, 20, failing);
  await step();
  assert.equal(raised.length, 0, 'one failing step is not yet a fault (detection.failures.minSteps)');
  logins(events, 20, failing);
  await step();
  const signal = raised[0];
  assert.ok(signal, 'raised in the second step of the fault');
  assert.equal(signal.detector, 'login-failures');
  const named = new Map(signal.localisation?.map((e) => [e.dimension, e.values]));
  assert.deepEqual(named.get('shard'), ['eu-2'], JSON.stringify(signal.localisation));
  assert.deepEqual(named.get('code'), ['UPSTREAM_DNS_FAILURE']);
  for (let i = 0; i < 200 && resolved.length === 0; i++) {
    logins(events, 20, () => undefined);
    await step();
  }
  assert.deepEqual(resolved, ['detector:login-failures']);
});

test('a cell first seen mid-fault (a new client version) is counted and can be named', async (t) => {
  const { events, detection, raised, step } = rig();
  t.after(() => detection.stop());
  for (let i = 0; i < 12; i++) {
    logins(events, 20, () => undefined);
    await step();
  }
  for (let s = 0; s < 2; s++) {
    for (let i = 0; i < 30; i++)
      events.emit('login', {
        outcome: 'rejected',
        region: 'na',
        shard: 'na-1',
        clientVersion: '9.9',
        code: 'INTERNAL',
      });
    logins(events, 20, () => undefined);
    await step();
  }
  const named = new Map(raised[0]?.localisation?.map((e) => [e.dimension, e.values]));
  assert.deepEqual(named.get('clientVersion'), ['9.9'], JSON.stringify(raised[0]?.localisation));
});

test('a surge of player reports raises player-reports with the category, and resolves', async (t) => {
  const { events, detection, raised, resolved, step } = rig();
  t.after(() => detection.stop());
  for (let i = 0; i < 30; i++) {
    if (i % 10 === 0) events.emit('report.received', { category: 'lag' });
    await step();
  }
  assert.equal(raised.length, 0, 'a report now and then is noise');
  for (let i = 0; i < 8; i++) events.emit('report.received', { category: i < 6 ? 'login' : 'lag' });
  await step();
  assert.equal(raised[0]?.detector, 'player-reports');
  assert.equal(raised[0]?.source, 'player-reports');
  assert.deepEqual(raised[0]?.localisation?.[0]?.values, ['login']);
  for (let i = 0; i < 50 && resolved.length === 0; i++) await step();
  assert.deepEqual(resolved, ['detector:player-reports']);
});

test('a clock that jumps is caught up in bounded empty steps, and a poll with nothing passed closes none', async (t) => {
  const { detection, step } = rig();
  t.after(() => detection.stop());
  assert.equal(await detection.poll(), 0);
  assert.equal(await step(), 1);
});
