/**
 * The audit hash chain, pure: canonical encoding, hashing, sealing drafts into entries and
 * verifying a chain one entry at a time. No I/O here, so the log, the CLI and an auditor's own
 * tooling all agree on what a hash covers.
 */
import { hash } from 'node:crypto';
import type { AuditEntry, CheckedAuditPage } from './records.ts';
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
  const { details } = e;
  if (!wellTyped(e) || typeof details !== 'object' || details === null) {
    return encodeMembers(e as unknown as Record<string, unknown>, HASHED_FIELDS, []);
  }
  const encodedDetails = encodeObject(details, 'details', []);
  if (encodedDetails === undefined) {
    return encodeMembers(e as unknown as Record<string, unknown>, HASHED_FIELDS, []);
  }
  return encodeWith(e, encodedDetails);
}

/** Every hashed field but `details` has the type an entry gives it. */
function wellTyped(e: Omit<AuditEntry, 'hash' | 'details'>): boolean {
  const { action, actor, at, prevHash, result, seq, target } = e;
  return !(
    typeof action !== 'string' ||
    typeof actor !== 'string' ||
    typeof at !== 'number' ||
    !Number.isFinite(at) ||
    typeof prevHash !== 'string' ||
    typeof result !== 'string' ||
    typeof seq !== 'number' ||
    !Number.isFinite(seq) ||
    typeof target !== 'string'
  );
}

function encodeWith(e: Omit<AuditEntry, 'hash' | 'details'>, encodedDetails: string): string {
  const { action, actor, at, prevHash, result, seq, target } = e;
  return encodeFields(action, actor, at, encodedDetails, prevHash, result, seq, target);
}

/** The hashed fields in canonical order, well typed, the details already encoded. */
function encodeFields(
  action: string,
  actor: string,
  at: number,
  encodedDetails: string,
  prevHash: string,
  result: string,
  seq: number,
  target: string,
): string {
  return (
    `{"action":${encodeString(action)},"actor":${encodeString(actor)},"at":${at}` +
    `,"details":${encodedDetails},"prevHash":${encodeString(prevHash)}` +
    `,"result":${encodeString(result)},"seq":${seq},"target":${encodeString(target)}}`
  );
}

/**
 * The hash of an entry whose details are still the JSON text a store keeps, without parsing it:
 * `hashEntry` of the parsed entry whenever this equals the stored hash, so verify may skip the
 * parse for entries that match and take the exact way only for the rest. Why that holds: the
 * string hashed is JSON whose other members are escaped strings and numbers followed by fixed
 * member names, so equal to the (canonical) string the entry was sealed from only when every
 * field and the details text are the ones sealed, and canonical JSON parses and re-encodes to
 * itself. A text that is the same JSON in another order (a store that sorts keys its own way)
 * differs here and is settled by `hashEntry`. Undefined when a field is not of its type.
 */
export function hashWithDetailsText(
  e: Omit<AuditEntry, 'hash' | 'details'>,
  detailsText: string,
): string | undefined {
  if (!wellTyped(e)) return undefined;
  return hash('sha256', encodeWith(e, detailsText), 'hex');
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

  /**
   * @param recompute how the entry's hash is recomputed (a store's worker passes one that can
   *   skip parsing its details); `hashEntry` by default.
   */
  push(entry: AuditEntry, recompute: (e: AuditEntry) => string = hashEntry): void {
    if (this.#failure !== undefined) return;
    if (!this.#linked(entry.seq, entry.prevHash)) return;
    const recomputed = recompute(entry);
    if (recomputed !== entry.hash) {
      this.#fail(
        entry.seq,
        'hash-mismatch',
        `seq ${entry.seq} stores hash ${entry.hash}, but its contents hash to ${recomputed}`,
      );
      return;
    }
    if (!this.#checkpointHolds(entry.seq, entry.hash)) return;
    this.#count += 1;
    this.#lastSeq = entry.seq;
    this.#lastHash = entry.hash;
  }

  /**
   * Takes a page a worker checked (hashes and the links inside it) with the same verdicts as
   * pushing its entries one by one: the page's first entry is linked here, then the first of the
   * worker's problem and a checkpoint mismatch, in seq order, is the failure.
   *
   * @returns how many of the page's entries were found good
   */
  pushPage(page: CheckedAuditPage): number {
    if (this.#failure !== undefined || page.count === 0) return 0;
    if (!this.#linked(page.firstSeq, page.firstPrevHash)) return 0;
    const end = page.problem?.index ?? page.count;
    for (let i = 0; i < end; i++) {
      if (!this.#checkpointHolds(page.seqs[i]!, page.hashes[i]!)) return i;
      this.#count += 1;
      this.#lastSeq = page.seqs[i]!;
      this.#lastHash = page.hashes[i]!;
    }
    const p = page.problem;
    if (p !== undefined) this.#fail(p.firstBadSeq, p.reason, p.detail);
    return end;
  }

  /** The seq follows the last one and the entry points to its hash; fails otherwise. */
  #linked(seq: number, prevHash: string): boolean {
    const expected = this.#lastSeq + 1;
    if (seq !== expected) {
      if (seq > expected) {
        this.#fail(expected, 'seq-gap', `seq ${expected} is missing; the next entry found has seq ${seq}`);
      } else {
        this.#fail(seq, 'seq-order', `seq ${seq} comes after seq ${this.#lastSeq}`);
      }
      return false;
    }
    // The link is checked before the hash: it is cheaper, and a forged entry with a recomputed
    // hash can only be caught by it.
    if (prevHash !== this.#lastHash) {
      this.#fail(
        seq,
        'prev-hash-mismatch',
        `seq ${seq} points to ${prevHash}, but the entry before it has hash ${this.#lastHash}`,
      );
      return false;
    }
    return true;
  }

  #checkpointHolds(seq: number, hash: string): boolean {
    const cp = this.#checkpoint;
    if (cp !== undefined && seq === cp.seq && hash !== cp.hash) {
      this.#fail(
        seq,
        'checkpoint-mismatch',
        `seq ${seq} has hash ${hash}, but the checkpoint says ${cp.hash}`,
      );
      return false;
    }
    return true;
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
