import { createHash } from 'node:crypto';
import type { BanRecords, DisruptionLedger, Grants, RestoreRecords } from '../store/index.ts';
import type { NodePresence, SessionDirectory } from '../live/index.ts';
import type { EntitlementSource } from '../entitlements/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import type { FlagService } from '../flags/index.ts';
import type { Credential, IdentityProvider } from '../identity/index.ts';
import { disruptionOf } from '../disruptions/index.ts';
import type { Bus } from '../live/index.ts';
import type { LiveSession, SessionCap } from './records.ts';
import type { Grant } from '../tokens/records.ts';
import type { RestoreSnapshot } from '../disruptions/records.ts';
import { timeOrderedBytes, uuid7 } from '../ids/index.ts';
import type { Tokens } from '../tokens/index.ts';
import type { PlayerLimits } from './limits.ts';
import { checkPlacement, type Topology } from './topology.ts';

export interface LoginInput extends Credential {
  region: string;
  shard: string;
  zone?: string;
  clientVersion?: string;
}

/** What a successful login, refresh or rejoin hands the client. */
export interface SessionTokens {
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface SessionServiceDeps {
  store: Grants &
    DisruptionLedger &
    Pick<BanRecords, 'currentBan'> &
    Pick<RestoreRecords, 'settleDisruption'>;
  live: SessionDirectory & NodePresence;
  bus: Bus;
  tokens: Tokens;
  identity: IdentityProvider;
  entitlements: EntitlementSource;
  events: EventStream;
  flags: FlagService;
  topology: Topology;
  nodeId: string;
  clock: () => number;
  refreshTtlSeconds: number;
  /**
   * How long after a rotation the refresh token it spent is still answered, with the current
   * tokens, to a refresh without the retry key the rotation was made with
   * (tokens.refreshReuseGraceSeconds). @defaultValue 0
   */
  refreshReuseGraceSeconds?: number;
  /** The per-player buckets (the per-address ones are the routes'). */
  limits: PlayerLimits;
  /** How many live sessions a player may hold (session.maxPerPlayer, session.whenFull). */
  cap: SessionCap;
  /** How long an ended grant is kept (so its refresh tokens still answer "ended") before the purge. */
  endedGrantRetentionSeconds: number;
}

/**
 * Opens sessions, keeps them alive, and checks the tokens that name them. Only `login` calls
 * the identity provider; `refresh` works from Lifeline's own durable grant, so an identity
 * outage never ends a session (static stability).
 */
/** A failure's catalog code; anything else (a bug, a driver error) is `INTERNAL`. */
function codeOf(err: unknown): string {
  return err instanceof LifelineError ? err.code : 'INTERNAL';
}

/**
 * What the store keeps of a refresh's retry key: a digest, so that a copy of the store does not
 * hold what a retry would need to present (the key travels once, with the refresh token).
 */
function digest(retryKey: string): string {
  return createHash('sha256').update(retryKey).digest('base64url');
}

/** Where a login came from, as the `login` event carries it for the detectors. */
function where(input: LoginInput): { region: string; shard: string; clientVersion?: string } {
  return input.clientVersion === undefined
    ? { region: input.region, shard: input.shard }
    : { region: input.region, shard: input.shard, clientVersion: input.clientVersion };
}

export class SessionService {
  readonly #d: SessionServiceDeps;

  constructor(deps: SessionServiceDeps) {
    this.#d = deps;
  }

  /**
   * `verified` is called once the identity provider has answered and before the session is
   * written: admission holds its permit for the identity call only, not for Lifeline's own work.
   */
  async login(input: LoginInput, verified?: () => void): Promise<SessionTokens> {
    const d = this.#d;
    if (!d.flags.enabled('logins.enabled')) {
      // Closing logins never closes sessions: refresh, sockets and rejoin carry on.
      d.events.emit('login', { outcome: 'closed' });
      throw new LifelineError('LOGINS_CLOSED', d.flags.text('maintenance.message'), {
        details: { retryAfterSeconds: d.flags.number('logins.retryAfterSeconds') },
      });
    }
    if ((input.playerId === undefined) === (input.idToken === undefined)) {
      d.events.emit('login', { outcome: 'invalid' });
      throw new LifelineError('CREDENTIAL_MISSING');
    }
    try {
      checkPlacement(d.topology, input);
    } catch (err) {
      d.events.emit('login', { outcome: 'invalid' });
      throw err;
    }
    let playerId: string;
    try {
      ({ playerId } = await d.identity.verify(input));
      verified?.();
    } catch (err) {
      const code = codeOf(err);
      d.events.emit('login', {
        outcome: code === 'IDENTITY_UNAVAILABLE' ? 'unavailable' : 'rejected',
        ...where(input),
        code,
      });
      throw err;
    }
    try {
      const tokens = await this.#admit(playerId, input);
      d.events.emit('login', { outcome: 'ok', ...where(input) });
      return tokens;
    } catch (err) {
      // A ban was announced where it was found; any other failure from here on (a limit, the
      // store, entitlements) is counted with its code, so the detectors see Lifeline's own faults.
      if (!(err instanceof LifelineError && err.code === 'PLAYER_BANNED'))
        d.events.emit('login', { outcome: 'rejected', ...where(input), code: codeOf(err) });
      throw err;
    }
  }

  /** A proven player's login: their limit, their ban, their entitlement, then the session. */
  async #admit(playerId: string, input: LoginInput): Promise<SessionTokens> {
    const d = this.#d;
    // Only now is the player proven: a client naming someone else's id cannot spend their tokens.
    // The ban is read at the login's own time (a ban past its expiry no longer stands, with no
    // job to end it), beside the limit rather than after it: on PostgreSQL and Redis these are
    // two round trips. The limit's refusal still comes first, whatever the ban read says.
    const [limited, read] = await Promise.allSettled([
      d.limits.forPlayer('login', playerId),
      d.store.currentBan(playerId, d.clock()),
    ]);
    if (limited.status === 'rejected') throw limited.reason;
    if (read.status === 'rejected') throw read.reason;
    const ban = read.value;
    if (ban) {
      // The ban's reason is an operator's note: it stays in the audit log, not in the answer.
      // When it ends is the player's to know.
      d.events.emit('login', { outcome: 'banned', ...where(input), code: 'PLAYER_BANNED' });
      throw new LifelineError('PLAYER_BANNED', undefined, {
        details: { bannedAt: ban.at, expiresAt: ban.expiresAt },
      });
    }
    const entitlement = await d.entitlements.entitlementFor(playerId);
    const snapshot: RestoreSnapshot = {
      region: input.region,
      shard: input.shard,
      zone: input.zone ?? null,
      clientVersion: input.clientVersion ?? null,
      licence: entitlement.licence,
      provisional: entitlement.provisional,
    };
    return this.#open(playerId, snapshot, d.clock());
  }

  /**
   * Opens a new session where a disrupted one was, for a rejoin: same region, shard, zone and
   * licence, and no call to identity or entitlements (the restore snapshot is the evidence).
   */
  async reopen(playerId: string, snapshot: RestoreSnapshot, sessionId?: string): Promise<SessionTokens> {
    return this.#open(playerId, snapshot, this.#d.clock(), sessionId);
  }

  async #open(
    playerId: string,
    snapshot: RestoreSnapshot,
    now: number,
    sessionId?: string,
  ): Promise<SessionTokens> {
    const d = this.#d;
    const fresh: Grant = {
      sessionId: sessionId ?? uuid7(now),
      playerId,
      familyId: timeOrderedBytes(now).toString('base64url'),
      snapshot,
      generation: 0,
      createdAt: now,
      expiresAt: now + d.refreshTtlSeconds * 1000,
      revokedAt: null,
      revokedReason: null,
    };
    // The grant is committed before the session goes live: a session the cap can push out always
    // has a grant to revoke (never one still being written, which would land unrevoked).
    const grant = sessionId === undefined ? await this.#commit(fresh) : await this.#commitNamed(fresh);
    const opened = await d.live.openSession(this.#liveFrom(grant, now), d.cap);
    if (!opened.opened) {
      await d.store.revokeGrants([grant.sessionId], d.clock(), 'session-limit');
      throw new LifelineError('SESSION_LIMIT_REACHED', undefined, { details: { maxPerPlayer: d.cap.max } });
    }
    await this.#endReplaced(opened.replaced);
    return this.#tokensFor(grant);
  }

  async #commit(grant: Grant): Promise<Grant> {
    await this.#d.store.openGrant(grant);
    return grant;
  }

  /**
   * A grant whose session id the caller chose (a rejoin names it after its record): if an earlier
   * attempt already wrote it (and crashed before answering, or is racing this one), that grant is
   * the session, unless it has ended since.
   */
  async #commitNamed(grant: Grant): Promise<Grant> {
    const d = this.#d;
    const earlier = async () => {
      const found = await d.store.getGrant(grant.sessionId);
      return found && found.playerId === grant.playerId && found.revokedAt === null ? found : null;
    };
    const existing = await earlier();
    if (existing) return existing;
    try {
      await d.store.openGrant(grant);
      return grant;
    } catch (err) {
      const raced = await earlier();
      if (raced) return raced;
      throw err;
    }
  }

  /**
   * A returning session (its live entry lapsed: idle, or a restart) takes its slot back under the
   * cap. Returns null when the cap refuses it; the grant stays valid either way.
   */
  async #revive(grant: Grant, now: number): Promise<LiveSession | null> {
    const session = this.#liveFrom(grant, now);
    const opened = await this.#d.live.openSession(session, this.#d.cap);
    if (!opened.opened) return null;
    await this.#endReplaced(opened.replaced);
    await this.#settleReconnected(session.id);
    return session;
  }

  /**
   * Ends the sessions the cap pushed out (replace-oldest): the player opened a newer one, so this
   * is no disruption and leaves no record. The grant is revoked at once (its refresh tokens
   * answer SESSION_ENDED) and the socket, wherever it is held, closes with 4005.
   */
  async #endReplaced(replaced: readonly LiveSession[]): Promise<void> {
    const d = this.#d;
    if (replaced.length === 0) return;
    await d.store.revokeGrants(
      replaced.map((s) => s.id),
      d.clock(),
      'session-limit',
    );
    await Promise.all(replaced.map((s) => d.bus.deliver(s.node, { kind: 'superseded', sessionId: s.id })));
    d.events.emit('session.ended', { cause: 'session-limit', count: replaced.length });
  }

  /**
   * Deletes grants that ended (revoked or expired) longer than the retention ago, a batch at a
   * time. Until then a refresh token of theirs still answers "ended" (and reuse is still told
   * apart); after, "invalid". Returns how many went.
   */
  async purgeEndedGrants(batch = 1000): Promise<number> {
    const d = this.#d;
    const before = d.clock() - d.endedGrantRetentionSeconds * 1000;
    let total = 0;
    for (;;) {
      const n = await d.store.purgeGrants(before, batch);
      total += n;
      if (n < batch) return total;
    }
  }

  /**
   * Ends sessions without the player choosing it, leaving a disruption record for each so a
   * restore can bring them back. Returns how many were still live.
   */
  async disrupt(sessionIds: readonly string[], cause: 'heartbeat-loss'): Promise<number> {
    const ended = await this.#d.live.endSessions(sessionIds);
    if (ended.length > 0) await this.#record(ended, cause, true);
    return ended.length;
  }

  /**
   * Takes up to `limit` of the sessions a lost node held out of live state. Returns how many; 0
   * once the node holds none.
   *
   * A node's loss ends no session: the session is the grant in the store, and only its socket
   * died with the node. So the grant stays, and the player's own tokens bring the same session
   * back through any node (a refresh, or the socket's upgrade, revives it), with no operator and
   * no restore to wait for. What is recorded is the disruption: each session seen since
   * `connectedSince` (its player was connected when the node died) leaves a `node-loss` record,
   * settled `restored` (`reconnected`) when the session is revived. A session not seen since
   * then had no player on it (gone idle, its player quit): nothing was disrupted, no record.
   */
  async disruptNode(node: string, limit: number, connectedSince: number): Promise<number> {
    const ended = await this.#d.live.endNodeSessions(node, limit);
    const connected = ended.filter((s) => s.lastSeenAt >= connectedSince);
    if (connected.length > 0) {
      // If this fails, the connected ones are put back to be found again; the idle ones stay
      // out (their grants hold, and nothing needs their live entries).
      await this.#record(connected, 'node-loss', false);
      // A player may have revived its session between its end above and its record: settled
      // now, or its record would wait for a rejoin that never comes.
      const back = await Promise.all(connected.map((s) => this.#d.live.getSession(s.id)));
      await Promise.all(connected.map((s, i) => (back[i] ? this.#settleReconnected(s.id) : null)));
    }
    return ended.length;
  }

  /**
   * Writes the records of sessions just ended (with their grants, unless `endGrants` is false);
   * if that fails, puts the sessions back: without its record a restore could never find the
   * session, so it is found again on the next pass rather than lost.
   */
  async #record(ended: readonly LiveSession[], cause: 'heartbeat-loss' | 'node-loss', endGrants: boolean) {
    const d = this.#d;
    const at = d.clock();
    const records = ended.map((s) => disruptionOf(s, cause, at));
    try {
      await d.store.recordDisruptions(records, { endGrants });
    } catch (err) {
      await Promise.allSettled(ended.map((s) => d.live.putSession(s)));
      throw err;
    }
    d.events.emit('session.ended', { cause, count: ended.length });
  }

  /**
   * A session came back into live state from its grant: if a node's loss had recorded it as
   * disrupted, the record is settled, `restored` with the same session (a record is settled
   * once, whoever gets there first).
   */
  async #settleReconnected(sessionId: string): Promise<void> {
    const d = this.#d;
    const record = await d.store.disruptionOfSession(sessionId);
    if (record?.cause !== 'node-loss' || (record.outcome !== 'pending' && record.outcome !== 'ticketed'))
      return;
    await d.store.settleDisruption(record.id, ['pending', 'ticketed'], {
      outcome: 'restored',
      reason: 'reconnected',
      at: d.clock(),
      sessionId,
    });
  }

  /** A provisional licence was confirmed upstream: the player's live sessions stop being provisional. */
  async confirmEntitlement(playerId: string, licence: string): Promise<void> {
    for (const s of await this.#d.live.findSessions({ playerId }, 100)) {
      if (s.provisional || s.licence !== licence)
        await this.#d.live.putSession({ ...s, licence, provisional: false });
    }
  }

  /**
   * Rotates the refresh token. A spent one revokes its family and ends the session, unless it is
   * the one just spent, presented again with the same `retryKey` (the client retrying a refresh
   * whose answer it never got: a timeout on a busy node, a node killed after the commit) or within
   * the reuse grace: then the current tokens are the answer.
   */
  async refresh(refreshToken: string, retryKey?: string): Promise<SessionTokens> {
    const d = this.#d;
    let parsed: { familyId: string; generation: number };
    try {
      parsed = await d.tokens.parseRefresh(refreshToken);
    } catch (err) {
      d.events.emit('refresh', { outcome: 'invalid' });
      throw err;
    }
    await d.limits.forPlayer('refresh', parsed.familyId);
    const now = d.clock();
    const outcome = await d.store.rotateGrant(
      parsed.familyId,
      parsed.generation,
      now,
      now + d.refreshTtlSeconds * 1000,
      (d.refreshReuseGraceSeconds ?? 0) * 1000,
      retryKey === undefined ? null : digest(retryKey),
    );
    switch (outcome.kind) {
      case 'grace':
        // The client never got the answer to the refresh that spent this token (a node died
        // after committing it): the current tokens, unchanged, are that answer.
        return this.#answerGrace(outcome.grant, now);
      case 'rotated': {
        // After a restart (or the idle reaper) the live entry may be gone while the grant holds:
        // the session is still the player's, so it comes back from the grant, under the cap. If
        // the cap refuses it, the refresh still answers (the rotation is done and must reach the
        // client); its socket is refused until the player holds fewer sessions.
        if (!(await d.live.getSession(outcome.grant.sessionId))) {
          await this.#revive(outcome.grant, now);
        } else {
          await d.live.touchSession(outcome.grant.sessionId, now);
        }
        d.events.emit('refresh', { outcome: 'ok' });
        return this.#tokensFor(outcome.grant);
      }
      case 'reused': {
        d.events.emit('refresh', { outcome: 'reused' });
        await this.#endRevoked(outcome.grant.sessionId);
        throw new LifelineError('REFRESH_REUSED');
      }
      case 'revoked':
        d.events.emit('refresh', { outcome: 'invalid' });
        throw await this.#ended(outcome.grant);
      case 'expired':
        d.events.emit('refresh', { outcome: 'invalid' });
        throw new LifelineError('TOKEN_EXPIRED', 'The refresh token has expired; log in again');
      case 'unknown':
        d.events.emit('refresh', { outcome: 'invalid' });
        throw new LifelineError('TOKEN_INVALID');
    }
  }

  async #answerGrace(grant: Grant, now: number): Promise<SessionTokens> {
    const d = this.#d;
    if (!(await d.live.getSession(grant.sessionId))) await this.#revive(grant, now);
    else await d.live.touchSession(grant.sessionId, now);
    d.events.emit('refresh', { outcome: 'grace' });
    return this.#tokensFor(grant);
  }

  /**
   * The answer to a refresh of an ended session. A player whose session a disruption ended, but
   * who had no socket to hear it, learns here how to come back: the same resume token the socket
   * would have carried.
   */
  async #ended(grant: Grant): Promise<LifelineError> {
    const d = this.#d;
    const disruption = await d.store.disruptionOfSession(grant.sessionId);
    const resume =
      disruption && (disruption.outcome === 'pending' || disruption.outcome === 'ticketed')
        ? { resumeToken: d.tokens.issueResume(disruption.id, d.clock()) }
        : undefined;
    return new LifelineError('SESSION_ENDED', `The session has ended (${grant.revokedReason ?? 'revoked'})`, {
      ...(resume ? { details: resume } : {}),
    });
  }

  /**
   * Brings a session whose live entry went while its socket was being attached (a lost node's
   * sweep got there first) back into live state from its grant, on this node. False when the
   * grant no longer stands (a kick or a ban ended the session) or the cap refuses it.
   */
  async resume(sessionId: string): Promise<boolean> {
    const now = this.#d.clock();
    const grant = await this.#d.store.getGrant(sessionId);
    if (!grant || grant.revokedAt !== null || grant.expiresAt <= now) return false;
    return (await this.#revive(grant, now)) !== null;
  }

  /** Checks an access token and that its session is still live: the WebSocket's gate. */
  async authenticate(accessToken: string): Promise<LiveSession> {
    const claims = await this.#d.tokens.verifyAccess(accessToken);
    await this.#d.limits.forPlayer('upgrade', claims.sub);
    // A token is the player's own session or nothing: one naming another player's session is refused.
    const foreign = () =>
      new LifelineError('TOKEN_INVALID', "The token's subject is not the session's player");
    const session = await this.#d.live.getSession(claims.sid);
    if (!session) {
      // Not live here: it may have ended, or Lifeline restarted. The grant tells which.
      const grant = await this.#d.store.getGrant(claims.sid);
      if (!grant || grant.revokedAt !== null) throw new LifelineError('SESSION_ENDED');
      if (grant.playerId !== claims.sub) throw foreign();
      const revived = await this.#revive(grant, this.#d.clock());
      if (!revived) {
        throw new LifelineError('SESSION_LIMIT_REACHED', undefined, {
          details: { maxPerPlayer: this.#d.cap.max },
        });
      }
      return revived;
    }
    if (session.playerId !== claims.sub) throw foreign();
    return session;
  }

  async #endRevoked(sessionId: string): Promise<void> {
    const ended = await this.#d.live.endSessions([sessionId]);
    for (const s of ended) {
      await this.#d.bus.deliver(s.node, { kind: 'revoked', sessionId: s.id, reason: 'refresh-reuse' });
    }
  }

  #liveFrom(grant: Grant, now: number): LiveSession {
    return {
      ...grant.snapshot,
      id: grant.sessionId,
      playerId: grant.playerId,
      node: this.#d.nodeId,
      createdAt: grant.createdAt,
      lastSeenAt: now,
    };
  }

  async #tokensFor(grant: Grant): Promise<SessionTokens> {
    const t = this.#d.tokens;
    const accessToken = await t.issueAccess({
      sub: grant.playerId,
      sid: grant.sessionId,
      region: grant.snapshot.region,
      shard: grant.snapshot.shard,
      zone: grant.snapshot.zone,
      lic: grant.snapshot.licence,
      prov: grant.snapshot.provisional,
    });
    return {
      sessionId: grant.sessionId,
      accessToken,
      refreshToken: t.issueRefresh(grant.familyId, grant.generation),
      expiresIn: t.settings.accessTtlSeconds,
    };
  }
}
