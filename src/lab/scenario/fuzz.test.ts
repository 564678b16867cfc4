/**
 * A scenario file is typed by people: whatever it holds, validation must answer with a coded
 * LifelineError (or a scenario), never a TypeError from a rule that assumed a shape.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isLifelineError } from '../../errors/index.ts';
import { builtinScenarios, loadScenario, validateScenario } from './index.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value inside `value`, so a mutation can land anywhere, however deep. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const here = [prefix];
  if (Array.isArray(value)) return here.concat(value.flatMap((v, i) => paths(v, [...prefix, i])));
  if (value !== null && typeof value === 'object')
    return here.concat(Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k])));
  return here;
}

function setAt(root: Json, path: (string | number)[], replacement: Json | undefined): Json {
  if (path.length === 0) return replacement ?? null;
  const parent = path.slice(0, -1).reduce<any>((node, key) => node[key], root);
  const key = path.at(-1) as string | number;
  if (replacement === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else parent[key] = replacement;
  return root;
}

const anyJson: fc.Arbitrary<Json> = fc.jsonValue() as fc.Arbitrary<Json>;
/** Values near the edges a rule might trip on, beside arbitrary JSON. */
const edgy = fc.oneof(
  anyJson,
  fc.constantFrom<Json>(0, -1, 1e308, '', 'node-99', 'kill', 'restart', 'kick', {}, [], null, true),
  fc.double() as fc.Arbitrary<Json>,
);

test('random mutations of valid scenarios yield a scenario or a LifelineError, never another throw', () => {
  const seeds = builtinScenarios().map((n) => loadScenario(n) as unknown as Json);
  fc.assert(
    fc.property(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.option(edgy, { nil: undefined })), { minLength: 1, maxLength: 4 }),
      (seed, mutations) => {
        let doc = structuredClone(seed);
        for (const [n, replacement] of mutations) {
          const all = paths(doc);
          doc = setAt(doc, all[n % all.length] as (string | number)[], replacement);
        }
        try {
          validateScenario(doc, 'fuzz');
        } catch (e) {
          assert.ok(isLifelineError(e, 'SCENARIO_INVALID'), `threw ${String(e)}`);
        }
      },
    ),
    { numRuns: 500 },
  );
});
