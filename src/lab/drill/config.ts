/**
 * The configuration a drill gives each Lifeline node: loopback ports, the scenario's topology,
 * the lab's upstreams, player limits out of the way (the fleet logs thousands in from 127.0.0.1),
 * and, for an `--unprotected` run, Lifeline's protections switched off (docs/DRILLS.md).
 */
import type { FaultTarget, Scenario } from '../scenario/index.ts';
import type { DrillDns } from './dns.ts';
import type { DrillUpstream } from './upstreams.ts';

/** Where the nodes keep their records: one SQLite file, or a PostgreSQL schema and Redis prefix shared by all. */
export type NodeStore =
  | { kind: 'sqlite+memory' }
  | { kind: 'postgres+redis'; pgUrl: string; schema: string; redisUrl: string; prefix: string };

export interface NodeSpec {
  nodeId: string;
  dataDir: string;
  anchorDir: string;
  playerPort: number;
  adminPort: number;
}

export interface DrillConfigInput {
  scenario: Scenario;
  upstreams: ReadonlyMap<FaultTarget, DrillUpstream>;
  store: NodeStore;
  /** base64 of 32 bytes, shared by every node (they share the sealed store). */
  kek: string;
  protected: boolean;
  /** The lab's DNS, when the scenario has a dns fault: upstreams are then reached by hostname. */
  dns?: Pick<DrillDns, 'urlFor' | 'nodeConfig'>;
}

const unlimited = { ipPerSecond: 1e6, ipBurst: 1e6, playerPerSecond: 1e6, playerBurst: 1e6 };

/** An upstream's URL as a node reaches it: by the lab's hostname when a drill has the lab's DNS. */
type UrlOf = (up: DrillUpstream) => string;

function identityConfig(ups: ReadonlyMap<FaultTarget, DrillUpstream>, urlOf: UrlOf): Record<string, unknown> {
  const identity = ups.get('identity');
  if (identity) return { provider: 'http', http: { url: urlOf(identity) } };
  const oidc = ups.get('oidc');
  if (oidc) {
    // The issuer is the name in the tokens the fleet mints; only the JWKS is fetched, by hostname.
    const issuer = oidc.serviceUrl.replace(/\/jwks$/, '');
    return { provider: 'oidc', oidc: { issuer, audience: 'lifeline', jwksUrl: urlOf(oidc) } };
  }
  return { provider: 'dev' };
}

function entitlementsConfig(
  ups: ReadonlyMap<FaultTarget, DrillUpstream>,
  guarded: boolean,
  urlOf: UrlOf,
): Record<string, unknown> {
  const up = ups.get('entitlements');
  if (!up) return { source: 'static' };
  // Unprotected: a licence verified more than a second ago is not trusted, so an entitlement
  // outage denies owners as seed 001's gateway did (the smallest lkgMaxAgeSeconds there is).
  return { source: 'http', http: { url: urlOf(up), ...(guarded ? {} : { lkgMaxAgeSeconds: 1 }) } };
}

function storeConfig(store: NodeStore, timeScale: number): Record<string, unknown> {
  if (store.kind === 'sqlite+memory') return { store: { kind: 'sqlite' }, live: { kind: 'memory' } };
  // A dead node is noticed within the presence TTL: compressed with the clock, or the survivors
  // would notice a kill minutes of scenario time late; never below 3 s (renewed each second),
  // so a node slowed by a busy machine is not taken for dead.
  const presenceTtlSeconds = scaled(15, timeScale, 3);
  return {
    store: { kind: 'postgres', postgres: { url: store.pgUrl, schema: store.schema } },
    live: { kind: 'redis', redis: { url: store.redisUrl, prefix: store.prefix }, presenceTtlSeconds },
  };
}

/** How long a restore's ticket lives on a drill's nodes (Lifeline's 900 s, compressed). */
export const drillTicketTtlSeconds = (timeScale: number): number =>
  timeScale <= 1 ? 900 : scaled(900, timeScale, 1);

/** The kick breaker's window on a compressed clock, at least (wall seconds; see compressedTimings). */
export const BREAKER_MIN_WINDOW_SECONDS = 10;

/** A wall-clock duration of Lifeline's, compressed with the scenario's clock (never below `min`). */
const scaled = (seconds: number, timeScale: number, min: number): number =>
  Math.max(min, Math.round(seconds / timeScale));

/**
 * Lifeline's own durations on the drill's clock. Access tokens live a fifth of the scenario (at
 * most Lifeline's default 600 s), so every player refreshes several times during a drill, as the
 * seed's players did during a two-hour incident. On a compressed clock (`timeScale` > 1) the rest
 * are compressed with it, or a player told to come back in 30 s would come back after the drill
 * ended: the rejoin lane's Retry-After, the restore's healthy hold and its tickets' life (a ticket
 * of 15 minutes would outlive a ×5 drill's restores by an hour of scenario time), the kick
 * breaker's window, a bulk kick's hold and the status page's cache. Heartbeats are not: the
 * fleet's clients ping on the wall clock.
 */
export function compressedTimings(timeScale: number, durationSeconds: number): Record<string, unknown> {
  // The reuse grace is the clients' retry on the wall clock (a refresh whose answer died with a
  // node, retried on another), so it is not compressed.
  const tokens = {
    accessTtlSeconds: scaled(Math.min(600, durationSeconds / 5), timeScale, 5),
    refreshReuseGraceSeconds: 10,
  };
  if (timeScale <= 1) return { tokens };
  return {
    tokens,
    restore: {
      waitingRetryAfterSeconds: scaled(30, timeScale, 1),
      healthyHoldSeconds: scaled(10, timeScale, 1),
      startupGraceSeconds: scaled(15, timeScale, 0),
      ticketTtlSeconds: drillTicketTtlSeconds(timeScale),
    },
    // At least BREAKER_MIN_WINDOW_SECONDS: a window of a wall second or two measures how fast the
    // machine serves kicks, not the script's pace (at ×40 the scenario's 50 a second is 2,000 a
    // wall second; with a busy loop on each core the drill's node served ~10 kicks a wall second,
    // and a 1.5-s window never held the 50 that trip it).
    breaker: { windowSeconds: scaled(60, timeScale, BREAKER_MIN_WINDOW_SECONDS) },
    commands: { holdSeconds: scaled(30, timeScale, 0) },
    // The status page's cache: at ×40 its 10 s would hide a whole incident from the page.
    comms: { statusCacheSeconds: scaled(10, timeScale, 0) },
  };
}

/**
 * Detection on the drill's clock (docs/DRILLS.md, "Time to detect"): the detectors' step is
 * compressed with the scenario (10 s of Lifeline's becomes 10 s of the scenario), and so is the
 * baseline's half-life. The warm-up is not: an hour of learning does not fit in a drill of
 * minutes, compressed or not, so a drill's node learns its baseline from its first steps (the
 * floor of 0.01% until then), from a node started fresh with no failures before the first fault.
 */
export function drillDetection(timeScale: number): Record<string, unknown> {
  return {
    stepSeconds: Math.max(0.1, Math.min(300, 10 / timeScale)),
    failures: { warmupSeconds: 0, halfLifeHours: 6 / timeScale },
  };
}

/**
 * What the studio knows of its identity upstream, set as the configuration reference says
 * (`admission.maxLimit`: "what the upstream is known to take"): twice the calls in flight that its
 * capacity a second allows at its normal latency (Little's law), split over the nodes. Twice, as
 * bench:storm sets it, so that one round of calls waits at the upstream: at exactly Little's law
 * every call also carries this node's own time to read an answer and send the next, and the
 * upstream sat idle for it (login-storm at 5,000 players, ×5: identity's busiest second 137 of
 * 250, 182 of 5,000 players in when the scenario ended). Left at the default (50), the
 * admission's probing above that reaches the upstream as a burst past its capacity before the
 * limit comes down.
 */
export function knownIdentityLimit(s: Scenario): Record<string, unknown> {
  const id = s.upstreams?.identity;
  if (id?.capacityPerSecond === undefined || !id.latencyMs) return {};
  const inFlight = (2 * id.capacityPerSecond * id.latencyMs) / 1000 / s.nodes.count;
  const maxLimit = Math.max(1, Math.floor(inFlight));
  return { admission: { maxLimit, initialLimit: Math.min(10, maxLimit) } };
}

/** One node's configuration file, as `lifeline serve` loads it. */
export function nodeConfig(input: DrillConfigInput, node: NodeSpec): Record<string, unknown> {
  const regions = Object.fromEntries(
    Object.entries(input.scenario.topology.regions).map(([r, v]) => [r, { shards: v.shards, zones: [] }]),
  );
  const rateLimit = { login: unlimited, refresh: unlimited, rejoin: unlimited, upgrade: unlimited };
  const timings = compressedTimings(input.scenario.timeScale, input.scenario.durationSeconds);
  const dns = input.dns;
  const urlOf: UrlOf = dns ? (up) => dns.urlFor(up.target, up.serviceUrl) : (up) => up.serviceUrl;
  return {
    ...timings,
    environment: 'test',
    nodeId: node.nodeId,
    dataDir: node.dataDir,
    player: { host: '127.0.0.1', port: node.playerPort, rateLimit },
    // The runaway script's pace is the scenario's; what must stop it is the kick breaker.
    admin: { host: '127.0.0.1', port: node.adminPort, rateLimit: { perSecond: 100_000, burst: 100_000 } },
    session: { maxPerPlayer: 1_000_000 },
    log: { level: 'warn' },
    secrets: { key: input.kek },
    audit: { anchor: { dir: node.anchorDir, shared: input.store.kind === 'sqlite+memory' } },
    topology: { regions },
    identity: identityConfig(input.upstreams, urlOf),
    entitlements: entitlementsConfig(input.upstreams, input.protected, urlOf),
    ...(input.dns?.nodeConfig ?? {}),
    detection: drillDetection(input.scenario.timeScale),
    ...storeConfig(input.store, input.scenario.timeScale),
    // Unprotected: no admission (every login goes straight to identity) and a breaker no script reaches.
    ...(input.protected
      ? knownIdentityLimit(input.scenario)
      : {
          admission: { enabled: false },
          breaker: { ...(timings.breaker as object), minKicks: 1_000_000_000 },
        }),
  };
}
