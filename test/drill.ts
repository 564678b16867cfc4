/**
 * Short drills for the test suite: a built-in scenario with few players on a fast clock, run for
 * real (upstreams, Lifeline nodes as processes, the fleet), and helpers to read its result.
 */
import assert from 'node:assert/strict';
import { type DrillResult, runDrill } from '../src/lab/drill/index.ts';
import {
  loadScenario,
  type Scenario,
  scenarioWithPlayers,
  scenarioWithTimeScale,
} from '../src/lab/scenario/index.ts';

/** 60 players at 40 scenario seconds a wall second: a 600-s scenario in 15 s, plus start-up. */
export function shortScenario(name: string, players = 60, timeScale = 40): Scenario {
  return scenarioWithTimeScale(scenarioWithPlayers(loadScenario(name), players), timeScale);
}

export async function shortDrill(
  name: string,
  options: { players?: number; timeScale?: number; store?: { pgUrl: string; redisUrl: string } } = {},
): Promise<DrillResult> {
  return runDrill(shortScenario(name, options.players, options.timeScale), {
    env: {},
    ...(options.store ? { store: options.store } : {}),
  });
}

/** Asserts every objective passed, naming those that did not with what was measured. */
export function assertPassed(r: DrillResult): void {
  const failed = r.objectives
    .filter((o) => !o.passed)
    .map((o) => `${o.name}: ${o.measured} > ${o.target} (${o.detail})`);
  assert.deepEqual(failed, [], `${r.scenario} failed objectives`);
  assert.equal(r.passed, true);
}

export function objective(r: DrillResult, name: string) {
  const o = r.objectives.find((x) => x.name === name);
  assert.ok(o, `${r.scenario} has no objective ${name}: ${r.objectives.map((x) => x.name).join(', ')}`);
  return o;
}

export function finding(r: DrillResult, name: string) {
  const f = r.findings.find((x) => x.name === name);
  assert.ok(f, `${r.scenario} has no finding ${name}`);
  return f;
}

/** The most players the fleet had online at once. */
export const peakOnline = (r: DrillResult): number => Math.max(...r.series.map((s) => s.online));
