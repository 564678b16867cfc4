/**
 * Drills (issue 14): `runDrill(scenario, options)` starts the lab upstreams, Lifeline nodes as
 * processes, operators and the fleet, plays the scenario's timeline on its scaled clock, and
 * returns a DrillResult with every objective measured (docs/DRILLS.md). `writeDrillReport` writes it.
 */
export type { KickTally } from './actions.ts';
export { type DnsFaults, type DnsNote, dnsUnavailableNote, unavailableDns } from './dns.ts';
export { onsets, recoveryTime } from './objectives.ts';
export { writeDrillReport } from './output.ts';
export type { DrillIncident, DrillMark, DrillResult, DrillSecond, ObjectiveResult } from './result.ts';
export { runDrill } from './run.ts';
export {
  allInRatio,
  etaErrorPercentiles,
  firstEtaError,
  signedEtaErrors,
  type StormFigure,
} from './storm.ts';
export type { DrillObserver, DrillOptions, DrillView } from './world.ts';
export { buildSteps } from './timeline.ts';
