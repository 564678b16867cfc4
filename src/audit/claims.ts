/**
 * What the anchors claim about the chain, arranged for one pass over it in seq order: the hash
 * each checkpointed seq must have, how far the chain must reach, and which seqs some process
 * vouched for (its `own` ranges) or found at its start (`found`).
 */
import type { ChainHead } from './chain.ts';
import type { Checkpoint } from './checkpoint.ts';

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

/** An entry as the witness check needs it. */
interface Seen {
  seq: number;
  at: number;
}

export class Claims {
  /** The first checkpoint read for each seq: the oldest claim about it. */
  readonly #bySeqClaim = new Map<number, Checkpoint>();
  /** The newest signed checkpoint: it bounds what is anchored. */
  readonly newest: Checkpoint | undefined;
  /** The furthest claim (a given --checkpoint too): the chain must reach it. */
  readonly furthest: Checkpoint | undefined;
  readonly #bySeq: Checkpoint[];
  /** For each checkpoint seq, the latest time any checkpoint at or past it was written. */
  readonly #laterAt: number[];
  readonly #coverage: [number, number][];
  readonly #found: [number, number][];
  #ci = 0;
  #fi = 0;
  #bi = 0;

  constructor(all: readonly Checkpoint[], given: ChainHead | undefined) {
    // A later, different claim for the same seq can only come from a node that appended onto a
    // chain already cut back: the first one read stands.
    for (const c of all) if (!this.#bySeqClaim.has(c.seq)) this.#bySeqClaim.set(c.seq, c);
    if (given !== undefined && !this.#bySeqClaim.has(given.seq))
      this.#bySeqClaim.set(given.seq, {
        v: 1,
        ...given,
        at: Number.NaN,
        node: '(--checkpoint)',
        key: '',
        own: [],
        sig: '',
      });
    let newest: Checkpoint | undefined;
    for (const c of all) if (newest === undefined || c.seq > newest.seq) newest = c;
    let furthest = newest;
    for (const c of this.#bySeqClaim.values())
      if (furthest === undefined || c.seq > furthest.seq) furthest = c;
    this.newest = newest;
    this.furthest = furthest;
    this.#bySeq = [...all].sort((a, b) => a.seq - b.seq);
    this.#laterAt = new Array(this.#bySeq.length);
    for (let i = this.#bySeq.length - 1, max = -Infinity; i >= 0; i--) {
      max = Math.max(max, (this.#bySeq[i] as Checkpoint).at);
      this.#laterAt[i] = max;
    }
    this.#coverage = coverageOf(all, 'own');
    this.#found = coverageOf(all, 'found');
  }

  /** The claim about this seq's hash, if any checkpoint (or the given head) makes one. */
  claim(seq: number): Checkpoint | undefined {
    return this.#bySeqClaim.get(seq);
  }

  /**
   * Whether a process vouched for this entry. Call in seq order. `anchored`: a checkpoint's own
   * ranges cover it, or, without the coverage rule, a checkpoint is at or past it; `unanchored`:
   * not judged yet (after the newest checkpoint, within the grace, or found at a start);
   * `unwitnessed`: no process appended it, though later checkpoints pass it.
   */
  witness(entry: Seen, coverage: boolean, graceMs: number): 'anchored' | 'unanchored' | 'unwitnessed' {
    const newest = this.newest;
    if (newest === undefined || entry.seq > newest.seq) return 'unanchored';
    const cov = this.#coverage;
    while (this.#ci < cov.length && (cov[this.#ci] as [number, number])[1] < entry.seq) this.#ci++;
    const covered = this.#ci < cov.length && (cov[this.#ci] as [number, number])[0] <= entry.seq;
    if (covered || !coverage) return 'anchored';
    while (this.#bi < this.#bySeq.length && (this.#bySeq[this.#bi] as Checkpoint).seq < entry.seq) this.#bi++;
    const seenAt = this.#laterAt[this.#bi] ?? -Infinity;
    const found = this.#found;
    while (this.#fi < found.length && (found[this.#fi] as [number, number])[1] < entry.seq) this.#fi++;
    const foundAtStart = this.#fi < found.length && (found[this.#fi] as [number, number])[0] <= entry.seq;
    if (!foundAtStart && Math.abs(seenAt - entry.at) >= graceMs) return 'unwitnessed';
    return 'unanchored';
  }
}
