/**
 * Measured failure, pooled: the share of logins failing through the service's fault, over every
 * shard at once, watched by a Bernoulli CUSUM (a sequential likelihood-ratio test). Every shard
 * hurt by one cause moves by the same proportion, so the pooled count crosses a tight threshold
 * within a minute while each shard alone stays in its noise (issue 15; Squeeze's "ripple effect").
 *
 * The baseline failure ratio is learned (attempt-weighted, with a half-life) only from steps that
 * turned out not to be a fault, so a fault does not teach the detector that failing is normal.
 *
 * The test counts logins as independent trials, which one shared event breaks: every login
 * waiting on one DNS lookup (single-flighted) or one identity call that timed out on a node
 * stalled by its own load fails in the same instant, and admission retries them as soon as the
 * moment passes. So a signal opens only once failures above the baseline have come in at least
 * `minSteps` steps of the statistic's climb: a burst confined to one step is recorded in the
 * statistic but pages nobody on its own, while a fault that goes on (the seed's scattered failures,
 * a removed delegation: logins keep failing) is confirmed a step later.
 */
import { localise } from './localise.ts';
import type { DetectorSignal } from './signal.ts';
import { type CellDims, type LoginTally, sum, totalFailures } from './tally.ts';
import { Window } from './window.ts';

export interface FailureOptions {
  /** The smallest extra failure ratio worth a page, over the baseline. @defaultValue 0.01 */
  minShift?: number;
  /** The CUSUM threshold, in log-likelihood-ratio units (about ln of the steps between false alarms). @defaultValue 20 */
  threshold?: number;
  /** How fast the baseline forgets. @defaultValue 6 hours */
  halfLifeMs?: number;
  /** Until this much has been seen, the baseline is still being learned and nothing fires. @defaultValue 1 hour */
  warmupMs?: number;
  /** The baseline ratio never goes below this (ln(p1/p0) must stay finite). @defaultValue 0.0001 */
  floor?: number;
  /**
   * Steps with more failures than the baseline expects, since the statistic last left 0, before a
   * signal may open (see the module's header). @defaultValue 2
   */
  minSteps?: number;
  /**
   * A signal names where the failures are at once, from the steps that made it fire, and again
   * this long after, from more evidence (it is then returned once more, updated). @defaultValue 60 s
   */
  refineMs?: number;
}

/** One step as the baseline learns it. */
interface HeldStep {
  stepMs: number;
  n: number;
  x: number;
  codes: ReadonlyMap<string, number>;
}

/**
 * A climb held back from the baseline longer than this many steps is learned from its oldest step
 * on (a statistic kept above 0 by a slow trickle, for hours, must not freeze the baseline).
 */
const MAX_HELD_STEPS = 360;

export class FailureDetector {
  readonly name = 'login-failures';
  readonly #o: Required<FailureOptions>;
  readonly #window: Window;
  #attempts = 0;
  #failed = 0;
  #codes = new Map<string, number>();
  #seenMs = 0;
  #s = 0;
  #onset = 0;
  #open: DetectorSignal | undefined;
  #refined = false;
  /** Steps with failures above the baseline since the statistic last left 0. */
  #failingSteps = 0;
  /** The current climb's steps, not learned yet (see #remember). */
  #held: HeldStep[] = [];

  constructor(cells: readonly CellDims[], options: FailureOptions = {}) {
    this.#o = {
      minShift: options.minShift ?? 0.01,
      threshold: options.threshold ?? 20,
      halfLifeMs: options.halfLifeMs ?? 6 * 3_600_000,
      warmupMs: options.warmupMs ?? 3_600_000,
      floor: options.floor ?? 0.0001,
      refineMs: options.refineMs ?? 60_000,
      minSteps: options.minSteps ?? 2,
    };
    this.#window = new Window(cells);
  }

  /** The baseline failure ratio the detector currently expects. */
  get baseline(): number {
    return this.#attempts === 0 ? this.#o.floor : Math.max(this.#o.floor, this.#failed / this.#attempts);
  }

  /** Reads one step; returns a signal when one starts or resolves on it. */
  observe(t: LoginTally): DetectorSignal | undefined {
    const n = sum(t.attempts);
    const x = totalFailures(t);
    const p0 = this.baseline;
    const p1 = Math.min(0.99, p0 + Math.max(this.#o.minShift, p0));
    const llr = x * Math.log(p1 / p0) + (n - x) * Math.log((1 - p1) / (1 - p0));
    const before = this.#s;
    // Capped, so that once a fault ends the statistic comes back down in minutes.
    this.#s = Math.min(2 * this.#o.threshold, Math.max(0, this.#s + llr));
    if (before === 0 && this.#s > 0) {
      this.#onset = t.at - t.stepMs;
      this.#window.reset();
      this.#failingSteps = 0;
    }
    if (this.#s > 0 && x > n * p0) this.#failingSteps++;
    if (this.#s > 0 || this.#open !== undefined) this.#window.add(t);
    this.#seenMs += t.stepMs;
    const said = this.#decide(t, n, x, p0);
    this.#remember(t, n, x);
    return said;
  }

  /**
   * Learns from every step but those of a signal. The steps of a climb (the statistic above 0, no
   * signal open) are held back until the climb ends: back at 0, they were noise and are learned
   * then, in order, so the baseline still sees the high side of its own noise; once a signal opens,
   * they were the fault's first steps and are dropped. Learned at once, a fault's early failures
   * would raise the baseline they are judged against (a drill's, learned from a few hundred logins,
   * most of all; a removed delegation fails a few logins a step while admission holds the rest).
   */
  #remember(t: LoginTally, n: number, x: number): void {
    if (this.#open !== undefined) {
      this.#held = [];
      return;
    }
    const codes = new Map([...t.failures].map(([code, perCell]) => [code, sum(perCell)]));
    this.#held.push({ stepMs: t.stepMs, n, x, codes });
    if (this.#s > 0 && this.#held.length <= MAX_HELD_STEPS) return;
    for (const step of this.#held.splice(0, this.#s > 0 ? 1 : this.#held.length)) this.#learn(step);
  }

  #learn(step: HeldStep): void {
    const keep = 0.5 ** (step.stepMs / this.#o.halfLifeMs);
    this.#attempts = this.#attempts * keep + step.n;
    this.#failed = this.#failed * keep + step.x;
    for (const [code, count] of step.codes)
      this.#codes.set(code, (this.#codes.get(code) ?? 0) * keep + count);
  }

  #decide(t: LoginTally, n: number, x: number, p0: number): DetectorSignal | undefined {
    const open = this.#open;
    if (open !== undefined && !this.#refined && t.at - open.startedAt >= this.#o.refineMs) {
      this.#refined = true;
      open.localisation = localise(this.#window, p0, this.#codes);
      return open;
    }
    if (
      open === undefined &&
      this.#s >= this.#o.threshold &&
      this.#failingSteps >= this.#o.minSteps &&
      this.#seenMs > this.#o.warmupMs
    ) {
      this.#refined = false;
      const observed = x / Math.max(1, n);
      this.#open = {
        detector: this.name,
        severity: observed >= 0.05 ? 'P1' : 'P2',
        title: `Logins failing: ${(observed * 100).toFixed(1)}% of the last step against ${(p0 * 100).toFixed(2)}% expected`,
        startedAt: t.at,
        onsetAt: this.#onset,
        resolvedAt: null,
        evidence: { statistic: this.#s, threshold: this.#o.threshold, observed, expected: p0 },
        localisation: localise(this.#window, p0, this.#codes),
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
}
