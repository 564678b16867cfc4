/**
 * The audit hash chain, pure: canonical encoding, hashing, sealing drafts into entries and
 * verifying a chain one entry at a time. No I/O here, so the log, the CLI and an auditor's own
 * tooling all agree on what a hash covers.
 */
import { hash } from 'node:crypto';
import type { AuditEntry } from './records.ts';
import { encodeMembers, encodeObject, encodeString } from './canonical.ts';

export { canonicalEncode } from './canonical.ts';

/** The `prevHash` of the first entry: there is nothing before it. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields a hash covers, in canonical order. */
const HASHED_FIELDS = ['action', 'actor', 'at', 'details', 'prevHash', 'result', 'seq', 'target'] as const;

/**
 * Hex SHA-256 of the canonical encoding of every field but `hash`. Fields beyond those of an
 * audit entry are ignored, so an adapter adding columns cannot change what was signed.
 */
export function hashEntry(e: Omit<AuditEntry, 'hash'>): string {
  // One-shot `hash` gives the same digest as createHash(...).update().digest() at about twice
  // the speed for inputs this small, and verify speed is a stated target.
  return hash('sha256', encodeEntryBody(e), 'hex');
}

/**
 * canonicalEncode of the hashed fields. A well-typed entry takes a path with the member names
 * written out in canonical order (verify spends most of its time here); anything else, such as
 * a field missing from a tampered row, goes the general way so the result is the same.
 */
function encodeEntryBody(e: Omit<AuditEntry, 'hash'>): string {
  const { action, actor, at, details, prevHash, result, seq, target } = e;
  if (
    typeof action !== 'string' ||
    typeof actor !== 'string' ||
    typeof at !== 'number' ||
    !Number.isFinite(at) ||
    typeof details !== 'object' ||
    details === null ||
    typeof prevHash !== 'string' ||
    typeof result !== 'string' ||
    typeof seq !== 'number' ||
    !Number.isFinite(seq) ||
    typeof target !== 'string'
  ) {
    return encodeMembers(e as unknown as Record<string, unknown>, HASHED_FIELDS, []);
  }
  const encodedDetails = encodeObject(details, 'details', []);
  if (encodedDetails === undefined) {
    return encodeMembers(e as unknown as Record<string, unknown>, HASHED_FIELDS, []);
  }
  return (
    `{"action":${encodeString(action)},"actor":${encodeString(actor)},"at":${at}` +
    `,"details":${encodedDetails},"prevHash":${encodeString(prevHash)}` +
    `,"result":${encodeString(result)},"seq":${seq},"target":${encodeString(target)}}`
  );
}

/** What a caller asks to record; `seal` adds seq, time and the chain links. */
export type AuditDraft = {
  actor: string;
  action: string;
  target: string;
  details?: Record<string, unknown>;
  result: string;
};

/** The newest entry of a chain, as far as extending it is concerned. */
export type ChainHead = { seq: number; hash: string };

/**
 * Turns drafts into entries that extend `head` (or start the chain when it is null), all
 * stamped `at`. The result is what the store's `appendAudit` takes.
 */
export function seal(head: ChainHead | null, drafts: readonly AuditDraft[], at: number): AuditEntry[] {
  let seq = head === null ? 0 : head.seq;
  let prevHash = head === null ? GENESIS_HASH : head.hash;
  const entries: AuditEntry[] = new Array(drafts.length);
  for (let i = 0; i < drafts.length; i++) {
    const d = drafts[i]!;
    seq += 1;
    const body = {
      seq,
      at,
      actor: d.actor,
      action: d.action,
      target: d.target,
      details: d.details ?? {},
      result: d.result,
      prevHash,
    };
    const hash = hashEntry(body);
    entries[i] = { ...body, hash };
    prevHash = hash;
  }
  return entries;
}

export type VerifyFailureReason =
  | 'hash-mismatch'
  | 'prev-hash-mismatch'
  | 'seq-gap'
  | 'seq-order'
  | 'checkpoint-mismatch';

/**
 * The outcome of a verification. `entries` counts the entries found good (on failure: those
 * before the first bad one). `head` is the last entry verified, null for an empty chain.
 */
export type VerifyResult =
  | { ok: true; entries: number; head: ChainHead | null }
  | { ok: false; entries: number; firstBadSeq: number; reason: VerifyFailureReason; detail: string };

/**
 * Verifies a chain fed in seq order, one entry at a time, so a caller can stream pages from the
 * store without holding the chain. It stops at the first failure; later pushes are ignored.
 *
 * A checkpoint (a seq and hash anchored outside, e.g. in object-lock storage) catches what the
 * chain alone cannot: history rewritten with every hash recomputed, and a truncated tail.
 */
export class ChainVerifier {
  readonly #checkpoint: ChainHead | undefined;
  #count = 0;
  #lastSeq = 0;
  #lastHash = GENESIS_HASH;
  #failure: Extract<VerifyResult, { ok: false }> | undefined;

  /**
   * @param start where the chain fed in starts, for part of a chain (an export of a window): the
   *   entry before the first one pushed. Defaults to the genesis.
   */
  constructor(checkpoint?: ChainHead, start?: ChainHead) {
    this.#checkpoint = checkpoint;
    if (start !== undefined) {
      this.#lastSeq = start.seq;
      this.#lastHash = start.hash;
    }
  }

  /** True once a failure has been found; further pushes change nothing. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  push(entry: AuditEntry): void {
    if (this.#failure !== undefined) return;
    const expected = this.#lastSeq + 1;
    if (entry.seq !== expected) {
      if (entry.seq > expected) {
        this.#fail(
          expected,
          'seq-gap',
          `seq ${expected} is missing; the next entry found has seq ${entry.seq}`,
        );
      } else {
        this.#fail(entry.seq, 'seq-order', `seq ${entry.seq} comes after seq ${this.#lastSeq}`);
      }
      return;
    }
    // The link is checked before the hash: it is cheaper, and a forged entry with a recomputed
    // hash can only be caught by it.
    if (entry.prevHash !== this.#lastHash) {
      this.#fail(
        entry.seq,
        'prev-hash-mismatch',
        `seq ${entry.seq} points to ${entry.prevHash}, but the entry before it has hash ${this.#lastHash}`,
      );
      return;
    }
    const recomputed = hashEntry(entry);
    if (recomputed !== entry.hash) {
      this.#fail(
        entry.seq,
        'hash-mismatch',
        `seq ${entry.seq} stores hash ${entry.hash}, but its contents hash to ${recomputed}`,
      );
      return;
    }
    const cp = this.#checkpoint;
    if (cp !== undefined && entry.seq === cp.seq && entry.hash !== cp.hash) {
      this.#fail(
        entry.seq,
        'checkpoint-mismatch',
        `seq ${entry.seq} has hash ${entry.hash}, but the checkpoint says ${cp.hash}`,
      );
      return;
    }
    this.#count += 1;
    this.#lastSeq = entry.seq;
    this.#lastHash = entry.hash;
  }

  result(): VerifyResult {
    if (this.#failure !== undefined) return this.#failure;
    const cp = this.#checkpoint;
    if (cp !== undefined && this.#lastSeq < cp.seq) {
      return {
        ok: false,
        entries: this.#count,
        firstBadSeq: this.#lastSeq + 1,
        reason: 'checkpoint-mismatch',
        detail: `the chain ends at seq ${this.#lastSeq}, before the checkpoint at seq ${cp.seq}`,
      };
    }
    return {
      ok: true,
      entries: this.#count,
      head: this.#count === 0 ? null : { seq: this.#lastSeq, hash: this.#lastHash },
    };
  }

  #fail(firstBadSeq: number, reason: VerifyFailureReason, detail: string): void {
    this.#failure = { ok: false, entries: this.#count, firstBadSeq, reason, detail };
  }
}
