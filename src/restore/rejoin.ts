import { LifelineError } from '../errors/index.ts';
import { uuid7Of } from '../ids/index.ts';
import type { Disruption } from '../disruptions/records.ts';
import type { RestoreRecord } from './records.ts';
import type { Pacer } from './pacer.ts';
import type { RejoinAnswer, RestoreServiceDeps } from './types.ts';

/**
 * A kicked client asks to come back. Before its batch is released it waits (with a Retry-After
 * that spreads the restore's clients over its pacing); after, it gets a new session in the same
 * place. A record is redeemed once.
 */
export class Rejoins {
  readonly #d: RestoreServiceDeps;
  /** The pacer a restore runs at (its live run's, or a fresh one from its pacing). */
  readonly #pacerOf: (restore: RestoreRecord) => Pacer;

  constructor(d: RestoreServiceDeps, pacerOf: (restore: RestoreRecord) => Pacer) {
    this.#d = d;
    this.#pacerOf = pacerOf;
  }

  async rejoin(resumeToken: string): Promise<RejoinAnswer> {
    const d = this.#d;
    const started = performance.now();
    const ms = () => performance.now() - started;
    try {
      const answer = await this.#answer(resumeToken, ms);
      if (answer.kind === 'restored') d.health.recordRejoin(ms(), true);
      d.events.emit('rejoin', { outcome: answer.kind, ms: ms() });
      return answer;
    } catch (err) {
      // A refusal is an answer (the record was expired, already restored, …), not a failure of
      // the path; what fails for Lifeline's own reasons (a store error, a bug) is what the
      // error-rate threshold watches. A coded 4xx is an answer.
      if (err instanceof LifelineError && err.code === 'REJOIN_REFUSED') {
        d.health.recordRejoin(ms(), true);
        d.events.emit('rejoin', { outcome: 'refused', ms: ms() });
      } else if (!(err instanceof LifelineError) || err.status >= 500) d.health.recordRejoin(ms(), false);
      throw err;
    }
  }

  async #answer(resumeToken: string, ms: () => number): Promise<RejoinAnswer> {
    const d = this.#d;
    let disruptionId: string;
    try {
      ({ disruptionId } = await d.tokens.parseResume(resumeToken, d.clock()));
    } catch (err) {
      d.events.emit('rejoin', { outcome: 'invalid', ms: ms() });
      throw err;
    }
    // Per session (the disruption its token names), once the token is proven genuine.
    await d.limits.forPlayer('rejoin', disruptionId);
    const record = await d.store.getDisruption(disruptionId);
    if (!record) throw new LifelineError('TOKEN_INVALID');
    switch (record.outcome) {
      case 'restored':
        return this.#again(record);
      case 'expired':
        return refuse('expired');
      case 'refused':
        return refuse(record.outcomeReason ?? 'refused');
      case 'pending':
        return this.#waiting(record);
      case 'ticketed':
        return this.#redeem(record);
    }
  }

  /** A ticketed record: a new session in the same place, unless the ticket no longer stands. */
  async #redeem(record: Disruption): Promise<RejoinAnswer> {
    const d = this.#d;
    const now = d.clock();
    const settle = async (outcome: 'expired' | 'refused', reason: string) => {
      await d.store.settleDisruption(record.id, ['ticketed'], { outcome, reason, at: now });
      return refuse(outcome === 'expired' ? 'expired' : reason);
    };
    if (record.ticketExpiresAt != null && record.ticketExpiresAt <= now)
      return settle('expired', 'ticket-ttl');
    if (await d.store.currentBan(record.playerId, now)) return settle('refused', 'banned');
    // Every attempt at this record opens the same session (named after the record): one that
    // crashed after writing it and before settling is found again by the retry, instead of
    // counting as a session the player opened elsewhere.
    const sessionId = uuid7Of(record.at, `rejoin:${record.id}`);
    if (await d.store.hasNewerSession(record.playerId, record.at, sessionId))
      return settle('refused', 'newer-session');
    const tokens = await d.sessions.reopen(record.playerId, record.snapshot, sessionId);
    // Settling after the session exists, so that a crash between the two loses no player. Two
    // rejoins racing share the one session; the loser is told the record is already restored.
    const settled = await d.store.settleDisruption(record.id, ['ticketed'], {
      outcome: 'restored',
      reason: null,
      at: now,
      sessionId: tokens.sessionId,
    });
    if (!settled) {
      // Restored by a racing rejoin, with this same session: it is theirs now. Settled otherwise
      // (its ticket lapsed meanwhile): the session opened for it must not stay behind.
      const latest = await d.store.getDisruption(record.id);
      if (latest?.restoredSessionId !== tokens.sessionId) {
        await d.live.endSessions([tokens.sessionId]);
        await d.store.revokeGrants([tokens.sessionId], now, 'rejoin-race');
      }
      return refuse('already-restored');
    }
    return { kind: 'restored', tokens };
  }

  /**
   * A rejoin of a record already restored. The answer to the rejoin that restored it may have
   * died on its way (a request timed out on a busy node, or the node died after settling): the
   * client retries with the resume token it still holds. Within the grace after the restore, and
   * while the session it opened is unused (its grant unrevoked, never refreshed), the retry gets
   * that same session; anything else is refused, already restored, as before.
   */
  async #again(record: Disruption): Promise<RejoinAnswer> {
    const d = this.#d;
    const sessionId = uuid7Of(record.at, `rejoin:${record.id}`);
    const graceMs = (d.settings.rejoinRetryGraceSeconds ?? 0) * 1000;
    const inGrace = record.settledAt != null && d.clock() - record.settledAt <= graceMs;
    if (record.restoredSessionId !== sessionId || !inGrace) return refuse('already-restored');
    const grant = await d.store.getGrant(sessionId);
    if (!grant || grant.revokedAt !== null || grant.generation !== 0) return refuse('already-restored');
    return { kind: 'restored', tokens: await d.sessions.reopen(record.playerId, record.snapshot, sessionId) };
  }

  async #waiting(record: Disruption): Promise<RejoinAnswer> {
    const d = this.#d;
    const restore = record.restoreId ? await d.store.getRestore(record.restoreId) : null;
    if (restore?.state !== 'running') {
      return {
        kind: 'waiting',
        position: null,
        etaSeconds: null,
        retryAfterSeconds: d.settings.waitingRetryAfterSeconds,
        restoreId: restore?.id ?? null,
      };
    }
    const position = await d.store.queuePosition(restore.id, record);
    const pacer = this.#pacerOf(restore);
    const intervalS = pacer.intervalMs() / 1000;
    const perBatch = Math.max(1, pacer.rate() * intervalS);
    // The batch this record falls in, and when it should go out; then a random point inside that
    // batch's interval, so the clients of one batch do not all come back in the same second.
    const etaSeconds = Math.floor(position / perBatch) * intervalS;
    // At most an hour, like every Retry-After: a far place in a slow restore asks again later.
    const retryAfterSeconds = Math.min(3600, Math.max(1, Math.ceil(etaSeconds + Math.random() * intervalS)));
    return {
      kind: 'waiting',
      position,
      etaSeconds: Math.ceil(etaSeconds),
      retryAfterSeconds,
      restoreId: restore.id,
    };
  }
}

function refuse(reason: string): never {
  throw new LifelineError('REJOIN_REFUSED', `This session cannot be restored: ${reason}`, {
    details: { reason },
  });
}
