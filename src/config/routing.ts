/**
 * The cross-key rules of `routing` and `siem` that the schema cannot say: each destination kind's
 * required fields, unique names, and secrets given as `env:NAME` read from the environment here,
 * once, so that nothing else reads the environment and no secret needs to sit in a config file.
 */
import type { Static } from 'typebox';
import { LifelineError } from '../errors/index.ts';
import type { configSchema } from './schema.ts';

type Mutable = Static<typeof configSchema>;
type Destination = Mutable['routing']['destinations'][number];

const envReference = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;

function fail(key: string, message: string, sources: Map<string, string>): LifelineError {
  const source = sources.get(key) ?? sources.get('routing.destinations') ?? sources.get('siem') ?? 'defaults';
  // The message names the key and the rule, never the value: it may be a secret.
  return new LifelineError('CONFIG_INVALID', `${key}: ${message}`, { details: { key, source } });
}

/** Resolves `env:NAME` from the environment; a missing variable is an error naming the key. */
function resolveSecret(
  value: string | undefined,
  key: string,
  env: Record<string, string | undefined>,
  sources: Map<string, string>,
): string | undefined {
  const m = value === undefined ? null : envReference.exec(value);
  if (m === null) return value;
  const name = m[1] as string;
  if (name.startsWith('LIFELINE_')) throw fail(key, 'env: must name a variable outside LIFELINE_*', sources);
  const found = env[name];
  if (found === undefined || found === '') throw fail(key, `the variable ${name} is not set`, sources);
  return found;
}

function checkDestination(
  d: Destination,
  key: string,
  env: Record<string, string | undefined>,
  sources: Map<string, string>,
): void {
  const routingKey = resolveSecret(d.routingKey, `${key}.routingKey`, env, sources);
  const secret = resolveSecret(d.secret, `${key}.secret`, env, sources);
  if (routingKey !== undefined) d.routingKey = routingKey;
  if (secret !== undefined) d.secret = secret;
  if (d.kind === 'pagerduty') {
    if (d.routingKey === undefined)
      throw fail(`${key}.routingKey`, 'a pagerduty destination needs one', sources);
    d.url ??= 'https://events.pagerduty.com/v2/enqueue';
  } else if (d.url === undefined) {
    throw fail(`${key}.url`, `a ${d.kind} destination needs its URL`, sources);
  }
  if (d.kind === 'webhook' && (d.secret === undefined || d.secret.length < 16))
    throw fail(`${key}.secret`, 'a webhook destination needs an HMAC key of at least 16 characters', sources);
}

export function checkRouting(
  config: Mutable,
  env: Record<string, string | undefined>,
  sources: Map<string, string>,
): void {
  const seen = new Set<string>();
  config.routing.destinations.forEach((d, i) => {
    const key = `routing.destinations.${i}`;
    if (seen.has(d.name)) throw fail(`${key}.name`, `the name ${d.name} is used twice`, sources);
    seen.add(d.name);
    checkDestination(d, key, env, sources);
  });
  const comp = config.incidents.compensationDestination;
  if (comp !== '' && !config.routing.destinations.some((d) => d.name === comp && d.kind === 'webhook'))
    throw fail(
      'incidents.compensationDestination',
      `names no webhook destination of routing.destinations: ${comp}`,
      sources,
    );
}

export function checkSiem(config: Mutable, sources: Map<string, string>): void {
  if (config.siem.sink === 'syslog' && config.siem.syslog.host === '')
    throw fail('siem.syslog.host', 'siem.sink is syslog: give the syslog host', sources);
}

/** The console's SSO: once an issuer is named, the client, the callback and a role mapping must be too. */
export function checkConsole(config: Mutable, sources: Map<string, string>): void {
  const o = config.console.oidc;
  if (o.issuer === '') return;
  const bad = (key: string, message: string): LifelineError => {
    const source = sources.get(`console.oidc.${key}`) ?? sources.get('console') ?? 'defaults';
    return new LifelineError('CONFIG_INVALID', `console.oidc.${key}: ${message}`, {
      details: { key: `console.oidc.${key}`, source },
    });
  };
  for (const key of ['issuer', 'redirectUri'] as const) {
    let url: URL;
    try {
      url = new URL(o[key]);
    } catch {
      throw bad(key, 'must be an absolute http(s) URL');
    }
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
      throw bad(key, 'must be https (plain http only on loopback)');
  }
  if (o.clientId === '') throw bad('clientId', 'console.oidc.issuer is set: give the client id');
  if (Object.keys(o.roles).length === 0)
    throw bad('roles', 'console.oidc.issuer is set: map at least one group to a role');
}
