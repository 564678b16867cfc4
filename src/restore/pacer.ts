import type { Pacing } from '../store/index.ts';

/**
 * How many to release now, and when to ask again. Fixed pacing is the seed playbook's
 * `--batch-size N --interval T`. Adaptive pacing is AIMD on the release rate, as TCP does with
 * its window: start at a tenth of the ceiling, add a tenth of it each healthy tick, halve on
 * pressure. AIMD because it needs nothing but "was that tick healthy", converges to the share
 * downstream can take, and backs off at once when it cannot.
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
}

export function createPacer(pacing: Pacing, tickMs: number): Pacer {
  if (pacing.mode === 'fixed') {
    return {
      batch: () => pacing.batchSize,
      intervalMs: () => pacing.intervalMs,
      rate: () => (pacing.batchSize * 1000) / pacing.intervalMs,
      observe: () => {},
    };
  }
  const step = pacing.maxRate / 10;
  let rate = Math.max(1, step);
  let carry = 0;
  return {
    batch() {
      const exact = (rate * tickMs) / 1000 + carry;
      const n = Math.floor(exact);
      carry = exact - n;
      return n;
    },
    intervalMs: () => tickMs,
    rate: () => rate,
    observe(pressure) {
      rate = pressure ? Math.max(1, rate / 2) : Math.min(pacing.maxRate, rate + step);
    },
  };
}
