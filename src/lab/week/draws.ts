/**
 * What the detector tests and bench:detection draw from the standard fortnight: the judged week's
 * busiest and quietest hour, and randomised localised faults (issue 15's "20 randomised
 * injections"), drawn one way in one place so both measure the same thing.
 */
import { arrivalShape } from './shape.ts';
import { DAY, HOUR, JUDGED, STEP_MS, standardWorld } from './standard.ts';
import type { Injection } from './traffic.ts';

/** The judged week's busiest and quietest hour (ms since the start), by the arrivals the world is built to make. */
export function extremeHours(): { busiest: number; quietest: number } {
  const calendar = standardWorld(1).calendar;
  const regions = standardWorld(1).regions;
  const hours = Array.from({ length: 7 * 24 }, (_, h) => JUDGED.from + h * HOUR);
  const load = (t: number) =>
    regions.reduce((a, r) => a + arrivalShape(calendar, t + HOUR / 2, r.utcOffsetHours), 0);
  const sorted = [...hours].sort((a, b) => load(a) - load(b));
  return { quietest: sorted[0] as number, busiest: sorted.at(-1) as number };
}

export interface DrawnFault {
  fault: Injection;
  at: number;
  dimension: string;
  value: string;
  code: string;
}

/** The standard world's places and the share of all logins each takes. */
function places(): {
  choices: Record<string, string[]>;
  share: (dimension: string, value: string) => number;
} {
  const world = standardWorld(1);
  const regions = world.regions.map((r) => r.name);
  const shards = world.regions.flatMap((r) =>
    Array.from({ length: r.shards }, (_, i) => `${r.name}-${i + 1}`),
  );
  const versions = new Map(world.versions.map((v) => [v.name, v.share]));
  return {
    choices: { region: regions, shard: shards, clientVersion: [...versions.keys()] },
    share: (dimension, value) =>
      dimension === 'clientVersion'
        ? (versions.get(value) ?? 1)
        : dimension === 'region'
          ? 1 / regions.length
          : 1 / shards.length,
  };
}

/**
 * A region, a shard or a client version failing with one of `codes`, at a random step of the judged
 * week's first six days: it fails a good share of that place's logins (3% of all logins, at most
 * 60% of its own), as a broken shard or build does.
 */
export function drawLocalisedFault(random: () => number, codes: readonly string[]): DrawnFault {
  const { choices, share } = places();
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const dimension = pick(Object.keys(choices));
  const value = pick(choices[dimension] as string[]);
  const code = pick(codes);
  const at = JUDGED.from + Math.floor((random() * 6 * DAY) / STEP_MS) * STEP_MS;
  const ratio = Math.min(0.6, 0.03 / share(dimension, value));
  const fault: Injection = {
    kind: 'failures',
    from: at,
    to: at + HOUR,
    ratio,
    code,
    where: { dimension, value },
  };
  return { fault, at, dimension, value, code };
}
