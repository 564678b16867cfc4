/**
 * How a command's answer is printed: for people (tables, sentences) or for programs, as
 * `-o json` (`--json`), `-o yaml`, or `--jq <path>`, a field selector that takes the simplest
 * of jq's syntax (gh's `--jq` is the model) without a jq dependency:
 *
 *   .                  the whole document
 *   .name  ."a-b"      a field (null when absent, as jq says)
 *   ["name"]           a field, in brackets
 *   [2]  [-1]          an array element, from the end when negative
 *   []                 each element of an array (or each value of an object): one output each
 *
 * chained (`.commands[].id`, `.counts.byShard["eu-1"]`). No pipes, filters, functions or
 * object construction. Each result prints on its own line: a string as is (so `--jq` output
 * feeds `xargs` and `while read`), anything else as compact JSON.
 */
import { stringify as yamlStringify } from 'yaml';
import { CliError } from './cli-error.ts';

export const outputFormats = ['json', 'yaml', 'wide', 'table'] as const;
export type OutputFormat = (typeof outputFormats)[number];

type Step = { kind: 'field'; name: string } | { kind: 'index'; at: number } | { kind: 'each' };

const refuse = (expr: string, why: string) =>
  new CliError(
    'VALIDATION_FAILED',
    `--jq "${expr}": ${why}; only paths are supported (.a.b, .a[0], .a[], ."x-y", .["x"]), see lifeline --help`,
    { field: 'jq' },
  );

const FIELD = /^\.([A-Za-z_][A-Za-z0-9_]*)/;
const QUOTED_FIELD = /^\.?"((?:[^"\\]|\\.)*)"/;
const BRACKET = /^\.?\[(?:"((?:[^"\\]|\\.)*)"|(-?\d+)|)\]/;

/** The step `rest` starts with, and how many characters it took. */
function nextStep(rest: string, expr: string): [Step, number] {
  const field = FIELD.exec(rest);
  if (field) return [{ kind: 'field', name: field[1] as string }, field[0].length];
  const quoted = QUOTED_FIELD.exec(rest);
  if (quoted) return [{ kind: 'field', name: unquote(quoted[1] as string, expr) }, quoted[0].length];
  const bracket = BRACKET.exec(rest);
  if (!bracket) throw refuse(expr, `"${rest}" is not a path step`);
  const [all, name, index] = bracket;
  if (name !== undefined) return [{ kind: 'field', name: unquote(name, expr) }, all.length];
  if (index !== undefined) return [{ kind: 'index', at: Number(index) }, all.length];
  return [{ kind: 'each' }, all.length];
}

/** A quoted name's text, with JSON's escapes; a bad escape is VALIDATION_FAILED, not a crash. */
function unquote(s: string, expr: string): string {
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    throw refuse(expr, `"${s}" is not a valid quoted name`);
  }
}

/** Parses a `--jq` path into steps, or refuses it naming what it does not support. */
export function parsePath(expr: string): Step[] {
  const text = expr.trim();
  if (text === '.') return [];
  if (!text.startsWith('.')) throw refuse(expr, 'a path starts with "."');
  const steps: Step[] = [];
  let rest = text;
  while (rest.length > 0) {
    const [step, length] = nextStep(rest, expr);
    steps.push(step);
    rest = rest.slice(length);
  }
  return steps;
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function apply(values: unknown[], step: Step, expr: string): unknown[] {
  return values.flatMap((v) => {
    if (step.kind === 'each') {
      if (Array.isArray(v)) return v;
      if (v !== null && typeof v === 'object') return Object.values(v);
      throw refuse(expr, `cannot iterate over ${kindOf(v)}`);
    }
    if (v === null || v === undefined) return [null];
    if (step.kind === 'index') {
      if (!Array.isArray(v)) throw refuse(expr, `cannot index ${kindOf(v)} with a number`);
      return [v.at(step.at) ?? null];
    }
    if (typeof v !== 'object' || Array.isArray(v))
      throw refuse(expr, `cannot read "${step.name}" of ${kindOf(v)}`);
    return [(v as Record<string, unknown>)[step.name] ?? null];
  });
}

/** The values a `--jq` path selects from a document, in order. */
export function select(doc: unknown, expr: string): unknown[] {
  return parsePath(expr).reduce<unknown[]>((values, step) => apply(values, step, expr), [doc]);
}

/** One line per selected value: strings raw, everything else compact JSON. */
export function selectLines(doc: unknown, expr: string): string {
  return select(doc, expr)
    .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
    .join('\n');
}

/** A document for programs: `--jq` lines, YAML, or JSON (indented, or one line in a stream). */
export function renderDocument(
  doc: unknown,
  how: { jq?: string; format: 'json' | 'yaml' },
  stream = false,
): string {
  if (how.jq !== undefined) return selectLines(doc, how.jq);
  if (how.format === 'yaml') return (stream ? '---\n' : '') + yamlStringify(doc).trimEnd();
  return stream ? JSON.stringify(doc) : JSON.stringify(doc, null, 2);
}
