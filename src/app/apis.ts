/** The node's face: metrics, /ready and the two listeners' APIs, built but not yet bound. */
import type { FastifyInstance } from 'fastify';
import { StatusBoard, statusPage } from '../comms/index.ts';
import { buildAdminApi, buildPlayerApi } from '../http/index.ts';
import { Compensation, FollowUp } from '../incidents/index.ts';
import { createMetrics, type Metrics } from '../metrics/index.ts';
import type { Config } from '../config/index.ts';
import { chainAlert, DependencyProbes, readinessCheck, upstreamHostnames } from '../probes/index.ts';
import { shardRegions } from '../sessions/index.ts';
import { PlayerReports } from '../signals/index.ts';
import type { Adapters } from './adapters.ts';
import type { Context } from './context.ts';
import type { Operations } from './operations.ts';
import type { Players } from './players.ts';
import { buildSignals, type Signals } from './signals.ts';
import type { Trust } from './trust.ts';

/** Everything built before the listeners. */
export interface Built {
  adapters: Adapters;
  trust: Trust;
  players: Players;
  ops: Operations;
}

export interface Observation extends Signals {
  probes: DependencyProbes;
  metrics: Metrics;
}

export function buildObservation(ctx: Context, { adapters, trust, ops }: Built): Observation {
  const { config, clock, events, life } = ctx;
  const regions = shardRegions(config.topology);
  const probes = new DependencyProbes(probeSettings(config), clock, (r) =>
    events.emit('dependency.probed', { probe: `${r.kind}:${r.name}`, ok: r.ok, error: r.error }),
  );
  const signals = buildSignals(ctx, adapters);
  const metrics = createMetrics({
    events,
    live: adapters.live,
    regionOf: (shard) => regions.get(shard) ?? 'unknown',
    breakerOpen: async () => (await ops.breaker.state()).state === 'open',
    probes: () => probes.results(),
    eventLoopResolutionMs: config.metrics.eventLoopResolutionMs,
    auditRegressed: () => !trust.auditWatch.status.ok,
    openSignals: () => adapters.store.listSignals({ state: 'open', limit: 10_000 }),
    admission: () => ops.admission?.snapshot() ?? null,
  });
  life.onClose('metrics', () => metrics.stop());
  return { probes, metrics, ...signals };
}

/**
 * The probes resolve the configured hostnames and the upstreams' own, through the probes' DNS
 * servers or else the ones Lifeline resolves its upstreams with (`dns.servers`).
 */
function probeSettings(config: Config) {
  const urls = [
    config.identity.provider === 'http' ? config.identity.http.url : '',
    config.identity.provider === 'oidc' ? config.identity.oidc.jwksUrl : '',
    config.entitlements.source === 'http' ? config.entitlements.http.url : '',
  ];
  const hostnames = [...new Set([...config.probes.hostnames, ...upstreamHostnames(urls)])];
  const dnsServers = config.probes.dnsServers.length > 0 ? config.probes.dnsServers : config.dns.servers;
  return { ...config.probes, hostnames, dnsServers };
}

/**
 * Both listeners' APIs, not yet bound. Registered as one step: at close, both drain at once;
 * the commands their requests started settle after, before the audit's last checkpoint.
 */
export async function buildApis(
  ctx: Context,
  { adapters, trust, players, ops }: Built,
  { probes, metrics, signals }: Observation,
  draining: () => boolean,
): Promise<{ player: FastifyInstance; admin: FastifyInstance }> {
  const { config, logger, clock, life } = ctx;
  const { store, live } = adapters;
  const ready = readiness({ adapters, trust, players, ops }, probes, draining);
  const player = await buildPlayerApi({
    logger,
    bodyLimitBytes: config.player.bodyLimitBytes,
    trustProxy: config.player.trustProxy,
    limits: players.limits,
    sessions: players.sessions,
    admission: ops.admission,
    restores: ops.restores,
    hub: ops.hub,
    tokens: trust.tokens,
    metrics,
    metricsToken: config.metrics.token,
    reports: new PlayerReports({
      events: ctx.events,
      forPlayer: (playerId) => players.limits.forPlayer('report', playerId),
      playerOf: async (token) => (await trust.tokens.verifyAccess(token)).sub,
    }),
    readiness: ready,
    status: { board: statusBoard(ctx, adapters, ready), page: statusPage },
  });
  const admin = await buildAdminApi({
    logger,
    bodyLimitBytes: config.admin.bodyLimitBytes,
    operators: trust.operators,
    admission: () => ops.admission?.snapshot() ?? null,
    commands: ops.commands,
    bans: ops.bans,
    audit: trust.audit,
    verifyAudit: async () => {
      // What this node appended goes to the anchor first, so verify judges it too.
      await trust.auditAnchoring.checkpointer.flush().catch(() => {});
      return trust.auditAnchoring.verify();
    },
    live,
    store,
    breaker: ops.breaker,
    flags: players.flags,
    restores: ops.restores,
    signals,
    intakeSecret: config.detection.intakeSecret,
    incidents: ops.incidents,
    ...followUps(ctx, adapters, trust, ops.incidents, signals),
    comms: ops.comms,
    metrics,
    rateLimit: config.admin.rateLimit,
    clock,
    console: { config: config.console, events: ctx.events },
  }).catch(async (err: unknown) => {
    await player.close();
    throw err;
  });
  life.onClose('commands settle', () => ops.commands.settle());
  life.onClose('listeners', () => Promise.allSettled([player.close(), admin.close()]));
  return { player, admin };
}

/**
 * Compensation and the post-mortem follow-up; the follow-up's periodic check (overdue action
 * items, a P0's missing post-mortem) runs on every node: its signals are idempotent.
 */
function followUps(
  { config, clock, life, logger }: Context,
  { store }: Built['adapters'],
  trust: Built['trust'],
  incidents: Built['ops']['incidents'],
  signals: Observation['signals'],
) {
  const s = config.incidents;
  const destination = s.compensationDestination === '' ? null : s.compensationDestination;
  const compensation = new Compensation({ store, incidents, audit: trust.audit, clock, destination });
  const followUp = new FollowUp({
    store,
    incidents,
    signals,
    audit: trust.audit,
    clock,
    postmortemDueHours: s.postmortemDueHours,
  });
  const timer = setInterval(
    () =>
      void followUp
        .check()
        .catch((err: unknown) => logger.warn({ err }, 'the incident follow-up check failed')),
    s.followUpCheckSeconds * 1000,
  );
  timer.unref();
  life.onClose('incident follow-up', () => clearInterval(timer));
  return { compensation, followUp };
}

/** The public status page's sources: this node's readiness, the open signals, told incidents. */
function statusBoard(
  { config, clock }: Context,
  { store }: Adapters,
  ready: ReturnType<typeof readinessCheck>,
) {
  const c = config.comms;
  return new StatusBoard({
    pageName: c.pageName,
    pageUrl: c.statusUrl,
    regions: Object.keys(config.topology.regions),
    historyMs: c.historyDays * 86_400_000,
    cacheMs: c.statusCacheSeconds * 1000,
    clock,
    readiness: ready,
    signals: (q) => store.listSignals(q),
    incidents: (q) => store.listIncidents(q),
    updatesSince: (since, limit) => store.incidentUpdatesSince(since, limit),
  });
}

/** /ready's sources: each capability reports its own part (see probes/readiness.ts). */
function readiness({ adapters, trust, ops }: Built, probes: DependencyProbes, draining: () => boolean) {
  const { store, live } = adapters;
  return readinessCheck({
    draining,
    pings: { store: () => store.ping(), live: () => live.ping() },
    probes: () => probes.results(),
    upstreams: (): Record<string, string> =>
      ops.admission ? { identity: ops.admission.upstreamHealth } : {},
    alerts: () => ({ 'audit-chain': chainAlert(trust.auditWatch.status) }),
  });
}
