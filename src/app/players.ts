/** The player side: flags, rate limits, entitlements, sessions and this node's presence. */
import { createEntitlements, type EntitlementSource } from '../entitlements/index.ts';
import { FlagService } from '../flags/index.ts';
import { PlayerLimits, Presence, SessionService } from '../sessions/index.ts';
import type { Adapters } from './adapters.ts';
import type { Context } from './context.ts';
import type { Trust } from './trust.ts';

export interface Players {
  entitlements: EntitlementSource;
  flags: FlagService;
  limits: PlayerLimits;
  sessions: SessionService;
  presence: Presence;
}

/** The licence source; a static source's file is read here (CONFIG_UNREADABLE when it cannot be). */
export function openEntitlements(ctx: Context, { store }: Adapters): EntitlementSource {
  const { config, events, clock, dns } = ctx;
  return createEntitlements(
    { ...config.entitlements, licences: { ...config.entitlements.licences } },
    { store, events, clock, fetch: dns.fetch },
  );
}

/** Announces this node in live state: a node must not start blind to the others. */
export async function buildPlayers(
  ctx: Context,
  adapters: Adapters,
  trust: Trust,
  entitlements: EntitlementSource,
): Promise<Players> {
  const { config, logger, clock, events, life } = ctx;
  const { store, live, bus, identity } = adapters;
  const flags = await FlagService.open({ store, audit: trust.audit, clock, events });
  const limits = new PlayerLimits({ live, events, settings: config.player.rateLimit, clock });
  const sessions = new SessionService({
    flags,
    store,
    live,
    bus,
    tokens: trust.tokens,
    identity,
    entitlements,
    events,
    topology: config.topology,
    nodeId: config.nodeId,
    clock,
    refreshTtlSeconds: config.tokens.refreshTtlSeconds,
    refreshReuseGraceSeconds: config.tokens.refreshReuseGraceSeconds,
    limits,
    cap: { max: config.session.maxPerPlayer, whenFull: config.session.whenFull },
    endedGrantRetentionSeconds: config.tokens.endedGrantRetentionSeconds,
  });
  const presence = new Presence({
    live,
    sessions,
    audit: trust.audit,
    events,
    logger,
    nodeId: config.nodeId,
    clock,
    ttlMs: config.live.presenceTtlSeconds * 1000,
    heartbeatTimeoutMs: config.session.heartbeatTimeoutSeconds * 1000,
  });
  await presence.start();
  life.onClose('presence', () => presence.stop());
  return { entitlements, flags, limits, sessions, presence };
}
