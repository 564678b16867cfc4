/**
 * The run's series, one entry per scenario second: what the fleet saw (FleetSecond) beside what
 * each upstream measured (its per-second stats). Upstream figures are wall-clock rates (its
 * capacity is one), taken from the wall seconds a scenario second overlaps.
 */
import type { FleetSecond } from '../fleet/types.ts';
import type { FaultTarget } from '../scenario/index.ts';
import type { LabSecond } from '../stats.ts';
import type { DrillClock } from './clock.ts';
import type { FaultSwitch } from './faults.ts';
import type { DrillSecond } from './result.ts';

export interface UpstreamSeries {
  target: FaultTarget;
  capacityPerSecond: number | null;
  seconds: LabSecond[];
}

const failure = (status: string): boolean => status === '429' || Number(status) >= 500;

/** Requests, served and failed in one wall second of an upstream. */
export function secondLoad(s: LabSecond): { requests: number; served: number; failed: number } {
  let served = 0;
  let failed = s.refused + s.reset;
  for (const [status, n] of Object.entries(s.byStatus)) {
    if (failure(status)) failed += n;
    else served += n;
  }
  return { requests: s.requests, served, failed };
}

/** The capacity in force at scenario second t: a `capacity` fault's, 0 while `down`, else the normal one. */
export function capacityAt(up: UpstreamSeries, faults: FaultSwitch, t: number): number | null {
  let capacity = up.capacityPerSecond;
  for (const a of faults.applied) {
    const f = a.fault;
    if (f.target !== up.target || t < a.from || (a.to !== null && t >= a.to)) continue;
    if (f.kind === 'down') return 0;
    if (f.kind === 'capacity' && f.perSecond !== undefined) capacity = f.perSecond;
  }
  return capacity;
}

function upstreamAt(up: UpstreamSeries, clock: DrillClock, t: number) {
  const from = clock.wallAt(t);
  const to = clock.wallAt(t + 1);
  const overlapping = up.seconds.filter((s) => s.at + 1000 > from && s.at < to);
  const sum = { requests: 0, served: 0, failed: 0 };
  for (const s of overlapping) {
    const l = secondLoad(s);
    sum.requests += l.requests;
    sum.served += l.served;
    sum.failed += l.failed;
  }
  const n = Math.max(1, overlapping.length);
  return { requests: sum.requests / n, served: sum.served / n, failed: sum.failed / n };
}

export function buildSeries(
  durationSeconds: number,
  fleet: readonly FleetSecond[],
  ups: readonly UpstreamSeries[],
  clock: DrillClock,
  faults: FaultSwitch,
): DrillSecond[] {
  const byT = new Map(fleet.map((f) => [f.t, f]));
  const series: DrillSecond[] = [];
  for (let t = 0; t < durationSeconds; t++) {
    const f = byT.get(t);
    const upstreams: DrillSecond['upstreams'] = {};
    for (const up of ups) {
      upstreams[up.target] = { ...upstreamAt(up, clock, t), capacityPerSecond: capacityAt(up, faults, t) };
    }
    series.push({
      t,
      wanted: f?.wanted ?? 0,
      online: f?.online ?? 0,
      logins: f?.logins ?? {},
      refreshes: f?.refreshes ?? {},
      upstreams,
      kicked: f?.closes['4001'] ?? 0,
      rejoined: f?.rejoins.ok ?? 0,
      alerts: 0,
    });
  }
  return series;
}

/** Merges stats snapshots taken during the run, keyed by second (the upstream keeps only its last 600). */
export function mergeSeconds(into: Map<number, LabSecond>, seconds: readonly LabSecond[]): void {
  for (const s of seconds) into.set(s.at, s);
}
