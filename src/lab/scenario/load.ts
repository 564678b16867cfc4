/**
 * Finds a scenario by built-in name or file path, parses it and validates it. Built-ins are plain
 * JSON files under builtin/, held to the same schema as anyone's file, so they double as examples.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LifelineError } from '../../errors/index.ts';
import type { Scenario } from './schema.ts';
import { validateScenario } from './validate.ts';

const builtinDir = join(import.meta.dirname, 'builtin');

/** The names of the built-in scenarios, sorted. */
export function builtinScenarios(): string[] {
  return readdirSync(builtinDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** A path has a slash or ends in .json; anything else is taken as a built-in's name. */
function isPath(pathOrName: string): boolean {
  return pathOrName.includes('/') || pathOrName.includes('\\') || pathOrName.endsWith('.json');
}

function notFound(pathOrName: string, cause?: unknown): LifelineError {
  const known = builtinScenarios();
  return new LifelineError(
    'SCENARIO_NOT_FOUND',
    isPath(pathOrName)
      ? `Cannot read scenario file ${pathOrName}`
      : `No built-in scenario ${pathOrName} (known: ${known.join(', ')})`,
    { cause, details: { known } },
  );
}

function readText(file: string, pathOrName: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw notFound(pathOrName, cause);
  }
}

/** Parses JSON text into a validated scenario; `origin` names the file in every error. */
export function parseScenario(text: string, origin: string): Scenario {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new LifelineError('SCENARIO_INVALID', `${origin}: (root): is not valid JSON (${reason})`, {
      cause,
      details: { path: '(root)', origin, problems: [`(root): is not valid JSON (${reason})`] },
    });
  }
  return validateScenario(parsed, origin);
}

/** Reads and validates a built-in scenario (`dns-debacle`) or a JSON file (`./drills/mine.json`). */
export function loadScenario(pathOrName: string): Scenario {
  const builtin = !isPath(pathOrName);
  // A name is looked up only among the built-ins: "..", "." or an empty name never reaches the disk.
  if (builtin && !builtinScenarios().includes(pathOrName)) throw notFound(pathOrName);
  const file = builtin ? join(builtinDir, `${pathOrName}.json`) : pathOrName;
  return parseScenario(readText(file, pathOrName), pathOrName);
}

/** The scenario with another number of players (`--players N`), validated again. */
export function scenarioWithPlayers(s: Scenario, count: number): Scenario {
  return validateScenario({ ...s, players: { ...s.players, count } }, s.name);
}

/** The scenario on another clock (`--time-scale X`): scenario seconds per wall-clock second. */
export function scenarioWithTimeScale(s: Scenario, timeScale: number): Scenario {
  return validateScenario({ ...s, timeScale }, s.name);
}
