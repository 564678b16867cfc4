/**
 * The composition root: the one place that reads config and wires adapters to services.
 * Follow the names from here to find any behaviour. Start-up runs in steps (src/app/): open the
 * adapters, build the services on them, build the listeners' APIs, start the background work.
 * Each step registers what it opened on one lifecycle, so that close, and a step that throws,
 * close everything opened before it in reverse order.
 */
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { openAdapters } from './app/adapters.ts';
import type { Context } from './app/context.ts';
import { Lifecycle } from './app/lifecycle.ts';
import { buildOperations } from './app/operations.ts';
import { buildPlayers, openEntitlements } from './app/players.ts';
import { type Built, buildApis, buildObservation, type Observation } from './app/apis.ts';
import { startRouting, startSiem } from './app/notify.ts';
import { startNode } from './app/start.ts';
import { buildTrust } from './app/trust.ts';
import type { AuditAnchoring, AuditLog, ChainWatch } from './audit/index.ts';
import type { BanService } from './bans/index.ts';
import type { KickBreaker } from './breaker/index.ts';
import type { CommandService } from './commands/index.ts';
import type { Config } from './config/index.ts';
import { HostResolver, resolvingFetch } from './dns/index.ts';
import { EventStream } from './events/index.ts';
import { logDomainEvents } from './events/log.ts';
import type { FlagService } from './flags/index.ts';
import type { Communications } from './comms/index.ts';
import type { IncidentService } from './incidents/index.ts';
import { bind } from './http/index.ts';
import type { Bus, LiveState } from './live/index.ts';
import type { Metrics } from './metrics/index.ts';
import type { OperatorService } from './operators/index.ts';
import type { RestoreService } from './restore/index.ts';
import type { Routing } from './routing/index.ts';
import type { SiemExporter } from './siem/index.ts';
import type { DetectionService, SignalService } from './signals/index.ts';
import type { SessionService, SocketHub } from './sessions/index.ts';
import type { RecordStore } from './store/index.ts';
import type { Tokens } from './tokens/index.ts';

export { openSealer, openStore } from './app/adapters.ts';

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
  readonly incidents: IncidentService;
  /** What the public and players are told about incidents (src/comms). */
  readonly comms: Communications;
  /** Signals to PagerDuty, Discord, Slack and webhooks through the outbox (docs/ROUTING.md). */
  readonly routing: Routing;
  /** The audit stream's export to a SIEM (docs/SIEM.md); null when `siem.sink` is `off`. */
  readonly siem: SiemExporter | null;
  readonly hub: SocketHub;
  readonly metrics: Metrics;
  /** Signals: raise, resolve, list (detectors, intake and reports go through it). */
  readonly signals: SignalService;
  /** The detectors fed by this node's events; absent when `detection.enabled` is false. Tests call `poll()`. */
  readonly detection: DetectionService | undefined;
  readonly player: FastifyInstance;
  readonly admin: FastifyInstance;
  /** Starts both listeners; resolves to their URLs. */
  listen(): Promise<{ playerUrl: string; adminUrl: string }>;
  /** Drains: /ready turns 503, sockets close with 1001, listeners and stores close. */
  close(): Promise<void>;
}

/**
 * Builds and starts one node, not yet listening (see {@link App.listen}). A step that throws
 * rejects with its own error after everything opened before it was closed, newest first.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? pino({ level: config.log.level, base: { node: config.nodeId } });
  const life = new Lifecycle();
  const events = new EventStream();
  logDomainEvents(events, logger);
  const resolver = new HostResolver(config.dns, clock, (host, code) =>
    events.emit('dns.failed', { host, code }),
  );
  const upstream = resolvingFetch(resolver);
  life.onClose('upstream connections', upstream.close);
  const dns = { resolver, fetch: upstream.fetch };
  const ctx: Context = { config, logger, clock, events, life, dns };
  let draining = false;
  return life.guard(async () => {
    const adapters = await openAdapters(config, logger, life, dns.fetch);
    const entitlements = openEntitlements(ctx, adapters);
    const trust = await buildTrust(ctx, adapters);
    const players = await buildPlayers(ctx, adapters, trust, entitlements);
    const ops = await buildOperations(ctx, adapters, trust, players);
    const built = { adapters, trust, players, ops };
    const observation = buildObservation(ctx, built);
    const apis = await buildApis(ctx, built, observation, () => draining);
    await startNode(ctx, built, observation);
    const routing = startRouting(ctx, adapters);
    const siem = startSiem(ctx, adapters);
    const close = async () => {
      // /ready turns 503 first, then everything stops in the reverse of its start.
      draining = true;
      await life.close();
    };
    return { ...assemble(ctx, built, observation, apis, close), routing, siem };
  });
}

/** The App a caller sees: the services by name, and listen and close. */
function assemble(
  { config, logger, events }: Context,
  { adapters, trust, players, ops }: Built,
  { metrics, signals, detection }: Observation,
  { player, admin }: { player: FastifyInstance; admin: FastifyInstance },
  close: () => Promise<void>,
): Omit<App, 'routing' | 'siem'> {
  const { store, live, bus } = adapters;
  const { tokens, audit, auditAnchoring, auditWatch, operators } = trust;
  const { sessions, flags } = players;
  const { commands, bans, breaker, restores, hub, incidents, comms } = ops;
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
    incidents,
    comms,
    hub,
    metrics,
    signals,
    detection,
    player,
    admin,
    close,
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
  };
}
