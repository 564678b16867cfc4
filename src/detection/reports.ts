/**
 * Players saying something is wrong (`POST /v1/reports`), pooled: a Poisson CUSUM on reports per
 * step against a learned rate. One player's report is noise; a surge of them is a signal, and it
 * often comes first when nothing fails on Lifeline's side (seed 001: a community member noticed).
 */
import type { DetectorSignal, Explanation } from './signal.ts';

export interface ReportOptions {
  stepMs: number;
  /** The smallest surge worth a signal, in extra reports a step over the learned rate. @defaultValue 3 */
  minExtra?: number;
  /** The CUSUM threshold (log-likelihood ratio). @defaultValue 20 */
  threshold?: number;
  /** How fast the learned rate forgets. @defaultValue 1 hour */
  halfLifeMs?: number;
  /** The learned rate never goes below this many reports a step. @defaultValue 0.01 */
  floor?: number;
}

/** One step of reports: how many of each category. */
export interface ReportTally {
  at: number;
  byCategory: ReadonlyMap<string, number>;
}

export class ReportDetector {
  readonly name = 'player-reports';
  readonly #o: Required<ReportOptions>;
  /** Decayed sums of reports and of steps, while nothing is suspected. */
  #reports = 0;
  #steps = 0;
  #s = 0;
  #onset = 0;
  #window = new Map<string, number>();
  #open: DetectorSignal | undefined;

  constructor(o: ReportOptions) {
    this.#o = { minExtra: 3, threshold: 20, halfLifeMs: 3_600_000, floor: 0.01, ...o };
  }

  /** The reports a step the detector currently expects. */
  get baseline(): number {
    return this.#steps === 0 ? this.#o.floor : Math.max(this.#o.floor, this.#reports / this.#steps);
  }

  observe(t: ReportTally): DetectorSignal | undefined {
    let x = 0;
    for (const n of t.byCategory.values()) x += n;
    const l0 = this.baseline;
    const l1 = Math.max(2 * l0, l0 + this.#o.minExtra);
    const before = this.#s;
    this.#s = Math.min(2 * this.#o.threshold, Math.max(0, this.#s + x * Math.log(l1 / l0) - (l1 - l0)));
    if (before === 0 && this.#s > 0) {
      this.#onset = t.at - this.#o.stepMs;
      this.#window.clear();
    }
    if (this.#s > 0) for (const [c, n] of t.byCategory) this.#window.set(c, (this.#window.get(c) ?? 0) + n);
    if (this.#open === undefined && this.#s < this.#o.threshold / 2) {
      const keep = 0.5 ** (this.#o.stepMs / this.#o.halfLifeMs);
      this.#reports = this.#reports * keep + x;
      this.#steps = this.#steps * keep + 1;
    }
    return this.#decide(t, x, l0);
  }

  #decide(t: ReportTally, x: number, l0: number): DetectorSignal | undefined {
    if (this.#open === undefined && this.#s >= this.#o.threshold) {
      this.#open = {
        detector: this.name,
        severity: 'P2',
        title: `Players reporting problems: ${x} report(s) in the last step against ${l0.toFixed(2)} expected`,
        startedAt: t.at,
        onsetAt: this.#onset,
        resolvedAt: null,
        evidence: { statistic: this.#s, threshold: this.#o.threshold, observed: x, expected: l0 },
        localisation: this.#categories(),
      };
      return this.#open;
    }
    if (this.#open !== undefined && this.#s === 0) {
      const resolved = { ...this.#open, resolvedAt: t.at };
      this.#open = undefined;
      return resolved;
    }
    return undefined;
  }

  /** The categories that make up at least two thirds of the surge, largest first. */
  #categories(): Explanation[] {
    const total = [...this.#window.values()].reduce((a, b) => a + b, 0);
    if (total === 0) return [];
    const ranked = [...this.#window].sort((a, b) => b[1] - a[1]);
    const values: string[] = [];
    let share = 0;
    for (const [c, n] of ranked) {
      if (share >= 0.67) break;
      values.push(c);
      share += n / total;
    }
    return [{ dimension: 'category', values, share, surprise: 0 }];
  }
}
