import type { AuditRecords } from '../store/index.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { isLifelineError, LifelineError } from '../errors/index.ts';
import { availableParallelism } from 'node:os';
import type { AuditEntry, AuditQuery, CheckedAuditPage } from './records.ts';
import {
  type AuditDraft,
  type ChainHead,
  ChainVerifier,
  canonicalEncode,
  seal,
  type VerifyResult,
} from './chain.ts';
import { addRange, type SeqRanges } from './checkpoint.ts';

/** Options of {@link AuditLog}. */
export interface AuditLogOptions {
  /** Where the chain is kept. */
  store: AuditRecords;
  /** Milliseconds since the epoch; the virtual clock in drills. */
  clock: () => number;
  /**
   * How many times one batch is resealed after another process moved the head before giving up
   * with `STORE_UNAVAILABLE`.
   * @defaultValue 20
   */
  maxAttempts?: number;
  /**
   * The most drafts written in one store call. A single `appendMany` is never split, so a batch
   * may exceed this when one caller hands over more.
   * @defaultValue 5000
   */
  maxBatch?: number;
  /** How verify reads the chain; see {@link VerifyPaging}. */
  verify?: VerifyPaging;
}

/**
 * Verify's paging. A store that can (SQLite) reads and hashes a long chain on worker threads
 * (one thread read and hashed ~210,000 entries/s; the target is 500,000); the verdict is the
 * same either way.
 */
export interface VerifyPaging {
  /**
   * Worker threads; 0 reads and hashes on this thread.
   * @defaultValue the cores available, at most 4
   */
  workers?: number;
  /**
   * Chains shorter than this are verified on this thread (starting workers costs more).
   * @defaultValue 20000
   */
  minEntries?: number;
  /**
   * Seqs per worker page.
   * @defaultValue 5000
   */
  pageSize?: number;
  /** The worker script, and more workerData for it; tests pass one that fails. */
  workerUrl?: URL;
  workerData?: Record<string, unknown>;
  /**
   * Whether the calling thread checks ranges itself until a worker first answers (a worker takes
   * tens of milliseconds to start); tests turn it off to be sure the workers get the ranges.
   * @defaultValue true
   */
  helpWhileStarting?: boolean;
  /** Told when a worker failed (its pages were checked on this thread instead). */
  onWorkerError?: (err: Error) => void;
}

/** Entries read from the store per round trip by verify and pages. */
const PAGE_SIZE = 5000;

interface Pending {
  drafts: AuditDraft[];
  resolve: (entries: AuditEntry[]) => void;
  reject: (err: unknown) => void;
}

/**
 * The audit log of one process. Appends are serialised and group-committed: while one store
 * write is in flight, new drafts queue and go out together in the next single `appendAudit`,
 * so many concurrent callers cost a few transactions, not one each. Several processes may share
 * a store; when another moved the head first, the batch is resealed on the new head and retried.
 */
export class AuditLog {
  readonly #store: AuditRecords;
  readonly #clock: () => number;
  readonly #maxAttempts: number;
  readonly #maxBatch: number;
  readonly #paging: VerifyPaging;
  /** The head as this process last wrote or read it; undefined means "ask the store". */
  #head: AuditEntry | null | undefined;
  #queue: Pending[] = [];
  #draining = false;
  /** Seqs this process appended since the checkpointer last took them. */
  #own: SeqRanges = [];
  /** This process's newest own entry: the head it has witnessed itself. */
  #ownHead: ChainHead | null = null;
  readonly #commitListeners: (() => void)[] = [];

  constructor(options: AuditLogOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#maxAttempts = options.maxAttempts ?? 20;
    this.#maxBatch = options.maxBatch ?? 5000;
    this.#paging = options.verify ?? {};
  }

  /** The log's clock, so an export is stamped with the same time source as the entries. */
  now(): number {
    return this.#clock();
  }

  /** Records one draft; resolves with the sealed entry once it is durable. */
  async append(draft: AuditDraft): Promise<AuditEntry> {
    const [entry] = await this.appendMany([draft]);
    return entry!;
  }

  /**
   * Records drafts as consecutive entries, written together or not at all.
   *
   * @throws TypeError when a draft's details cannot be canonically encoded (NaN, a cycle...),
   *   before anything is queued, so one bad draft never fails other callers' batch.
   * @throws LifelineError `STORE_UNAVAILABLE` when the store fails or the head keeps moving.
   */
  appendMany(drafts: readonly AuditDraft[]): Promise<AuditEntry[]> {
    let snapshot: AuditDraft[];
    try {
      snapshot = drafts.map(snapshotDraft);
    } catch (err) {
      return Promise.reject(err);
    }
    if (snapshot.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.#queue.push({ drafts: snapshot, resolve, reject });
      if (!this.#draining) {
        this.#draining = true;
        // Start on a microtask so that appends issued in the same tick share the first batch.
        queueMicrotask(() => void this.#drain());
      }
    });
  }

  /**
   * Walks the whole chain from the store, a page at a time, and stops at the first bad entry.
   * Pass the last checkpoint anchored outside to also catch rewritten history or a cut tail.
   */
  async verify(options?: { checkpoint?: ChainHead }): Promise<VerifyResult> {
    const verifier = new ChainVerifier(options?.checkpoint);
    for await (const page of this.verifyPages()) {
      if (Array.isArray(page)) for (const entry of page) verifier.push(entry);
      else verifier.pushPage(page);
      if (verifier.failed) break;
    }
    return verifier.result();
  }

  /**
   * The whole chain in seq order for a verifier: pages already checked on the store's worker
   * threads (a long chain on a store that can), or entries to push one by one. Stop iterating
   * at the first failure to stop the workers.
   */
  async *verifyPages(): AsyncGenerator<AuditEntry[] | CheckedAuditPage> {
    const paging = this.#paging;
    const workers = paging.workers ?? Math.min(4, availableParallelism());
    const checked = this.#store.checkedAuditPages?.bind(this.#store);
    const head = checked === undefined || workers < 1 ? null : await this.head();
    if (checked !== undefined && head !== null && head.seq >= (paging.minEntries ?? 20_000)) {
      const pages = checked({
        workers,
        pageSize: paging.pageSize ?? PAGE_SIZE,
        ...(paging.workerUrl && { workerUrl: paging.workerUrl }),
        ...(paging.workerData && { workerData: paging.workerData }),
        ...(paging.helpWhileStarting !== undefined && { helpWhileStarting: paging.helpWhileStarting }),
        ...(paging.onWorkerError && { onWorkerError: paging.onWorkerError }),
      });
      try {
        yield* pages;
      } catch (err) {
        if (isLifelineError(err)) throw err;
        throw new LifelineError('STORE_UNAVAILABLE', undefined, { cause: err });
      }
      return;
    }
    let afterSeq = 0;
    for (;;) {
      const page = await this.#call(() => this.#store.readAuditPage(afterSeq, PAGE_SIZE));
      if (page.length > 0) yield page;
      const last = page.at(-1);
      if (last === undefined || page.length < PAGE_SIZE) return;
      afterSeq = last.seq;
    }
  }

  /**
   * What this process appended since the last call (ranges of seqs) and its newest own entry,
   * for a checkpoint. The ranges are handed over and cleared; give them back with
   * {@link restoreWitnessed} when the checkpoint could not be written.
   */
  takeWitnessed(): { head: ChainHead | null; own: SeqRanges } {
    const own = this.#own;
    this.#own = [];
    return { head: this.#ownHead, own };
  }

  restoreWitnessed(own: SeqRanges): void {
    const later = this.#own;
    this.#own = [];
    for (const [from, to] of [...own, ...later]) addRange(this.#own, from, to);
  }

  /** The newest entry this process appended itself; null before its first append. */
  get ownHead(): ChainHead | null {
    return this.#ownHead;
  }

  /** Calls `listener` after each batch this process made durable (to schedule a checkpoint). */
  onCommit(listener: () => void): void {
    this.#commitListeners.push(listener);
  }

  /** Entries matching the query, as the store returns them (for the admin API). */
  list(query: AuditQuery): Promise<AuditEntry[]> {
    return this.#call(() => this.#store.listAudit(query));
  }

  /** Up to `limit` entries with seq > `afterSeq`, in seq order, straight from the store. */
  entriesAfter(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    return this.#call(() => this.#store.readAuditPage(afterSeq, limit));
  }

  /** The newest entry as the store has it now (not the cached head). */
  head(): Promise<AuditEntry | null> {
    return this.#call(() => this.#store.auditHead());
  }

  /**
   * Entries with `from <= at <= to` (ms epoch, both inclusive, both optional), in seq order, a
   * page (non-empty array) at a time; `untilSeq` stops at that seq, so an export can match the
   * head it recorded. It relies on `at` never decreasing along the chain, which `append`
   * guarantees: that lets it find the start by bisection and stop at the first entry past `to`.
   */
  async *pages(from?: number, to?: number, untilSeq?: number): AsyncGenerator<AuditEntry[]> {
    let afterSeq = from === undefined ? 0 : await this.#lastSeqBefore(from);
    for (;;) {
      const page = await this.#call(() => this.#store.readAuditPage(afterSeq, PAGE_SIZE));
      const out: AuditEntry[] = [];
      let done = page.length < PAGE_SIZE;
      for (const entry of page) {
        if ((untilSeq !== undefined && entry.seq > untilSeq) || (to !== undefined && entry.at > to)) {
          done = true;
          break;
        }
        if (from === undefined || entry.at >= from) out.push(entry);
      }
      if (out.length > 0) yield out;
      const last = page.at(-1);
      if (done || last === undefined) return;
      afterSeq = last.seq;
    }
  }

  /** The largest seq whose entry (and every one before it) has `at < from`; 0 if none. */
  async #lastSeqBefore(from: number): Promise<number> {
    const head = await this.head();
    let lo = 0;
    let hi = head === null ? 0 : head.seq;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      const [probe] = await this.#call(() => this.#store.readAuditPage(mid - 1, 1));
      if (probe !== undefined && probe.at < from) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#takeBatch();
        const drafts = batch.length === 1 ? batch[0]!.drafts : batch.flatMap((p) => p.drafts);
        let entries: AuditEntry[];
        try {
          entries = await this.#commit(drafts);
        } catch (err) {
          for (const p of batch) p.reject(err);
          continue;
        }
        let offset = 0;
        for (const p of batch) {
          p.resolve(entries.slice(offset, offset + p.drafts.length));
          offset += p.drafts.length;
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  #takeBatch(): Pending[] {
    let count = 0;
    let n = 0;
    while (n < this.#queue.length) {
      const size = this.#queue[n]!.drafts.length;
      if (n > 0 && count + size > this.#maxBatch) break;
      count += size;
      n++;
    }
    return this.#queue.splice(0, n);
  }

  async #commit(drafts: readonly AuditDraft[]): Promise<AuditEntry[]> {
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      if (this.#head === undefined) this.#head = await this.head();
      const head = this.#head;
      // Never stamp an entry earlier than the one it follows (clocks of several processes, or a
      // step back of this one): `pages` relies on `at` not decreasing along the chain.
      const at = head === null ? this.#clock() : Math.max(this.#clock(), head.at);
      const entries = seal(head, drafts, at);
      let appended: boolean;
      try {
        appended = await this.#call(() => this.#store.appendAudit(entries));
      } catch (err) {
        // The write may or may not have landed (a timeout, say): forget the head.
        this.#head = undefined;
        throw err;
      }
      if (appended) {
        const last = entries.at(-1)!;
        this.#head = last;
        addRange(this.#own, entries[0]!.seq, last.seq);
        this.#ownHead = { seq: last.seq, hash: last.hash };
        for (const listener of this.#commitListeners) listener();
        return entries;
      }
      this.#head = undefined;
      // Several processes racing for the head: a little jitter keeps them from colliding again.
      if (attempt > 1) await sleep(Math.random() * attempt);
    }
    throw new LifelineError(
      'STORE_UNAVAILABLE',
      `The audit head kept moving; gave up after ${this.#maxAttempts} attempts`,
    );
  }

  /** Store failures surface as STORE_UNAVAILABLE, with the original as the cause. */
  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isLifelineError(err)) throw err;
      throw new LifelineError('STORE_UNAVAILABLE', undefined, { cause: err });
    }
  }
}

/**
 * A copy of the draft taken when it is handed over: the caller may change its objects while the
 * draft waits for a batch. Details go through the canonical encoding and back, so they are plain
 * JSON (a Date becomes its string) and equal to what the store will give back on reading.
 */
function snapshotDraft(d: AuditDraft): AuditDraft {
  for (const field of ['actor', 'action', 'target', 'result'] as const) {
    if (typeof d[field] !== 'string') throw new TypeError(`audit draft: ${field} must be a string`);
  }
  let details: Record<string, unknown> = {};
  if (d.details !== undefined) {
    const copy: unknown = JSON.parse(canonicalEncode(d.details));
    if (typeof copy !== 'object' || copy === null || Array.isArray(copy)) {
      throw new TypeError('audit draft: details must encode as a JSON object');
    }
    details = copy as Record<string, unknown>;
  }
  return { actor: d.actor, action: d.action, target: d.target, details, result: d.result };
}
