/**
 * Verify on worker threads (the SQLite store's checked pages) must give the verdict a walk entry
 * by entry gives, for every kind of tampering, wherever it falls among the pages, and whatever
 * happens to a worker.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type TestContext, test } from 'node:test';
import fc from 'fast-check';
import { Sealer } from '../secrets/index.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import { openAnchoring } from './anchoring.ts';
import { type AuditDraft, type ChainHead, seal } from './chain.ts';
import { AuditLog, type VerifyPaging } from './log.ts';
import { verifyAnchored } from './verify.ts';

const T0 = Date.UTC(2026, 11, 1);
const failing = new URL('../store/sqlite/fixtures/failing-audit-worker.ts', import.meta.url);

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-verify-pages-'));
  t.after(() => {
    // The anchor directory is made append-only where the file system allows it.
    try {
      execFileSync('chattr', ['-R', '-a', dir], { stdio: 'ignore' });
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Details of several shapes: integer keys (stored by JSON.stringify in another order than the hash's), nesting, escapes. */
function draft(i: number): AuditDraft {
  const details: Record<string, unknown>[] = [
    { i },
    { 10: 'a', 9: 'b', z: [1, { y: 2, x: null }] },
    { reason: 'quote " and \\ and \n and é and 🎮', n: -0.5e-7 },
    {},
  ];
  return {
    actor: `op:${i % 3}`,
    action: 'kick',
    target: `session:${i}`,
    details: details[i % 4]!,
    result: 'ok',
  };
}

async function chain(t: TestContext, n: number) {
  const path = join(tempDir(t), 'records.db');
  const store = new SqliteRecordStore(path);
  t.after(() => store.close());
  const log = new AuditLog({ store, clock: () => T0 });
  const entries = await log.appendMany(Array.from({ length: n }, (_, i) => draft(i + 1)));
  const logWith = (verify: VerifyPaging) => new AuditLog({ store, clock: () => T0, verify });
  // Counts the walks on worker threads, so a test knows it did not pass by falling back.
  const checked = store.checkedAuditPages!;
  const walks = { count: 0 };
  store.checkedAuditPages = (options) => {
    walks.count++;
    return checked(options);
  };
  return { path, store, entries, logWith, walks };
}

function sql(path: string, statement: string, ...params: (string | number)[]): void {
  const db = new DatabaseSync(path);
  try {
    db.prepare(statement).run(...params);
  } finally {
    db.close();
  }
}

const serial: VerifyPaging = { workers: 0 };
const parallel = (pageSize: number, more: VerifyPaging = {}): VerifyPaging => ({
  workers: 2,
  minEntries: 0,
  pageSize,
  helpWhileStarting: false,
  ...more,
});

test('a tampered entry in a middle page is named as the walk entry by entry names it', async (t) => {
  const { path, logWith, walks } = await chain(t, 1000);
  const fast = logWith(parallel(100));
  assert.equal((await logWith({ workers: 2 }).verify()).ok, true);
  assert.equal(walks.count, 0, 'a chain under minEntries is walked on this thread');
  assert.deepEqual(await fast.verify(), await logWith(serial).verify());
  assert.equal((await fast.verify()).entries, 1000);
  sql(path, `UPDATE audit SET details = '{"i":0}' WHERE seq = 550`);
  const r = await fast.verify();
  assert.ok(
    !r.ok && r.reason === 'hash-mismatch' && r.firstBadSeq === 550 && r.entries === 549,
    JSON.stringify(r),
  );
  assert.deepEqual(r, await logWith(serial).verify());
  assert.equal(walks.count, 3);
});

test('details stored as the same JSON in another key order still verify; other JSON does not', async (t) => {
  const { path, logWith } = await chain(t, 300);
  // seq 1 holds {"10":"a","9":"b",...}: stored by JSON.stringify with "9" first, hashed with "10" first.
  sql(path, `UPDATE audit SET details = '{"z":[1,{"x":null,"y":2}],"9":"b","10":"a"}' WHERE seq = 1`);
  assert.equal((await logWith(parallel(50)).verify()).ok, true);
  sql(path, `UPDATE audit SET details = '{"z":[1,{"x":null,"y":2}],"9":"b","10":"A"}' WHERE seq = 1`);
  const r = await logWith(parallel(50)).verify();
  assert.ok(!r.ok && r.reason === 'hash-mismatch' && r.firstBadSeq === 1);
  sql(path, `UPDATE audit SET details = 'not json' WHERE seq = 1`);
  assert.deepEqual(await logWith(parallel(50)).verify(), await logWith(serial).verify());
});

/** A tamper an attacker with the file could make, on the entry at `seq`. */
const tampers: Record<string, (path: string, seq: number, head: ChainHead) => void> = {
  details: (p, s) => sql(p, `UPDATE audit SET details = '{"i":-1}' WHERE seq = ?`, s),
  actor: (p, s) => sql(p, `UPDATE audit SET actor = 'op:mallory' WHERE seq = ?`, s),
  at: (p, s) => sql(p, 'UPDATE audit SET at = at + 1 WHERE seq = ?', s),
  hash: (p, s) => sql(p, `UPDATE audit SET hash = 'ff' WHERE seq = ?`, s),
  prevHash: (p, s) => sql(p, `UPDATE audit SET prev_hash = '00' WHERE seq = ?`, s),
  deleted: (p, s) => sql(p, 'DELETE FROM audit WHERE seq = ?', s),
  tailCut: (p, s) => sql(p, 'DELETE FROM audit WHERE seq >= ?', s),
  movedPastHead: (p, s, h) => sql(p, 'UPDATE audit SET seq = ? WHERE seq = ?', h.seq + 7, s),
  movedBack: (p, s) => sql(p, 'UPDATE audit SET seq = -seq WHERE seq = ?', s),
  // A range starts at a seq the table holds: a seq far off costs one seek.
  movedFar: (p, s) => sql(p, 'UPDATE audit SET seq = 1000000000000000 WHERE seq = ?', s),
  textNotNumber: (p, s) => sql(p, `UPDATE audit SET target = 42 WHERE seq = ?`, s),
  none: () => {},
};

test('every tamper, anywhere, with or without a checkpoint: the same verdict as the walk entry by entry', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...Object.keys(tampers)),
      fc.integer({ min: 1, max: 120 }),
      fc.integer({ min: 1, max: 40 }),
      fc.option(fc.integer({ min: 1, max: 130 })),
      fc.boolean(),
      async (kind, seq, pageSize, checkpointSeq, helpWhileStarting) => {
        const dir = tempDir(t);
        const store = new SqliteRecordStore(join(dir, 'records.db'));
        try {
          const log = new AuditLog({ store, clock: () => T0 });
          const entries = await log.appendMany(Array.from({ length: 120 }, (_, i) => draft(i + 1)));
          const head = { seq: 120, hash: entries[119]!.hash };
          tampers[kind]!(join(dir, 'records.db'), seq, head);
          const cp =
            checkpointSeq === null
              ? undefined
              : { seq: checkpointSeq, hash: entries[checkpointSeq - 1]?.hash ?? 'x' };
          const opts = cp === undefined ? undefined : { checkpoint: cp };
          const fast = await new AuditLog({
            store,
            clock: () => T0,
            verify: parallel(pageSize, { helpWhileStarting }),
          }).verify(opts);
          const slow = await new AuditLog({ store, clock: () => T0, verify: serial }).verify(opts);
          assert.deepEqual(fast, slow);
        } finally {
          store.close();
        }
      },
    ),
    { numRuns: 40 },
  );
});

test('entries of any text (escapes, control characters, lone surrogates, emoji) verify on the workers as on the walk', async (t) => {
  // The workers hash a string SQLite builds (json_quote), the walk one JavaScript builds: wherever
  // the two quote differently the row must still get the walk's verdict.
  const text = fc.string({ unit: 'binary', maxLength: 12 });
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ actor: text, target: text, note: text, key: text }), {
        minLength: 1,
        maxLength: 30,
      }),
      fc.boolean(),
      async (drafts, tamper) => {
        const dir = tempDir(t);
        const path = join(dir, 'records.db');
        const store = new SqliteRecordStore(path);
        try {
          const log = new AuditLog({ store, clock: () => T0 });
          await log.appendMany(
            drafts.map((d, i) => ({
              actor: d.actor,
              action: i % 5 === 4 ? 'audit.key' : 'kick',
              target: d.target,
              details: { [d.key]: d.note, keyId: d.note },
              result: 'ok',
            })),
          );
          if (tamper) sql(path, `UPDATE audit SET actor = actor || 'x' WHERE seq = ?`, drafts.length);
          const fast = await new AuditLog({ store, clock: () => T0, verify: parallel(7) }).verify();
          const slow = await new AuditLog({ store, clock: () => T0, verify: serial }).verify();
          assert.deepEqual(fast, slow);
          assert.equal(fast.ok, !tamper);
          const anchor = { anchors: [], coverage: false, graceMs: 0 };
          const fastAnchored = await verifyAnchored(
            new AuditLog({ store, clock: () => T0, verify: parallel(7) }),
            anchor,
          );
          const slowAnchored = await verifyAnchored(
            new AuditLog({ store, clock: () => T0, verify: serial }),
            anchor,
          );
          assert.deepEqual(fastAnchored, slowAnchored);
        } finally {
          store.close();
        }
      },
    ),
    { numRuns: 15 },
  );
});

test('a worker that crashes holding a page: its pages are checked here, the verdict unchanged', async (t) => {
  const { path, logWith } = await chain(t, 1000);
  sql(path, `UPDATE audit SET actor = 'op:mallory' WHERE seq = 777`);
  const errors: Error[] = [];
  const crashing = parallel(50, {
    workerUrl: failing,
    workerData: { answerFirst: 2 },
    onWorkerError: (err) => errors.push(err),
  });
  const r = await logWith(crashing).verify();
  assert.ok(
    !r.ok && r.reason === 'hash-mismatch' && r.firstBadSeq === 777 && r.entries === 776,
    JSON.stringify(r),
  );
  assert.deepEqual(r, await logWith(serial).verify());
  assert.equal(errors.length, 2, 'both workers crashed on their third page');
  assert.match(errors[0]!.message, /crashed on purpose/);
});

test('workers that fail to start: the whole chain is checked here', async (t) => {
  const { logWith } = await chain(t, 500);
  const errors: Error[] = [];
  const r = await logWith(
    parallel(50, { workerUrl: failing, onWorkerError: (err) => errors.push(err) }),
  ).verify();
  assert.deepEqual(r, await logWith(serial).verify());
  assert.equal(r.ok && r.entries, 500);
  assert.equal(errors.length, 2);
});

test('verify against the anchor gives the same report on worker threads: an entry forged between checkpoints, a rewrite', async (t) => {
  const root = tempDir(t);
  const path = join(root, 'db');
  const store = new SqliteRecordStore(path);
  t.after(() => store.close());
  const log = new AuditLog({ store, clock: Date.now });
  const anchoring = openAnchoring({
    settings: { checkpointIntervalSeconds: 60, anchor: { dir: join(root, 'anchor'), url: '', shared: true } },
    log,
    sealer: new Sealer(randomBytes(32)),
    node: 'n1',
    clock: Date.now,
  });
  const first = await log.appendMany(Array.from({ length: 200 }, (_, i) => draft(i + 1)));
  await anchoring.checkpointer.flush();
  // Seq 201 written straight into the file, hashes and all: no process vouches for it.
  const [forged] = seal(first[199]!, [{ ...draft(201), actor: 'op:mallory' }], Date.now() - 60_000);
  const f = forged!;
  sql(
    path,
    'INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    f.seq,
    f.at,
    f.actor,
    f.action,
    f.target,
    JSON.stringify(f.details),
    f.result,
    f.prevHash,
    f.hash,
  );
  await log.appendMany(Array.from({ length: 100 }, (_, i) => draft(i + 202)));
  await anchoring.checkpointer.flush();
  const opts = { anchors: [{ dir: join(root, 'anchor') }], coverage: true, graceMs: 1 };
  const logWith = (verify: VerifyPaging) => new AuditLog({ store, clock: Date.now, verify });
  const forgedFound = await verifyAnchored(logWith(parallel(30)), opts);
  assert.ok(!forgedFound.ok && forgedFound.reason === 'unwitnessed' && forgedFound.firstBadSeq === 201);
  assert.match(forgedFound.detail, /\(kick by op:mallory\)/);
  assert.deepEqual(forgedFound, await verifyAnchored(logWith(serial), opts));
  const ok = await verifyAnchored(logWith(parallel(30)), { ...opts, coverage: false });
  assert.equal(ok.ok, true, ok.message);
  assert.deepEqual(ok, await verifyAnchored(logWith(serial), { ...opts, coverage: false }));
  // Rewrite seq 150 with a recomputed chain from there: the anchored hash at 200 no longer matches.
  sql(path, `UPDATE audit SET target = 'session:forged' WHERE seq = 150`);
  const bad = await verifyAnchored(logWith(parallel(30)), opts);
  assert.equal(bad.ok, false);
  assert.deepEqual(bad, await verifyAnchored(logWith(serial), opts));
});

test('by default (as `lifeline audit verify` and the admin API run it) a chain of 20,000 entries or more is checked on workers', async (t) => {
  const { logWith, walks, store } = await chain(t, 19_999);
  const defaults = new AuditLog({ store, clock: () => T0 });
  assert.equal((await defaults.verify()).ok, true);
  assert.equal(walks.count, 0, 'under 20,000: this thread');
  await defaults.append(draft(20_000));
  const r = await verifyAnchored(defaults, { anchors: [], coverage: false, graceMs: 1 });
  assert.equal(r.ok && r.entries, 20_000);
  assert.equal(walks.count, 1, 'at 20,000: the workers');
  assert.deepEqual(await defaults.verify(), await logWith(serial).verify());
});
