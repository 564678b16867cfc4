/**
 * The arrival curve: how many players are wanted online at scenario second t.
 *
 * - diurnal: a share of the players between `troughShare` and `peakShare`, a cosine over
 *   `periodSeconds` that peaks at `peakAtSeconds`; with `rampSeconds`, that share times t/ramp
 *   until the ramp ends (the players of a world started cold come online over the ramp, not all
 *   in the drill's first seconds);
 * - storm: every player arrives once, at a seeded uniform moment within `overSeconds` from `at`.
 */
import { seededRandom } from '../random.ts';
import type { FleetPlan } from './types.ts';

export interface Curve {
  /** Players wanted online at scenario second t (ranks 0 … wanted-1). */
  wanted(t: number): number;
  /** True when a newly wanted player waits a think time before logging in (diurnal arrivals spread out). */
  readonly thinkFirst: boolean;
}

export function diurnalShare(a: Extract<FleetPlan['arrival'], { curve: 'diurnal' }>, t: number): number {
  const phase = (2 * Math.PI * (t - a.peakAtSeconds)) / a.periodSeconds;
  return a.troughShare + ((a.peakShare - a.troughShare) * (1 + Math.cos(phase))) / 2;
}

/** The storm's arrival moments, sorted: rank r arrives at times[r]. */
export function stormTimes(plan: FleetPlan, at: number, over: number): Float64Array {
  const random = seededRandom(plan.seed ^ 0x570e);
  const times = Float64Array.from({ length: plan.players }, () => at + random() * over);
  return times.sort();
}

export function curveOf(plan: FleetPlan): Curve {
  const a = plan.arrival;
  if (a.curve === 'diurnal') {
    const ramp = (t: number) =>
      a.rampSeconds === undefined ? 1 : Math.min(1, Math.max(0, t) / a.rampSeconds);
    return { thinkFirst: true, wanted: (t) => Math.round(plan.players * diurnalShare(a, t) * ramp(t)) };
  }
  const times = stormTimes(plan, a.at, a.overSeconds);
  let arrived = 0;
  return {
    thinkFirst: false,
    // Time only moves forward, so a cursor over the sorted moments is enough.
    wanted: (t) => {
      while (arrived < times.length && (times[arrived] as number) <= t) arrived++;
      return arrived;
    },
  };
}
