import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type TestContext, test } from 'node:test';
import { TestClock } from '../../test/clock.ts';
import { tempDir } from '../../test/helpers.ts';
import { AuditLog, CHECKPOINTS_FILE, openAnchoring, readCheckpoints } from '../audit/index.ts';
import { Sealer } from '../secrets/index.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import { collectEvidence } from './evidence-collect.ts';
import { MANIFEST_FILE, verifyEvidence } from './evidence.ts';
import { seedPhases } from './lifecycle.ts';

const settings = {
  thresholds: {
    P0: { players: 100, payingPlayers: 10, regions: 3 },
    P1: { players: 10, payingPlayers: 5, regions: 2 },
    P2: { players: 1, payingPlayers: 1, regions: 1 },
  },
  payingLicences: ['premium'],
  revenuePerPayingPlayerHour: 1,
  currency: 'USD',
  rtoObjectiveSeconds: 3600,
  rpoObjectiveRecords: 0,
};

async function world(t: TestContext) {
  const root = tempDir(t, 'lifeline-evidence-');
  const clock = new TestClock(1_800_000_000_000);
  clock.hold();
  const dbFile = join(root, 'db');
  const anchorDir = `${root}.anchor`;
  const sealer = new Sealer(randomBytes(32));
  const open = () => {
    const store = new SqliteRecordStore(dbFile);
    const log = new AuditLog({ store, clock: () => clock.now() });
    const anchoring = openAnchoring({
      settings: { checkpointIntervalSeconds: 60, anchor: { dir: anchorDir, url: '', shared: true } },
      log,
      sealer,
      node: 'n1',
      clock: () => clock.now(),
    });
    return { store, log, anchoring };
  };
  let cur = open();
  t.after(() => cur.store.close());
  const startedAt = clock.now();
  await cur.store.declareIncident(
    {
      id: 'inc-1',
      title: 'kicks',
      severity: 'P1',
      severityReason: 'test',
      status: 'investigating',
      declaredBy: 'alice',
      causeKey: null,
      startedAt,
      detectedAt: startedAt,
      declaredAt: startedAt,
      mitigatedAt: null,
      resolvedAt: null,
      closedAt: null,
      updatedAt: startedAt,
      phases: seedPhases(),
      signals: [],
      version: 1,
    },
    [],
  );
  const append = async (n: number) => {
    for (let i = 0; i < n; i++) {
      clock.advance(1000);
      await cur.log.append({ actor: 'alice', action: 'player.kick', target: `player:p${i}`, result: 'ok' });
    }
  };
  const evidence = (dir: string) =>
    collectEvidence(
      {
        store: cur.store,
        audit: cur.log,
        signer: cur.anchoring.signer,
        checkpoint: () => cur.anchoring.checkpointer.flush(),
        anchorDir,
        settings,
        clock: () => clock.now(),
      },
      'inc-1',
      dir,
      'alice',
    );
  const reopen = async () => {
    await cur.store.close();
    cur = open();
  };
  return { root, clock, append, evidence, reopen, dbFile, anchorDir, cur: () => cur };
}

test('the evidence archive verifies offline, with the audit rows linked to an anchored checkpoint', async (t) => {
  const w = await world(t);
  await w.append(5);
  const dir = join(w.root, 'ev');
  const manifest = await w.evidence(dir);
  const r = await verifyEvidence(dir);
  assert.equal(r.ok, true, r.message);
  assert.ok(r.ok && r.rows >= 6, 'the five kicks and the evidence request are among the rows');
  for (const f of ['incident.json', 'timeline.json', 'impact.json', 'audit.jsonl', 'checkpoint.json'])
    assert.ok(f in manifest.files, f);
  assert.match(manifest.notIncluded.logs ?? '', /stdout/);
  const pinned = w.cur().anchoring.signer.publicKey;
  assert.equal((await verifyEvidence(dir, pinned)).ok, true);
});

test('a changed byte in any file of the archive fails verification', async (t) => {
  const w = await world(t);
  await w.append(3);
  const dir = join(w.root, 'ev');
  await w.evidence(dir);
  const files = readdirSync(dir);
  assert.ok(files.includes(MANIFEST_FILE));
  for (const name of files) {
    const file = join(dir, name);
    const original = readFileSync(file);
    if (original.length === 0) continue;
    for (const at of [0, Math.floor(original.length / 2), original.length - 2]) {
      const changed = Buffer.from(original);
      changed[at] = (changed[at] ?? 0) ^ 0x01;
      writeFileSync(file, changed);
      const r = await verifyEvidence(dir);
      assert.equal(r.ok, false, `${name} byte ${at} changed, yet verified`);
    }
    writeFileSync(file, original);
  }
  assert.equal((await verifyEvidence(dir)).ok, true, 'restored, it verifies again');
  writeFileSync(join(dir, 'extra.json'), '{}');
  assert.equal((await verifyEvidence(dir)).ok, false, 'an added file fails');
});

test('against a later anchored checkpoint the rows prove complete; rows cut after anchoring fail', async (t) => {
  const w = await world(t);
  await w.append(4);
  await w.cur().anchoring.checkpointer.flush();
  const headBefore = (await w.cur().log.head())?.seq ?? 0;
  // Later appends and a later checkpoint: the first archive still verifies against it.
  const first = join(w.root, 'ev1');
  await w.evidence(first);
  await w.append(2);
  await w.cur().anchoring.checkpointer.flush();
  const later = readCheckpoints(
    join(w.anchorDir, CHECKPOINTS_FILE),
    w.cur().anchoring.signer.publicKey,
  ).valid;
  assert.ok(later.some((c) => c.seq > headBefore));
  assert.equal((await verifyEvidence(first, undefined, later)).ok, true);
  // Someone with the database cuts the window's last anchored rows; the node goes on appending.
  await w.reopen();
  const db = new DatabaseSync(w.dbFile);
  db.prepare('DELETE FROM audit WHERE seq > ?').run(headBefore - 2);
  db.close();
  await w.reopen();
  const second = join(w.root, 'ev2');
  await w.evidence(second);
  const cut = await verifyEvidence(second, undefined, later);
  assert.equal(cut.ok, false, 'the cut rows are caught by the checkpoints anchored before the cut');
  assert.match(cut.ok ? '' : cut.message, /cut or rewritten|checkpoint-mismatch/);
  // The archive's own anchored checkpoints (from before the cut) catch it without outside help too.
  assert.equal((await verifyEvidence(second)).ok, false);
});
