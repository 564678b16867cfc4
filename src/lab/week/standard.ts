/**
 * The week issue 15's acceptance describes: 30 shards in 3 regions (each in its own time zone),
 * three client versions, ~100 logins a minute a shard on a weekday, Poisson noise, weekends, one
 * holiday and one deploy dip (announced as a change window), 40-minute sessions, 0.2% of logins
 * failing through the service on a normal day. Two weeks: the first is the history a seasonal
 * forecast needs, the second is the one judged.
 */
import type { ChangeWindow } from '../../detection/drop.ts';
import type { Calendar } from './shape.ts';
import type { Injection, WorldSpec } from './traffic.ts';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** A Monday, 00:00 UTC. */
export const WEEK_START = Date.UTC(2026, 10, 2);
export const STEP_MS = 10_000;
/** The judged week: days 7-13. */
export const JUDGED = { from: 7 * DAY, to: 14 * DAY };

const calendar: Calendar = {
  weekendDays: [5, 6],
  holiday: { day: 9, lift: 0.25, easeHours: 3 },
  deploy: { at: 10 * DAY + 14 * HOUR, dropShare: 0.15, rejoinMinutes: 3, windowMinutes: 20 },
};

export function standardWorld(seed: number, injections: Injection[] = [], beginAtMs = 0): WorldSpec {
  return {
    seed,
    start: WEEK_START,
    stepMs: STEP_MS,
    regions: [
      { name: 'na', utcOffsetHours: -6, shards: 10 },
      { name: 'eu', utcOffsetHours: 1, shards: 10 },
      { name: 'ap', utcOffsetHours: 9, shards: 10 },
    ],
    versions: [
      { name: '1.4', share: 0.7 },
      { name: '1.3', share: 0.25 },
      { name: '1.2', share: 0.05 },
    ],
    loginsPerShardPerMinute: 100,
    baseFailure: {
      ratio: 0.002,
      codes: [
        { code: 'INTERNAL', share: 0.3 },
        { code: 'UPSTREAM_TIMEOUT', share: 0.7 },
      ],
    },
    meanSessionMinutes: 40,
    calendar,
    injections,
    beginAtMs,
  };
}

/** The deploy's change window, as an operator would announce it (absolute ms). */
export function deployWindow(): ChangeWindow {
  const d = calendar.deploy as NonNullable<Calendar['deploy']>;
  return { from: WEEK_START + d.at, to: WEEK_START + d.at + d.windowMinutes * 60_000, what: 'deploy' };
}
