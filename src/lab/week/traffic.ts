/**
 * A simulated world of players for detector tests and the detection bench (issue 15): regions in
 * their own time zones, shards, client versions, a day's curve, weekends, a holiday, a deploy
 * that drops players for a moment inside a declared change window, Poisson arrivals, binomial
 * failures, and injected faults. It yields one LoginTally per step, seeded, on its own clock: a
 * week runs in seconds and the same seed gives the same week.
 */
import type { CellDims, LoginTally } from '../../detection/tally.ts';
import { seededRandom } from '../random.ts';
import { binomial, poisson } from './poisson.ts';
import { arrivalShape, type Calendar } from './shape.ts';

export interface RegionSpec {
  name: string;
  utcOffsetHours: number;
  shards: number;
}

/** Something wrong injected into the world from `from` to `to` (ms since the start). */
export type Injection =
  | {
      kind: 'failures';
      from: number;
      to: number;
      /** Extra share of attempts failing, in the cells that match `where` (all cells when absent). */
      ratio: number;
      code: string;
      where?: { dimension: string; value: string };
    }
  | {
      /** Players who cannot get in (e.g. a removed DNS delegation): this share of online vanishes and of arrivals stops. */
      kind: 'online-drop';
      from: number;
      to: number;
      share: number;
    };

export interface WorldSpec {
  seed: number;
  /** ms of the first step's start; a Monday 00:00 UTC keeps weekdays simple. */
  start: number;
  stepMs: number;
  regions: RegionSpec[];
  versions: { name: string; share: number }[];
  /** Mean logins a minute a shard takes over a normal weekday. */
  loginsPerShardPerMinute: number;
  /** Share of attempts that fail through the service's fault on a normal day, and their codes. */
  baseFailure: { ratio: number; codes: { code: string; share: number }[] };
  meanSessionMinutes: number;
  calendar: Calendar;
  injections: Injection[];
  /** Begin this long after `start` (its weekday and calendar still count from `start`). @defaultValue 0 */
  beginAtMs?: number;
}

interface Cell {
  dims: CellDims;
  region: RegionSpec;
  weight: number;
  online: number;
}

function add(counts: Int32Array | undefined, k: number, n: number): void {
  if (counts) counts[k] = (counts[k] ?? 0) + n;
}

function cellsOf(spec: WorldSpec): Cell[] {
  return spec.regions.flatMap((region) =>
    Array.from({ length: region.shards }, (_, i) =>
      spec.versions.map((v) => ({
        dims: { region: region.name, shard: `${region.name}-${i + 1}`, clientVersion: v.name },
        region,
        weight: v.share,
        online: 0,
      })),
    ).flat(),
  );
}

/** The world, stepped: `next()` gives the tally of the next step. */
export class World {
  readonly cells: readonly CellDims[];
  readonly #spec: WorldSpec;
  readonly #cells: Cell[];
  readonly #random: () => number;
  readonly #codes: string[];
  #step = 0;

  constructor(spec: WorldSpec) {
    this.#spec = spec;
    this.#cells = cellsOf(spec);
    this.cells = this.#cells.map((c) => c.dims);
    this.#random = seededRandom(spec.seed);
    const injected = spec.injections.flatMap((i) => (i.kind === 'failures' ? [i.code] : []));
    this.#codes = [...new Set([...spec.baseFailure.codes.map((c) => c.code), ...injected])];
    this.#step = Math.floor((spec.beginAtMs ?? 0) / spec.stepMs);
    const begin = spec.start + this.#step * spec.stepMs;
    // Start near steady state, so the first hours are not a warm-up ramp.
    for (const c of this.#cells) c.online = this.#meanArrivals(c, begin) * this.#turnover();
  }

  /** Steps a session lasts on average (online = arrivals a step × this, in steady state). */
  #turnover(): number {
    return (this.#spec.meanSessionMinutes * 60_000) / this.#spec.stepMs;
  }

  #meanArrivals(c: Cell, at: number): number {
    const perStep = (this.#spec.loginsPerShardPerMinute * this.#spec.stepMs) / 60_000;
    return (
      perStep * c.weight * arrivalShape(this.#spec.calendar, at - this.#spec.start, c.region.utcOffsetHours)
    );
  }

  next(): LoginTally {
    const spec = this.#spec;
    const from = this.#step * spec.stepMs;
    this.#step++;
    const at = spec.start + this.#step * spec.stepMs;
    const attempts = new Int32Array(this.#cells.length);
    const failures = new Map(this.#codes.map((code) => [code, new Int32Array(this.#cells.length)]));
    const active = spec.injections.filter((i) => i.from <= from && from < i.to);
    const drop = active.reduce((d, i) => (i.kind === 'online-drop' ? d + i.share : d), 0);
    const deploy = spec.calendar.deploy;
    const deployStep = deploy !== undefined && deploy.at === from;
    let online = 0;
    this.#cells.forEach((c, k) => {
      if (deployStep) c.online *= 1 - (deploy?.dropShare ?? 0);
      if (active.some((i) => i.kind === 'online-drop' && i.from === from)) c.online *= 1 - drop;
      const n = poisson(this.#random, this.#meanArrivals(c, at) * (1 - drop) + this.#rejoining(c, from));
      attempts[k] = n;
      const failed = this.#fail(c, n, active, failures, k);
      c.online += n - failed - c.online * (1 - Math.exp(-1 / this.#turnover()));
      online += c.online;
    });
    return { at, stepMs: spec.stepMs, attempts, failures, online: Math.round(online) };
  }

  /** After a deploy drops players, they come back over its `rejoinMinutes`. */
  #rejoining(c: Cell, from: number): number {
    const d = this.#spec.calendar.deploy;
    if (d === undefined || from <= d.at || from > d.at + d.rejoinMinutes * 60_000) return 0;
    const steps = (d.rejoinMinutes * 60_000) / this.#spec.stepMs;
    return (this.#meanArrivals(c, from) * this.#turnover() * d.dropShare) / steps;
  }

  #fail(c: Cell, n: number, active: Injection[], failures: Map<string, Int32Array>, k: number): number {
    let left = n;
    for (const i of active) {
      if (i.kind !== 'failures' || (i.where && c.dims[i.where.dimension] !== i.where.value)) continue;
      const f = binomial(this.#random, left, i.ratio);
      add(failures.get(i.code), k, f);
      left -= f;
    }
    const base = binomial(this.#random, left, this.#spec.baseFailure.ratio);
    // Each base failure gets a code by its share: sequential binomial splits of what is left.
    let rest = base;
    let shareLeft = 1;
    for (const { code, share } of this.#spec.baseFailure.codes) {
      const f = share >= shareLeft ? rest : binomial(this.#random, rest, share / shareLeft);
      add(failures.get(code), k, f);
      rest -= f;
      shareLeft -= share;
    }
    return n - left + base;
  }
}
