/** Bans on the in-process adapters: what is checked before anything is written, and what a ban ends. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { generate } from 'otplib';
import { AuditLog } from '../audit/index.ts';
import { EventStream } from '../events/index.ts';
import type { LiveSession } from '../sessions/records.ts';
import { liveSession } from '../live/contract.ts';
import { MemoryBus, MemoryLiveState } from '../live/memory.ts';
import { OperatorService } from '../operators/index.ts';
import { Sealer } from '../secrets/index.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import { BanService } from './index.ts';

const policy = {
  smallMaxSessions: 3,
  approvalTtlSeconds: 900,
  tolerancePercent: 1,
  toleranceMinSessions: 2,
  canaryPercent: 1,
  canaryMaxSessions: 100,
  holdSeconds: 0,
  payingLicences: [],
};

async function fixture() {
  let now = 1_000_000;
  const clock = () => now;
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
  const bans = new BanService({ store, live, bus, audit, events, operators, clock, policy });
  const added = await operators.add({ name: 'root', role: 'admin' }, 'cli:test');
  const admin = added.operator;
  // The code for the fixture's clock, not the wall clock's.
  const adminTotp = () =>
    generate({
      secret: new URL(added.otpauthUri).searchParams.get('secret') as string,
      epoch: Math.floor(now / 1000),
    });
  const operator = (await operators.add({ name: 'ops', role: 'operator' }, 'cli:test')).operator;
  return { store, live, bus, bans, admin, adminTotp, operator, advance: (ms: number) => (now += ms) };
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

test('a ban for a duration stands until then and not after, with no job run; the player can be banned again', async () => {
  const { store, bans, admin, advance } = await fixture();
  for (const durationSeconds of [0, 59, -60, 1.5, 3650 * 86_400 + 1, Number.NaN]) {
    await assert.rejects(bans.ban({ playerId: 'p-1', reason: 'cheating', durationSeconds }, admin), {
      code: 'VALIDATION_FAILED',
    });
  }
  assert.deepEqual(await bans.list(), [], 'nothing written');
  const { ban } = await bans.ban({ playerId: 'p-1', reason: 'cheating', durationSeconds: 7 * 86_400 }, admin);
  assert.equal(ban.expiresAt, ban.at + 7 * 86_400_000);
  assert.deepEqual(
    (await bans.list()).map((b) => b.expiresAt),
    [ban.expiresAt],
    'lists show the expiry',
  );
  const audited = (await store.readAuditPage(0, 100)).find((e) => e.action === 'player.ban');
  assert.equal(audited?.details.expiresAt, ban.expiresAt);
  assert.equal(audited?.details.durationSeconds, 7 * 86_400);
  advance(7 * 86_400_000 - 1);
  assert.deepEqual(await bans.current('p-1'), ban, 'a millisecond before its end it stands');
  await assert.rejects(bans.ban({ playerId: 'p-1', reason: 'again' }, admin), {
    code: 'PLAYER_ALREADY_BANNED',
  });
  advance(1);
  assert.equal(await bans.current('p-1'), null, 'at its end it no longer stands');
  assert.deepEqual(await bans.list(), []);
  await assert.rejects(bans.lift('p-1', 'already over', admin), { code: 'BAN_NOT_FOUND' });
  const again = await bans.ban({ playerId: 'p-1', reason: 'repeat offence' }, admin);
  assert.equal(again.ban.expiresAt, null, 'until lifted');
  assert.deepEqual(await bans.current('p-1'), again.ban);
});

test('a ban list is checked whole first: one bad line bans nobody and names the line', async () => {
  const { store, bans, admin } = await fixture();
  const head = (await store.auditHead())?.seq;
  const cases: [{ playerId: string; reason?: string }[], RegExp][] = [
    [[{ playerId: 'p-1' }, { playerId: 'bad id' }, { playerId: 'p-3' }], /entries\[1\]/],
    [[{ playerId: 'p-1' }, { playerId: 'p-2', reason: 'x' }], /entries\[1\]: A reason/],
    [[{ playerId: 'p-1' }, { playerId: 'p-1' }], /entries\[1\]: Player p-1 is listed twice/],
    [[], /empty/],
  ];
  for (const [entries, message] of cases)
    await assert.rejects(bans.fromList({ entries, reason: 'bot ring #12' }, admin), (err: any) => {
      assert.equal(err.code, 'VALIDATION_FAILED');
      assert.match(err.message, message);
      return true;
    });
  await assert.rejects(
    bans.fromList(
      { entries: Array.from({ length: 10_001 }, (_, i) => ({ playerId: `p-${i}` })), reason: 'too many' },
      admin,
    ),
    { code: 'VALIDATION_FAILED' },
  );
  assert.equal((await store.auditHead())?.seq, head, 'no audit entry');
  assert.deepEqual(await bans.list(), []);
});

test("a ban list meets a kick's guard by its size, then bans in batches; players already banned are left as they are", async () => {
  const { store, live, bans, admin, adminTotp, operator } = await fixture();
  const entries = Array.from({ length: 250 }, (_, i) => ({ playerId: `p-${i}` }));
  await assert.rejects(bans.fromList({ entries, reason: 'bot ring #12' }, operator), {
    code: 'OPERATOR_FORBIDDEN',
  });
  await assert.rejects(bans.fromList({ entries, reason: 'bot ring #12' }, admin), { code: 'TOTP_REQUIRED' });
  assert.deepEqual(await bans.list(), []);
  // One player alone needs no TOTP, as a single kick does not.
  await bans.fromList(
    { entries: [{ playerId: 'p-7', reason: 'first offender' }], durationSeconds: 86_400 },
    admin,
  );
  await live.putSession(session('s-1', 'p-3'));
  const code = await adminTotp();
  const outcome = await bans.fromList(
    { entries, reason: 'bot ring #12', durationSeconds: 86_400, totp: code },
    admin,
  );
  assert.equal(outcome.banned, 249);
  assert.deepEqual(outcome.alreadyBanned, ['p-7']);
  assert.equal(outcome.sessionsEnded, 1);
  assert.equal(outcome.tier, 'bulk');
  assert.equal(outcome.batches, 3, 'in batches of 100');
  assert.equal((await bans.list({ limit: 1000 })).length, 250);
  const audit = await store.readAuditPage(0, 1000);
  assert.equal(audit.filter((e) => e.action === 'player.ban.list').length, 2);
  assert.equal(audit.filter((e) => e.action === 'player.ban').length, 250);
});
