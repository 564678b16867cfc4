import type { Pacing } from './records.ts';

/**
 * How many to release now, and when to ask again. Fixed pacing is the seed playbook's
 * `--batch-size N --interval T`.
 *
 * Adaptive pacing finds the rate downstream can take and stays just under it. Each tick it is
 * told the load: the highest of the restore's health signals as a share of its threshold (a p99
 * of 60 ms against a 100 ms limit is 0.6). Load past `knee.pressure` is pressure.
 * - Until the first pressure, a slow start grows the rate ×1.3 a second from 10% of maxRate, and
 *   only ×1.1 once the load is half again its lowest reading: latency has started to climb, the
 *   knee is near, and whatever growth is under way when it is crossed becomes overshoot (TCP's
 *   HyStart leaves slow start on the same sign).
 * - On pressure it remembers the knee: the lowest rate released over the last second, since the
 *   health readings trail the rate by about that long and the current rate overshot. It cuts to
 *   90% of the knee and does not act on pressure again for a second and a half, the time its cut
 *   takes to show in a one-second health window.
 * - Below the knee it closes half the gap each second: quickly back to where downstream was fine,
 *   slowly at the top. Past the knee it probes up by 2% of the knee a second, so a downstream that
 *   has grown is found; 50% past the knee it forgets the knee and slow-starts again.
 * Why this and not the AIMD pacer it replaced, or a latency gradient (all measured in
 * bench:restore, docs/BENCHMARKS.md): queueing latency stays flat until load nears capacity and
 * then climbs steeply, so no controller on it sees the knee before crossing it. A gradient
 * oscillated across it (69% of capacity); AIMD held 93-94% but, with nothing to tell it where the
 * knee was, had to slow-start gently and took twice as long to get there. TCP CUBIC's answer is
 * the one used here: remember the rate that hurt, approach it gently, probe past it slowly.
 */
export interface Pacer {
  /** Sessions to release in this tick. */
  batch(): number;
  /** Milliseconds until the next tick. */
  intervalMs(): number;
  /** Current rate, sessions per second. */
  rate(): number;
  /** Told after each tick the load: the highest health signal as a share of its threshold. */
  observe(load: number): void;
  /** A threshold was breached: cut now, whatever the hold. */
  brake(): void;
}

export const knee = {
  /** The first rate, as a share of maxRate. */
  start: 0.1,
  slowStartPerSecond: 1.3,
  /** Slow start's growth once the load has risen `nearKnee` times its lowest reading. */
  carefulPerSecond: 1.1,
  nearKnee: 1.5,
  /** Load past this is pressure: 40% of any threshold. */
  pressure: 0.4,
  /** After pressure, the rate is cut to this share of the knee. */
  backoff: 0.9,
  /** After a cut, pressure is not acted on again for this long: its effect is not visible yet. */
  holdMs: 1500,
  /** Share of the gap to the knee closed per second. */
  approachPerSecond: 0.5,
  /** Past the knee, growth per second as a share of the knee. */
  probePerSecond: 0.02,
  /** This far past the knee without pressure, the knee is forgotten. */
  forgetAbove: 1.5,
  /** The cut on a breach, from the current rate. */
  brake: 0.7,
  /** A breach still there this long after the first breaking reading pauses the run. */
  pauseAfterMs: 1000,
} as const;

/**
 * `fromRate`: the rate a re-paced run was at. An adaptive pacer starts there (within its new
 * maxRate) instead of slow-starting again from 10%: an operator raising the ceiling of a restore
 * that runs well should not see it drop first. What it knew of the knee is not carried over.
 */
export function createPacer(pacing: Pacing, tickMs: number, fromRate?: number): Pacer {
  return pacing.mode === 'fixed' ? fixedPacer(pacing) : adaptivePacer(pacing.maxRate, tickMs, fromRate);
}

/** The same batch every interval, whatever the readings: a breach pauses the run instead. */
function fixedPacer(pacing: { batchSize: number; intervalMs: number }): Pacer {
  return {
    batch: () => pacing.batchSize,
    intervalMs: () => pacing.intervalMs,
    rate: () => (pacing.batchSize * 1000) / pacing.intervalMs,
    observe: () => {},
    brake: () => {},
  };
}

function adaptivePacer(max: number, tickMs: number, fromRate?: number): Pacer {
  const perTick = tickMs / 1000;
  const lastSecond = Math.max(1, Math.round(1000 / tickMs));
  let rate = Math.max(1, Math.min(max, fromRate ?? max * knee.start));
  let kneeRate: number | null = null;
  /** The lowest load read with something to read (above 0): downstream unloaded. */
  let lowest = Number.POSITIVE_INFINITY;
  let holdMs = 0;
  let carry = 0;
  /** The rates of the last second's ticks, newest last. */
  const recent: number[] = [];
  const cut = (to: number) => {
    rate = Math.min(max, Math.max(1, to));
    holdMs = knee.holdMs;
  };
  return {
    batch() {
      const exact = rate * perTick + carry;
      const n = Math.floor(exact);
      carry = exact - n;
      recent.push(rate);
      if (recent.length > lastSecond) recent.shift();
      return n;
    },
    intervalMs: () => tickMs,
    rate: () => rate,
    brake() {
      // A breach is pressure too: the knee is at most what was released over the last second.
      kneeRate = Math.min(kneeRate ?? rate, ...recent, rate);
      cut(rate * knee.brake);
    },
    observe(load) {
      if (holdMs > 0) {
        holdMs -= tickMs;
        return;
      }
      if (load > knee.pressure) {
        kneeRate = Math.min(...recent, rate);
        cut(kneeRate * knee.backoff);
        return;
      }
      if (kneeRate === null) {
        if (load > 0) lowest = Math.min(lowest, load);
        const near = load > lowest * knee.nearKnee;
        const growth = near ? knee.carefulPerSecond : knee.slowStartPerSecond;
        rate = Math.min(max, rate * growth ** perTick);
        return;
      }
      // Never slower than the probe, or the approach, which halves the gap, would never arrive.
      const approach = Math.max(0, kneeRate - rate) * (1 - (1 - knee.approachPerSecond) ** perTick);
      rate = Math.min(max, rate + Math.max(approach, kneeRate * knee.probePerSecond * perTick));
      if (rate > kneeRate * knee.forgetAbove) kneeRate = null;
    },
  };
}
