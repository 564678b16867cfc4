/**
 * Lifeline's one configuration: defaults, then a JSON file, then environment variables, then
 * programmatic overrides, validated once against one schema and deep-frozen. Only the composition
 * root calls `loadConfig`; everything else receives the resulting `Config` (or a part of it).
 * See docs/CONFIGURATION.md for every key.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Value } from 'typebox/value';
import { LifelineError } from '../errors/index.ts';
import { envBindings, readEnv } from './env.ts';
import { type Config, configSchema, type DeepPartial, replacedKeys } from './schema.ts';
import { checkConsole, checkRouting, checkSiem } from './routing.ts';
import { validate } from './validate.ts';

export { cliVariables } from './env.ts';
export type {
  AdminListenerConfig,
  ConsoleConfig,
  Config,
  DeepPartial,
  DetectionConfig,
  EntitlementsConfig,
  Environment,
  IdentityConfig,
  IdentityProvider,
  DestinationConfig,
  DestinationKind,
  LiveConfig,
  LogLevel,
  PlayerListenerConfig,
  RegionTopology,
  RoutingConfig,
  SessionConfig,
  SessionLimitPolicy,
  SiemConfig,
  StoreConfig,
  TokenAlgorithm,
  TokensConfig,
  Topology,
} from './schema.ts';
export {
  configSchema,
  destinationKinds,
  environments,
  identityProviders,
  logLevels,
  sessionLimitPolicies,
  tokenAlgorithms,
  topologyNamePattern,
} from './schema.ts';

/** The file read from the working directory when `LoadConfigOptions.file` is not given. */
export const defaultConfigFileName = 'lifeline.config.json';

/** Where `loadConfig` takes its layers from. Nothing is read from `process` directly. */
export interface LoadConfigOptions {
  /**
   * A JSON configuration file, relative to `cwd` or absolute. When given it must exist.
   * @defaultValue `lifeline.config.json` in `cwd`, used only if it exists
   */
  file?: string;
  /** The environment to read `LIFELINE_*` variables and `NODE_ENV` from, usually `process.env`. */
  env: Record<string, string | undefined>;
  /** The directory that relative paths (the default file, `dataDir`, `entitlements.file`) resolve against. */
  cwd: string;
  /**
   * Values that win over every other layer, for tests and the CLI.
   * @defaultValue `{}`
   */
  overrides?: DeepPartial<Config>;
}

type Tree = Record<string, unknown>;

function isPlainObject(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Merges `layer` into `base` in place, recording in `sources` which layer set each key. Plain
 * objects merge key by key except `replacedKeys`; anything else (lists, maps in `replacedKeys`,
 * scalars) replaces. `undefined` means "not given".
 */
function mergeLayer(
  base: Tree,
  layer: Tree,
  source: string,
  sources: Map<string, string>,
  at: string[] = [],
): void {
  for (const [name, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    const key = [...at, name].join('.');
    // hasOwn and defineProperty keep a "__proto__" key in a file an ordinary (and then unknown) key.
    const current = Object.hasOwn(base, name) ? base[name] : undefined;
    if (!replacedKeys.has(key) && isPlainObject(current) && isPlainObject(value)) {
      mergeLayer(current, value, source, sources, [...at, name]);
      continue;
    }
    Object.defineProperty(base, name, {
      value: structuredClone(value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    for (const known of sources.keys()) if (known.startsWith(`${key}.`)) sources.delete(known);
    sources.set(key, source);
  }
}

function readFileLayer(options: LoadConfigOptions): { file: string; values: Tree } | undefined {
  const file = path.resolve(options.cwd, options.file ?? defaultConfigFileName);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    if (options.file === undefined && (cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new LifelineError('CONFIG_UNREADABLE', `${file}: cannot read the configuration file (${reason})`, {
      cause,
      details: { file },
    });
  }
  let values: unknown;
  try {
    values = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new LifelineError('CONFIG_UNREADABLE', `${file}: not valid JSON (${reason})`, {
      cause,
      details: { file },
    });
  }
  if (!isPlainObject(values)) {
    throw new LifelineError('CONFIG_INVALID', `(root): must be a JSON object (from ${file})`, {
      details: { key: '(root)', source: file },
    });
  }
  return { file, values };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function defaults(): Tree {
  return Value.Default(configSchema, {}) as Tree;
}

/**
 * The built-in defaults as a deep-frozen config. Paths are as written (`dataDir` is `./data`,
 * not yet resolved): use `loadConfig` for a configuration to run with.
 */
export function defaultConfig(): Config {
  return deepFreeze(defaults()) as Config;
}

/**
 * Builds the configuration from defaults < file < environment < overrides, validates it and
 * deep-freezes it. Relative `dataDir` and `entitlements.file` are resolved against `cwd`.
 *
 * @throws LifelineError `CONFIG_UNREADABLE` when the file cannot be read or is not JSON, naming the
 *   file; `CONFIG_INVALID` for an unknown key or variable, a bad value, or a broken cross-key rule,
 *   naming the key in the message and in `details.key`.
 */
export function loadConfig(options: LoadConfigOptions): Config {
  const config = defaults();
  const sources = new Map<string, string>();
  const file = readFileLayer(options);
  if (file !== undefined) mergeLayer(config, file.values, file.file, sources);
  const env = readEnv(options.env);
  mergeLayer(config, env.values, 'environment', sources);
  for (const [key, variable] of env.sources) sources.set(key, variable);
  if (options.overrides !== undefined) mergeLayer(config, options.overrides as Tree, 'overrides', sources);

  // `false` was the old spelling of "trust no proxy"; `true` (trust every peer) is refused by the schema.
  const player = config.player as Tree;
  if (player.trustProxy === false) player.trustProxy = [];
  validate(config, sources);
  config.dataDir = path.resolve(options.cwd, config.dataDir);
  // Beside the data directory by default (`./data` → `./data.kek`): never inside it, so a copy of
  // the data directory alone does not carry the key that opens its secrets.
  config.secrets.keyFile =
    config.secrets.keyFile === ''
      ? `${config.dataDir.replace(/[/\\]+$/, '')}.kek`
      : path.resolve(options.cwd, config.secrets.keyFile);
  const inside = path.relative(config.dataDir, config.secrets.keyFile);
  if (!inside.startsWith('..') && !path.isAbsolute(inside)) {
    throw new LifelineError('CONFIG_INVALID', 'secrets.keyFile must be outside dataDir', {
      details: { key: 'secrets.keyFile', source: sources.get('secrets.keyFile') ?? 'defaults' },
    });
  }
  // The audit anchor, like the KEK, sits beside the data directory and never inside it: whoever
  // can rewrite the store must not be able to rewrite what it was seen to hold.
  config.audit.anchor.dir =
    config.audit.anchor.dir === ''
      ? `${config.dataDir.replace(/[/\\]+$/, '')}.anchor`
      : path.resolve(options.cwd, config.audit.anchor.dir);
  const anchorInside = path.relative(config.dataDir, config.audit.anchor.dir);
  if (!anchorInside.startsWith('..') && !path.isAbsolute(anchorInside)) {
    throw new LifelineError('CONFIG_INVALID', 'audit.anchor.dir must be outside dataDir', {
      details: { key: 'audit.anchor.dir', source: sources.get('audit.anchor.dir') ?? 'defaults' },
    });
  }
  if (config.audit.anchor.url !== '' && !/^https?:\/\/[^\s]+$/.test(config.audit.anchor.url)) {
    throw new LifelineError('CONFIG_INVALID', 'audit.anchor.url must be an http:// or https:// URL', {
      details: { key: 'audit.anchor.url', source: sources.get('audit.anchor.url') ?? 'defaults' },
    });
  }
  checkRouting(config, options.env, sources);
  checkSiem(config, sources);
  checkConsole(config, sources);
  config.siem.file.path =
    config.siem.file.path === ''
      ? path.join(`${config.dataDir.replace(/[/\\]+$/, '')}.siem`, 'audit.jsonl')
      : path.resolve(options.cwd, config.siem.file.path);
  if (config.entitlements.file !== undefined) {
    config.entitlements.file = path.resolve(options.cwd, config.entitlements.file);
  }
  return deepFreeze(config) as Config;
}

/** The SQLite database file: `store.sqlite.file` resolved against `dataDir`, or `:memory:` as is. */
export function sqlitePath(config: Config): string {
  const { file } = config.store.sqlite;
  return file === ':memory:' ? file : path.resolve(config.dataDir, file);
}

/** Every configuration key that an environment variable can set, with that variable's name. */
export function configVariables(): { key: string; variable: string }[] {
  return envBindings().map(({ key, variable }) => ({ key, variable }));
}
