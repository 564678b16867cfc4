/**
 * Signed checkpoints of the audit chain's head, the records an anchor holds. One checkpoint says:
 * node `node`, at `at`, had the chain at `seq` with `hash`, and itself appended the seqs in
 * `own` since its previous checkpoint. The `own` ranges are what lets verify tell an entry a
 * Lifeline process wrote from one written into the store by someone without the audit key.
 */
import { readFileSync } from 'node:fs';
import { canonicalEncode } from './chain.ts';
import { type AuditPublicKey, verifySignature } from './key.ts';

/** Inclusive ranges of seqs, ascending, not overlapping. */
export type SeqRanges = [from: number, to: number][];

export interface Checkpoint {
  v: 1;
  seq: number;
  hash: string;
  /** Ms epoch, by the writer's clock. */
  at: number;
  /** The writer's `nodeId` (`cli:<user>` for the CLI's direct commands). */
  node: string;
  /** Id of the audit public key that signed it. */
  key: string;
  own: SeqRanges;
  /**
   * Seqs a node found after the newest checkpoint when it started, vouched for by no one: most
   * likely its own appends from just before a crash, or entries written while no node ran. Verify
   * reports them as not anchored rather than as written by no process.
   */
  found?: SeqRanges;
  /**
   * Written by a node as it stops cleanly, after its last flush: every append of that node is
   * anchored. An entry found past it at the next start was written while no Lifeline process ran
   * (see `takeStock`), so it gets no `found` excuse.
   */
  stop?: true;
  /** Ed25519 over {@link signedText}, base64url. */
  sig: string;
}

/** What a signature covers: a domain tag, so nothing else the key signs can pass for a checkpoint. */
export function signedText(c: Omit<Checkpoint, 'sig'>): string {
  const { v, seq, hash, at, node, key, own, found, stop } = c;
  // `found` and `stop` absent are encoded as absent (canonicalEncode drops undefined members).
  return `lifeline-audit-checkpoint/1\n${canonicalEncode({ v, seq, hash, at, node, key, own, found, stop })}`;
}

function isRanges(x: unknown): x is SeqRanges {
  return (
    Array.isArray(x) &&
    x.every(
      (r) =>
        Array.isArray(r) &&
        r.length === 2 &&
        Number.isSafeInteger(r[0]) &&
        Number.isSafeInteger(r[1]) &&
        (r[0] as number) >= 1 &&
        (r[0] as number) <= (r[1] as number),
    )
  );
}

/** The checkpoint a line holds if it parses and `key` signed it; undefined otherwise. */
export function parseCheckpoint(line: string, key: AuditPublicKey): Checkpoint | undefined {
  let c: Partial<Checkpoint>;
  try {
    c = JSON.parse(line) as Partial<Checkpoint>;
  } catch {
    return undefined;
  }
  if (
    typeof c !== 'object' ||
    c === null ||
    c.v !== 1 ||
    !Number.isSafeInteger(c.seq) ||
    (c.seq as number) < 1 ||
    typeof c.hash !== 'string' ||
    typeof c.at !== 'number' ||
    !Number.isFinite(c.at) ||
    typeof c.node !== 'string' ||
    c.key !== key.id ||
    !isRanges(c.own) ||
    (c.found !== undefined && !isRanges(c.found)) ||
    (c.stop !== undefined && c.stop !== true)
  )
    return undefined;
  const checkpoint = c as Checkpoint;
  return verifySignature(key, signedText(checkpoint), checkpoint.sig) ? checkpoint : undefined;
}

/**
 * Every line of an anchor file: those `key` signed, a count of the rest, and the lowest seq one
 * of the rest claims (null when none claims a number).
 */
export function readCheckpoints(
  file: string,
  key: AuditPublicKey,
): { valid: Checkpoint[]; invalid: number; firstInvalidSeq: number | null } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { valid: [], invalid: 0, firstInvalidSeq: null };
    throw err;
  }
  const valid: Checkpoint[] = [];
  let invalid = 0;
  let firstInvalidSeq: number | null = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const c = parseCheckpoint(line, key);
    if (c !== undefined) {
      valid.push(c);
      continue;
    }
    invalid++;
    const claimed = claimedSeq(line);
    if (claimed !== null && (firstInvalidSeq === null || claimed < firstInvalidSeq))
      firstInvalidSeq = claimed;
  }
  return { valid, invalid, firstInvalidSeq };
}

/** The seq a line that failed its signature claims, if it parses that far. */
function claimedSeq(line: string): number | null {
  try {
    const seq = (JSON.parse(line) as { seq?: unknown } | null)?.seq;
    return Number.isSafeInteger(seq) && (seq as number) >= 1 ? (seq as number) : null;
  } catch {
    return null;
  }
}

/** Adds seqs `from..to` to ascending ranges, merging with the last one when they touch. */
export function addRange(ranges: SeqRanges, from: number, to: number): void {
  const last = ranges.at(-1);
  if (last !== undefined && from <= last[1] + 1 && from >= last[0]) last[1] = Math.max(last[1], to);
  else ranges.push([from, to]);
}
