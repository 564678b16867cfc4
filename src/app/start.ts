/**
 * The node's background work, started once everything is built: the hub, probes, restores and
 * presence rounds, checkpoints and the polls for what other nodes and the CLI change.
 */
import { autoDeclare } from '../incidents/index.ts';
import { watchBreakGlass } from '../operators/index.ts';
import { AuditFollower, Rollback } from '../signals/index.ts';
import { KEY_PICKUP_MS } from '../tokens/index.ts';
import type { Built, Observation } from './apis.ts';
import type { Context } from './context.ts';
import { changeWindows } from './signals.ts';

/** How often a node rereads the token keys; rotation retires a key only well after this. */
const KEY_RELOAD_MS = KEY_PICKUP_MS / 2;

/**
 * Starts the node's background work, each registered to stop so that close runs, newest first:
 * the polls, command holds, presence rounds, restores, probes, admission, entitlements, the hub;
 * then the listeners (registered by buildApis) and, last, what was opened before them.
 */
export async function startNode(ctx: Context, built: Built, observation: Observation): Promise<void> {
  const { probes, detection } = observation;
  const { life, events } = ctx;
  const { trust, players, ops } = built;
  ops.hub.start();
  life.onClose('socket hub', () => ops.hub.stop());
  life.onClose('entitlements', () => players.entitlements.stop?.());
  life.onClose('admission', () => ops.admission?.stop());
  probes.start();
  life.onClose('dependency probes', () => probes.stop());
  if (detection) {
    detection.start();
    life.onClose('detection', () => detection.stop());
  }
  players.entitlements.start?.();
  events.on('entitlement.verified', (e) => {
    void players.sessions.confirmEntitlement(e.playerId, e.licence).catch(() => {});
  });
  life.onClose('restores', () => ops.restores.stop());
  if (ops.incidents.settings.autoDeclare) {
    const stop = autoDeclare({
      incidents: ops.incidents,
      events,
      logger: ctx.logger,
      breakerState: () => ops.breaker.state(),
      breakerWindowSeconds: ctx.config.breaker.windowSeconds,
    });
    life.onClose('incident auto-declaration', stop);
  }
  ops.comms.start();
  const offCommsFailed = events.on('comms.failed', ({ incidentId, err }) =>
    ctx.logger.warn(
      { err, incidentId },
      'could not tell an incident change; the next change or update tries again',
    ),
  );
  life.onClose('comms failure log', offCommsFailed);
  life.onClose('incident communication', () => ops.comms.stop());
  await adoptRuns(ctx, built);
  trust.start();
  await startPolls(ctx, built);
  await startAuditFollow(ctx, built, observation);
}

/**
 * Admin-operation anomalies and automatic rollback, on whichever node holds the audit lease:
 * the audit chain is followed whatever wrote it, and the open signals are judged for suspects.
 */
async function startAuditFollow(
  { config, clock, events, logger, life }: Context,
  built: Built,
  o: Observation,
): Promise<void> {
  if (!config.detection.enabled) return;
  const c = config.detection;
  const rollback = new Rollback({
    flags: built.players.flags,
    signals: o.signals,
    logger,
    watchMs: c.rollback.watchSeconds * 1000,
  });
  const follower = new AuditFollower({
    audit: built.trust.audit,
    leases: built.adapters.live,
    nodeId: config.nodeId,
    signals: o.signals,
    rollback,
    clock,
    logger,
    settings: {
      bulkSessions: config.commands.smallMaxSessions,
      learnMs: c.audit.learnDays * 86_400_000,
      quietMs: c.audit.quietMinutes * 60_000,
      changeWindows: changeWindows(c.changeWindows),
    },
  });
  await follower.start();
  let busy = false;
  const round = async () => {
    if (busy) return;
    busy = true;
    try {
      // Signals are listed before the chain is read: every change made before one of them was
      // raised is then in the watch when it is judged (read the other way round, a signal raised
      // during a slow round was judged without the changes appended just before it).
      const open = await o.signals.list({ state: 'open', limit: 200 });
      await follower.poll();
      if (follower.leading) for (const s of open) await rollback.judge(s);
    } catch (err) {
      logger.warn({ err }, 'could not follow the audit chain for anomalies and rollbacks; will try again');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void round(), c.audit.intervalSeconds * 1000);
  timer.unref();
  const offRegressed = events.on(
    'audit.regressed',
    (e) => void follower.regressed(e.kind, e.detail).catch(() => {}),
  );
  life.onClose('audit follow', () => {
    clearInterval(timer);
    offRegressed();
  });
}

/** Resumes restores a previous run left; from then on, lost nodes' runs are taken over here. */
async function adoptRuns({ logger, life }: Context, { players, ops }: Built): Promise<void> {
  const resumed = await ops.restores.recover();
  if (resumed > 0) logger.warn({ resumed }, 'resumed restores a previous run left unfinished');
  // From now on, a command or restore whose node is lost is halted or resumed here.
  players.presence.onRound(async () => {
    const halted = await ops.commands.recover(false);
    if (halted > 0) logger.warn({ halted }, 'halted commands a lost node left running');
    const adopted = await ops.restores.recover();
    if (adopted > 0) logger.warn({ adopted }, 'resumed restores a lost node left unfinished');
  });
  // Presence rounds stop before the restores they could adopt (a second stop is a no-op).
  life.onClose('presence rounds', () => players.presence.stop());
  life.onClose('command holds', () => ops.commands.stop());
}

/** Polls for what other nodes and the CLI change in the store, and the grant purge. */
async function startPolls(
  { config, logger, life, events }: Context,
  { adapters, trust, players }: Built,
): Promise<void> {
  const { flags, sessions } = players;
  // Flags set on another node, or by the CLI on the store, arrive within a few seconds.
  const flagPoll = setInterval(() => void flags.refresh().catch(() => {}), 2000);
  flagPoll.unref();
  life.onClose('flag poll', () => clearInterval(flagPoll));
  // A CLI break-glass write lands in the store, not here: its audit entry raises the alert.
  const { store } = adapters;
  const { audit } = trust;
  const stopBreakGlassWatch = await watchBreakGlass({ store, audit, events, logger, intervalMs: 2000 });
  life.onClose('break-glass watch', stopBreakGlassWatch);
  // Ended grants go after their retention; every node may run it (a DELETE of what is past).
  const grantPurge = setInterval(
    () =>
      void sessions.purgeEndedGrants().catch((err: unknown) => {
        logger.warn({ err }, 'could not purge ended grants; will try again');
      }),
    config.tokens.grantPurgeIntervalSeconds * 1000,
  );
  grantPurge.unref();
  life.onClose('grant purge', () => clearInterval(grantPurge));
  // Keys rotated by the CLI or another node: a token naming a new kid reloads at once; this poll
  // makes this node sign with the newest key and drop retired ones (well within KEY_PICKUP_MS).
  const keyPoll = setInterval(
    () =>
      void trust.tokens
        .reload()
        .catch((err: unknown) => logger.error({ err }, 'could not reload the token keys')),
    KEY_RELOAD_MS,
  );
  keyPoll.unref();
  life.onClose('key poll', () => clearInterval(keyPoll));
}
