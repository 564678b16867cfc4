/**
 * A simulated world of players for detectors (issue 15): seeded Poisson traffic over regions,
 * shards and client versions on its own clock, with injected faults. `standardWorld` is the
 * 30-shard, 3-region fortnight the acceptance tests and bench:detection use.
 */
export { type DrawnFault, drawLocalisedFault, extremeHours } from './draws.ts';
export { binomial, poisson } from './poisson.ts';
export { arrivalShape, type Calendar } from './shape.ts';
export { DAY, deployWindow, HOUR, JUDGED, STEP_MS, standardWorld, WEEK_START } from './standard.ts';
export { type Injection, type RegionSpec, World, type WorldSpec } from './traffic.ts';
