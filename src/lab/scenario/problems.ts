/**
 * Turns TypeBox's validation errors into problems that name a JSON path (`faults[2].until`) and
 * say what would be accepted. Unions are told apart by their `discriminator` field, so a fault
 * with `kind: "latency"` is reported against the latency branch alone, not against all eight.
 */
import type { TSchema } from 'typebox';
import type { TLocalizedValidationError } from 'typebox/error';
import { Value } from 'typebox/value';
import { pointerSegments } from '../../config/json-pointer.ts';

/** One thing wrong with a scenario: where, and what it must be. */
export interface Problem {
  path: string;
  message: string;
}

type Segment = string | number;

/** `['faults', 2, 'until']` → `faults[2].until`; the empty path is `(root)`. */
export function pathOf(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number' || /^\d+$/.test(s)) out += `[${s}]`;
    else out += out === '' ? s : `.${s}`;
  }
  return out === '' ? '(root)' : out;
}

function walk(root: unknown, segments: readonly string[]): unknown {
  let node = root;
  for (const s of segments) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, s)) return undefined;
    node = (node as Record<string, unknown>)[s];
  }
  return node;
}

/** A string option of a schema: `errorMessage`, `keyMessage` or a union's `discriminator`. */
function rule(schema: unknown, key: 'errorMessage' | 'keyMessage' | 'discriminator'): string | undefined {
  const value =
    typeof schema === 'object' && schema !== null ? (schema as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function describe(
  schema: TSchema,
  value: unknown,
  error: TLocalizedValidationError,
  at: Segment[],
): Problem[] {
  const here = [...at, ...pointerSegments(error.instancePath)];
  const node = walk(schema, pointerSegments(error.schemaPath));
  switch (error.keyword) {
    // Each unknown key also yields a 'boolean' (false schema) error; 'additionalProperties' names it.
    case 'boolean':
      return [];
    case 'additionalProperties': {
      const message = rule(node, 'keyMessage') ?? 'is not a known field';
      return error.params.additionalProperties.map((k) => ({ path: pathOf([...here, k]), message }));
    }
    case 'required':
      return error.params.requiredProperties.map((k) => ({
        path: pathOf([...here, k]),
        message: 'is required',
      }));
    case 'anyOf':
      return unionProblems(node as TSchema, walk(value, pointerSegments(error.instancePath)), here);
    default:
      return [{ path: pathOf(here), message: rule(node, 'errorMessage') ?? error.message }];
  }
}

/** A tagged union checks the branch its tag names; an unknown tag is the one problem. */
function unionProblems(union: TSchema, value: unknown, at: Segment[]): Problem[] {
  const field = rule(union, 'discriminator');
  const branches = (union as { anyOf?: TSchema[] }).anyOf ?? [];
  if (field === undefined)
    return [{ path: pathOf(at), message: rule(union, 'errorMessage') ?? 'has the wrong type' }];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [{ path: pathOf(at), message: 'must be an object' }];
  const tags = branches.map((b) => (walk(b, ['properties', field, 'const']) as string) ?? '');
  const tag = (value as Record<string, unknown>)[field];
  const branch = branches[tags.indexOf(tag as string)];
  if (typeof tag !== 'string' || branch === undefined)
    return [{ path: pathOf([...at, field]), message: `must be one of ${tags.join(', ')}` }];
  return schemaProblems(branch, value, at);
}

/** Schema keywords followed by a name (a property, a pattern), each one step into the value. */
const named = new Set(['properties', 'patternProperties']);
/** Schema keywords that are one step into the value by themselves (an array item, a map value). */
const unnamed = new Set(['items', 'additionalProperties']);

/**
 * Where the outermost union on a branch error's schema path sits, in the schema and the value.
 * TypeBox stops at 8 errors (a global setting), so the union's own 'anyOf' error may be cut off
 * behind its branches' errors; the branch errors alone must lead back to the union.
 */
function unionOf(error: TLocalizedValidationError): { schemaPath: string[]; instancePath: string[] } {
  const schema = pointerSegments(error.schemaPath);
  let depth = 0;
  let i = 0;
  for (; i < schema.length && schema[i] !== 'anyOf'; i++) {
    const keyword = schema[i] as string;
    if (named.has(keyword)) i++; // skips the name, which may be any word (even "anyOf")
    if (named.has(keyword) || unnamed.has(keyword)) depth++;
  }
  return {
    schemaPath: schema.slice(0, i),
    instancePath: pointerSegments(error.instancePath).slice(0, depth),
  };
}

function errorProblems(
  schema: TSchema,
  value: unknown,
  error: TLocalizedValidationError,
  at: Segment[],
): Problem[] {
  if (!error.schemaPath.includes('/anyOf/')) return describe(schema, value, error, at);
  const union = unionOf(error);
  return unionProblems(walk(schema, union.schemaPath) as TSchema, walk(value, union.instancePath), [
    ...at,
    ...union.instancePath,
  ]);
}

/** Every problem `value` has against `schema`, each path once, prefixed with `at`. */
export function schemaProblems(schema: TSchema, value: unknown, at: Segment[] = []): Problem[] {
  const seen = new Set<string>();
  const problems = Value.Errors(schema, value)
    .flatMap((e) => errorProblems(schema, value, e, at))
    .filter((p) => !seen.has(`${p.path}: ${p.message}`) && seen.add(`${p.path}: ${p.message}`));
  if (problems.length > 0 || Value.Check(schema, value)) return problems;
  // Never let an invalid value through because its errors could not be described.
  return [{ path: pathOf(at), message: 'does not match the scenario schema' }];
}
