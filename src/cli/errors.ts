import { isLifelineError } from '../errors/index.ts';
import type { CliBase, CliIo } from './base.ts';
import { CliError } from './cli-error.ts';

export { CliError };

/** How a detail reads on a terminal: the CLI's words, not the API's field names. */
const detailLabels: Record<string, (v: unknown) => string> = {
  known: (v) => `known: ${Array.isArray(v) ? v.join(', ') : String(v)}`,
  overlapping: (v) => `overlapping: ${String(v)} disruption(s) already owned by an unfinished restore`,
  retryAfterSeconds: (v) => `retry after: ${String(v)}s`,
  status: (v) => `HTTP status: ${String(v)}`,
  adminUrl: (v) => `admin URL: ${String(v)}`,
  field: (v) => `flag: ${flagOf(String(v))}`,
};

/** The CLI flag for an API field (`playerId` → `--player`), kebab-case when it has no own name. */
const flagNames: Record<string, string> = {
  playerId: '--player',
  playerIds: '--players',
  sessionId: '--session',
  commandId: '--command',
  restoreId: '--restore',
  intervalMs: '--interval',
  cpuPercent: '--max-cpu',
  afterSeq: '--cursor',
};

export function flagOf(field: string): string {
  return flagNames[field] ?? `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Ajv's phrasing, as a person would say it. */
const phrasing: [RegExp, string][] = [
  [/^must NOT have fewer than (\d+) characters$/, 'must be at least $1 characters'],
  [/^must NOT have more than (\d+) characters$/, 'must be at most $1 characters'],
  [/^must NOT have fewer than (\d+) items$/, 'must list at least $1'],
  [/^must NOT have more than (\d+) items$/, 'must list at most $1'],
  [/^must match pattern ".*"$/, 'is not in the expected form'],
  [/^must be equal to one of the allowed values$/, 'is not one of the allowed values'],
  [/^must be >= (\S+)$/, 'must be at least $1'],
  [/^must be <= (\S+)$/, 'must be at most $1'],
  [/^must be integer$/, 'must be a whole number'],
];

/**
 * The API's validation message in CLI terms: `body/reason must NOT have fewer than 3 characters`
 * becomes `--reason must be at least 3 characters`; `body must have required property 'totp'`
 * becomes `--totp is required`. Other messages pass unchanged.
 */
export function inCliTerms(message: string): string {
  const required = /^(?:body|querystring|params)(?:\/[\w/]*)? must have required property '(\w+)'$/.exec(
    message,
  );
  if (required) return `${flagOf(required[1] as string)} is required`;
  const m = /^(?:body|querystring|params)\/(?:[\w]+\/)*(\w+) (.*)$/.exec(message);
  if (!m) return message;
  const [, field, rest] = m as unknown as [string, string, string];
  const said = phrasing.reduce((text, [re, to]) => text.replace(re, to), rest);
  return `${flagOf(field)} ${said}`;
}

function detailLines(details: Record<string, unknown>): string[] {
  return Object.entries(details)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(
      ([k, v]) =>
        `  ${detailLabels[k]?.(v) ?? `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`}`,
    );
}

/**
 * Prints a failed command's error (on stdout as one JSON document with --json or -o json, YAML
 * with -o yaml, so a script
 * parses it like an answer; on stderr otherwise, `error CODE: message` then one line per
 * detail) and returns the exit code, 1.
 */
export function reportFailure(err: unknown, cli: Pick<CliBase, 'globals' | 'render'>, io: CliIo): number {
  const code = isLifelineError(err) || err instanceof CliError ? err.code : 'INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  const details =
    (err instanceof CliError ? err.details : isLifelineError(err) ? err.details : undefined) ?? {};
  const g = cli.globals();
  const doc = { error: { code, message, ...details } };
  // -o yaml prints the error in YAML; --json and -o json as one line of JSON. --jq selects from an
  // answer, and an error is not one: it goes to stderr as for people.
  if (g.output === 'yaml' && g.jq === undefined) io.out(cli.render(doc));
  else if (g.json === true || g.output === 'json') io.out(JSON.stringify(doc));
  else io.err([`error ${code}: ${message}`, ...detailLines(details)].join('\n'));
  return 1;
}
