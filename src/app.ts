/**
 * The composition root: the one place that reads config and wires adapters to services.
 * Follow the names from here to find any behaviour.
 */
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { AdmissionController } from './admission/index.ts';
import { AuditLog } from './audit/index.ts';
import { BanService } from './bans/index.ts';
import { KickBreaker } from './breaker/index.ts';
import { CommandService } from './commands/index.ts';
import { type Config, sqlitePath } from './config/index.ts';
import { createEntitlements } from './entitlements/index.ts';
import { LifelineError } from './errors/index.ts';
import { EventStream } from './events/index.ts';
import { FlagService } from './flags/index.ts';
import { buildAdminApi, buildPlayerApi } from './http/index.ts';
import { createIdentity } from './identity/index.ts';
import { type Bus, type LiveState, openLive } from './live/index.ts';
import { createMetrics, type Metrics } from './metrics/index.ts';
import { OperatorService } from './operators/index.ts';
import { DependencyProbes } from './probes/index.ts';
import { HealthProbe, RestoreService } from './restore/index.ts';
import { loadKek, Sealer } from './secrets/index.ts';
import { Presence, SessionService, type SessionTokens, SocketHub, shardRegions } from './sessions/index.ts';
import { openRecordStore, type RecordStore } from './store/index.ts';
import { Tokens } from './tokens/index.ts';

export interface AppOptions {
  config: Config;
  /** Defaults to a pino logger at config.log.level on stdout. */
  logger?: Logger;
  /** Defaults to Date.now; drills and tests pass a virtual clock. */
  clock?: () => number;
}

/** The services and listeners of one Lifeline node. */
export interface App {
  readonly config: Config;
  readonly logger: Logger;
  /** What happened, as it happens: metrics listen here, and so may tests and drills. */
  readonly events: EventStream;
  readonly store: RecordStore;
  readonly live: LiveState;
  readonly bus: Bus;
  readonly tokens: Tokens;
  readonly audit: AuditLog;
  readonly operators: OperatorService;
  readonly sessions: SessionService;
  readonly commands: CommandService;
  readonly bans: BanService;
  readonly breaker: KickBreaker;
  readonly flags: FlagService;
  readonly restores: RestoreService;
  readonly hub: SocketHub;
  readonly metrics: Metrics;
  readonly player: FastifyInstance;
  readonly admin: FastifyInstance;
  /** Starts both listeners; resolves to their URLs. */
  listen(): Promise<{ playerUrl: string; adminUrl: string }>;
  /** Drains: /ready turns 503, sockets close with 1001, listeners and stores close. */
  close(): Promise<void>;
}

/** The record store alone, for CLI commands that work without a running server. */
export async function openStore(config: Config): Promise<RecordStore> {
  const { store } = config;
  return store.kind === 'postgres'
    ? openRecordStore({ kind: 'postgres', ...store.postgres })
    : openRecordStore({ kind: 'sqlite', path: sqlitePath(config) });
}

/**
 * The sealer for secrets at rest, under the KEK from `secrets.key` or `secrets.keyFile` (created
 * on first start). The server and the CLI's direct commands open it the same way.
 */
export function openSealer(config: Config, logger?: Logger): Sealer {
  const { kek, origin } = loadKek(config.secrets);
  if (origin.from === 'new-file')
    logger?.warn({ keyFile: config.secrets.keyFile }, 'created a new key-encryption key');
  if (origin.repairedMode !== undefined)
    logger?.warn(
      { keyFile: config.secrets.keyFile, was: origin.repairedMode },
      'the key-encryption key file was readable by others; its mode is now 0600',
    );
  return new Sealer(kek);
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? pino({ level: config.log.level, base: { node: config.nodeId } });

  // Adapters: chosen here from config, and nowhere else.
  const identity = createIdentity(config.identity, config.environment);
  const store = await openStore(config);
  const { live, bus } =
    config.live.kind === 'redis'
      ? await openLive({
          kind: 'redis',
          ...config.live.redis,
          onError: (err) => logger.warn({ err }, 'live state (Redis) connection trouble'),
        })
      : await openLive({ kind: 'memory' });
  const events = new EventStream();
  const entitlements = createEntitlements(
    { ...config.entitlements, licences: { ...config.entitlements.licences } },
    { store, events, clock },
  );

  const tokens = await Tokens.load(store, config.tokens, clock);
  const audit = new AuditLog({ store, clock });
  const operators = new OperatorService({ store, audit, clock });
  const flags = await FlagService.open({ store, audit, clock });
  const sessions = new SessionService({
    flags,
    store,
    live,
    bus,
    tokens,
    identity,
    entitlements,
    events,
    topology: config.topology,
    nodeId: config.nodeId,
    clock,
    refreshTtlSeconds: config.tokens.refreshTtlSeconds,
  });
  const presence = new Presence({
    live,
    sessions,
    audit,
    events,
    logger,
    nodeId: config.nodeId,
    clock,
    ttlMs: config.live.presenceTtlSeconds * 1000,
  });
  await presence.start();
  const breaker = new KickBreaker({ store, live, audit, events, logger, clock, settings: config.breaker });
  const commands = new CommandService({
    store,
    live,
    bus,
    audit,
    events,
    operators,
    breaker,
    flags,
    topology: config.topology,
    logger,
    clock,
    settings: config.commands,
    nodeId: config.nodeId,
  });
  const bans = new BanService({ store, live, bus, audit, events, operators, clock });
  const interrupted = await commands.recover(true);
  if (interrupted > 0) logger.warn({ interrupted }, 'halted commands a previous run left running');
  const hub = new SocketHub({
    live,
    tokens,
    bus,
    events,
    nodeId: config.nodeId,
    clock,
    heartbeatIntervalSeconds: config.session.heartbeatIntervalSeconds,
    heartbeatTimeoutSeconds: config.session.heartbeatTimeoutSeconds,
    idleTimeoutSeconds: config.session.idleTimeoutSeconds,
    limits: {
      maxMessageBytes: config.session.maxMessageBytes,
      messagesPerSecond: config.session.messageRate.perSecond,
      messageBurst: config.session.messageRate.burst,
      maxBufferedBytes: config.session.maxBufferedBytes,
    },
    onSilent: (sessionId) => {
      if (!flags.enabled('outage.declared')) return;
      void sessions.disrupt([sessionId], 'heartbeat-loss').catch((err: unknown) => {
        logger.error({ err, sessionId }, 'could not record a heartbeat-loss disruption');
      });
    },
  });
  // Admission protects a remote identity upstream; dev and OIDC verify in-process.
  const admission =
    identity.kind === 'http' && config.admission.enabled
      ? new AdmissionController<SessionTokens>({
          settings: config.admission,
          clock,
          events,
          permits: live,
          isUpstreamFailure: (err) =>
            err instanceof LifelineError &&
            (err.code === 'IDENTITY_UNAVAILABLE' || err.code === 'UPSTREAM_DNS_FAILURE'),
        })
      : undefined;
  presence.onLapse(async () => {
    const closed = await hub.reconcile();
    if (closed > 0)
      logger.warn({ closed }, 'closed sockets whose sessions ended while this node was taken for lost');
  });
  const health = new HealthProbe(() => hub.size);
  const restores = new RestoreService({
    store,
    live,
    sessions,
    tokens,
    audit,
    events,
    operators,
    health,
    logger,
    clock,
    settings: config.restore,
    policy: config.commands,
    nodeId: config.nodeId,
  });
  const regions = shardRegions(config.topology);
  const probes = new DependencyProbes(config.probes, clock);
  const metrics = createMetrics({
    events,
    live,
    regionOf: (shard) => regions.get(shard) ?? 'unknown',
    breakerOpen: async () => (await breaker.state()).state === 'open',
    probes: () => probes.results(),
    eventLoopResolutionMs: config.metrics.eventLoopResolutionMs,
  });

  let draining = false;
  const readiness = async () => {
    const checks: Record<string, string> = { draining: draining ? 'yes' : 'no' };
    const probe = async (name: string, ping: () => Promise<void>) => {
      try {
        await ping();
        checks[name] = 'ok';
      } catch (err) {
        checks[name] = `unreachable: ${(err as Error).message}`;
      }
    };
    await Promise.all([probe('store', () => store.ping()), probe('live', () => live.ping())]);
    const ready = !draining && Object.values(checks).every((v) => v === 'ok' || v === 'no');
    // Upstreams and DNS are reported, never a reason to be unready: a node that cannot reach its
    // identity upstream still keeps every session it holds (static stability).
    const dependencies = Object.fromEntries(
      probes.results().map((r) => [`${r.kind}:${r.name}`, r.ok ? 'ok' : `failing: ${r.error}`]),
    );
    if (admission) {
      dependencies.identity =
        admission.limit <= config.admission.minLimit && admission.queued > 0
          ? 'degraded: queueing at the minimum limit'
          : 'ok';
    }
    return { ready, checks, dependencies };
  };

  const player = await buildPlayerApi({
    logger,
    bodyLimitBytes: config.player.bodyLimitBytes,
    trustProxy: config.player.trustProxy,
    sessions,
    admission,
    restores,
    hub,
    tokens,
    metrics,
    readiness,
  });
  const admin = await buildAdminApi({
    logger,
    bodyLimitBytes: config.admin.bodyLimitBytes,
    operators,
    commands,
    bans,
    audit,
    live,
    store,
    breaker,
    flags,
    restores,
    rateLimit: config.admin.rateLimit,
    clock,
  });
  hub.start();
  probes.start();
  entitlements.start?.();
  events.on('entitlement.verified', (e) => {
    void sessions.confirmEntitlement(e.playerId, e.licence).catch(() => {});
  });
  const resumed = await restores.recover();
  if (resumed > 0) logger.warn({ resumed }, 'resumed restores a previous run left unfinished');
  // From now on, a command or restore whose node is lost is halted or resumed here.
  presence.onRound(async () => {
    const halted = await commands.recover(false);
    if (halted > 0) logger.warn({ halted }, 'halted commands a lost node left running');
    const adopted = await restores.recover();
    if (adopted > 0) logger.warn({ adopted }, 'resumed restores a lost node left unfinished');
  });
  // Flags set on another node, or by the CLI on the store, arrive within a few seconds.
  const flagPoll = setInterval(() => void flags.refresh().catch(() => {}), 2000);
  flagPoll.unref();

  return {
    config,
    logger,
    events,
    store,
    live,
    bus,
    tokens,
    audit,
    operators,
    sessions,
    commands,
    bans,
    breaker,
    flags,
    restores,
    hub,
    metrics,
    player,
    admin,
    async listen() {
      const playerUrl = await player.listen({ host: config.player.host, port: config.player.port });
      const adminUrl = await admin.listen({ host: config.admin.host, port: config.admin.port });
      return { playerUrl, adminUrl };
    },
    async close() {
      draining = true;
      clearInterval(flagPoll);
      commands.stop();
      await presence.stop();
      await restores.stop();
      health.stop();
      probes.stop();
      admission?.stop();
      entitlements.stop?.();
      hub.stop();
      await Promise.allSettled([player.close(), admin.close()]);
      await commands.settle();
      metrics.stop();
      await bus.close();
      await live.close();
      await store.close();
    },
  };
}
