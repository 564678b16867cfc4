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
import { Claims } from './claims.ts';
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

/** Who made a claim, for a detail: "node n1 anchored … at <time>", or the operator's --checkpoint. */
function who(c: Checkpoint): string {
  return Number.isNaN(c.at) ? 'the checkpoint given names' : `node ${c.node} anchored (at ${iso(c.at)})`;
}

function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

type Failure = Extract<AnchoredVerifyResult, { ok: false }>;
type Problem = { firstBadSeq: number; reason: AnchoredFailureReason; detail: string };

/** How far a walk of the chain got: the entries that passed, the last of them, and what failed. */
interface Walk {
  good: number;
  head: ChainHead | null;
  /** The seq of the newest `audit.key` entry. */
  lastKeySeq: number;
  /** The newest seq whose hash matched a claim. */
  lastMatched: number;
  problem?: Problem;
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
  const claims = new Claims(all, options.checkpoint);
  const newest = claims.newest;
  const report: AnchorReport = {
    checkpoints: all.length,
    invalidLines: sources.reduce((n, s) => n + s.invalidLines, 0),
    anchored: newest ? { seq: newest.seq, hash: newest.hash, at: newest.at, node: newest.node } : null,
    unanchored: 0,
    firstUnanchoredSeq: null,
    sources,
    recordedKeys: [],
  };
  const walk = await walkChain(log, claims, report, options);
  const { good, head } = walk;
  let problem = walk.problem ?? truncation(claims.furthest, head);
  if (problem === undefined)
    checkKeys(report, walk.lastKeySeq, (firstBadSeq, reason, detail) => {
      problem = { firstBadSeq, reason, detail };
    });
  if (problem !== undefined) {
    const message = `audit chain BROKEN at seq ${problem.firstBadSeq} (${problem.reason}): ${problem.detail}`;
    const failure: Failure = { ok: false, entries: good, ...problem, anchor: report, message };
    return failure;
  }
  return { ok: true, entries: good, head, anchor: report, message: okMessage(good, head, report) };
}

async function walkChain(
  log: AuditLog,
  claims: Claims,
  report: AnchorReport,
  options: AnchoredVerifyOptions,
): Promise<Walk> {
  const walk: Walk = { good: 0, head: null, lastKeySeq: 0, lastMatched: 0 };
  const verifier = new ChainVerifier();
  const pages = log.verifyPages();
  try {
    for await (const page of pages) {
      if (Array.isArray(page)) {
        for (const entry of page) {
          verifier.push(entry);
          if (verifier.failed) return failed(walk, verifier);
          const keyId = entry.action === AUDIT_KEY_ACTION ? entry.details.keyId : undefined;
          if (!accept(walk, entry, typeof keyId === 'string' ? keyId : undefined, claims, report, options))
            return await describe(walk, log);
        }
        continue;
      }
      const good = verifier.pushPage(page);
      let k = 0;
      for (let i = 0; i < good; i++) {
        const key = page.keys[k];
        let keyId: string | undefined;
        if (key?.index === i) {
          keyId = key.keyId;
          k++;
        }
        const seen = { seq: page.seqs[i]!, at: page.ats[i]!, hash: page.hashes[i]! };
        if (!accept(walk, seen, keyId, claims, report, options)) return await describe(walk, log);
      }
      if (verifier.failed) return failed(walk, verifier);
    }
    return walk;
  } finally {
    await pages.return(undefined);
  }
}

function failed(walk: Walk, verifier: ChainVerifier): Walk {
  const r = verifier.result();
  if (!r.ok) walk.problem = { firstBadSeq: r.firstBadSeq, reason: r.reason, detail: r.detail };
  return walk;
}

/** An entry as the anchor's judgement needs it. */
interface Seen {
  seq: number;
  at: number;
  hash: string;
}

/** Judges one entry that hashes and links; false (with `walk.problem` set) when it fails. */
function accept(
  walk: Walk,
  entry: Seen,
  keyId: string | undefined,
  claims: Claims,
  report: AnchorReport,
  options: AnchoredVerifyOptions,
): boolean {
  walk.problem = judge(entry, keyId, walk, claims, report, options);
  if (walk.problem !== undefined) return false;
  walk.good++;
  walk.head = { seq: entry.seq, hash: entry.hash };
  return true;
}

/** Names an unwitnessed entry by its action and actor, which a checked page does not carry. */
async function describe(walk: Walk, log: AuditLog): Promise<Walk> {
  const p = walk.problem;
  if (p?.reason !== 'unwitnessed') return walk;
  const [entry] = await log.entriesAfter(p.firstBadSeq - 1, 1);
  const who = entry?.seq === p.firstBadSeq ? `${entry.action} by ${entry.actor}` : 'no longer readable';
  p.detail = p.detail.replace('(?)', `(${who})`);
  return walk;
}

/** One entry that hashes and links: its key record, its claim and whether anyone vouched for it. */
function judge(
  entry: Seen,
  keyId: string | undefined,
  walk: Walk,
  claims: Claims,
  report: AnchorReport,
  options: AnchoredVerifyOptions,
): Problem | undefined {
  if (keyId !== undefined) {
    if (!report.recordedKeys.includes(keyId)) report.recordedKeys.push(keyId);
    walk.lastKeySeq = entry.seq;
  }
  const claim = claims.claim(entry.seq);
  if (claim !== undefined) {
    if (claim.hash !== entry.hash)
      return {
        firstBadSeq: entry.seq,
        reason: 'checkpoint-mismatch',
        detail:
          `seq ${entry.seq} has hash ${entry.hash}, but ${who(claim)} ${claim.hash} for it: ` +
          `the chain was rewritten (hashes recomputed) after seq ${walk.lastMatched}, at or before seq ${entry.seq}`,
      };
    walk.lastMatched = entry.seq;
  }
  const witnessed = claims.witness(entry, options.coverage, options.graceMs);
  if (witnessed === 'unwitnessed')
    return {
      firstBadSeq: entry.seq,
      reason: 'unwitnessed',
      detail:
        `seq ${entry.seq} (?) was appended by no Lifeline process: ` +
        'no checkpoint vouches for it, though later ones pass it; it was written into the store directly',
    };
  if (witnessed === 'unanchored') {
    report.unanchored++;
    report.firstUnanchoredSeq ??= entry.seq;
  }
  return undefined;
}

/** A chain that ends before the furthest claim: its tail was cut. */
function truncation(furthest: Checkpoint | undefined, head: ChainHead | null): Problem | undefined {
  if (furthest === undefined || (head?.seq ?? 0) >= furthest.seq) return undefined;
  const end = head?.seq ?? 0;
  return {
    firstBadSeq: end + 1,
    reason: 'truncated',
    detail:
      `${end === 0 ? 'the audit table is empty' : `the chain ends at seq ${end}`}, but ${who(furthest)} seq ${furthest.seq}: ` +
      `entries ${end + 1}..${furthest.seq} were deleted`,
  };
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
