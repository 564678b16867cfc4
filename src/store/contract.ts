/**
 * The record-store contract: one suite every adapter must pass on its real backend. An adapter's
 * test file calls `recordStoreContract` with a factory that opens a fresh, isolated store.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { AuditEntry } from '../audit/records.ts';
import type { Ban } from '../bans/records.ts';
import type { CommandRecord } from '../commands/records.ts';
import type { Disruption } from '../disruptions/records.ts';
import type { Grant, MacKey } from '../tokens/records.ts';
import type { OutboxMessage } from '../routing/records.ts';
import { incidentFollowUpContract } from './contract-followup.ts';
import { listsContract } from './contract-lists.ts';
import { onCallContract } from './contract-oncall.ts';
import { signalRecordsContract } from './contract-signals.ts';
import type { IncidentHeader, RecordStore } from './index.ts';
import type { RestoreRecord } from '../restore/records.ts';

export type OpenStore = () => Promise<RecordStore>;

function outboxMessage(destination: string, dedupKey: string, payload: unknown, at: number): OutboxMessage {
  return {
    id: randomUUID(),
    destination,
    dedupKey,
    payload,
    createdAt: at,
    version: 1,
    attempts: 0,
    nextAttemptAt: at,
    lastError: null,
    sentAt: null,
    deadAt: null,
  };
}

const snapshot = {
  region: 'na',
  shard: 'na-1',
  zone: null,
  clientVersion: '1.2.3',
  licence: 'premium',
  provisional: false,
};

function grant(overrides: Partial<Grant> = {}): Grant {
  return {
    sessionId: randomUUID(),
    playerId: 'p-1',
    familyId: randomUUID(),
    generation: 0,
    snapshot,
    createdAt: 1_000,
    expiresAt: 100_000,
    revokedAt: null,
    revokedReason: null,
    ...overrides,
  };
}

function disruption(commandId: string | null, at: number, overrides: Partial<Disruption> = {}): Disruption {
  return {
    id: randomUUID(),
    sessionId: randomUUID(),
    playerId: `p-${at}`,
    cause: 'kick',
    commandId,
    incidentId: null,
    at,
    snapshot,
    outcome: 'pending',
    outcomeReason: null,
    restoreId: null,
    ticketExpiresAt: null,
    settledAt: null,
    restoredSessionId: null,
    ...overrides,
  };
}

function ban(playerId: string, at: number, overrides: Partial<Ban> = {}): Ban {
  return {
    id: `ban-${randomUUID()}`,
    playerId,
    reason: 'cheating report #4411',
    bannedBy: 'alice',
    at,
    expiresAt: null,
    liftedAt: null,
    liftedBy: null,
    liftReason: null,
    ...overrides,
  };
}

function restoreRecord(id: string, source: RestoreRecord['source']): RestoreRecord {
  return {
    id,
    source,
    pacing: { mode: 'fixed', batchSize: 2, intervalMs: 1000 },
    thresholds: { cpuPercent: 90 },
    state: 'running',
    requestedBy: 'alice',
    createdAt: 1,
    updatedAt: 1,
    total: 0,
    released: 0,
    batches: 0,
    pauseCode: null,
    pauseNote: null,
  };
}

// Entries need not be correctly hashed here: the store keeps what it is given; sealing and
// verification are the audit module's job. What the store owns is the head check.
function entry(seq: number, prevHash: string, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    seq,
    at: seq * 10,
    actor: 'alice',
    action: 'command.kick',
    target: `player:p-${seq}`,
    details: { n: seq, nested: { ok: true } },
    result: 'accepted',
    prevHash,
    hash: `h${seq}`,
    ...overrides,
  };
}

function commandRecord(id: string, state: CommandRecord['state']): CommandRecord {
  return {
    id,
    action: 'kick',
    selector: { region: 'na' },
    reason: 'test',
    requestedBy: 'alice',
    requestedAt: 100,
    state,
    plan: {
      count: 2,
      sample: [{ sessionId: 's1', playerId: 'p1', region: 'na', shard: 'na-1', licence: 'premium' }],
      byRegion: { na: 2 },
      byShard: { 'na-1': 2 },
      byLicence: { premium: 2 },
      byTier: { paying: 2, free: 0 },
      online: 10,
      shareOfOnline: 0.2,
    },
    policy: {
      tier: 'bulk',
      role: 'admin',
      totp: true,
      approvals: 1,
      cap: 4,
      tolerance: 2,
      canary: 1,
      holdMs: 0,
    },
    approvals: [],
    expiresAt: 1_000,
    progress: { ended: 0, waves: 0 },
    haltCode: null,
    haltNote: null,
    finishedAt: null,
  };
}

function incidentHeader(id: string, overrides: Partial<IncidentHeader> = {}): IncidentHeader {
  return {
    id,
    title: 'logins failing in eu',
    severity: 'P1',
    severityReason: 'set by alice',
    status: 'investigating',
    declaredBy: 'alice',
    causeKey: null,
    startedAt: 100,
    detectedAt: 150,
    declaredAt: 200,
    mitigatedAt: null,
    resolvedAt: null,
    closedAt: null,
    updatedAt: 200,
    phases: [{ key: 'detection', title: 'Detection', startMinute: 0, endMinute: 5, items: [] }],
    signals: [],
    version: 1,
    ...overrides,
  };
}

export function recordStoreContract(name: string, open: OpenStore): void {
  describe(`record store contract: ${name}`, () => {
    const withStore = async (t: { after: (fn: () => Promise<void>) => void }): Promise<RecordStore> => {
      const store = await open();
      t.after(() => store.close());
      return store;
    };

    test('audit appends only when they extend the head, and reads back in seq order', async (t) => {
      const store = await withStore(t);
      assert.equal(await store.auditHead(), null);
      assert.equal(await store.appendAudit([entry(2, 'x')]), false, 'a chain starts at seq 1');
      assert.equal(await store.appendAudit([entry(1, 'g'), entry(2, 'h1')]), true);
      assert.equal(
        await store.appendAudit([entry(3, 'not-the-head')]),
        false,
        'prevHash must be the head hash',
      );
      assert.equal(await store.appendAudit([entry(2, 'h1')]), false, 'a seq is taken once');
      assert.equal(await store.appendAudit([entry(3, 'h2', { action: 'operator.add', actor: 'bob' })]), true);
      assert.deepEqual((await store.auditHead())?.seq, 3);
      const page = await store.readAuditPage(1, 10);
      assert.deepEqual(
        page.map((e) => e.seq),
        [2, 3],
      );
      assert.deepEqual(page[0], entry(2, 'h1'), 'details round-trip exactly');
      assert.deepEqual(
        (await store.listAudit({ actor: 'bob' })).map((e) => e.seq),
        [3],
      );
      assert.deepEqual(
        (await store.listAudit({ from: 15, to: 25 })).map((e) => e.seq),
        [2],
      );
      assert.deepEqual(
        (await store.listAudit({ action: 'command.kick', limit: 1 })).map((e) => e.seq),
        [1],
      );
    });

    test('operators are found by id and name, unique by name, and revoked once', async (t) => {
      const store = await withStore(t);
      const op = {
        id: 'op1',
        name: 'alice',
        role: 'admin' as const,
        tokenHash: 'ab'.repeat(32),
        totpSecret: null,
        createdAt: 5,
        revokedAt: null,
        enrolledAt: null,
        roleChangedAt: null,
      };
      await store.addOperator(op);
      assert.deepEqual(await store.findOperator({ id: 'op1' }), op);
      assert.deepEqual(await store.findOperator({ name: 'alice' }), op);
      await assert.rejects(store.addOperator({ ...op, id: 'op2' }), { code: 'OPERATOR_EXISTS' });
      assert.equal(await store.revokeOperator('op1', 9), true);
      assert.equal(await store.revokeOperator('op1', 10), false);
      assert.equal((await store.findOperator({ id: 'op1' }))?.revokedAt, 9);
      assert.equal((await store.listOperators()).length, 1);
    });

    test('an enrolment is redeemed once, before it expires; roles change with their time', async (t) => {
      const store = await withStore(t);
      const pending = {
        id: 'op1',
        name: 'newbie',
        role: 'admin' as const,
        tokenHash: '',
        totpSecret: null,
        createdAt: 5,
        revokedAt: null,
        enrolledAt: null,
        roleChangedAt: null,
      };
      await store.addOperator(pending, { hash: 'h'.repeat(64), expiresAt: 100 });
      const creds = { tokenHash: 'ab'.repeat(32), totpSecret: 'enc1.sealed' };
      assert.equal(await store.redeemEnrolment('op1', 'x'.repeat(64), 50, creds), null, 'wrong hash');
      assert.equal(await store.redeemEnrolment('op1', 'h'.repeat(64), 101, creds), null, 'expired');
      const enrolled = await store.redeemEnrolment('op1', 'h'.repeat(64), 60, creds);
      assert.deepEqual(enrolled, { ...pending, ...creds, enrolledAt: 60 });
      assert.equal(await store.redeemEnrolment('op1', 'h'.repeat(64), 61, creds), null, 'spent');
      assert.equal(await store.setOperatorRole('op1', 'viewer', 70), true);
      assert.deepEqual(await store.findOperator({ id: 'op1' }), {
        ...enrolled,
        role: 'viewer',
        roleChangedAt: 70,
      });
      assert.equal(await store.replaceTotpSecret('op1', 'enc1.other', 'x'), false);
      assert.equal(await store.replaceTotpSecret('op1', 'enc1.sealed', 'enc1.resealed'), true);
      assert.equal((await store.findOperator({ id: 'op1' }))?.totpSecret, 'enc1.resealed');
    });

    test('failed step-ups are counted in a window and lead to a lock', async (t) => {
      const store = await withStore(t);
      assert.equal(await store.stepUpLockedUntil('op1'), null);
      assert.equal(await store.recordStepUpFailure('op1', 10, 0), 1);
      assert.equal(await store.recordStepUpFailure('op1', 20, 0), 2);
      assert.equal(await store.recordStepUpFailure('op1', 30, 15), 2, 'the one at 10 is forgotten');
      await store.addOperator({
        id: 'op1',
        name: 'o',
        role: 'admin',
        tokenHash: 'x',
        totpSecret: null,
        createdAt: 1,
        revokedAt: null,
        enrolledAt: null,
        roleChangedAt: null,
      });
      await store.lockStepUp('op1', 500);
      assert.equal(await store.stepUpLockedUntil('op1'), 500);
      assert.equal(await store.recordStepUpFailure('op1', 40, 0), 1, 'the lock cleared the count');
    });

    test('a command and its disruptions are written together and queried by command and time', async (t) => {
      const store = await withStore(t);
      const command = commandRecord('cmd-1', 'done');
      const batch = [disruption('cmd-1', 100), disruption('cmd-1', 200)];
      await store.recordCommand(command, batch);
      await store.recordDisruptions([disruption(null, 300, { cause: 'node-loss' })]);
      assert.deepEqual(await store.getCommand('cmd-1'), command);
      assert.equal(await store.getCommand('cmd-2'), null);
      assert.deepEqual(await store.listDisruptions({ commandId: 'cmd-1' }), batch);
      assert.deepEqual(
        (await store.listDisruptions({ from: 150 })).map((d) => d.at),
        [200, 300],
      );
      assert.deepEqual(await store.getDisruption((batch[0] as Disruption).id), batch[0]);
      // A failing batch leaves nothing behind: the duplicate id makes the second insert fail.
      const dup = disruption('cmd-3', 400);
      await assert.rejects(store.recordCommand({ ...command, id: 'cmd-3' }, [dup, dup]));
      assert.equal(await store.getCommand('cmd-3'), null, 'the command is not half-written');
      assert.deepEqual(await store.listDisruptions({ commandId: 'cmd-3' }), []);
    });

    test('a grant rotates one generation at a time; a spent generation revokes the family', async (t) => {
      const store = await withStore(t);
      const g = grant();
      await store.openGrant(g);
      const r1 = await store.rotateGrant(g.familyId, 0, 2_000, 200_000);
      assert.equal(r1.kind, 'rotated');
      assert.equal(r1.kind === 'rotated' && r1.grant.generation, 1);
      const reused = await store.rotateGrant(g.familyId, 0, 3_000, 300_000);
      assert.equal(reused.kind, 'reused');
      assert.equal(
        (await store.rotateGrant(g.familyId, 1, 4_000, 400_000)).kind,
        'revoked',
        'the family is dead',
      );
      assert.equal((await store.getGrant(g.sessionId))?.revokedReason, 'refresh-reuse');
      assert.equal((await store.rotateGrant('nope', 0, 1, 2)).kind, 'unknown');
      const old = grant({ expiresAt: 500 });
      await store.openGrant(old);
      assert.equal((await store.rotateGrant(old.familyId, 0, 600, 9_000)).kind, 'expired');
      const kicked = grant();
      await store.openGrant(kicked);
      await store.revokeGrants([kicked.sessionId], 700, 'kick');
      const after = await store.rotateGrant(kicked.familyId, 0, 800, 9_000);
      assert.equal(after.kind, 'revoked');
      assert.equal(after.kind === 'revoked' && after.grant.revokedReason, 'kick');
    });

    test('within the reuse grace, the generation just spent is answered with the current one; outside it, the family is revoked', async (t) => {
      const store = await withStore(t);
      const g = grant();
      await store.openGrant(g);
      const grace = 10_000;
      assert.equal((await store.rotateGrant(g.familyId, 0, 2_000, 200_000, grace)).kind, 'rotated');
      // Gen 0 again (its answer was lost) within the grace: the current grant (gen 1), unchanged.
      const retried = await store.rotateGrant(g.familyId, 0, 2_000 + grace, 300_000, grace);
      assert.equal(retried.kind, 'grace');
      assert.equal(retried.kind === 'grace' && retried.grant.generation, 1);
      assert.equal((await store.getGrant(g.sessionId))?.revokedAt, null);
      // The current generation still rotates as before.
      assert.equal((await store.rotateGrant(g.familyId, 1, 3_000, 300_000, grace)).kind, 'rotated');
      // Two generations back is a copied token, grace or not: the family is revoked.
      assert.equal((await store.rotateGrant(g.familyId, 0, 3_001, 300_000, grace)).kind, 'reused');
      assert.equal((await store.getGrant(g.sessionId))?.revokedReason, 'refresh-reuse');

      const late = grant();
      await store.openGrant(late);
      await store.rotateGrant(late.familyId, 0, 2_000, 200_000, grace);
      const after = await store.rotateGrant(late.familyId, 0, 2_001 + grace, 300_000, grace);
      assert.equal(after.kind, 'reused', 'past the grace, the spent token revokes its family');
      const none = grant();
      await store.openGrant(none);
      await store.rotateGrant(none.familyId, 0, 2_000, 200_000);
      assert.equal(
        (await store.rotateGrant(none.familyId, 0, 2_001, 300_000)).kind,
        'reused',
        'no grace by default',
      );
    });

    test('the spent generation with the retry key its rotation was made with is the same refresh retried, however late; any other key is a copy', async (t) => {
      const store = await withStore(t);
      const grace = 10_000;
      const g = grant();
      await store.openGrant(g);
      const rotated = await store.rotateGrant(g.familyId, 0, 2_000, 900_000, grace, 'key-a');
      assert.equal(rotated.kind, 'rotated');
      assert.equal((await store.getGrant(g.sessionId))?.rotatedKey, 'key-a');
      // A minute past the grace, with the key: answered with the current generation, unchanged.
      const retried = await store.rotateGrant(g.familyId, 0, 62_000, 900_000, grace, 'key-a');
      assert.equal(retried.kind, 'grace');
      assert.equal(retried.kind === 'grace' && retried.grant.generation, 1);
      // With another key, or none, past the grace: a copy, and the family is revoked.
      const copied = grant();
      await store.openGrant(copied);
      await store.rotateGrant(copied.familyId, 0, 2_000, 900_000, grace, 'key-b');
      assert.equal(
        (await store.rotateGrant(copied.familyId, 0, 62_000, 900_000, grace, 'key-c')).kind,
        'reused',
      );
      const bare = grant();
      await store.openGrant(bare);
      await store.rotateGrant(bare.familyId, 0, 2_000, 900_000, grace, 'key-d');
      assert.equal((await store.rotateGrant(bare.familyId, 0, 62_000, 900_000, grace)).kind, 'reused');
      // A rotation without a key leaves none to match: a later keyed retry is judged by the clock.
      const keyless = grant();
      await store.openGrant(keyless);
      await store.rotateGrant(keyless.familyId, 0, 2_000, 900_000, grace);
      assert.equal(
        (await store.rotateGrant(keyless.familyId, 0, 62_000, 900_000, grace, 'key-e')).kind,
        'reused',
      );
      // Once the current generation has rotated in turn, the older one is a copy, key or not.
      const moved = grant();
      await store.openGrant(moved);
      await store.rotateGrant(moved.familyId, 0, 2_000, 900_000, grace, 'key-f');
      await store.rotateGrant(moved.familyId, 1, 3_000, 900_000, grace, 'key-g');
      assert.equal(
        (await store.rotateGrant(moved.familyId, 0, 3_001, 900_000, grace, 'key-f')).kind,
        'reused',
      );
    });

    test('ended grants are purged once past the cut-off, in batches; live ones stay', async (t) => {
      const store = await withStore(t);
      const live = grant({ expiresAt: 100_000 });
      const revokedEarly = grant();
      const revokedLate = grant();
      const expired = grant({ expiresAt: 2_000 });
      for (const g of [live, revokedEarly, revokedLate, expired]) await store.openGrant(g);
      await store.revokeGrants([revokedEarly.sessionId], 1_500, 'session-limit');
      await store.revokeGrants([revokedLate.sessionId], 9_000, 'kick');
      // Until purged, a spent family still answers as revoked: reuse is still told apart.
      assert.equal((await store.rotateGrant(revokedEarly.familyId, 0, 3_000, 9_000)).kind, 'revoked');
      assert.equal(await store.purgeGrants(5_000, 1), 1, 'one at a time when asked');
      assert.equal(await store.purgeGrants(5_000, 10), 1);
      assert.equal(await store.purgeGrants(5_000, 10), 0);
      assert.equal(await store.getGrant(revokedEarly.sessionId), null);
      assert.equal(await store.getGrant(expired.sessionId), null);
      assert.equal((await store.rotateGrant(revokedEarly.familyId, 0, 6_000, 9_000)).kind, 'unknown');
      assert.notEqual(await store.getGrant(revokedLate.sessionId), null, 'revoked after the cut-off: kept');
      assert.notEqual(await store.getGrant(live.sessionId), null, 'a live grant is never purged');
    });

    test('two concurrent rotations of the same generation: exactly one wins', async (t) => {
      const store = await withStore(t);
      const g = grant();
      await store.openGrant(g);
      const results = await Promise.all([
        store.rotateGrant(g.familyId, 0, 2_000, 200_000),
        store.rotateGrant(g.familyId, 0, 2_000, 200_000),
      ]);
      assert.deepEqual(results.map((r) => r.kind).sort(), ['reused', 'rotated']);
    });

    test('a command advances only from the states named, with its disruptions, all or none', async (t) => {
      const store = await withStore(t);
      const waiting = commandRecord('cmd-a', 'awaiting-approval');
      await store.recordCommand(waiting, []);
      const running = { ...waiting, state: 'running' as const, approvals: [{ by: 'bob', at: 200 }] };
      assert.equal(await store.advanceCommand(running, ['awaiting-approval']), true);
      assert.equal(
        await store.advanceCommand({ ...waiting, state: 'halted' }, ['awaiting-approval']),
        false,
        'a halt racing the approval loses',
      );
      const wave = [disruption('cmd-a', 300), disruption('cmd-a', 300)];
      const after = { ...running, progress: { ended: 2, waves: 1 } };
      assert.equal(await store.advanceCommand(after, ['running'], wave), true);
      assert.deepEqual(await store.getCommand('cmd-a'), after);
      assert.equal((await store.listDisruptions({ commandId: 'cmd-a' })).length, 2);
      assert.equal(
        await store.advanceCommand(
          { ...after, state: 'done' },
          ['awaiting-approval'],
          [disruption('cmd-a', 400)],
        ),
        false,
      );
      assert.equal(
        (await store.listDisruptions({ commandId: 'cmd-a' })).length,
        2,
        'a refused advance writes no disruption',
      );
      assert.equal(await store.advanceCommand(commandRecord('cmd-missing', 'running'), ['running']), false);
      await store.recordCommand(commandRecord('cmd-b', 'running'), []);
      assert.deepEqual(
        (await store.listCommands(['running'])).map((c) => c.id),
        ['cmd-a', 'cmd-b'],
      );
    });

    test('grants opened together are each stored once acknowledged; a duplicate fails only itself', async (t) => {
      const store = await withStore(t);
      const first = grant();
      await store.openGrant(first);
      const batch = Array.from({ length: 20 }, (_, i) => grant({ playerId: `p-${i}` }));
      const duplicate = grant({ sessionId: first.sessionId });
      const outcomes = await Promise.allSettled([...batch, duplicate].map((g) => store.openGrant(g)));
      assert.deepEqual(
        outcomes.map((o) => o.status),
        [...batch.map(() => 'fulfilled'), 'rejected'],
      );
      for (const g of batch) assert.deepEqual(await store.getGrant(g.sessionId), g);
      assert.deepEqual(await store.getGrant(first.sessionId), first);
    });

    test("a command's halt keeps its code and its note apart", async (t) => {
      const store = await withStore(t);
      await store.recordCommand(commandRecord('cmd-h', 'running'), []);
      const halted = {
        ...commandRecord('cmd-h', 'halted'),
        haltCode: 'COMMAND_HALTED' as const,
        haltNote: 'halted by alice: wrong selector',
        finishedAt: 500,
      };
      assert.equal(await store.advanceCommand(halted, ['running']), true);
      assert.deepEqual(await store.getCommand('cmd-h'), halted);
    });

    test('writing a disruption revokes the session grant', async (t) => {
      const store = await withStore(t);
      const g = grant();
      await store.openGrant(g);
      await store.recordDisruptions([disruption(null, 500, { sessionId: g.sessionId, cause: 'node-loss' })]);
      const after = await store.getGrant(g.sessionId);
      assert.equal(after?.revokedAt, 500);
      assert.equal(after?.revokedReason, 'node-loss');
    });

    test("a node's loss is recorded without ending the session's grant", async (t) => {
      const store = await withStore(t);
      const g = grant();
      await store.openGrant(g);
      const record = disruption(null, 500, { sessionId: g.sessionId, cause: 'node-loss' });
      await store.recordDisruptions([record], { endGrants: false });
      assert.equal((await store.getGrant(g.sessionId))?.revokedAt, null);
      assert.equal((await store.disruptionOfSession(g.sessionId))?.outcome, 'pending');
    });

    test('a TOTP step is spent once, and never an older one', async (t) => {
      const store = await withStore(t);
      await store.addOperator({
        id: 'op',
        name: 'op',
        role: 'admin',
        tokenHash: 'x',
        totpSecret: null,
        createdAt: 1,
        revokedAt: null,
        enrolledAt: null,
        roleChangedAt: null,
      });
      await store.setTotpSecret('op', 'JBSWY3DPEHPK3PXP');
      assert.equal((await store.findOperator({ id: 'op' }))?.totpSecret, 'JBSWY3DPEHPK3PXP');
      assert.equal(await store.consumeTotpStep('op', 100), true);
      assert.equal(await store.consumeTotpStep('op', 100), false);
      assert.equal(await store.consumeTotpStep('op', 99), false);
      assert.equal(await store.consumeTotpStep('op', 101), true);
    });

    test('breaker state changes only when it differs; flags are upserted', async (t) => {
      const store = await withStore(t);
      assert.equal(await store.getBreaker('kick'), null);
      const open = { name: 'kick', state: 'open' as const, changedAt: 1, changedBy: 'a', reason: 'r' };
      assert.equal(await store.setBreaker(open), true);
      assert.equal(await store.setBreaker({ ...open, changedBy: 'b' }), false, 'only one tripper wins');
      assert.deepEqual(await store.getBreaker('kick'), open);
      assert.equal(await store.setBreaker({ ...open, state: 'closed', changedAt: 2 }), true);
      await store.setFlag({ key: 'kicks.enabled', value: false, updatedAt: 1, updatedBy: 'a', reason: 'r' });
      await store.setFlag({ key: 'kicks.enabled', value: true, updatedAt: 2, updatedBy: 'b', reason: 's' });
      await store.setFlag({
        key: 'maintenance.message',
        value: 'back soon',
        updatedAt: 3,
        updatedBy: 'b',
        reason: 's',
      });
      assert.deepEqual(await store.listFlags(), [
        { key: 'kicks.enabled', value: true, updatedAt: 2, updatedBy: 'b', reason: 's' },
        { key: 'maintenance.message', value: 'back soon', updatedAt: 3, updatedBy: 'b', reason: 's' },
      ]);
    });

    test("a restore owns its source's pending disruptions; an overlapping one writes nothing", async (t) => {
      const store = await withStore(t);
      const batch = [
        disruption('cmd-r', 100, { snapshot: { ...snapshot, region: 'eu' } }),
        disruption('cmd-r', 200),
        disruption('cmd-r', 300),
        disruption('cmd-other', 250),
      ];
      await store.recordDisruptions(batch);
      const created = await store.createRestore(restoreRecord('r1', { commandId: 'cmd-r' }));
      assert.deepEqual(created, { created: true, total: 3 });
      assert.deepEqual(await store.createRestore(restoreRecord('r2', { from: 150, to: 400 })), {
        created: false,
        overlapping: 2,
      });
      assert.equal(await store.getRestore('r2'), null, 'the overlapping restore was not written');
      assert.equal((await store.getRestore('r1'))?.total, 3);
      assert.deepEqual(
        (await store.listDisruptions({ restoreId: 'r1', region: 'eu' })).map((d) => d.at),
        [100],
      );
      assert.equal(await store.queuePosition('r1', batch[2] as Disruption), 2);
    });

    test('batches ticket the oldest pending first, once; each record settles once', async (t) => {
      const store = await withStore(t);
      const batch = [disruption('c', 100), disruption('c', 200), disruption('c', 300)];
      await store.recordDisruptions(batch);
      await store.createRestore(restoreRecord('r', { commandId: 'c' }));
      const first = await store.releaseBatch('r', 2, 1_000, 5_000);
      assert.deepEqual(
        first.map((d) => [d.at, d.outcome, d.ticketExpiresAt]),
        [
          [100, 'ticketed', 5_000],
          [200, 'ticketed', 5_000],
        ],
      );
      assert.deepEqual(
        (await store.releaseBatch('r', 5, 1_100, 5_000)).map((d) => d.at),
        [300],
      );
      assert.deepEqual(await store.releaseBatch('r', 5, 1_200, 5_000), []);
      assert.equal((await store.getRestore('r'))?.released, 3);
      assert.equal((await store.getRestore('r'))?.batches, 2);
      const [a, b] = first as [Disruption, Disruption];
      assert.equal(
        await store.settleDisruption(a.id, ['ticketed'], {
          outcome: 'restored',
          reason: null,
          at: 2_000,
          sessionId: 'new-1',
        }),
        true,
      );
      assert.equal(
        await store.settleDisruption(a.id, ['ticketed'], {
          outcome: 'restored',
          reason: null,
          at: 2_001,
          sessionId: 'new-2',
        }),
        false,
      );
      assert.equal((await store.getDisruption(a.id))?.restoredSessionId, 'new-1');
      assert.equal(await store.expireTickets(4_999), 0);
      assert.equal(await store.expireTickets(5_000), 2);
      assert.equal((await store.getDisruption(b.id))?.outcome, 'expired');
      assert.deepEqual(await store.restoreCounts('r'), {
        pending: 0,
        ticketed: 0,
        restored: 1,
        expired: 2,
        refused: 0,
      });
    });

    test('a paused restore releases nothing; state changes are compare-and-set', async (t) => {
      const store = await withStore(t);
      await store.recordDisruptions([disruption('c', 100)]);
      await store.createRestore(restoreRecord('r', { commandId: 'c' }));
      const paused = {
        ...restoreRecord('r', { commandId: 'c' }),
        state: 'paused' as const,
        pauseCode: 'threshold' as const,
        pauseNote: 'cpu',
        updatedAt: 5,
      };
      assert.equal(await store.updateRestore(paused, ['running']), true);
      assert.equal(await store.updateRestore({ ...paused, state: 'done' }, ['running']), false);
      assert.deepEqual(await store.releaseBatch('r', 10, 6, 100), []);
      assert.equal((await store.listRestores(['paused']))[0]?.pauseNote, 'cpu');
      assert.equal((await store.listRestores(['paused']))[0]?.pauseCode, 'threshold');
      assert.equal((await store.getRestore('r'))?.total, 1, 'a state change keeps the counters');
    });

    test('a newer valid session of the player is found; a revoked one is not', async (t) => {
      const store = await withStore(t);
      await store.openGrant(grant({ playerId: 'p-9', createdAt: 500 }));
      assert.equal(await store.hasNewerSession('p-9', 400), true);
      assert.equal(await store.hasNewerSession('p-9', 500), false);
      const old = grant({ playerId: 'p-8', createdAt: 900 });
      await store.openGrant(old);
      await store.revokeGrants([old.sessionId], 950, 'kick');
      assert.equal(await store.hasNewerSession('p-8', 100), false);
      await store.recordDisruptions([
        disruption(null, 10, { sessionId: old.sessionId }),
        disruption(null, 20, { sessionId: old.sessionId }),
      ]);
      assert.equal((await store.disruptionOfSession(old.sessionId))?.at, 20);
    });

    test("a ban is in force once per player and revokes the player's valid grants", async (t) => {
      const store = await withStore(t);
      const live = grant({ playerId: 'p-b' });
      const kicked = grant({ playerId: 'p-b' });
      const other = grant({ playerId: 'p-c' });
      for (const g of [live, kicked, other]) await store.openGrant(g);
      await store.revokeGrants([kicked.sessionId], 50, 'kick');
      const first = ban('p-b', 1_000);
      assert.equal(await store.banPlayer(first), true);
      assert.deepEqual(await store.currentBan('p-b', 10_000), first);
      assert.equal(await store.currentBan('p-c', 10_000), null);
      const revoked = await store.getGrant(live.sessionId);
      assert.equal(revoked?.revokedAt, 1_000);
      assert.equal(revoked?.revokedReason, 'banned');
      assert.equal((await store.rotateGrant(live.familyId, 0, 1_100, 9_000)).kind, 'revoked');
      assert.equal((await store.getGrant(kicked.sessionId))?.revokedReason, 'kick', 'an earlier end is kept');
      assert.equal((await store.getGrant(other.sessionId))?.revokedAt, null, "another player's grant is not");

      // A second ban while one is in force is refused and writes nothing, grants included.
      const later = grant({ playerId: 'p-b', createdAt: 1_500 });
      await store.openGrant(later);
      assert.equal(await store.banPlayer(ban('p-b', 2_000, { reason: 'again' })), false);
      assert.deepEqual(await store.currentBan('p-b', 10_000), first);
      assert.equal((await store.getGrant(later.sessionId))?.revokedAt, null);
      assert.equal(await store.hasNewerSession('p-b', 1_000), true);
    });

    test('bans in force are listed newest first; a lifted ban leaves the list but keeps its row', async (t) => {
      const store = await withStore(t);
      const b1 = ban('p-1', 100);
      const b2 = ban('p-2', 300);
      const b3 = ban('p-3', 200);
      for (const b of [b1, b2, b3]) assert.equal(await store.banPlayer(b), true);
      assert.deepEqual(await store.listBans({ activeAt: 10_000 }), [b2, b3, b1]);
      assert.deepEqual(await store.listBans({ activeAt: 10_000, limit: 2 }), [b2, b3]);
      assert.deepEqual(await store.listBans({ activeAt: 10_000, playerIds: ['p-1', 'p-9'] }), [b1]);
      assert.deepEqual(await store.listBans({ activeAt: 10_000, playerIds: [] }), []);

      const lifted = await store.liftBan('p-2', { at: 400, by: 'bob', reason: 'appeal upheld' });
      assert.deepEqual(lifted, { ...b2, liftedAt: 400, liftedBy: 'bob', liftReason: 'appeal upheld' });
      assert.equal(await store.currentBan('p-2', 10_000), null);
      assert.deepEqual(await store.listBans({ activeAt: 10_000 }), [b3, b1]);
      assert.equal(
        await store.liftBan('p-2', { at: 500, by: 'bob', reason: 'twice' }),
        null,
        'lifting twice changes nothing',
      );
      assert.equal(await store.liftBan('p-none', { at: 500, by: 'bob', reason: 'never banned' }), null);

      // Banned again after a lift: a new ban in force, the lifted one still on record beside it.
      const again = ban('p-2', 600, { reason: 'repeat offence' });
      assert.equal(await store.banPlayer(again), true);
      assert.deepEqual(await store.currentBan('p-2', 10_000), again);
      assert.deepEqual(
        await store.liftBan('p-2', { at: 700, by: 'carol', reason: 'served' }),
        { ...again, liftedAt: 700, liftedBy: 'carol', liftReason: 'served' },
        'the lift finds the ban in force, not the old one',
      );
    });

    test('two concurrent bans of one player: exactly one is in force', async (t) => {
      const store = await withStore(t);
      const results = await Promise.all([
        store.banPlayer(ban('p-race', 10, { bannedBy: 'alice' })),
        store.banPlayer(ban('p-race', 10, { bannedBy: 'bob' })),
        store.banPlayer(ban('p-race', 10, { bannedBy: 'carol' })),
      ]);
      assert.deepEqual(results.filter(Boolean).length, 1, JSON.stringify(results));
      assert.equal((await store.listBans({ activeAt: 10_000, playerIds: ['p-race'] })).length, 1);
    });

    test('the last known good entitlement keeps the newest verification', async (t) => {
      const store = await withStore(t);
      assert.equal(await store.lastKnownEntitlement('p'), null);
      await store.rememberEntitlement('p', 'standard', 100);
      await store.rememberEntitlement('p', 'premium', 200);
      await store.rememberEntitlement('p', 'free', 150);
      assert.deepEqual(await store.lastKnownEntitlement('p'), { licence: 'premium', verifiedAt: 200 });
    });

    test('the first signing key wins: nodes starting together agree on one', async (t) => {
      const store = await withStore(t);
      const key = (kid: string, createdAt: number, alg = 'EdDSA') => ({
        kid,
        alg,
        sealedKey: `sealed-${kid}`,
        createdAt,
        retiredAt: null,
      });
      await Promise.all(['k1', 'k2', 'k3', 'k4'].map((kid, i) => store.addFirstSigningKey(key(kid, i + 1))));
      const keys = await store.signingKeys();
      assert.equal(keys.length, 1, JSON.stringify(keys));
      await store.addFirstSigningKey(key('k9', 9));
      assert.deepEqual(await store.signingKeys(), keys);
      // Switching algorithm: the first key of the other one is added once, beside the first.
      await Promise.all(['e1', 'e2'].map((kid, i) => store.addFirstSigningKey(key(kid, 10 + i, 'ES256'))));
      const both = await store.signingKeys();
      assert.deepEqual(
        both.map((k) => k.alg),
        ['ES256', 'EdDSA'],
      );
    });

    test('signing keys rotate, reseal and retire', async (t) => {
      const store = await withStore(t);
      const key = (kid: string, createdAt: number) => ({
        kid,
        alg: 'EdDSA',
        sealedKey: `plain-${kid}`,
        createdAt,
        retiredAt: null,
      });
      await store.addFirstSigningKey(key('k1', 1));
      await store.addSigningKey(key('k2', 2));
      await store.resealSigningKey('k1', 'sealed-k1');
      await store.retireSigningKeys(['k1'], 50);
      await store.retireSigningKeys(['k1'], 60);
      assert.deepEqual(await store.signingKeys(), [
        key('k2', 2),
        { ...key('k1', 1), sealedKey: 'sealed-k1', retiredAt: 50 },
      ]);
      // A retirement set ahead can be brought forward (a key cut off at once), never pushed back.
      await store.retireSigningKeys(['k1'], 45);
      await store.retireSigningKeys(['k1'], 55);
      assert.equal((await store.signingKeys()).find((k) => k.kid === 'k1')?.retiredAt, 45);
      // Retired or not, a key of the algorithm is there: a new first one is added only when none is unretired.
      await store.retireSigningKeys(['k2'], 70);
      await store.addFirstSigningKey(key('k3', 3));
      assert.equal((await store.signingKeys())[0]?.kid, 'k3');
    });

    test('MAC keys: the first wins, rotations add, retirement keeps the first time', async (t) => {
      const store = await withStore(t);
      const key = (kid: string, createdAt: number) => ({
        kid,
        sealedKey: `sealed-${kid}`,
        createdAt,
        retiredAt: null,
      });
      await Promise.all(['m1', 'm2', 'm3'].map((kid, i) => store.addFirstMacKey(key(kid, i + 1))));
      const first = await store.macKeys();
      assert.equal(first.length, 1, JSON.stringify(first));
      await store.addMacKey(key('m9', 9));
      await store.addMacKey({ ...key('m9', 9), sealedKey: 'other' });
      await store.retireMacKeys([first[0]?.kid as string], 20);
      await store.retireMacKeys([first[0]?.kid as string], 30);
      assert.deepEqual(await store.macKeys(), [key('m9', 9), { ...(first[0] as MacKey), retiredAt: 20 }]);
      await store.retireMacKeys([first[0]?.kid as string], 15);
      assert.equal((await store.macKeys()).find((k) => k.kid === first[0]?.kid)?.retiredAt, 15);
    });
    test('incidents: one per cause, compare-and-set, append-only ledgers, and the claim of their window', async (t) => {
      const store = await withStore(t);
      const id = randomUUID();
      const role = { incidentId: id, role: 'commander' as const, operator: 'alice', at: 200, by: 'alice' };
      assert.equal(
        await store.declareIncident(incidentHeader(id, { causeKey: 'breaker:kick@1' }), [role]),
        true,
      );
      const twin = randomUUID();
      assert.equal(
        await store.declareIncident(incidentHeader(twin, { causeKey: 'breaker:kick@1' }), [
          { ...role, incidentId: twin },
        ]),
        false,
        'a cause declares one incident',
      );
      assert.equal(await store.getIncident(twin), null, 'and the loser wrote nothing');
      assert.equal(await store.declareIncident(incidentHeader(randomUUID()), []), true, 'no cause: no limit');
      const read = await store.getIncident(id);
      assert.deepEqual(read?.roles, [role]);
      assert.equal(read?.phases[0]?.key, 'detection');

      const moved = {
        ...incidentHeader(id, { causeKey: 'breaker:kick@1' }),
        status: 'monitoring' as const,
        mitigatedAt: 300,
      };
      assert.equal(await store.updateIncident(moved, 1), true);
      assert.equal(
        await store.updateIncident({ ...moved, status: 'resolved' }, 1),
        false,
        'a stale version loses',
      );
      assert.equal((await store.getIncident(id))?.status, 'monitoring');
      assert.equal((await store.getIncident(id))?.version, 2);

      await store.handOffRole({ ...role, id: randomUUID(), operator: 'bob', at: 400 });
      assert.deepEqual(
        (await store.getIncident(id))?.roles.map((r) => `${r.operator}@${r.at}`),
        ['alice@200', 'bob@400'],
        'a hand-off adds to the ledger',
      );
      const noteId = randomUUID();
      await store.addIncidentNote({
        id: noteId,
        incidentId: id,
        author: 'bob',
        text: 'rolled back',
        writtenAt: 500,
        at: 500,
      });
      const correction = { at: 450, by: 'bob', reason: 'it was earlier', correctedAt: 600 };
      assert.equal(await store.correctIncidentNote(id, noteId, { ...correction, id: randomUUID() }), true);
      assert.equal(await store.correctIncidentNote(twin, noteId, { ...correction, id: randomUUID() }), false);
      const note = (await store.getIncident(id))?.notes[0];
      assert.equal(note?.at, 500, 'the time first written stays');
      assert.deepEqual(note?.corrections, [correction]);
      assert.deepEqual(
        (await store.listIncidents({ statuses: ['monitoring'] })).map((i) => i.id),
        [id],
      );

      await store.recordDisruptions([disruption(null, 50), disruption(null, 120), disruption(null, 900)]);
      assert.equal(await store.claimDisruptions(id, 100, 800), 1, 'only the window');
      assert.equal(await store.claimDisruptions(id, 100, null), 1, 'open-ended while running');
      assert.equal(
        await store.claimDisruptions(twin, 0, null),
        1,
        'a record claimed is kept by its incident',
      );
      const mine = await store.incidentDisruptions(id, '', 10);
      assert.deepEqual(
        mine.map((d) => d.at).sort((a, b) => a - b),
        [120, 900],
      );
      assert.ok(mine.every((d) => d.incidentId === id));
      assert.equal((await store.incidentDisruptions(id, mine[0]?.id as string, 10)).length, 1, 'pages by id');
    });

    test('public updates: one per incident and state key, listed oldest first', async (t) => {
      const store = await withStore(t);
      const incidentId = `inc-${randomUUID()}`;
      const update = (id: string, stateKey: string, at: number) => ({
        id,
        incidentId,
        stateKey,
        kind: 'update' as const,
        status: 'identified',
        body: `body ${id}`,
        regions: ['eu'],
        at,
      });
      assert.equal(
        await store.addIncidentUpdate(update(`u1-${incidentId}`, 'status:investigating', 10)),
        true,
      );
      assert.equal(await store.addIncidentUpdate(update(`u2-${incidentId}`, 'message:x', 20)), true);
      assert.equal(
        await store.addIncidentUpdate(update(`u3-${incidentId}`, 'status:investigating', 30)),
        false,
        'a state already told is not stored again',
      );
      const told = await store.incidentUpdates(incidentId);
      assert.deepEqual(
        told.map((u) => [u.stateKey, u.at, u.regions]),
        [
          ['status:investigating', 10, ['eu']],
          ['message:x', 20, ['eu']],
        ],
      );
      assert.deepEqual(told[0], update(`u1-${incidentId}`, 'status:investigating', 10));
      const since = await store.incidentUpdatesSince(15, 100);
      assert.ok(since.some((u) => u.id === `u2-${incidentId}`));
      assert.ok(!since.some((u) => u.id === `u1-${incidentId}`));
    });

    test('the outbox keeps one pending message per key; a send that raced a replacement does not mark it sent', async (t) => {
      const store = await withStore(t);
      const dest = `pd-${randomUUID()}`;
      const first = outboxMessage(dest, 'fp-1', { v: 1 }, 10);
      assert.deepEqual(await store.enqueueOutbox(first), { id: first.id, replaced: false });
      const [claimed] = await store.dueOutbox(dest, 10, 10);
      assert.equal(claimed?.version, 1);
      // A newer text for the same key replaces the pending one: same id, next version.
      const newer = outboxMessage(dest, 'fp-1', { v: 2 }, 11);
      assert.deepEqual(await store.enqueueOutbox(newer), { id: first.id, replaced: true });
      assert.equal(
        await store.markOutboxSent(first.id, 1, 12),
        false,
        'version 1 is no longer what is stored',
      );
      const [again] = await store.dueOutbox(dest, 12, 10);
      assert.deepEqual(again?.payload, { v: 2 });
      assert.equal(again?.version, 2);
      assert.equal(await store.markOutboxSent(first.id, 2, 13), true);
      assert.equal(await store.markOutboxSent(first.id, 2, 14), false, 'sent once');
      // Once sent, the same key queues anew.
      const third = outboxMessage(dest, 'fp-1', { v: 3 }, 15);
      assert.deepEqual(await store.enqueueOutbox(third), { id: third.id, replaced: false });
      assert.deepEqual(
        (await store.listOutbox({ destination: dest })).map((m) => [m.payload, m.sentAt]),
        [
          [{ v: 2 }, 13],
          [{ v: 3 }, null],
        ],
      );
    });

    test('outbox retries wait for their time, count attempts, and a dead message leaves the queue', async (t) => {
      const store = await withStore(t);
      const dest = `discord-${randomUUID()}`;
      const a = outboxMessage(dest, 'a', { n: 'a' }, 100);
      const b = outboxMessage(dest, 'b', { n: 'b' }, 101);
      await store.enqueueOutbox(a);
      await store.enqueueOutbox(b);
      await store.enqueueOutbox(outboxMessage(`other-${randomUUID()}`, 'a', {}, 100));
      assert.deepEqual(
        (await store.dueOutbox(dest, 200, 10)).map((m) => m.id),
        [a.id, b.id],
        'oldest first',
      );
      assert.equal(await store.retryOutbox(a.id, 1, 5_000, 'HTTP 503'), true);
      assert.deepEqual(
        (await store.dueOutbox(dest, 4_999, 10)).map((m) => m.id),
        [b.id],
        'not before its time',
      );
      const [due] = await store.dueOutbox(dest, 5_000, 1);
      assert.equal(due?.id, a.id);
      assert.equal(due?.attempts, 1);
      assert.equal(due?.lastError, 'HTTP 503');
      assert.equal(await store.markOutboxDead(b.id, 1, 300, 'HTTP 400'), true);
      assert.deepEqual(
        (await store.listOutbox({ destination: dest, state: 'dead' })).map((m) => m.id),
        [b.id],
      );
      assert.equal(await store.retryOutbox(b.id, 1, 9_000, 'late'), false, 'a dead message stays dead');
      await store.markOutboxSent(a.id, 1, 5_001);
      assert.equal(await store.purgeOutbox(400, 10), 1, 'the dead one, settled at 300');
      assert.deepEqual(
        (await store.listOutbox({ destination: dest })).map((m) => m.id),
        [a.id],
      );
    });
    signalRecordsContract(withStore);
    incidentFollowUpContract(withStore);
    listsContract(withStore, { command: commandRecord, restore: restoreRecord, disruption, ban });
    onCallContract(withStore, { command: commandRecord, restore: restoreRecord, disruption, ban });
  });
}
