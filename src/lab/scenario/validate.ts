/**
 * Checks a parsed scenario against the schema, then the rules that span fields, and turns every
 * failure into one SCENARIO_INVALID error that names the first offending JSON path and lists the
 * rest. Nothing is coerced: a "30" where 30 belongs is refused, not read as a number.
 */
import { Value } from 'typebox/value';
import { LifelineError } from '../../errors/index.ts';
import { type Problem, schemaProblems } from './problems.ts';
import { crossFieldProblems } from './rules.ts';
import { type Scenario, type ScenarioFile, scenarioSchema } from './schema.ts';

function invalid(problems: Problem[], origin: string): LifelineError {
  const [first] = problems as [Problem, ...Problem[]];
  const more = problems.length > 1 ? `; and ${problems.length - 1} more problem(s)` : '';
  return new LifelineError('SCENARIO_INVALID', `${origin}: ${first.path}: ${first.message}${more}`, {
    details: { path: first.path, origin, problems: problems.map((p) => `${p.path}: ${p.message}`) },
  });
}

/**
 * Returns the scenario with its defaults filled in (timeScale 1), or throws SCENARIO_INVALID.
 * `origin` (a file path or a built-in's name) goes into the message so a reader knows which file.
 */
export function validateScenario(candidate: unknown, origin = 'scenario'): Scenario {
  const problems = schemaProblems(scenarioSchema, candidate);
  if (problems.length > 0) throw invalid(problems, origin);
  const file = candidate as ScenarioFile;
  const crossField = crossFieldProblems(file);
  if (crossField.length > 0) throw invalid(crossField, origin);
  // A deep copy, so that a caller's later edits to its object cannot reach a validated scenario.
  const scenario = Value.Clone(file) as Scenario;
  scenario.timeScale ??= 1;
  return scenario;
}
