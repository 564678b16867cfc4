import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isLifelineError } from '../errors/index.ts';
import type { AuditEntry } from './records.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import type { AuditDraft } from './chain.ts';
import { AuditLog } from './log.ts';

const T0 = Date.UTC(2024, 0, 31, 12, 0, 0);

/** A SQLite file in a fresh temp dir, removed after the test. */
function tempDb(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'records.db');
}

/**
 * The real SQLite store, counting its appendAudit calls; `gate` holds a write until the test
 * opens it, and `called(n)` waits for the n-th write to start (so ordering is decided by the
 * test, not by how busy the machine is).
 */
class CountingStore extends SqliteRecordStore {
  appendCalls = 0;
  gate: Promise<void> | undefined;
  readonly #waiters: { n: number; resolve: () => void }[] = [];
  override async appendAudit(entries: readonly AuditEntry[]): Promise<boolean> {
    this.appendCalls += 1;
    for (const w of this.#waiters) if (this.appendCalls >= w.n) w.resolve();
    if (this.gate) await this.gate;
    return super.appendAudit(entries);
  }

  /** Resolves once appendAudit has been called `n` times. */
  called(n: number): Promise<void> {
    if (this.appendCalls >= n) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.push({ n, resolve });
    return promise;
  }
}

function open(t: { after: (fn: () => Promise<void> | void) => void }, path: string): CountingStore {
  const store = new CountingStore(path);
  t.after(() => store.close());
  return store;
}

function draft(i: number, details: Record<string, unknown> = { i }): AuditDraft {
  return { actor: 'op:alice', action: 'kick', target: `session:${i}`, details, result: 'ok' };
}

/** Edits the database behind the store's back, as someone with file access could. */
function tamper(path: string, statement: string): void {
  const db = new DatabaseSync(path);
  try {
    db.exec(statement);
  } finally {
    db.close();
  }
}

test('appends entries that chain and verify', async (t) => {
  const store = open(t, tempDb(t));
  const log = new AuditLog({ store, clock: () => T0 });
  const one = await log.append(draft(1));
  const many = await log.appendMany([draft(2), draft(3)]);
  assert.equal(one.seq, 1);
  assert.deepEqual(
    many.map((e) => e.seq),
    [2, 3],
  );
  assert.equal(many[0]!.prevHash, one.hash);
  assert.deepEqual(await store.readAuditPage(0, 10), [one, ...many]);
  assert.deepEqual(await log.verify(), { ok: true, entries: 3, head: { seq: 3, hash: many[1]!.hash } });
  assert.deepEqual(await log.appendMany([]), []);
});

test('group-commits concurrent appends, each caller getting its own entry', async (t) => {
  const store = open(t, tempDb(t));
  const log = new AuditLog({ store, clock: () => T0 });
  await log.append(draft(0));
  store.appendCalls = 0;
  const entries = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(draft(i + 1))));
  assert.ok(store.appendCalls <= 2, `expected at most 2 store writes, saw ${store.appendCalls}`);
  entries.forEach((e, i) => {
    assert.equal(e.target, `session:${i + 1}`);
  });
  assert.deepEqual(
    entries.map((e) => e.seq).sort((a, b) => a - b),
    Array.from({ length: 200 }, (_, i) => i + 2),
  );
  assert.equal((await log.verify()).ok, true);
});

test('batches drafts that arrive while a write is in flight into the next write', async (t) => {
  const store = open(t, tempDb(t));
  const { promise: gate, resolve: openGate } = Promise.withResolvers<void>();
  store.gate = gate;
  const log = new AuditLog({ store, clock: () => T0 });
  const first = log.append(draft(0));
  await store.called(1);
  assert.equal(store.appendCalls, 1, 'the first write is in flight');
  const rest = Array.from({ length: 50 }, (_, i) => log.append(draft(i + 1)));
  // One more arrives on a later turn of the event loop, the first write still held.
  await nextTurn();
  rest.push(log.append(draft(51)));
  store.gate = undefined;
  openGate();
  const entries = await Promise.all([first, ...rest]);
  assert.equal(store.appendCalls, 2, 'everything queued behind the first write went out in one');
  assert.deepEqual(
    entries.map((e) => e.seq),
    Array.from({ length: 52 }, (_, i) => i + 1),
  );
  assert.equal((await log.verify()).ok, true);
});

test('caps a group at maxBatch drafts but never splits one appendMany', async (t) => {
  const store = open(t, tempDb(t));
  const log = new AuditLog({ store, clock: () => T0, maxBatch: 10 });
  await Promise.all(Array.from({ length: 25 }, (_, i) => log.append(draft(i))));
  assert.equal(store.appendCalls, 3);
  store.appendCalls = 0;
  const many = await log.appendMany(Array.from({ length: 30 }, (_, i) => draft(i)));
  assert.equal(store.appendCalls, 1);
  assert.equal(many.length, 30);
  assert.equal((await log.verify()).entries, 55);
});

test('a draft that cannot be encoded fails alone, not the batch it would have joined', async (t) => {
  const store = open(t, tempDb(t));
  const log = new AuditLog({ store, clock: () => T0 });
  const results = await Promise.allSettled([
    log.append(draft(1)),
    log.append(draft(2, { ratio: Number.NaN })),
    log.append(draft(3)),
  ]);
  assert.equal(results[0].status, 'fulfilled');
  assert.equal(results[1].status, 'rejected');
  assert.ok(results[1].status === 'rejected' && results[1].reason instanceof TypeError);
  assert.equal(results[2].status, 'fulfilled');
  assert.deepEqual(await log.verify(), {
    ok: true,
    entries: 2,
    head: { seq: 2, hash: (await store.auditHead())!.hash },
  });
});

test('keeps the details as they were when handed over', async (t) => {
  const store = open(t, tempDb(t));
  const log = new AuditLog({ store, clock: () => T0 });
  const details: Record<string, unknown> = { reason: 'runaway', when: new Date(T0) };
  const pending = log.append(draft(1, details));
  details['reason'] = 'changed';
  const entry = await pending;
  assert.deepEqual(entry.details, { reason: 'runaway', when: '2024-01-31T12:00:00.000Z' });
  assert.deepEqual((await store.auditHead())!.details, entry.details);
  assert.equal((await log.verify()).ok, true);
});

test('reseals on the new head when another process appended first', async (t) => {
  const path = tempDb(t);
  const storeA = open(t, path);
  const storeB = open(t, path);
  const a = new AuditLog({ store: storeA, clock: () => T0 });
  const b = new AuditLog({ store: storeB, clock: () => T0 + 1 });
  await a.append(draft(1));
  await b.append(draft(2));
  storeA.appendCalls = 0;
  const late = await a.append(draft(3));
  assert.equal(late.seq, 3);
  assert.equal(storeA.appendCalls, 2, 'one refused attempt on the stale head, then one on the new head');
  const v = await a.verify();
  assert.deepEqual(v, { ok: true, entries: 3, head: { seq: 3, hash: late.hash } });
});

test('never stamps an entry earlier than the one before it', async (t) => {
  const store = open(t, tempDb(t));
  let now = T0;
  const log = new AuditLog({ store, clock: () => now });
  await log.append(draft(1));
  now = T0 - 60_000;
  const after = await log.append(draft(2));
  assert.equal(after.at, T0);
});

test('gives up with STORE_UNAVAILABLE when the head keeps moving', async (t) => {
  const path = tempDb(t);
  const rival = new AuditLog({ store: open(t, path), clock: () => T0 });
  /** Another writer always lands just before this one's write. */
  class Contended extends CountingStore {
    override async appendAudit(entries: readonly AuditEntry[]): Promise<boolean> {
      await rival.append(draft(-1));
      return super.appendAudit(entries);
    }
  }
  const store = new Contended(path);
  t.after(() => store.close());
  const log = new AuditLog({ store, clock: () => T0, maxAttempts: 3 });
  await assert.rejects(log.append(draft(1)), (err) => isLifelineError(err, 'STORE_UNAVAILABLE'));
  assert.equal(store.appendCalls, 3);
  assert.deepEqual(await log.verify(), {
    ok: true,
    entries: 3,
    head: { seq: 3, hash: (await store.auditHead())!.hash },
  });
});

test('reports a store failure as STORE_UNAVAILABLE and recovers afterwards', async (t) => {
  const store = open(t, tempDb(t));
  const log = new AuditLog({ store, clock: () => T0 });
  await log.append(draft(1));
  tamper(
    store.path,
    "CREATE TRIGGER refuse BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END",
  );
  await assert.rejects(log.append(draft(2)), (err) => isLifelineError(err, 'STORE_UNAVAILABLE'));
  tamper(store.path, 'DROP TRIGGER refuse');
  const entry = await log.append(draft(3));
  assert.equal(entry.seq, 2);
  assert.equal((await log.verify()).ok, true);
});

test('verify walks every page and names an entry edited in the database', async (t) => {
  const path = tempDb(t);
  const store = open(t, path);
  const log = new AuditLog({ store, clock: () => T0 });
  await log.appendMany(Array.from({ length: 12_000 }, (_, i) => draft(i + 1)));
  assert.equal((await log.verify()).entries, 12_000);
  tamper(path, `UPDATE audit SET details = '{"i":0}' WHERE seq = 11000`);
  const r = await log.verify();
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.reason === 'hash-mismatch' && r.firstBadSeq === 11_000 && r.entries === 10_999);
});

test('verify with a checkpoint detects entries cut from the tail', async (t) => {
  const path = tempDb(t);
  const store = open(t, path);
  const log = new AuditLog({ store, clock: () => T0 });
  const entries = await log.appendMany(Array.from({ length: 10 }, (_, i) => draft(i + 1)));
  const checkpoint = { seq: 10, hash: entries[9]!.hash };
  assert.equal((await log.verify({ checkpoint })).ok, true);
  tamper(path, 'DELETE FROM audit WHERE seq > 8');
  assert.equal((await log.verify()).ok, true, 'without the checkpoint a cut tail goes unnoticed');
  const r = await log.verify({ checkpoint });
  assert.ok(!r.ok && r.reason === 'checkpoint-mismatch' && r.firstBadSeq === 9);
});

test('pages yields the entries within a time window, in seq order', async (t) => {
  const store = open(t, tempDb(t));
  let now = T0;
  const log = new AuditLog({ store, clock: () => now });
  // Three entries per millisecond over 4,000 ms: more than one store page.
  for (let ms = 0; ms < 4000; ms++) {
    now = T0 + ms;
    await log.appendMany([draft(3 * ms), draft(3 * ms + 1), draft(3 * ms + 2)]);
  }
  const collect = async (from?: number, to?: number, untilSeq?: number): Promise<AuditEntry[]> => {
    const out: AuditEntry[] = [];
    for await (const page of log.pages(from, to, untilSeq)) {
      assert.ok(page.length > 0);
      out.push(...page);
    }
    return out;
  };
  const window = await collect(T0 + 1000, T0 + 2999);
  assert.equal(window.length, 6000);
  assert.equal(window[0]!.seq, 3001);
  assert.equal(window.at(-1)!.seq, 9000);
  assert.ok(window.every((e, i) => i === 0 || e.seq === window[i - 1]!.seq + 1));
  assert.equal((await collect()).length, 12_000);
  assert.equal((await collect(T0 + 3999)).length, 3);
  assert.equal((await collect(undefined, T0)).length, 3);
  assert.equal((await collect(T0 + 5000)).length, 0);
  assert.equal((await collect(T0, undefined, 10)).length, 10);
});
