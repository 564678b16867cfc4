/**
 * Detection (issue 15, in progress): pure detectors over per-step login tallies and an injected
 * clock (the tally's `at`), so that a simulated week runs in seconds.
 *
 * - `FailureDetector`: measured failure, pooled over every shard, Bernoulli CUSUM; names where
 *   the excess sits (`localise`, Adtributor-style).
 * - `DropDetector`: players online against a seasonal (last week) double-exponential forecast,
 *   held off by announced change windows.
 * - `AdminWatch`: admin-operation anomalies over the audit stream (bulk outside a change window,
 *   first-time actor, denied bursts, break-glass, the chain going backwards).
 *
 * Not here yet: signals as stored records, the admin API, routing, SLO rules (see issue 15).
 */
export { type AdminSignal, AdminWatch, type AdminWatchOptions } from './admin.ts';
export { type ChangeWindow, DropDetector, type DropOptions } from './drop.ts';
export { FailureDetector, type FailureOptions } from './failures.ts';
export { SeasonalForecast } from './forecast.ts';
export { localise } from './localise.ts';
export type { DetectorSignal, Explanation, Severity } from './signal.ts';
export { type CellDims, type LoginTally, sum, totalFailures } from './tally.ts';
export { Window } from './window.ts';
