/**
 * Scenario files for the lab: the schema, its validation (SCENARIO_INVALID naming the JSON path),
 * the loader and the built-in scenarios. See docs/SCENARIOS.md.
 */
export { actionKinds, clientModes, dnsModes, faultKinds, faultTargets, nodeKinds } from './kinds.ts';
export type { ActionKind, ClientMode, FaultKind, FaultTarget, NodeKind } from './kinds.ts';
export {
  builtinScenarios,
  loadScenario,
  parseScenario,
  scenarioWithPlayers,
  scenarioWithTimeScale,
} from './load.ts';
export { scenarioSchema } from './schema.ts';
export type { Action, Fault, Scenario, ScenarioFile, Selector } from './schema.ts';
export { validateScenario } from './validate.ts';
