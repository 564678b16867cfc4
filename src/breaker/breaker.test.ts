/**
 * The kick breaker on the in-process adapters and a virtual clock: its cap, the window it
 * counts in, tripping and reset.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { AuditLog } from '../audit/index.ts';
import { EventStream } from '../events/index.ts';
import { MemoryLiveState } from '../live/memory.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import { type BreakerSettings, KickBreaker } from './index.ts';

const settings: BreakerSettings = { minKicks: 50, onlinePercent: 0.5, windowSeconds: 60 };

function breaker() {
  const clock = { now: 1_000_000 };
  const store = new SqliteRecordStore(':memory:');
  const events = new EventStream();
  const changes: string[] = [];
  events.on('breaker.changed', (e) => changes.push(e.state));
  const b = new KickBreaker({
    store,
    live: new MemoryLiveState(),
    audit: new AuditLog({ store, clock: () => clock.now }),
    events,
    logger: pino({ level: 'silent' }),
    clock: () => clock.now,
    settings,
  });
  return { b, clock, store, changes };
}

test('the cap is the larger of minKicks and onlinePercent of players online, rounded up', () => {
  const { b } = breaker();
  assert.equal(b.cap(0), 50);
  assert.equal(b.cap(10_000), 50);
  assert.equal(b.cap(10_001), 51);
  assert.equal(b.cap(1_000_000), 5000);
});

test('kicks within the cap pass; the one that would cross it trips the breaker and is refused with every later one', async () => {
  const { b, changes } = breaker();
  await b.admit(30, 0, 'op', 'c1');
  await b.admit(20, 0, 'op', 'c2');
  await assert.rejects(b.admit(1, 0, 'op', 'c3'), { code: 'KICK_BREAKER_OPEN' });
  assert.equal((await b.state()).state, 'open');
  assert.match((await b.state()).reason, /50 kicks in 60s, \+1 would pass the cap of 50/);
  assert.deepEqual(changes, ['open']);
  await assert.rejects(b.assertClosed(), { code: 'KICK_BREAKER_OPEN' });
  await assert.rejects(b.admit(1, 0, 'op', 'c4'), { code: 'KICK_BREAKER_OPEN' });
});

test('the window slides on the clock: kicks older than windowSeconds no longer count', async () => {
  const { b, clock } = breaker();
  await b.admit(50, 0, 'op', 'c1');
  assert.equal((await b.status()).usedInWindow, 50);
  clock.now += settings.windowSeconds * 1000 - 1;
  assert.equal((await b.status()).usedInWindow, 50, 'still inside the window');
  clock.now += 1;
  assert.equal((await b.status()).usedInWindow, 0);
  await b.admit(50, 0, 'op', 'c2');
  assert.equal((await b.state()).state, 'closed');
});

test('a reset closes the breaker and forgets the kicks that tripped it; resetting a closed one is refused', async () => {
  const { b, changes, store } = breaker();
  await assert.rejects(b.reset('admin', 'nothing to reset'), { code: 'KICK_BREAKER_CLOSED' });
  await b.admit(50, 0, 'op', 'c1');
  await assert.rejects(b.admit(1, 0, 'op', 'c2'), { code: 'KICK_BREAKER_OPEN' });
  const closed = await b.reset('admin', 'the script is fixed');
  assert.equal(closed.state, 'closed');
  assert.equal(closed.changedBy, 'admin');
  assert.deepEqual(changes, ['open', 'closed']);
  const status = await b.status();
  assert.equal(status.usedInWindow, 0);
  assert.equal(status.cap, 50);
  await b.admit(50, 0, 'op', 'c3');
  const actions = (await store.listAudit({ limit: 10 })).map((e) => e.action);
  assert.deepEqual(actions.filter((a) => a.startsWith('breaker.')).sort(), ['breaker.reset', 'breaker.trip']);
});
