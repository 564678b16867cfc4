/**
 * The composition root: the one place that reads config and wires adapters to services.
 * Follow the names from here to find any behaviour.
 */
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { AdmissionController } from './admission/index.ts';
import { type AuditAnchoring, AuditLog, ChainWatch, openAnchoring } from './audit/index.ts';
import { BanService } from './bans/index.ts';
import { KickBreaker } from './breaker/index.ts';
import { CommandService } from './commands/index.ts';
import { type Config, sqlitePath } from './config/index.ts';
import { createEntitlements } from './entitlements/index.ts';
import { LifelineError } from './errors/index.ts';
import { EventStream } from './events/index.ts';
import { FlagService } from './flags/index.ts';
import { bind, buildAdminApi, buildPlayerApi } from './http/index.ts';
import { createIdentity } from './identity/index.ts';
import { type Bus, type LiveState, openLive } from './live/index.ts';
import { createMetrics, type Metrics } from './metrics/index.ts';
import { OperatorService, watchBreakGlass } from './operators/index.ts';
import { DependencyProbes } from './probes/index.ts';
import { HealthProbe, RestoreService } from './restore/index.ts';
import { loadKek, Sealer } from './secrets/index.ts';
import {
  PlayerLimits,
  Presence,
  SessionService,
  type SessionTokens,
  SocketHub,
  shardRegions,
} from './sessions/index.ts';
import { openRecordStore, prepareDirectory, type RecordStore, tightenDataFiles } from './store/index.ts';
import { KEY_PICKUP_MS, Tokens } from './tokens/index.ts';

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
  /** The audit key, the anchor outside the store and the checkpointer writing to it. */
  readonly auditAnchoring: AuditAnchoring;
  /** Watches the store's chain head against what this node witnessed. */
  readonly auditWatch: ChainWatch;
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

/** How often a node rereads the token keys; rotation retires a key only well after this. */
const KEY_RELOAD_MS = KEY_PICKUP_MS / 2;

/**
 * The SQLite data directory 0700 and its database files 0600, whatever an older Lifeline or a
 * umask left: a reader of the database file must not be anyone but the service's own user.
 */
function secureDataDir(config: Config, logger: Logger): void {
  if (config.store.kind !== 'sqlite') return;
  const file = sqlitePath(config);
  if (file === ':memory:') return;
  // Created 0700 here, with a coded error (DATA_DIR_PERMISSION, DATA_DIR_CONFLICT) when it cannot be.
  prepareDirectory(file);
  for (const r of tightenDataFiles(config.dataDir, file)) {
    if (r.error === undefined)
      logger.warn(
        { path: r.path, was: r.was },
        'the data directory or a database file was readable by others; tightened',
      );
    else
      logger.warn(
        { path: r.path, was: r.was, err: r.error },
        'the data directory or a database file is readable by others and cannot be tightened',
      );
  }
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? pino({ level: config.log.level, base: { node: config.nodeId } });

  // Adapters: chosen here from config, and nowhere else.
  const identity = createIdentity(config.identity, config.environment);
  // The data directory first: the KEK file is created beside it, so its parent must exist.
  secureDataDir(config, logger);
  const sealer = openSealer(config, logger);
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

  let tokens: Tokens;
  try {
    tokens = await Tokens.load(store, sealer, config.tokens, clock, {
      onSignerError: (err) =>
        logger.error({ err }, 'a token-signing worker failed; its tokens were signed in-thread'),
    });
  } catch (err) {
    // A KEK that does not open the store's keys: close what is open, or the process would hang on
    // its connections instead of exiting with the error.
    await Promise.allSettled([bus.close(), live.close(), store.close()]);
    throw err;
  }
  const audit = new AuditLog({ store, clock });
  const auditAnchoring = openAnchoring({
    settings: config.audit,
    log: audit,
    sealer,
    node: config.nodeId,
    clock,
    logger,
  });
  try {
    await auditAnchoring.guard();
  } catch (err) {
    await Promise.allSettled([tokens.close(), bus.close(), live.close(), store.close()]);
    throw err;
  }
  const auditWatch = new ChainWatch({
    log: audit,
    clock,
    anchored: await auditAnchoring.takeStock(logger),
    onAlert: (alert) => {
      logger.error(
        { alert: 'audit-chain-regressed', kind: alert.kind, detail: alert.detail },
        'SECURITY: the audit chain went back or changed under this node; see the operator guide',
      );
      events.emit('audit.regressed', { kind: alert.kind, detail: alert.detail });
    },
  });
  const operators = new OperatorService({
    store,
    audit,
    clock,
    sealer,
    settings: config.operators,
    events,
    logger,
  });
  const sealedTotp = await operators.sealStoredSecrets();
  if (sealedTotp > 0) logger.warn({ operators: sealedTotp }, 'sealed TOTP secrets that were stored plain');
  const flags = await FlagService.open({ store, audit, clock });
  const limits = new PlayerLimits({ live, events, settings: config.player.rateLimit, clock });
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
    limits,
    cap: { max: config.session.maxPerPlayer, whenFull: config.session.whenFull },
    endedGrantRetentionSeconds: config.tokens.endedGrantRetentionSeconds,
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
    limits,
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
    auditRegressed: () => !auditWatch.status.ok,
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
    // Reported, never a reason to be unready: every node shares the store, so an unready answer
    // would take all of them out at once, and the sessions they hold are not at fault.
    const chain = auditWatch.status;
    // Only the kind: /ready is on the public port, and which seqs went missing is for operators
    // (the log, the metric, GET /admin/v1/audit/verify), not for whoever cut them.
    const alerts = { 'audit-chain': chain.ok ? 'ok' : chain.kind };
    return { ready, checks, dependencies, alerts };
  };

  const player = await buildPlayerApi({
    logger,
    bodyLimitBytes: config.player.bodyLimitBytes,
    trustProxy: config.player.trustProxy,
    limits,
    sessions,
    admission,
    restores,
    hub,
    tokens,
    metrics,
    metricsToken: config.metrics.token,
    readiness,
  });
  const admin = await buildAdminApi({
    logger,
    bodyLimitBytes: config.admin.bodyLimitBytes,
    operators,
    commands,
    bans,
    audit,
    verifyAudit: async () => {
      // What this node appended goes to the anchor first, so verify judges it too.
      await auditAnchoring.checkpointer.flush().catch(() => {});
      return auditAnchoring.verify();
    },
    live,
    store,
    breaker,
    flags,
    restores,
    metrics,
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
  auditAnchoring.checkpointer.start(config.audit.checkpointIntervalSeconds * 1000);
  auditWatch.start(config.audit.witnessIntervalSeconds * 1000);
  // Flags set on another node, or by the CLI on the store, arrive within a few seconds.
  const flagPoll = setInterval(() => void flags.refresh().catch(() => {}), 2000);
  flagPoll.unref();
  // A CLI break-glass write lands in the store, not here: its audit entry raises the alert.
  const stopBreakGlassWatch = await watchBreakGlass({ store, audit, events, logger, intervalMs: 2000 });
  // Ended grants go after their retention; every node may run it (a DELETE of what is past).
  const grantPurge = setInterval(
    () =>
      void sessions.purgeEndedGrants().catch((err: unknown) => {
        logger.warn({ err }, 'could not purge ended grants; will try again');
      }),
    config.tokens.grantPurgeIntervalSeconds * 1000,
  );
  grantPurge.unref();
  // Keys rotated by the CLI or another node: a token naming a new kid reloads at once; this poll
  // makes this node sign with the newest key and drop retired ones (well within KEY_PICKUP_MS).
  const keyPoll = setInterval(
    () =>
      void tokens.reload().catch((err: unknown) => logger.error({ err }, 'could not reload the token keys')),
    KEY_RELOAD_MS,
  );
  keyPoll.unref();

  return {
    config,
    logger,
    events,
    store,
    live,
    bus,
    tokens,
    audit,
    auditAnchoring,
    auditWatch,
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
      const playerUrl = await bind(player, 'player', config.player);
      try {
        const adminUrl = await bind(admin, 'admin', config.admin);
        return { playerUrl, adminUrl };
      } catch (err) {
        // A node without its admin plane cannot be operated: never leave it serving players.
        await player.close();
        throw err;
      }
    },
    async close() {
      draining = true;
      clearInterval(flagPoll);
      stopBreakGlassWatch();
      clearInterval(grantPurge);
      clearInterval(keyPoll);
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
      auditWatch.stop();
      await auditAnchoring.stop();
      metrics.stop();
      await tokens.close();
      await bus.close();
      await live.close();
      await store.close();
    },
  };
}
