/**
 * The fleet of virtual players (issue 14, item 2; docs/LAB.md, "Fleet"): players built on the
 * SDK (or the seed's naive clients) over real HTTP and WebSocket against Lifeline's nodes,
 * arriving on the plan's curve, measured per scenario second. `startFleet` runs one in this
 * process (tests); `spawnFleet` forks `process.ts` so Lifeline's process is measured alone.
 */
export { type FleetOptions, type RunningFleet, startFleet } from './fleet.ts';
export { naiveOptions } from './naive.ts';
export { maxFleetPlayers, parseFleetPlan } from './plan.ts';
export { fleetOwners, fleetPlayerIds } from './roster.ts';
export { FleetProcess, spawnFleet } from './spawn.ts';
export type {
  FleetPlan,
  FleetPlayerId,
  FleetSecond,
  FleetSummary,
  FromFleet,
  Outage,
  ToFleet,
} from './types.ts';
