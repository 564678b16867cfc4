/**
 * Verification against the anchor: the chain must hash and link (as `ChainVerifier` checks),
 * hold every anchored seq with the anchored hash, reach the newest anchored seq, and hold no
 * entry that no Lifeline process vouched for. What cannot be judged yet (entries after the
 * newest checkpoint) is counted and named, never called good.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINTS_FILE } from './anchor.ts';
import { type ChainHead, ChainVerifier, type VerifyFailureReason } from './chain.ts';
import { type Checkpoint, readCheckpoints } from './checkpoint.ts';
import { type AuditPublicKey, PUBLIC_KEY_FILE, readPublicKeyFile } from './key.ts';
import type { AuditLog } from './log.ts';

/** One anchor to read: a directory, and the key its checkpoints must carry. */
export interface AnchorSource {
  dir: string;
  /** A pinned key; without one, the directory's `audit-key.pub` is used. */
  publicKey?: AuditPublicKey;
}

export interface AnchoredVerifyOptions {
  anchors: readonly AnchorSource[];
  /**
   * Whether every process appending to the store writes checkpoints into these anchors, so that
   * an anchored entry no checkpoint's `own` ranges cover was written by someone else.
   */
  coverage: boolean;
  /**
   * How long a process may take to anchor its own appends (twice the checkpoint interval): an
   * uncovered entry younger than this, relative to the checkpoint past it, is only "not yet
   * anchored".
   */
  graceMs: number;
  /**
   * A head the operator kept (an export's `chainHead`, say), checked like a checkpoint though
   * nothing signed it.
   */
  checkpoint?: ChainHead;
}

export type AnchoredFailureReason = VerifyFailureReason | 'truncated' | 'unwitnessed';

/** What the anchor says, beside the chain's own verdict. */
export interface AnchorReport {
  /** Valid (signed by the expected key) checkpoints read, over all anchors. */
  checkpoints: number;
  /** Lines that do not parse or whose signature does not verify: someone wrote to the anchor. */
  invalidLines: number;
  /** The newest anchored head; null when no anchor holds a valid checkpoint. */
  anchored: { seq: number; hash: string; at: number; node: string } | null;
  /** Entries no checkpoint vouches for yet: after the newest one, or within the grace period. */
  unanchored: number;
  firstUnanchoredSeq: number | null;
  /** The anchors read, with the key each was checked with (null: no public key found). */
  sources: { dir: string; key: string | null; checkpoints: number; invalidLines: number }[];
}

export type AnchoredVerifyResult =
  | { ok: true; entries: number; head: ChainHead | null; anchor: AnchorReport; message: string }
  | {
      ok: false;
      entries: number;
      firstBadSeq: number;
      reason: AnchoredFailureReason;
      detail: string;
      anchor: AnchorReport;
      message: string;
    };

const PAGE_SIZE = 5000;

function loadAnchors(anchors: readonly AnchorSource[]): {
  all: Checkpoint[];
  sources: AnchorReport['sources'];
} {
  const all: Checkpoint[] = [];
  const sources: AnchorReport['sources'] = [];
  for (const a of anchors) {
    const pubFile = join(a.dir, PUBLIC_KEY_FILE);
    const key = a.publicKey ?? (existsSync(pubFile) ? readPublicKeyFile(pubFile) : undefined);
    if (key === undefined) {
      sources.push({ dir: a.dir, key: null, checkpoints: 0, invalidLines: 0 });
      continue;
    }
    const { valid, invalid } = readCheckpoints(join(a.dir, CHECKPOINTS_FILE), key);
    all.push(...valid);
    sources.push({ dir: a.dir, key: key.id, checkpoints: valid.length, invalidLines: invalid });
  }
  return { all, sources };
}

/** Sorted, merged union of every checkpoint's own ranges. */
function coverageOf(checkpoints: readonly Checkpoint[], field: 'own' | 'found'): [number, number][] {
  const ranges = checkpoints.flatMap((c) => (c[field] ?? []).map(([a, b]) => [a, b] as [number, number]));
  ranges.sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of ranges) {
    const last = out.at(-1);
    if (last !== undefined && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Who made a claim, for a detail: "node n1 anchored … at <time>", or the operator's --checkpoint. */
function who(c: Checkpoint): string {
  return Number.isNaN(c.at) ? 'the checkpoint given names' : `node ${c.node} anchored (at ${iso(c.at)})`;
}

function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

/**
 * Walks the whole chain, a page at a time, against every checkpoint in `anchors`. The first
 * problem in seq order is named: a bad hash or link, a missing or reordered seq, a seq whose
 * hash is not the anchored one (history rewritten, hashes recomputed), a chain that ends
 * before the newest anchored seq (tail cut, table emptied), or an entry no process vouched for.
 */
export async function verifyAnchored(
  log: AuditLog,
  options: AnchoredVerifyOptions,
): Promise<AnchoredVerifyResult> {
  const { all, sources } = loadAnchors(options.anchors);
  // The first checkpoint read for a seq is the oldest claim about it; a later, different claim
  // for the same seq can only come from a node that appended onto a chain already cut back.
  const claims = new Map<number, Checkpoint>();
  for (const c of all) if (!claims.has(c.seq)) claims.set(c.seq, c);
  const given = options.checkpoint;
  if (given !== undefined && !claims.has(given.seq))
    claims.set(given.seq, {
      v: 1,
      ...given,
      at: Number.NaN,
      node: '(--checkpoint)',
      key: '',
      own: [],
      sig: '',
    });
  // `newest` (signed) bounds what is anchored; `furthest` (a given --checkpoint too) what must exist.
  let newest: Checkpoint | undefined;
  for (const c of all) if (newest === undefined || c.seq > newest.seq) newest = c;
  let furthest = newest;
  for (const c of claims.values()) if (furthest === undefined || c.seq > furthest.seq) furthest = c;
  // For each checkpoint seq, the latest time any checkpoint at or past it was written.
  const bySeq = [...all].sort((a, b) => a.seq - b.seq);
  const laterAt: number[] = new Array(bySeq.length);
  for (let i = bySeq.length - 1, max = -Infinity; i >= 0; i--) {
    max = Math.max(max, bySeq[i]!.at);
    laterAt[i] = max;
  }
  const coverage = coverageOf(all, 'own');
  const found = coverageOf(all, 'found');
  let fi = 0;
  let ci = 0;
  let bi = 0;

  const report: AnchorReport = {
    checkpoints: all.length,
    invalidLines: sources.reduce((n, s) => n + s.invalidLines, 0),
    anchored: newest ? { seq: newest.seq, hash: newest.hash, at: newest.at, node: newest.node } : null,
    unanchored: 0,
    firstUnanchoredSeq: null,
    sources,
  };
  const verifier = new ChainVerifier();
  let failure: Extract<AnchoredVerifyResult, { ok: false }> | undefined;
  let lastMatched = 0;
  let good = 0;
  let head: ChainHead | null = null;
  const fail = (firstBadSeq: number, reason: AnchoredFailureReason, detail: string) => {
    failure = { ok: false, entries: good, firstBadSeq, reason, detail, anchor: report, message: '' };
  };
  const unanchored = (seq: number) => {
    report.unanchored++;
    report.firstUnanchoredSeq ??= seq;
  };

  let afterSeq = 0;
  pages: for (;;) {
    const page = await log.entriesAfter(afterSeq, PAGE_SIZE);
    for (const entry of page) {
      verifier.push(entry);
      if (verifier.failed) {
        const r = verifier.result();
        if (!r.ok) fail(r.firstBadSeq, r.reason, r.detail);
        break pages;
      }
      const claim = claims.get(entry.seq);
      if (claim !== undefined) {
        if (claim.hash !== entry.hash) {
          fail(
            entry.seq,
            'checkpoint-mismatch',
            `seq ${entry.seq} has hash ${entry.hash}, but ${who(claim)} ${claim.hash} for it: ` +
              `the chain was rewritten (hashes recomputed) after seq ${lastMatched}, at or before seq ${entry.seq}`,
          );
          break pages;
        }
        lastMatched = entry.seq;
      }
      if (newest !== undefined && entry.seq <= newest.seq) {
        while (ci < coverage.length && coverage[ci]![1] < entry.seq) ci++;
        const covered = ci < coverage.length && coverage[ci]![0] <= entry.seq;
        if (!covered && options.coverage) {
          while (bi < bySeq.length && bySeq[bi]!.seq < entry.seq) bi++;
          const seenAt = laterAt[bi] ?? -Infinity;
          while (fi < found.length && found[fi]![1] < entry.seq) fi++;
          const foundAtStart = fi < found.length && found[fi]![0] <= entry.seq;
          if (!foundAtStart && Math.abs(seenAt - entry.at) >= options.graceMs) {
            fail(
              entry.seq,
              'unwitnessed',
              `seq ${entry.seq} (${entry.action} by ${entry.actor}) was appended by no Lifeline process: ` +
                'no checkpoint vouches for it, though later ones pass it; it was written into the store directly',
            );
            break pages;
          }
          unanchored(entry.seq);
        }
      } else {
        unanchored(entry.seq);
      }
      good++;
      head = { seq: entry.seq, hash: entry.hash };
    }
    const last = page.at(-1);
    if (last === undefined || page.length < PAGE_SIZE) break;
    afterSeq = last.seq;
  }

  if (failure === undefined && furthest !== undefined && (head?.seq ?? 0) < furthest.seq) {
    const end = head?.seq ?? 0;
    fail(
      end + 1,
      'truncated',
      `${end === 0 ? 'the audit table is empty' : `the chain ends at seq ${end}`}, but ${who(furthest)} seq ${furthest.seq}: ` +
        `entries ${end + 1}..${furthest.seq} were deleted`,
    );
  }
  if (failure !== undefined) {
    failure.message = `audit chain BROKEN at seq ${failure.firstBadSeq} (${failure.reason}): ${failure.detail}`;
    return failure;
  }
  return { ok: true, entries: good, head, anchor: report, message: okMessage(good, head, report) };
}

function okMessage(entries: number, head: ChainHead | null, a: AnchorReport): string {
  const headText = head ? `head ${head.seq}:${head.hash}` : 'empty';
  const anchoredText =
    a.anchored === null
      ? 'no anchored checkpoint found, so a cut tail or a rewrite would go unnoticed'
      : `anchored up to seq ${a.anchored.seq} (node ${a.anchored.node}, ${iso(a.anchored.at)})`;
  const pending =
    a.unanchored === 0
      ? 'every entry is anchored'
      : `${a.unanchored} ${a.unanchored === 1 ? 'entry is' : 'entries are'} not yet anchored, from seq ${a.firstUnanchoredSeq}`;
  const invalid =
    a.invalidLines > 0 ? `; WARNING: ${a.invalidLines} anchor line(s) failed their signature` : '';
  return `audit chain ok: ${entries} entries, ${headText}; ${anchoredText}; ${pending}${invalid}`;
}
