/**
 * The fleet of virtual players (issue 14, item 2; docs/LAB.md, "Fleet"): players built on the
 * SDK (or the seed's naive clients) over real HTTP and WebSocket against Lifeline's nodes,
 * arriving on the plan's curve, measured per scenario second. `startFleet` runs one in this
 * process (tests); `spawnFleet` forks `process.ts` so Lifeline's process is measured alone.
 * `Holders` are lean players that hold one socket each and time one message per socket (bench:cluster).
 * `Returning` brings back players from disruption records the fleet did not make (bench:restore).
 */
export { type FleetOptions, type RunningFleet, startFleet } from './fleet.ts';
export { type Holder, Holders, type HoldersOptions, maxHolders, openWelcomed } from './holders.ts';
export { naiveOptions } from './naive.ts';
export { Returning, type ReturningOptions } from './returning.ts';
export { maxFleetPlayers, parseFleetPlan } from './plan.ts';
export { fleetOwners, fleetPlayerIds } from './roster.ts';
export { FleetProcess, spawnFleet } from './spawn.ts';
export type {
  FirstLogin,
  FleetPlan,
  FleetPlayerId,
  FleetSecond,
  FleetSummary,
  FromFleet,
  Outage,
  ToFleet,
} from './types.ts';
