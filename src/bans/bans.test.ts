/** Bans on the in-process adapters: what is checked before anything is written, and what a ban ends. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { AuditLog } from '../audit/index.ts';
import { EventStream } from '../events/index.ts';
import type { LiveSession } from '../sessions/records.ts';
import { liveSession } from '../live/contract.ts';
import { MemoryBus, MemoryLiveState } from '../live/memory.ts';
import { OperatorService } from '../operators/index.ts';
import { Sealer } from '../secrets/index.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import { BanService } from './index.ts';

async function fixture() {
  const clock = () => 1_000_000;
  const store = new SqliteRecordStore(':memory:');
  const live = new MemoryLiveState();
  const bus = new MemoryBus();
  const audit = new AuditLog({ store, clock });
  const events = new EventStream();
  const operators = new OperatorService({
    store,
    audit,
    clock,
    sealer: new Sealer(randomBytes(32)),
    settings: { enrolmentTtlSeconds: 900, stepUp: { maxFailures: 5, windowSeconds: 300, lockSeconds: 900 } },
  });
  const bans = new BanService({ store, live, bus, audit, events, operators, clock });
  const admin = (await operators.add({ name: 'root', role: 'admin' }, 'cli:test')).operator;
  const operator = (await operators.add({ name: 'ops', role: 'operator' }, 'cli:test')).operator;
  return { store, live, bus, bans, admin, operator };
}

function session(id: string, playerId: string, node = 'n1'): LiveSession {
  return liveSession(id, { playerId, node, createdAt: 0, lastSeenAt: 0 });
}

test('a bad player id or reason is refused before anything is written', async () => {
  const { store, bans, admin } = await fixture();
  const head = (await store.auditHead())?.seq;
  const bad: [string, string][] = [
    ['', 'a reason'],
    ['p'.repeat(129), 'a reason'],
    ['with space', 'a reason'],
    ['a/b', 'a reason'],
    ['p-1', '  x  '],
    ['p-1', 'r'.repeat(501)],
  ];
  for (const [playerId, reason] of bad) {
    await assert.rejects(bans.ban({ playerId, reason }, admin), { code: 'VALIDATION_FAILED' }, playerId);
    await assert.rejects(bans.lift(playerId, reason, admin), { code: 'VALIDATION_FAILED' }, playerId);
  }
  assert.equal((await store.auditHead())?.seq, head, 'no audit entry');
  assert.deepEqual(await bans.list(), []);
});

test('only an admin bans; a refusal is audited and bans nobody', async () => {
  const { store, bans, operator } = await fixture();
  await assert.rejects(bans.ban({ playerId: 'p-1', reason: 'cheating' }, operator), {
    code: 'OPERATOR_FORBIDDEN',
  });
  assert.equal((await store.auditHead())?.result, 'denied');
  assert.equal(await bans.current('p-1'), null);
});

test("a ban ends the player's live sessions on every node, and only theirs; a second ban is refused", async () => {
  const { live, bus, bans, admin } = await fixture();
  for (const s of [session('s1', 'p-1', 'n1'), session('s2', 'p-1', 'n2'), session('s3', 'p-2', 'n1')])
    await live.putSession(s);
  const delivered: string[] = [];
  for (const node of ['n1', 'n2']) bus.onDirective(node, () => delivered.push(node));
  const { ban, sessionsEnded } = await bans.ban({ playerId: 'p-1', reason: 'cheating' }, admin);
  assert.equal(sessionsEnded, 2);
  assert.equal(ban.bannedBy, 'root');
  assert.deepEqual(delivered.sort(), ['n1', 'n2'], 'each holding node told to close its socket');
  assert.equal((await live.countSessions({})).total, 1);
  assert.deepEqual(await bans.current('p-1'), ban);
  await assert.rejects(bans.ban({ playerId: 'p-1', reason: 'again' }, admin), {
    code: 'PLAYER_ALREADY_BANNED',
  });
});

test('a lifted ban no longer stands; lifting again finds none', async () => {
  const { bans, admin } = await fixture();
  await assert.rejects(bans.lift('p-1', 'never banned', admin), { code: 'BAN_NOT_FOUND' });
  await bans.ban({ playerId: 'p-1', reason: 'cheating' }, admin);
  const lifted = await bans.lift('p-1', 'appeal upheld', admin);
  assert.equal(lifted.liftedBy, 'root');
  assert.equal(await bans.current('p-1'), null);
  await assert.rejects(bans.lift('p-1', 'again', admin), { code: 'BAN_NOT_FOUND' });
});
