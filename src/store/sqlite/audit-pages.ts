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
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { ChainVerifier, hashEntry, hashWithDetailsText } from '../../audit/chain.ts';
import type { AuditEntry, CheckedAuditPage, CheckedPagesOptions } from '../../audit/records.ts';
import { toAudit } from '../rows.ts';

const COLUMNS = 'seq, at, actor, action, target, details, result, prev_hash, hash';
/** Inputs: (afterSeq, lastSeq) — the entries of one range, in seq order. */
export const RANGE_SQL = `SELECT ${COLUMNS} FROM audit WHERE seq > ? AND seq <= ? ORDER BY seq`;
/** Inputs: (afterSeq, limit) — what follows the ranges (appended while they were checked). */
const TAIL_SQL = `SELECT ${COLUMNS} FROM audit WHERE seq > ? ORDER BY seq LIMIT ?`;
const HEAD_SQL = 'SELECT max(seq) AS seq FROM audit';

/** Main thread to worker: check the entries with `from < seq <= to`. */
export interface RangeJob {
  id: number;
  from: number;
  to: number;
}

/** Worker to main thread. */
export type RangeAnswer = { id: number; page: CheckedAuditPage } | { id: number; error: string };

/** Opens the file for reading only, with the statements a range check needs. */
export function openReader(path: string): { db: DatabaseSync; range: StatementSync; tail: StatementSync } {
  const db = new DatabaseSync(path, { readOnly: true });
  db.exec('PRAGMA busy_timeout = 5000');
  const range = db.prepare(RANGE_SQL);
  const tail = db.prepare(TAIL_SQL);
  range.setReturnArrays(true);
  tail.setReturnArrays(true);
  return { db, range, tail };
}

/**
 * Checks rows (COLUMNS order) as `ChainVerifier` checks entries, starting from the first row's
 * own link: what the page before says about it is for the main thread to judge.
 */
export function checkRows(rows: readonly unknown[][]): CheckedAuditPage {
  const count = rows.length;
  const page: CheckedAuditPage = {
    count,
    seqs: [],
    ats: [],
    hashes: [],
    firstSeq: 0,
    firstPrevHash: '',
    keys: [],
  };
  if (count === 0) return page;
  const texts: string[] = new Array(count);
  const entries = rows.map((r, i) => {
    texts[i] = String(r[5]);
    return lightEntry(r);
  });
  const first = entries[0]!;
  page.firstSeq = first.seq;
  page.firstPrevHash = first.prevHash;
  const verifier = new ChainVerifier(undefined, { seq: first.seq - 1, hash: first.prevHash });
  for (let i = 0; i < count; i++) {
    const e = entries[i]!;
    verifier.push(e, (x) => {
      const fast = hashWithDetailsText(x, texts[i]!);
      return fast === x.hash ? fast : hashEntry(parsed(rows[i]!));
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
      const keyId = parsed(rows[i]!).details.keyId;
      if (typeof keyId === 'string') page.keys.push({ index: i, keyId });
    }
  }
  return page;
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
 */
class RangePool {
  readonly #jobs: readonly RangeJob[];
  readonly #inThread: (job: RangeJob) => CheckedAuditPage;
  readonly #onError: ((err: Error) => void) | undefined;
  readonly #lanes: Lane[] = [];
  readonly #done = new Map<number, CheckedAuditPage>();
  #next = 0;
  /** Whether this thread still checks ranges itself: until a worker first answers. */
  #helping: boolean;
  #wake: (() => void) | undefined;

  constructor(
    jobs: readonly RangeJob[],
    workers: number,
    path: string,
    options: CheckedPagesOptions,
    inThread: (job: RangeJob) => CheckedAuditPage,
  ) {
    this.#jobs = jobs;
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
    if (workers === 0) this.#drainHere();
  }

  /**
   * The page of range `id`, once checked. Until a worker first answers (starting one takes tens
   * of milliseconds, loading its modules), this thread checks ranges not yet handed out itself.
   */
  async page(id: number): Promise<CheckedAuditPage> {
    for (;;) {
      const page = this.#done.get(id);
      if (page !== undefined) {
        this.#done.delete(id);
        return page;
      }
      if (this.#helping && this.#next < this.#jobs.length) {
        const job = this.#jobs[this.#next++]!;
        this.#settle(job.id, this.#inThread(job));
        // Let the workers' messages in before the next one.
        await new Promise<void>((resolve) => setImmediate(resolve));
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
    while (!lane.dead && lane.jobs.size < 2 && this.#next < this.#jobs.length) {
      const job = this.#jobs[this.#next++]!;
      lane.jobs.set(job.id, job);
      lane.worker.postMessage(job);
    }
  }

  #drainHere(): void {
    while (this.#next < this.#jobs.length) {
      const job = this.#jobs[this.#next++]!;
      this.#settle(job.id, this.#inThread(job));
    }
  }

  #fail(lane: Lane, err: Error): void {
    if (lane.dead) return;
    lane.dead = true;
    void lane.worker.terminate();
    this.#onError?.(err);
    for (const job of lane.jobs.values()) this.#settle(job.id, this.#inThread(job));
    lane.jobs.clear();
    const alive = this.#lanes.filter((l) => !l.dead);
    if (alive.length === 0) this.#drainHere();
    for (const l of alive) this.#feed(l);
  }
}

/**
 * Pages of the chain (seq > 0) in order, checked on `options.workers` threads: ranges of
 * `pageSize` seqs up to the head found at the start, then what was appended meanwhile, on this
 * thread. Stop iterating to stop the workers.
 */
export async function* checkedAuditPages(
  path: string,
  options: CheckedPagesOptions,
): AsyncGenerator<CheckedAuditPage> {
  const reader = openReader(path);
  const head = Number((reader.db.prepare(HEAD_SQL).get() as { seq: unknown }).seq ?? 0);
  const size = options.pageSize;
  const jobs: RangeJob[] = [];
  for (let from = 0, id = 0; from < head; from += size)
    jobs.push({ id: id++, from, to: Math.min(from + size, head) });
  const inThread = (job: RangeJob) => checkRows(reader.range.all(job.from, job.to) as unknown as unknown[][]);
  const workers = jobs.length <= 1 ? 0 : Math.min(options.workers, jobs.length);
  const pool = new RangePool(jobs, workers, path, options, inThread);
  try {
    for (let id = 0; id < jobs.length; id++) yield await pool.page(id);
    let after = head;
    for (;;) {
      const rows = reader.tail.all(after, size) as unknown as unknown[][];
      if (rows.length > 0) yield checkRows(rows);
      if (rows.length < size) return;
      after = Number(rows.at(-1)![0]);
    }
  } finally {
    pool.close();
    reader.db.close();
  }
}
