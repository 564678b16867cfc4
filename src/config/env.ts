/**
 * Environment variables as a configuration layer. Each leaf key has one variable:
 * `LIFELINE_` + its path, each camelCase segment in SCREAMING_SNAKE and levels joined by `__`
 * (`player.bodyLimitBytes` is `LIFELINE_PLAYER__BODY_LIMIT_BYTES`). `environment` is `NODE_ENV`, the
 * name every Node tool already reads. Maps and lists (topology.regions, entitlements.licences) are
 * one variable holding JSON.
 */
import type { TSchema } from 'typebox';
import { LifelineError } from '../errors/index.ts';
import { configSchema } from './schema.ts';

/** One configuration key that an environment variable can set. */
export interface EnvBinding {
  /** Dotted key, e.g. `player.port`. */
  key: string;
  /** Variable name, e.g. `LIFELINE_PLAYER__PORT`. */
  variable: string;
  schema: TSchema;
}

/** `LIFELINE_*` variables that belong to the CLI, not to the service configuration. */
export const cliVariables: ReadonlySet<string> = new Set([
  'LIFELINE_TOKEN',
  'LIFELINE_ADMIN_URL',
  'LIFELINE_CONFIG',
]);

const prefix = 'LIFELINE_';

function screamingSnake(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Every key an environment variable can set, in schema order. */
export function envBindings(): EnvBinding[] {
  const bindings: EnvBinding[] = [];
  const walk = (schema: TSchema, path: string[]): void => {
    const properties = (schema as { properties?: Record<string, TSchema> }).properties;
    if (properties === undefined) {
      const key = path.join('.');
      const variable = key === 'environment' ? 'NODE_ENV' : prefix + path.map(screamingSnake).join('__');
      bindings.push({ key, variable, schema });
      return;
    }
    for (const [name, child] of Object.entries(properties)) walk(child, [...path, name]);
  };
  walk(configSchema, []);
  return bindings;
}

const decimal = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Turns the text of a variable into the schema's type. Text that does not parse stays text, so
 * that validation reports it with the key's own rule ("must be an integer from 0 to 65535").
 */
function parseValue(binding: EnvBinding, raw: string): unknown {
  switch ((binding.schema as { type?: unknown }).type) {
    case 'integer':
    case 'number':
      return decimal.test(raw.trim()) ? Number(raw) : raw;
    case 'boolean': {
      const lower = raw.trim().toLowerCase();
      return lower === 'true' ? true : lower === 'false' ? false : raw;
    }
    case 'array':
    case 'object':
      try {
        return JSON.parse(raw);
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new LifelineError(
          'CONFIG_INVALID',
          `${binding.key}: ${binding.variable} is not valid JSON (${reason})`,
          {
            cause,
            details: { key: binding.key, source: binding.variable },
          },
        );
      }
    default:
      return raw;
  }
}

function unknownVariable(name: string, bindings: EnvBinding[]): LifelineError {
  const squash = (s: string) => s.replaceAll('__', '_');
  const near = bindings.find((b) => b.variable !== 'NODE_ENV' && squash(b.variable) === squash(name));
  const hint =
    name === 'LIFELINE_ENVIRONMENT'
      ? '; set NODE_ENV instead'
      : near !== undefined
        ? `; did you mean ${near.variable}? (levels are joined by a double underscore)`
        : '';
  return new LifelineError('CONFIG_INVALID', `${name}: unknown configuration variable${hint}`, {
    details: { key: name, source: name },
  });
}

/** The configuration layer the environment gives, and which variable set each key. */
export interface EnvLayer {
  values: Record<string, unknown>;
  sources: Map<string, string>;
}

/**
 * Reads the layer from `env`. An unknown `LIFELINE_*` variable is an error, since a typo would
 * otherwise leave a setting silently at its default. An empty `NODE_ENV` counts as unset.
 */
export function readEnv(env: Record<string, string | undefined>): EnvLayer {
  const bindings = envBindings();
  const byVariable = new Map(bindings.map((b) => [b.variable, b]));
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (raw === undefined || (!name.startsWith(prefix) && name !== 'NODE_ENV')) continue;
    if (cliVariables.has(name) || (name === 'NODE_ENV' && raw === '')) continue;
    const binding = byVariable.get(name);
    if (binding === undefined) throw unknownVariable(name, bindings);
    const path = binding.key.split('.');
    let target = values;
    for (const segment of path.slice(0, -1)) {
      target[segment] ??= {};
      target = target[segment] as Record<string, unknown>;
    }
    target[path.at(-1) as string] = parseValue(binding, raw);
    sources.set(binding.key, name);
  }
  return { values, sources };
}
