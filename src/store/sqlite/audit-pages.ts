/**
 * The audit chain read and checked on worker threads, for verify's speed target (≥ 500,000
 * entries/s; one thread reading and hashing made ~210,000/s). Each worker opens the SQLite file
 * read-only, reads a range of seqs, recomputes every hash and follows the links inside the range;
 * the main thread links the pages in order (`ChainVerifier.pushPage`) and applies checkpoints, so
 * the verdict is the one a walk entry by entry gives.
 *
 * A worker that fails (a crash, an exit) costs nothing but time: the ranges it held are checked
 * on the main thread instead, and the rest go to the workers left.
 */
import { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { hash } from 'node:crypto';
import { ChainVerifier, hashEntry, hashWithDetailsText } from '../../audit/chain.ts';
import type { AuditEntry, CheckedAuditPage, CheckedPagesOptions } from '../../audit/records.ts';
import { parseDetails, toAudit } from '../rows.ts';

const COLUMNS = 'seq, at, actor, action, target, details, result, prev_hash, hash';
/**
 * What the common case needs of a row: seq, at, hash, prev_hash, the details of an `audit.key`
 * entry (null for any other action), and the string its hash covers, built by SQLite as
 * `hashWithDetailsText` builds it in JavaScript: the member names in canonical order, strings
 * JSON-quoted, the details text as stored. Null when a column is not of the type the chain writes,
 * so that row goes the exact way. One string per row instead of seven, and no encoding in
 * JavaScript, checks ~1.2–1.6× the rows a second (docs/BENCHMARKS.md, 2026-12-02 night). Why a
 * match proves what the exact way would: see `hashWithDetailsText`; SQLite's `json_quote`, like
 * `JSON.stringify`, writes a string as a JSON string literal, which ends at its first unescaped
 * quote, and a quoting that differs from JavaScript's only fails to match.
 */
const FAST_COLUMNS = `seq, at, hash, prev_hash, CASE action WHEN 'audit.key' THEN details END,
  CASE WHEN typeof(at) = 'integer' AND typeof(actor) = 'text' AND typeof(action) = 'text'
    AND typeof(target) = 'text' AND typeof(details) = 'text' AND typeof(result) = 'text'
    AND typeof(prev_hash) = 'text'
  THEN '{"action":' || json_quote(action) || ',"actor":' || json_quote(actor) || ',"at":' || at
    || ',"details":' || details || ',"prevHash":' || json_quote(prev_hash)
    || ',"result":' || json_quote(result) || ',"seq":' || seq || ',"target":' || json_quote(target) || '}'
  END`;
/** Inputs: (afterSeq, lastSeq) — the entries of one range, in seq order. */
const RANGE = 'FROM audit WHERE seq > ? AND seq <= ? ORDER BY seq';
/** Inputs: (afterSeq) — the last range: everything after it (appended while the others were checked). */
const REST = 'FROM audit WHERE seq > ? ORDER BY seq';
/**
 * Inputs: (afterSeq) — the first seq after it, where the next range starts. One seek on the
 * primary key: counting a page's rows off with OFFSET walked every row of the table again on the
 * main thread (~70 ms of a 200,000-entry verify).
 */
const FIRST_AFTER_SQL = 'SELECT seq FROM audit WHERE seq > ? ORDER BY seq LIMIT 1';

/** Main thread to worker: check the entries with `from < seq <= to` (no upper bound when `to` is null). */
export interface RangeJob {
  id: number;
  from: number;
  to: number | null;
}

/** Worker to main thread. */
export type RangeAnswer = { id: number; page: CheckedAuditPage } | { id: number; error: string };

/** The file opened for reading only: a range's rows, as the common case reads them or in full. */
export interface Reader {
  db: DatabaseSync;
  /** The rows of `from < seq <= to` in FAST_COLUMNS order. */
  fast(from: number, to: number | null): unknown[][];
  /** The rows of `from < seq <= to` in COLUMNS order. */
  full(from: number, to: number | null): unknown[][];
}

export function openReader(path: string): Reader {
  const db = new DatabaseSync(path, { readOnly: true });
  db.exec('PRAGMA busy_timeout = 5000');
  const read = (columns: string) => {
    const range = db.prepare(`SELECT ${columns} ${RANGE}`);
    const rest = db.prepare(`SELECT ${columns} ${REST}`);
    range.setReturnArrays(true);
    rest.setReturnArrays(true);
    return (from: number, to: number | null) =>
      (to === null ? rest.all(from) : range.all(from, to)) as unknown as unknown[][];
  };
  return { db, fast: read(FAST_COLUMNS), full: read(COLUMNS) };
}

/**
 * Checks a range's entries as `ChainVerifier` checks them, starting from the first one's own link:
 * what the page before says about it is for the main thread to judge.
 */
export function checkRange(reader: Reader, job: RangeJob): CheckedAuditPage {
  const rows = reader.fast(job.from, job.to);
  const page: CheckedAuditPage = {
    count: rows.length,
    seqs: [],
    ats: [],
    hashes: [],
    firstSeq: 0,
    firstPrevHash: '',
    keys: [],
  };
  const first = rows[0];
  if (first === undefined) return page;
  page.firstSeq = Number(first[0]);
  page.firstPrevHash = first[3] as string;
  const good = checkPlainRows(rows, page);
  if (good === rows.length) return page;
  // The exact way from the first row that is not plain, re-read in full (rows appended since the
  // first read, the last range being open-ended, are judged too).
  const last = rows[good - 1];
  const rest = reader.full(last === undefined ? job.from : (last[0] as number), job.to);
  const next = rest[0];
  if (last === undefined && next !== undefined) {
    page.firstSeq = Number(next[0]);
    page.firstPrevHash = next[7] as string;
  }
  page.count = good + rest.length;
  const start =
    last === undefined
      ? { seq: page.firstSeq - 1, hash: page.firstPrevHash }
      : { seq: last[0] as number, hash: last[2] as string };
  checkEntries(rest, start, good, page);
  return page;
}

/**
 * The common case, without building an entry per row: each row follows the one before (its seq
 * the next, its prev_hash that row's hash) and its string (FAST_COLUMNS) hashes to its stored hash.
 * Returns how many rows from the start are so; the first that is not (whatever the reason, a
 * type included) is judged by `checkEntries`, the exact way. Verify spends its time here.
 */
function checkPlainRows(rows: readonly unknown[][], page: CheckedAuditPage): number {
  let lastSeq = page.firstSeq - 1;
  let lastHash = page.firstPrevHash;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const seq = r[0];
    const hashed = r[5];
    if (
      seq !== lastSeq + 1 ||
      r[3] !== lastHash ||
      typeof hashed !== 'string' ||
      hash('sha256', hashed, 'hex') !== r[2]
    )
      return i;
    if (r[4] !== null) {
      const keyId = keyIdOf(r[4]);
      if (typeof keyId === 'string') page.keys.push({ index: i, keyId });
    }
    page.seqs.push(seq as number);
    page.ats.push(r[1] as number);
    page.hashes.push(r[2] as string);
    lastSeq = seq as number;
    lastHash = r[2] as string;
  }
  return rows.length;
}

/** The `keyId` of an `audit.key` entry's details text, read as `toAudit` reads details. */
function keyIdOf(text: unknown): unknown {
  const details: unknown = parseDetails(String(text));
  return typeof details === 'object' && details !== null ? (details as { keyId?: unknown }).keyId : undefined;
}

/**
 * Full rows (COLUMNS) after `start`, entry by entry through `ChainVerifier`, as a walk checks them;
 * `offset` is the index in the page of the first of them.
 */
function checkEntries(
  rows: readonly unknown[][],
  start: { seq: number; hash: string },
  offset: number,
  page: CheckedAuditPage,
): void {
  const verifier = new ChainVerifier(undefined, start);
  for (let j = 0; j < rows.length; j++) {
    const row = rows[j]!;
    const i = offset + j;
    const e = lightEntry(row);
    verifier.push(e, (x) => {
      const fast = hashWithDetailsText(x, String(row[5]));
      return fast === x.hash ? fast : hashEntry(parsed(row));
    });
    if (verifier.failed) {
      const r = verifier.result();
      if (!r.ok && r.reason !== 'checkpoint-mismatch') page.problem = { index: i, ...pick(r) };
      break;
    }
    page.seqs.push(e.seq);
    page.ats.push(e.at);
    page.hashes.push(e.hash);
    if (e.action === 'audit.key') {
      const keyId = keyIdOf(row[5]);
      if (typeof keyId === 'string') page.keys.push({ index: i, keyId });
    }
  }
}

function pick(r: { firstBadSeq: number; reason: string; detail: string }) {
  return {
    firstBadSeq: r.firstBadSeq,
    reason: r.reason as NonNullable<CheckedAuditPage['problem']>['reason'],
    detail: r.detail,
  };
}

/** An entry as `toAudit` reads it, less the details (parsed only when the hash needs them). */
function lightEntry(r: readonly unknown[]): AuditEntry {
  return {
    seq: Number(r[0]),
    at: Number(r[1]),
    actor: r[2] as string,
    action: r[3] as string,
    target: r[4] as string,
    details: {},
    result: r[6] as string,
    prevHash: r[7] as string,
    hash: r[8] as string,
  };
}

function parsed(r: readonly unknown[]): AuditEntry {
  const [seq, at, actor, action, target, details, result, prev_hash, hash] = r;
  return toAudit({ seq, at, actor, action, target, details, result, prev_hash, hash });
}

interface Lane {
  worker: Worker;
  jobs: Map<number, RangeJob>;
  dead: boolean;
}

/**
 * Hands ranges to the workers, at most two each in flight, and collects the pages by id. A range
 * a worker could not check (it answered an error, crashed or exited) is checked on this thread.
 * Ranges are cut as they are handed out (`next`), so memory stays bounded whatever the seqs.
 */
class RangePool {
  readonly #next: () => RangeJob | undefined;
  readonly #inThread: (job: RangeJob) => CheckedAuditPage;
  readonly #onError: ((err: Error) => void) | undefined;
  readonly #lanes: Lane[] = [];
  readonly #done = new Map<number, CheckedAuditPage>();
  /** The last range's id, once it has been cut. */
  lastId: number | undefined;
  /** Whether this thread checks ranges itself: until a worker first answers. */
  #helping: boolean;
  #wake: (() => void) | undefined;

  constructor(
    next: () => RangeJob | undefined,
    workers: number,
    path: string,
    options: CheckedPagesOptions,
    inThread: (job: RangeJob) => CheckedAuditPage,
  ) {
    this.#next = next;
    this.#inThread = inThread;
    this.#onError = options.onWorkerError;
    this.#helping = options.helpWhileStarting !== false;
    const url = options.workerUrl ?? new URL('./audit-pages.worker.ts', import.meta.url);
    for (let w = 0; w < workers; w++) {
      const worker = new Worker(url, {
        name: 'lifeline-audit-verify',
        workerData: { ...options.workerData, path },
      });
      const lane: Lane = { worker, jobs: new Map(), dead: false };
      this.#lanes.push(lane);
      worker.on('message', (m: RangeAnswer) => this.#answer(lane, m));
      worker.on('error', (err) => this.#fail(lane, err));
      worker.on('exit', (code) =>
        this.#fail(lane, new Error(`audit verify worker exited with code ${code}`)),
      );
      this.#feed(lane);
    }
  }

  /**
   * The page of range `id`, once checked. Until a worker first answers (starting one takes tens
   * of milliseconds, loading its modules), or when none is left, this thread checks ranges itself.
   */
  async page(id: number): Promise<CheckedAuditPage> {
    for (;;) {
      const page = this.#done.get(id);
      if (page !== undefined) {
        this.#done.delete(id);
        return page;
      }
      const alone = this.#lanes.every((l) => l.dead);
      const job = this.#helping || alone ? this.#take() : undefined;
      if (job !== undefined) {
        this.#settle(job.id, this.#inThread(job));
        // Let the workers' messages in before the next one.
        if (!alone) await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  close(): void {
    for (const lane of this.#lanes) {
      lane.dead = true;
      void lane.worker.terminate();
    }
  }

  #take(): RangeJob | undefined {
    if (this.lastId !== undefined) return undefined;
    const job = this.#next();
    if (job !== undefined && job.to === null) this.lastId = job.id;
    return job;
  }

  #settle(id: number, page: CheckedAuditPage): void {
    this.#done.set(id, page);
    this.#wake?.();
  }

  #answer(lane: Lane, m: RangeAnswer): void {
    const job = lane.jobs.get(m.id);
    if (job === undefined) return;
    lane.jobs.delete(m.id);
    this.#helping = false;
    this.#settle(m.id, 'error' in m ? this.#inThread(job) : m.page);
    this.#feed(lane);
  }

  #feed(lane: Lane): void {
    while (!lane.dead && lane.jobs.size < 2) {
      const job = this.#take();
      if (job === undefined) return;
      lane.jobs.set(job.id, job);
      lane.worker.postMessage(job);
    }
  }

  #fail(lane: Lane, err: Error): void {
    if (lane.dead) return;
    lane.dead = true;
    void lane.worker.terminate();
    this.#onError?.(err);
    for (const job of lane.jobs.values()) this.#settle(job.id, this.#inThread(job));
    lane.jobs.clear();
    for (const l of this.#lanes) this.#feed(l);
    // Wakes a waiting page(), which checks the rest here when no worker is left.
    this.#wake?.();
  }
}

/**
 * Pages of the chain (seq > 0) in order, checked on `options.workers` threads: ranges of
 * `pageSize` seqs each starting at a seq the table holds (so at most `pageSize` entries, and a
 * gap costs one seek, however wide), cut as they are handed out, the last one open-ended so that
 * what was appended meanwhile is checked too. Stop iterating to stop the workers.
 */
export async function* checkedAuditPages(
  path: string,
  options: CheckedPagesOptions,
): AsyncGenerator<CheckedAuditPage> {
  const reader = openReader(path);
  const firstAfter = reader.db.prepare(FIRST_AFTER_SQL);
  const size = Math.max(1, options.pageSize);
  let from = 0;
  let id = 0;
  const next = (): RangeJob => {
    const first = firstAfter.get(from) as { seq: number } | undefined;
    if (first === undefined) return { id: id++, from, to: null };
    const start = first.seq - 1;
    from = start + size;
    return { id: id++, from: start, to: from };
  };
  const inThread = (job: RangeJob) => checkRange(reader, job);
  const pool = new RangePool(next, Math.max(0, options.workers), path, options, inThread);
  try {
    for (let page = 0; pool.lastId === undefined || page <= pool.lastId; page++) yield await pool.page(page);
  } finally {
    pool.close();
    reader.db.close();
  }
}
