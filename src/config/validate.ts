/**
 * Checks a merged configuration against the schema and the rules that span keys, and turns the
 * first failure into a CONFIG_INVALID error that names the key, what it must be, and which layer
 * (file, variable, overrides) set it.
 */
import { isIP } from 'node:net';
import type { Static } from 'typebox';
import type { TLocalizedValidationError } from 'typebox/error';
import { Value } from 'typebox/value';
import { LifelineError } from '../errors/index.ts';
import { configSchema } from './schema.ts';
import { pointerSegments } from './json-pointer.ts';
import { parseServer } from '../dns/index.ts';
import { unknownPlaceholders } from '../comms/templates.ts';

/** The configuration as the schema types it. */
type Config = Static<typeof configSchema>;

/** Dotted key to the place that last set it: a file path, a variable name, or `overrides`. */
export type Sources = ReadonlyMap<string, string>;

interface Problem {
  key: string;
  message: string;
}

// Walks schemaPath rather than instancePath so patternProperties land on the schema that failed.
function schemaAt(schemaPath: string): Record<string, unknown> {
  let node: unknown = configSchema;
  for (const segment of pointerSegments(schemaPath)) {
    node = (node as Record<string, unknown> | undefined)?.[segment];
  }
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : {};
}

function joinKey(segments: string[]): string {
  return segments.length === 0 ? '(root)' : segments.join('.');
}

function describe(error: TLocalizedValidationError): Problem[] {
  const at = pointerSegments(error.instancePath);
  switch (error.keyword) {
    // Each unknown key also yields a 'boolean' (false schema) error; this one names the parent's rule.
    case 'boolean':
      return [];
    case 'additionalProperties': {
      const rule = schemaAt(error.schemaPath).keyMessage;
      const message = typeof rule === 'string' ? rule : 'unknown key';
      return error.params.additionalProperties.map((name) => ({ key: joinKey([...at, name]), message }));
    }
    case 'required':
      return error.params.requiredProperties.map((name) => ({
        key: joinKey([...at, name]),
        message: 'is required',
      }));
    default: {
      const rule = schemaAt(error.schemaPath).errorMessage;
      return [{ key: joinKey(at), message: typeof rule === 'string' ? rule : error.message }];
    }
  }
}

function sourceOf(key: string, sources: Sources): string {
  const segments = key.split('.');
  for (let n = segments.length; n > 0; n--) {
    const source = sources.get(segments.slice(0, n).join('.'));
    if (source !== undefined) return source;
  }
  return 'default';
}

function invalid(problems: Problem[], sources: Sources): LifelineError {
  const [first] = problems as [Problem, ...Problem[]];
  const source = sourceOf(first.key, sources);
  const from = source === 'default' ? '' : ` (from ${source})`;
  const more = problems.length > 1 ? `; and ${problems.length - 1} more problem(s)` : '';
  return new LifelineError('CONFIG_INVALID', `${first.key}: ${first.message}${from}${more}`, {
    details: {
      key: first.key,
      source,
      problems: problems.map((p) => `${p.key}: ${p.message} (from ${sourceOf(p.key, sources)})`),
    },
  });
}

function isAddressOrCidr(entry: string): boolean {
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** Rules that span keys, in the order their keys appear in the schema. */
function crossFieldProblems(config: Config): Problem[] {
  return [
    ...sessionProblems(config),
    ...topologyProblems(config),
    ...upstreamProblems(config),
    ...trustProxyProblems(config),
    ...storageProblems(config),
    ...incidentProblems(config),
    ...templateProblems(config),
    ...dnsProblems(config),
    ...changeWindowProblems(config),
  ];
}

/** A change window ends after it starts. */
function changeWindowProblems({ detection }: Config): Problem[] {
  return detection.changeWindows.flatMap((w, i) =>
    Date.parse(w.to) > Date.parse(w.from)
      ? []
      : [{ key: `detection.changeWindows.${i}.to`, message: 'must be later than from' }],
  );
}

/** A severity's thresholds may not be easier to reach than a lower severity's. */
function incidentProblems({ incidents }: Config): Problem[] {
  const problems: Problem[] = [];
  for (const figure of ['players', 'payingPlayers', 'regions'] as const) {
    if (incidents.p0[figure] < incidents.p1[figure]) {
      problems.push({ key: `incidents.p0.${figure}`, message: `must be at least incidents.p1.${figure}` });
    }
    if (incidents.p1[figure] < incidents.p2[figure]) {
      problems.push({ key: `incidents.p1.${figure}`, message: `must be at least incidents.p2.${figure}` });
    }
  }
  return problems;
}

/** A template may name only the fields it is rendered from. */
function templateProblems({ comms }: Config): Problem[] {
  return Object.entries(comms.templates).flatMap(([name, text]) =>
    unknownPlaceholders(text).map((p) => ({
      key: `comms.templates.${name}`,
      message: `names {${p}}, which is not a template field`,
    })),
  );
}

/** Every DNS server named anywhere: an IP address with an optional port from 1 to 65535. */
function dnsProblems(config: Config): Problem[] {
  const lists: [string, readonly string[]][] = [
    ['dns.servers', config.dns.servers],
    ['probes.dnsServers', config.probes.dnsServers],
    ...config.probes.delegations.map((d, i): [string, readonly string[]] => [
      `probes.delegations.${i}.parentServers`,
      d.parentServers ?? [],
    ]),
  ];
  return lists.flatMap(([key, servers]) =>
    servers.flatMap((server, i) =>
      parseServer(server) === null
        ? [
            {
              key: `${key}.${i}`,
              message: `"${server}" is not a DNS server address (an IP address with an optional port: 10.0.0.2, 127.0.0.1:5353, [::1]:53)`,
            },
          ]
        : [],
    ),
  );
}

function sessionProblems({ session }: Config): Problem[] {
  if (session.heartbeatTimeoutSeconds > session.heartbeatIntervalSeconds) return [];
  return [
    {
      key: 'session.heartbeatTimeoutSeconds',
      message: `must be greater than session.heartbeatIntervalSeconds (${session.heartbeatIntervalSeconds})`,
    },
  ];
}

/**
 * Shards are addressed by name alone (kick selectors, metrics labels), so a shard name may
 * belong to one region only.
 */
function topologyProblems(config: Config): Problem[] {
  const problems: Problem[] = [];
  const owner = new Map<string, string>();
  for (const [region, r] of Object.entries(config.topology.regions)) {
    for (const shard of r.shards) {
      const other = owner.get(shard);
      if (other !== undefined) {
        problems.push({
          key: `topology.regions.${region}.shards`,
          message: `shard ${shard} is already in region ${other}`,
        });
      } else owner.set(shard, region);
    }
  }
  return problems;
}

/** The identity and entitlement upstreams: the URLs and claims the chosen provider needs. */
function upstreamProblems(config: Config): Problem[] {
  const problems: Problem[] = [];
  const { identity } = config;
  if (identity.provider === 'oidc') {
    const o = identity.oidc;
    if (!/^https?:\/\//.test(o.jwksUrl))
      problems.push({
        key: 'identity.oidc.jwksUrl',
        message: 'must be an http(s) URL when identity.provider is oidc',
      });
    if (o.issuer === '')
      problems.push({ key: 'identity.oidc.issuer', message: 'is required when identity.provider is oidc' });
    if (o.audience === '')
      problems.push({ key: 'identity.oidc.audience', message: 'is required when identity.provider is oidc' });
  }
  if (config.entitlements.source === 'http' && !/^https?:\/\//.test(config.entitlements.http.url)) {
    problems.push({
      key: 'entitlements.http.url',
      message: 'must be an http(s) URL when entitlements.source is http',
    });
  }
  // An unused URL is still checked when given: a typo there would surface only on switching provider.
  if (identity.provider === 'http' || identity.http.url !== '') {
    if (!URL.canParse(identity.http.url) || !/^https?:$/.test(new URL(identity.http.url).protocol)) {
      problems.push({
        key: 'identity.http.url',
        message:
          identity.provider === 'http'
            ? 'must be an http(s) URL when identity.provider is http'
            : 'must be an http(s) URL or empty',
      });
    }
  }
  return problems;
}

function trustProxyProblems(config: Config): Problem[] {
  return config.player.trustProxy.flatMap((entry, i) =>
    isAddressOrCidr(entry)
      ? []
      : [
          {
            key: `player.trustProxy.${i}`,
            message: `"${entry}" is not an IP address or CIDR (e.g. 10.0.0.7, 10.0.0.0/8, fd00::/8)`,
          },
        ],
  );
}

function storageProblems(config: Config): Problem[] {
  const problems: Problem[] = [];
  const { store, live } = config;
  if (store.kind === 'postgres' && !/^postgres(ql)?:\/\//.test(store.postgres.url)) {
    problems.push({
      key: 'store.postgres.url',
      message: 'must be a postgres:// URL when store.kind is postgres',
    });
  }
  if (live.kind === 'redis') {
    if (!/^rediss?:\/\//.test(live.redis.url)) {
      problems.push({
        key: 'live.redis.url',
        message: 'must be a redis:// or rediss:// URL when live.kind is redis',
      });
    }
    // Nodes that share live state act on one another's sessions; each must see the others'
    // records (one audit chain, one disruption ledger), which a node's own SQLite file is not.
    if (store.kind !== 'postgres') {
      problems.push({
        key: 'store.kind',
        message: 'must be postgres when live.kind is redis (nodes sharing sessions must share records)',
      });
    }
  }
  return problems;
}

/** Throws CONFIG_INVALID unless `candidate` is a complete, valid configuration. */
export function validate(
  candidate: unknown,
  sources: Sources,
): asserts candidate is Static<typeof configSchema> {
  const seen = new Set<string>();
  const problems = Value.Errors(configSchema, candidate)
    .flatMap(describe)
    .filter((p) => !seen.has(p.key) && seen.add(p.key));
  if (problems.length > 0) throw invalid(problems, sources);
  const crossField = crossFieldProblems(candidate as Static<typeof configSchema>);
  if (crossField.length > 0) throw invalid(crossField, sources);
}
