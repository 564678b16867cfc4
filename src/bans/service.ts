import type { BanRecords } from '../store/index.ts';
import type { SessionDirectory } from '../live/index.ts';
import type { AuditLog } from '../audit/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import type { Bus } from '../live/index.ts';
import type { LiveSession } from '../sessions/records.ts';
import type { OperatorService } from '../operators/index.ts';
import type { Ban } from './records.ts';
import type { Operator } from '../operators/records.ts';
import { uuid7 } from '../ids/index.ts';
import type { PolicySettings } from '../commands/index.ts';
import { type BanListOutcome, type BanListRequest, banList } from './list.ts';
import { type BanRequest, checkDuration, inputProblem } from './rules.ts';

export interface BanServiceDeps {
  store: BanRecords;
  live: SessionDirectory;
  bus: Bus;
  audit: AuditLog;
  events: EventStream;
  operators: OperatorService;
  clock: () => number;
  /** The kick's tiers, which a ban list's size is guarded by. */
  policy: PolicySettings;
}

/** What a ban did: the ban in force, and how many live sessions it ended. */
export interface BanOutcome {
  ban: Ban;
  sessionsEnded: number;
}

/** More sessions than any one player holds; the rest, if any, cannot refresh (grants revoked). */
const MAX_SESSIONS = 1000;

function checkInput(playerId: string, reason: string): void {
  const problem = inputProblem(playerId, reason);
  if (problem)
    throw new LifelineError('VALIDATION_FAILED', problem.message, { details: { field: problem.field } });
}

/**
 * Bans: a player who may not log in, refresh or be restored. Banning is an admin's act, audited
 * before it takes effect, and ends the player's sessions at once. It is not a disruption: the
 * ended sessions leave no record to restore, and the player's earlier disruption records are
 * refused `banned` by any restore that reaches them while the ban stands.
 */
export class BanService {
  readonly #d: BanServiceDeps;

  constructor(deps: BanServiceDeps) {
    this.#d = deps;
  }

  /** The player's ban standing now (not lifted, not expired), or null. */
  async current(playerId: string): Promise<Ban | null> {
    return this.#d.store.currentBan(playerId, this.#d.clock());
  }

  /** Bans standing now, newest first; expired and lifted ones are not listed. */
  async list(
    query: { playerId?: string; limit?: number; after?: { at: number; id: string } } = {},
  ): Promise<Ban[]> {
    return this.#d.store.listBans({
      activeAt: this.#d.clock(),
      ...(query.playerId === undefined ? {} : { playerIds: [query.playerId] }),
      ...(query.after === undefined ? {} : { after: query.after }),
      limit: query.limit ?? 1000,
    });
  }

  /**
   * Bans a player: refused `PLAYER_ALREADY_BANNED` (409) while a ban stands. The ban and the
   * revocation of every grant the player holds are one write; the live sessions are ended and
   * their sockets closed with `4003` (`revoked`, reason `banned`). With `durationSeconds` the ban
   * ends by itself then: reads compare its `expiresAt` with their own time.
   */
  async ban(input: BanRequest, operator: Operator): Promise<BanOutcome> {
    const d = this.#d;
    checkInput(input.playerId, input.reason);
    checkDuration(input.durationSeconds);
    const target = `player:${input.playerId}`;
    await d.operators.authorize(operator, 'bans.write', target);
    if (await d.store.currentBan(input.playerId, d.clock())) throw new LifelineError('PLAYER_ALREADY_BANNED');
    const ban = this.#newBan(input, operator, d.clock());
    const live = await d.live.findSessions({ playerId: input.playerId }, MAX_SESSIONS);
    await d.audit.append({
      actor: operator.name,
      action: 'player.ban',
      target,
      details: {
        banId: ban.id,
        reason: input.reason,
        sessions: live.length,
        expiresAt: ban.expiresAt,
        durationSeconds: input.durationSeconds ?? null,
      },
      result: 'accepted',
    });
    const outcome = await this.apply(ban, live);
    if (!outcome.written) throw new LifelineError('PLAYER_ALREADY_BANNED');
    return { ban, sessionsEnded: outcome.sessionsEnded };
  }

  #newBan(input: BanRequest, operator: Operator, now: number): Ban {
    return {
      id: `ban-${uuid7(now)}`,
      playerId: input.playerId,
      reason: input.reason,
      bannedBy: operator.name,
      at: now,
      expiresAt: input.durationSeconds === undefined ? null : now + input.durationSeconds * 1000,
      liftedAt: null,
      liftedBy: null,
      liftReason: null,
    };
  }

  /**
   * Ends the player's `live` sessions and writes the ban (audited already by the caller):
   * `written` false when another ban of the player won the race (its sessions stay ended).
   */
  async apply(ban: Ban, live: readonly LiveSession[]): Promise<{ written: boolean; sessionsEnded: number }> {
    const d = this.#d;
    // Claimed before the ban is written, as a kick wave does: if the write fails they go back,
    // and the player is neither banned nor disconnected.
    const claimed = await d.live.endSessions(live.map((s) => s.id));
    let written: boolean;
    try {
      written = await d.store.banPlayer(ban);
    } catch (err) {
      await Promise.allSettled(claimed.map((s) => d.live.putSession(s)));
      throw new LifelineError('STORE_UNAVAILABLE', 'The ban was not applied: it could not be written', {
        cause: err,
      });
    }
    // Lost a race to another ban of the same player: that ban stands, so these sessions stay ended.
    await this.#disconnect(claimed);
    return { written, sessionsEnded: claimed.length };
  }

  /** Bans every player of a list; see `banList`. */
  fromList(req: BanListRequest, operator: Operator): Promise<BanListOutcome> {
    const d = this.#d;
    return banList({ ...d, bans: this }, req, operator);
  }

  /** A new ban of `input` by `operator` placed `now` (not written). */
  draft(input: BanRequest, operator: Operator, now: number): Ban {
    return this.#newBan(input, operator, now);
  }

  /** The player's live sessions, up to what any one player holds. */
  sessionsOf(playerId: string): Promise<LiveSession[]> {
    return this.#d.live.findSessions({ playerId }, MAX_SESSIONS);
  }

  /** Lifts the player's ban; `BAN_NOT_FOUND` (404) when none stands. The player may log in again. */
  async lift(playerId: string, reason: string, operator: Operator): Promise<Ban> {
    const d = this.#d;
    checkInput(playerId, reason);
    const target = `player:${playerId}`;
    await d.operators.authorize(operator, 'bans.write', target);
    const standing = await d.store.currentBan(playerId, d.clock());
    if (!standing) throw new LifelineError('BAN_NOT_FOUND', `Player ${playerId} is not banned`);
    await d.audit.append({
      actor: operator.name,
      action: 'player.unban',
      target,
      details: { banId: standing.id, reason, bannedAt: standing.at, bannedBy: standing.bannedBy },
      result: 'accepted',
    });
    const lifted = await d.store.liftBan(playerId, { at: d.clock(), by: operator.name, reason });
    if (!lifted) throw new LifelineError('BAN_NOT_FOUND', `Player ${playerId} is not banned`);
    return lifted;
  }

  async #disconnect(ended: readonly LiveSession[]): Promise<void> {
    if (ended.length === 0) return;
    await Promise.all(
      ended.map((s) => this.#d.bus.deliver(s.node, { kind: 'revoked', sessionId: s.id, reason: 'banned' })),
    );
    this.#d.events.emit('session.ended', { cause: 'ban', count: ended.length });
  }
}
