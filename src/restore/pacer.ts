import type { Pacing } from '../store/index.ts';

/**
 * How many to release now, and when to ask again. Fixed pacing is the seed playbook's
 * `--batch-size N --interval T`. Adaptive pacing is AIMD on the release rate, as TCP does with
 * its window: a slow start that grows the rate by 15% each healthy second until downstream
 * first shows pressure, then +2.5% of the ceiling per healthy second and ×0.85 on pressure.
 * AIMD because it needs nothing but "was that tick healthy", and converges on the share
 * downstream can take; the gentle decrease (0.85, not TCP's 0.5) keeps the saw-tooth's average
 * near the top, measured in bench:restore, and the thresholds still pause a run that overshoots.
 */
export interface Pacer {
  /** Sessions to release in this tick. */
  batch(): number;
  /** Milliseconds until the next tick. */
  intervalMs(): number;
  /** Current rate, sessions per second. */
  rate(): number;
  /** Told after each tick whether downstream showed pressure. */
  observe(pressure: boolean): void;
  /** A threshold was breached: cut hard (halve), whatever the hold. */
  brake(): void;
}

export const aimd = {
  start: 0.1,
  slowStartGrowthPerSecond: 1.15,
  increasePerSecond: 0.025,
  decrease: 0.85,
  /** After a decrease, pressure is not acted on again for this long: health is read over a
   * one-second window, so the same overload would otherwise cut the rate several times. */
  holdAfterDecreaseMs: 1500,
} as const;

export function createPacer(pacing: Pacing, tickMs: number): Pacer {
  if (pacing.mode === 'fixed') {
    return {
      batch: () => pacing.batchSize,
      intervalMs: () => pacing.intervalMs,
      rate: () => (pacing.batchSize * 1000) / pacing.intervalMs,
      observe: () => {},
      brake: () => {},
    };
  }
  const max = pacing.maxRate;
  const perTick = tickMs / 1000;
  let rate = Math.max(1, max * aimd.start);
  let slowStart = true;
  let carry = 0;
  let holdMs = 0;
  return {
    batch() {
      const exact = rate * perTick + carry;
      const n = Math.floor(exact);
      carry = exact - n;
      return n;
    },
    intervalMs: () => tickMs,
    rate: () => rate,
    brake() {
      slowStart = false;
      rate = Math.max(1, rate / 2);
      holdMs = aimd.holdAfterDecreaseMs;
    },
    observe(pressure) {
      if (holdMs > 0) {
        holdMs -= tickMs;
        return;
      }
      if (pressure) {
        slowStart = false;
        rate = Math.max(1, rate * aimd.decrease);
        holdMs = aimd.holdAfterDecreaseMs;
      } else if (slowStart) {
        rate = Math.min(max, rate * aimd.slowStartGrowthPerSecond ** perTick);
      } else {
        rate = Math.min(max, rate + max * aimd.increasePerSecond * perTick);
      }
    },
  };
}
