/**
 * What operators act through: the kick breaker, commands, bans and restores, and the socket hub
 * and admission controller on the player edge.
 */
import { AdmissionController } from '../admission/index.ts';
import { BanService } from '../bans/index.ts';
import { Communications } from '../comms/index.ts';
import { queueAnnouncement } from '../routing/index.ts';
import { KickBreaker } from '../breaker/index.ts';
import { CommandService } from '../commands/index.ts';
import { LifelineError } from '../errors/index.ts';
import { IncidentService } from '../incidents/index.ts';
import { silentSocketPolicy } from '../flags/index.ts';
import { HealthProbe, RestoreService } from '../restore/index.ts';
import { type SessionTokens, SocketHub } from '../sessions/index.ts';
import type { Adapters } from './adapters.ts';
import type { Context } from './context.ts';
import type { Players } from './players.ts';
import type { Trust } from './trust.ts';

export interface Operations {
  breaker: KickBreaker;
  commands: CommandService;
  bans: BanService;
  hub: SocketHub;
  /** Only with a remote identity upstream to protect. */
  admission: AdmissionController<SessionTokens> | undefined;
  health: HealthProbe;
  restores: RestoreService;
  incidents: IncidentService;
  /** What the public and players are told about incidents. */
  comms: Communications;
}

/** Halts the commands a previous run of this node left running. */
export async function buildOperations(
  ctx: Context,
  adapters: Adapters,
  { audit, operators, tokens }: Trust,
  players: Players,
): Promise<Operations> {
  const { config, logger, clock, events, life } = ctx;
  const { store, live, bus } = adapters;
  const { flags, sessions, limits, presence } = players;
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
  const bans = new BanService({ store, live, bus, audit, events, operators, clock, policy: config.commands });
  const interrupted = await commands.recover(true);
  if (interrupted > 0) logger.warn({ interrupted }, 'halted commands a previous run left running');
  const hub = socketHub(ctx, adapters, tokens, players);
  const admission = admissionFor(ctx, adapters);
  presence.onLapse(async () => {
    const closed = await hub.reconcile();
    if (closed > 0)
      logger.warn({ closed }, 'closed sockets whose sessions ended while this node was taken for lost');
  });
  const health = new HealthProbe(() => hub.size, ctx.dns.fetch);
  life.onClose('restore health probe', () => health.stop());
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
    settings: { ...config.restore, rejoinRetryGraceSeconds: config.tokens.refreshReuseGraceSeconds },
    policy: config.commands,
    nodeId: config.nodeId,
    startedAt: clock(),
  });
  const incidents = incidentService(ctx, adapters, audit);
  const comms = communications(ctx, adapters, audit, incidents);
  return { breaker, commands, bans, hub, admission, health, restores, incidents, comms };
}

function incidentService({ config, clock, events }: Context, { store }: Adapters, audit: Trust['audit']) {
  const { incidents: s, commands } = config;
  return new IncidentService({
    store,
    audit,
    events,
    clock,
    settings: {
      thresholds: { P0: s.p0, P1: s.p1, P2: s.p2 },
      autoDeclare: s.autoDeclare,
      payingLicences: commands.payingLicences,
      revenuePerPayingPlayerHour: s.revenuePerPayingPlayerHour,
      currency: s.currency,
      rtoObjectiveSeconds: s.rtoObjectiveSeconds,
      rpoObjectiveRecords: s.rpoObjectiveRecords,
    },
  });
}

function communications(
  { config, clock, events }: Context,
  { store, bus }: Adapters,
  audit: Trust['audit'],
  incidents: IncidentService,
): Communications {
  const c = config.comms;
  const destinations = config.routing.destinations.filter((d) => d.announcements === true);
  return new Communications({
    incidents,
    store,
    outbox:
      destinations.length === 0
        ? undefined
        : { announce: (a) => queueAnnouncement({ destinations, store, clock }, a) },
    bus,
    audit,
    events,
    clock,
    settings: {
      templates: c.templates,
      statusUrl: c.statusUrl,
      updateIntervalMinutes: c.updateIntervalMinutes,
      minSeverity: c.minSeverity,
      inGame: c.inGame,
      topology: Object.fromEntries(Object.entries(config.topology.regions).map(([r, t]) => [r, t.shards])),
    },
  });
}

function socketHub(
  ctx: Context,
  { live, bus }: Adapters,
  tokens: Trust['tokens'],
  players: Players,
): SocketHub {
  const { config, logger, clock, events } = ctx;
  const { flags, sessions } = players;
  return new SocketHub({
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
    onSilent: silentSocketPolicy({ flags, sessions, logger }),
    resume: (sessionId) => sessions.resume(sessionId),
    noticeIntervalMs: config.comms.noticeIntervalSeconds * 1000,
  });
}

function admissionFor(
  ctx: Context,
  { live, identity }: Adapters,
): AdmissionController<SessionTokens> | undefined {
  const { config, clock, events } = ctx;
  // Admission protects a remote identity upstream; dev and OIDC verify in-process.
  return identity.kind === 'http' && config.admission.enabled
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
}
