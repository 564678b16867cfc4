/** The hash-chained audit log's records. */

/** One entry of the hash-chained audit log. `hash` covers every other field. */
export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
  result: string;
  prevHash: string;
  hash: string;
}

export interface AuditQuery {
  from?: number;
  to?: number;
  action?: string;
  actor?: string;
  afterSeq?: number;
  limit?: number;
}

/**
 * A page of the chain read and checked off the main thread (a store's worker threads): each
 * entry's hash recomputed and the links inside the page followed, as `ChainVerifier` would. The
 * verifier only links the page to the one before and applies checkpoints.
 */
export interface CheckedAuditPage {
  /** Entries read, in seq order. */
  count: number;
  /** Of the entries found good (before `problem`): their seqs, times and hashes. */
  seqs: number[];
  ats: number[];
  hashes: string[];
  /** The first entry's seq and `prevHash`: the link to the page before. */
  firstSeq: number;
  firstPrevHash: string;
  /** The first entry (by index) failing its hash, or the link or seq from the one before it in the page. */
  problem?: {
    index: number;
    firstBadSeq: number;
    reason: 'hash-mismatch' | 'prev-hash-mismatch' | 'seq-gap' | 'seq-order';
    detail: string;
  };
  /** Entries whose action is `audit.key` with a string `details.keyId`, by index. */
  keys: { index: number; keyId: string }[];
}

/** How a store reads and checks the chain on worker threads. */
export interface CheckedPagesOptions {
  /** Worker threads (0: all on the calling thread). */
  workers: number;
  /** Seqs per page. */
  pageSize: number;
  /** The worker script, and more workerData for it; tests pass one that fails. */
  workerUrl?: URL;
  workerData?: Record<string, unknown>;
  /**
   * Whether the calling thread checks ranges itself until a worker first answers (a worker takes
   * tens of milliseconds to start); tests turn it off to be sure the workers get the ranges.
   * @defaultValue true
   */
  helpWhileStarting?: boolean;
  /** Told when a worker fails (its pages were checked on the main thread instead). */
  onWorkerError?: (err: Error) => void;
}
