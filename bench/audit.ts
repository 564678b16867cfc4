/**
 * bench:audit — the audit chain's append and verify rates against raw node:sqlite inserts of the
 * same rows, in the same run.
 *
 * Each round, on fresh SQLite files (WAL, synchronous NORMAL, as the store opens them):
 * 1. Appends: `--callers` concurrent callers each append one draft at a time through one
 *    AuditLog, as a server's request handlers do, so the log group-commits what arrives while a
 *    write is in flight (the batch sizes are whatever that gives; they are printed).
 * 2. Baseline: the rows the log wrote, read back, inserted with a prepared INSERT into a fresh
 *    file of the same schema, in transactions of the same sizes as the log's writes.
 * 3. Verify: `AuditLog.verify()` as `lifeline audit verify` runs it (the chain read and hashed on
 *    worker threads, default paging, Node's compile cache on as src/main.ts turns it on), and the same on one thread (`workers: 0`) for comparison;
 *    and `verifyAnchored` (the CLI's and the admin API's walk, here with an empty anchor).
 *
 * Targets (DESIGN.md): ≥ 50,000 appends/s batched, ≥ 500,000 entries verified/s.
 *
 *   npm run bench:audit [-- --entries 200000 --callers 1000 --rounds 3]
 *
 * Results go to bench/out/audit.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { type AuditDraft, AuditLog, verifyAnchored } from '../src/audit/index.ts';
import type { AuditEntry } from '../src/audit/records.ts';
import { useCompileCache } from '../src/cli/compile-cache.ts';
import { SqliteRecordStore } from '../src/store/sqlite/index.ts';
import { coreTimes, stealPercent } from './login/machine.ts';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '200000' },
    callers: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
  },
});
const N = Number(values.entries);
const CALLERS = Number(values.callers);
const ROUNDS = Number(values.rounds);
const APPEND_TARGET = 50_000;
const VERIFY_TARGET = 500_000;
const dirs: string[] = [];

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function draft(i: number): AuditDraft {
  return {
    actor: `op:${i % 7}`,
    action: 'session.kick',
    target: `session:s-${i}`,
    details: { commandId: `c-${i >> 10}`, reason: 'bench', wave: i % 5, region: ['na', 'eu', 'ap'][i % 3] },
    result: 'ok',
  };
}

function fresh(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `lifeline-bench-audit-${name}-`));
  dirs.push(dir);
  return join(dir, 'records.db');
}

/** The store, recording the size of every write the log makes. */
class BatchRecordingStore extends SqliteRecordStore {
  readonly batches: number[] = [];
  override appendAudit(entries: readonly AuditEntry[]): Promise<boolean> {
    this.batches.push(entries.length);
    return super.appendAudit(entries);
  }
}

async function appends(): Promise<{ path: string; seconds: number; batches: number[] }> {
  const path = fresh('log');
  const store = new BatchRecordingStore(path);
  const log = new AuditLog({ store, clock: Date.now });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < N) await log.append(draft(++next));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  store.close();
  return { path, seconds, batches: store.batches };
}

/** The log's rows, inserted raw in transactions of the log's batch sizes. */
function rawInserts(from: string, batches: readonly number[]): number {
  const source = new DatabaseSync(from, { readOnly: true });
  const rows = source
    .prepare(
      'SELECT seq, at, actor, action, target, details, result, prev_hash, hash FROM audit ORDER BY seq',
    )
    .all()
    .map((r) => Object.values(r) as (string | number)[]);
  source.close();
  const path = fresh('raw');
  new SqliteRecordStore(path).close(); // the same schema, migrated
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  const insert = db.prepare(
    'INSERT INTO audit (seq, at, actor, action, target, details, result, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  let at = 0;
  const started = performance.now();
  for (const size of batches) {
    db.exec('BEGIN IMMEDIATE');
    for (const end = at + size; at < end; at++) insert.run(...(rows[at] as (string | number)[]));
    db.exec('COMMIT');
  }
  const seconds = (performance.now() - started) / 1000;
  const count = (db.prepare('SELECT count(*) AS n FROM audit').get() as { n: number }).n;
  db.close();
  if (count !== N) throw new Error(`raw baseline wrote ${count} rows, not ${N}`);
  return seconds;
}

async function timedVerify(path: string, workers?: number): Promise<{ seconds: number; entries: number }> {
  const store = new SqliteRecordStore(path);
  const log = new AuditLog({ store, clock: Date.now, ...(workers !== undefined && { verify: { workers } }) });
  const started = performance.now();
  const r = await log.verify();
  const seconds = (performance.now() - started) / 1000;
  store.close();
  if (!r.ok) throw new Error(`verify failed: ${r.detail}`);
  return { seconds, entries: r.entries };
}

async function timedAnchored(path: string): Promise<{ seconds: number; entries: number }> {
  const store = new SqliteRecordStore(path);
  const log = new AuditLog({ store, clock: Date.now });
  const anchor = mkdtempSync(join(tmpdir(), 'lifeline-bench-audit-anchor-'));
  dirs.push(anchor);
  const started = performance.now();
  const r = await verifyAnchored(log, { anchors: [{ dir: anchor }], coverage: true, graceMs: 60_000 });
  const seconds = (performance.now() - started) / 1000;
  store.close();
  if (!r.ok) throw new Error(`anchored verify failed: ${r.message}`);
  return { seconds, entries: r.entries };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

interface Round {
  appendsPerSecond: number;
  rawInsertsPerSecond: number;
  appendVsRaw: number;
  batches: { writes: number; median: number; max: number };
  verifiedPerSecond: number;
  verifiedOneThreadPerSecond: number;
  anchoredVerifiedPerSecond: number;
  stealPercent: number | null;
}

async function round(): Promise<Round> {
  const before = coreTimes();
  const log = await appends();
  const rawSeconds = rawInserts(log.path, log.batches);
  const verify = await timedVerify(log.path);
  const oneThread = await timedVerify(log.path, 0);
  const anchored = await timedAnchored(log.path);
  for (const v of [verify, oneThread, anchored])
    if (v.entries !== N) throw new Error(`verify counted ${v.entries} entries, not ${N}`);
  const appendsPerSecond = Math.round(N / log.seconds);
  const rawInsertsPerSecond = Math.round(N / rawSeconds);
  return {
    appendsPerSecond,
    rawInsertsPerSecond,
    appendVsRaw: Math.round((appendsPerSecond / rawInsertsPerSecond) * 1000) / 1000,
    batches: { writes: log.batches.length, median: median(log.batches), max: Math.max(...log.batches) },
    verifiedPerSecond: Math.round(N / verify.seconds),
    verifiedOneThreadPerSecond: Math.round(N / oneThread.seconds),
    anchoredVerifiedPerSecond: Math.round(N / anchored.seconds),
    stealPercent: stealPercent(before, coreTimes()),
  };
}

// As `lifeline audit verify` (src/main.ts) does: the verify workers load from Node's compile cache.
useCompileCache();
const started = performance.now();
const steal0 = coreTimes();
say(`bench:audit — ${fmt(N)} entries, ${CALLERS} concurrent callers, ${ROUNDS} rounds`);
say(
  `machine: ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} cores; verify workers: ${Math.min(4, availableParallelism())}`,
);
const rounds: Round[] = [];
try {
  for (let r = 1; r <= ROUNDS; r++) {
    const x = await round();
    rounds.push(x);
    say(
      `round ${r}: appends ${fmt(x.appendsPerSecond)}/s (${x.batches.writes} writes, median ${x.batches.median}, max ${x.batches.max} entries) ` +
        `vs raw inserts ${fmt(x.rawInsertsPerSecond)}/s (${x.appendVsRaw}×); ` +
        `verified ${fmt(x.verifiedPerSecond)}/s (one thread ${fmt(x.verifiedOneThreadPerSecond)}/s, anchored walk ${fmt(x.anchoredVerifiedPerSecond)}/s); steal ${x.stealPercent ?? 'n/a'}%`,
    );
  }
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
const med = (k: keyof Round) => median(rounds.map((r) => r[k] as number));
const summary = {
  appendsPerSecond: med('appendsPerSecond'),
  rawInsertsPerSecond: med('rawInsertsPerSecond'),
  /** The median of the rounds' ratios (each round's appends against its own baseline). */
  appendVsRaw: med('appendVsRaw'),
  verifiedPerSecond: med('verifiedPerSecond'),
  verifiedOneThreadPerSecond: med('verifiedOneThreadPerSecond'),
  anchoredVerifiedPerSecond: med('anchoredVerifiedPerSecond'),
  /** The median verify rate over the median raw insert rate. */
  verifyVsRawInserts: Math.round((med('verifiedPerSecond') / med('rawInsertsPerSecond')) * 1000) / 1000,
};
const targets = {
  appendsAtLeast50k: summary.appendsPerSecond >= APPEND_TARGET,
  verifiedAtLeast500k: summary.verifiedPerSecond >= VERIFY_TARGET,
};
say(
  `median of ${ROUNDS}: appends ${fmt(summary.appendsPerSecond)}/s (target ≥ ${fmt(APPEND_TARGET)}: ${targets.appendsAtLeast50k ? 'met' : 'MISSED'}), ` +
    `raw inserts ${fmt(summary.rawInsertsPerSecond)}/s, ratio ${summary.appendVsRaw}× (median of the rounds' ratios); ` +
    `verified ${fmt(summary.verifiedPerSecond)}/s (target ≥ ${fmt(VERIFY_TARGET)}: ${targets.verifiedAtLeast500k ? 'met' : 'MISSED'}), ` +
    `one thread ${fmt(summary.verifiedOneThreadPerSecond)}/s`,
);
const out = {
  bench: 'audit',
  at: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), node: process.version },
  settings: {
    entries: N,
    callers: CALLERS,
    rounds: ROUNDS,
    verifyWorkers: Math.min(4, availableParallelism()),
  },
  stealPercent: stealPercent(steal0, coreTimes()),
  rounds,
  summary,
  targets,
  seconds: Math.round((performance.now() - started) / 100) / 10,
};
mkdirSync(join(import.meta.dirname, 'out'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'out', 'audit.json'), `${JSON.stringify(out, null, 2)}\n`);
say(`results in bench/out/audit.json (${out.seconds} s)`);
