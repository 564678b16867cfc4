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

/** The action of the entry recording an audit key's id in the chain, when a node first uses it. */
export const AUDIT_KEY_ACTION = 'audit.key';

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

export type AnchoredFailureReason =
  | VerifyFailureReason
  | 'truncated'
  | 'unwitnessed'
  | 'anchor-invalid'
  | 'key-mismatch';

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
  sources: {
    dir: string;
    key: string | null;
    /** Whether the key was given (`--public-key`) rather than read from the directory. */
    pinned: boolean;
    checkpoints: number;
    invalidLines: number;
    firstInvalidSeq: number | null;
  }[];
  /** Ids of the audit keys the chain records (`audit.key` entries), oldest first. */
  recordedKeys: string[];
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
    const pinned = a.publicKey !== undefined;
    if (key === undefined) {
      sources.push({ dir: a.dir, key: null, pinned, checkpoints: 0, invalidLines: 0, firstInvalidSeq: null });
      continue;
    }
    const { valid, invalid, firstInvalidSeq } = readCheckpoints(join(a.dir, CHECKPOINTS_FILE), key);
    all.push(...valid);
    sources.push({
      dir: a.dir,
      key: key.id,
      pinned,
      checkpoints: valid.length,
      invalidLines: invalid,
      firstInvalidSeq,
    });
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
    recordedKeys: [],
  };
  let lastKeySeq = 0;
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
      if (entry.action === AUDIT_KEY_ACTION && typeof entry.details.keyId === 'string') {
        if (!report.recordedKeys.includes(entry.details.keyId)) report.recordedKeys.push(entry.details.keyId);
        lastKeySeq = entry.seq;
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
  if (failure === undefined) checkKeys(report, lastKeySeq, fail);
  if (failure !== undefined) {
    failure.message = `audit chain BROKEN at seq ${failure.firstBadSeq} (${failure.reason}): ${failure.detail}`;
    return failure;
  }
  return { ok: true, entries: good, head, anchor: report, message: okMessage(good, head, report) };
}

/**
 * The keys: a pinned key must verify some checkpoint and every line of its anchor (a line it
 * does not verify was written by someone else, or under a key that replaced it); and the key
 * each anchor is read with must be one the chain recorded when a node first used it.
 */
function checkKeys(
  report: AnchorReport,
  lastKeySeq: number,
  fail: (firstBadSeq: number, reason: AnchoredFailureReason, detail: string) => void,
): void {
  for (const s of report.sources) {
    if (s.pinned && s.checkpoints === 0) {
      fail(
        1,
        'anchor-invalid',
        `no checkpoint in ${s.dir} verifies under the pinned audit key ${s.key}: the anchor was replaced, emptied or renamed away, or the key was swapped; nothing of the chain is anchored`,
      );
      return;
    }
    if (s.pinned && s.invalidLines > 0) {
      fail(
        s.firstInvalidSeq ?? 1,
        'anchor-invalid',
        `${s.invalidLines} line(s) in ${s.dir} fail their signature under the pinned audit key ${s.key}` +
          `${s.firstInvalidSeq === null ? '' : ` (the first claiming seq ${s.firstInvalidSeq})`}: someone without the key wrote to the anchor`,
      );
      return;
    }
  }
  if (report.recordedKeys.length === 0) return;
  for (const s of report.sources) {
    if (s.key === null || s.checkpoints === 0 || report.recordedKeys.includes(s.key)) continue;
    fail(
      lastKeySeq,
      'key-mismatch',
      `the anchor ${s.dir} is signed by audit key ${s.key}, but the chain records only ${report.recordedKeys.join(', ')} ` +
        `(newest at seq ${lastKeySeq}): the audit key was replaced`,
    );
    return;
  }
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
