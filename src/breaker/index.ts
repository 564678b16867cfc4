/**
 * The kick breaker: one global budget for kicks that no approved command vouches for. A runaway
 * script, a looping CI job or a tired operator can end at most `cap` sessions per window; the
 * request that would cross the cap trips the breaker, and from then on every kick is refused
 * until an admin with TOTP resets it. Its state is in the record store, so it survives restarts
 * and holds for every node; its window is in live state, shared by every node.
 */
import type { BreakerRecords } from '../store/index.ts';
import type { KickWindow, SessionDirectory } from '../live/index.ts';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import type { BreakerState } from './records.ts';

const NAME = 'kick';

export interface BreakerSettings {
  /** The cap is the larger of this and `onlinePercent` of players online. @defaultValue 50 */
  minKicks: number;
  /** @defaultValue 0.5 */
  onlinePercent: number;
  /** @defaultValue 60 */
  windowSeconds: number;
}

export interface BreakerStatus extends Omit<BreakerState, 'name'> {
  cap: number;
  usedInWindow: number;
  windowSeconds: number;
}

export interface KickBreakerDeps {
  store: BreakerRecords;
  live: KickWindow & Pick<SessionDirectory, 'countSessions'>;
  audit: AuditLog;
  events: EventStream;
  logger: Logger;
  clock: () => number;
  settings: BreakerSettings;
}

export class KickBreaker {
  readonly #d: KickBreakerDeps;

  constructor(deps: KickBreakerDeps) {
    this.#d = deps;
  }

  cap(online: number): number {
    const s = this.#d.settings;
    return Math.max(s.minKicks, Math.ceil((online * s.onlinePercent) / 100));
  }

  async state(): Promise<BreakerState> {
    return (
      (await this.#d.store.getBreaker(NAME)) ?? {
        name: NAME,
        state: 'closed',
        changedAt: 0,
        changedBy: 'nobody',
        reason: 'never tripped',
      }
    );
  }

  async status(): Promise<BreakerStatus> {
    const [state, counts] = await Promise.all([this.state(), this.#d.live.countSessions({})]);
    const cap = this.cap(counts.total);
    const window = this.#d.settings.windowSeconds * 1000;
    // A zero-count claim reads the window without adding to it.
    const { used } = await this.#d.live.claimKickBudget(0, cap, window, this.#d.clock());
    const { name: _, ...rest } = state;
    return { ...rest, cap, usedInWindow: used, windowSeconds: this.#d.settings.windowSeconds };
  }

  /** Refuses every kick while the breaker is open, approved or not. */
  async assertClosed(): Promise<void> {
    if ((await this.state()).state === 'open') throw new LifelineError('KICK_BREAKER_OPEN');
  }

  /**
   * Claims `count` kicks from the window for a kick no approval vouches for. Crossing the cap
   * trips the breaker in this same call, and this kick is refused with the rest.
   */
  async admit(count: number, online: number, actor: string, commandId: string): Promise<void> {
    await this.assertClosed();
    const d = this.#d;
    const cap = this.cap(online);
    const claim = await d.live.claimKickBudget(count, cap, d.settings.windowSeconds * 1000, d.clock());
    if (claim.granted) return;
    await this.#trip(
      actor,
      commandId,
      `${claim.used} kicks in ${d.settings.windowSeconds}s, +${count} would pass the cap of ${cap}`,
    );
    throw new LifelineError('KICK_BREAKER_OPEN');
  }

  async #trip(actor: string, commandId: string, reason: string): Promise<void> {
    const d = this.#d;
    // Refusals race (on every node): the first trips it, the rest need not audit a trip again.
    // (Two may still both get here; the compare-and-set below keeps the state right regardless.)
    if ((await this.state()).state === 'open') return;
    const at = d.clock();
    await d.audit.append({
      actor,
      action: 'breaker.trip',
      target: 'breaker:kick',
      details: { commandId, reason },
      result: 'open',
    });
    if (await d.store.setBreaker({ name: NAME, state: 'open', changedAt: at, changedBy: actor, reason })) {
      d.logger.error(
        { breaker: NAME, actor, commandId, reason },
        'kick breaker tripped: every kick is refused until an admin resets it',
      );
      d.events.emit('breaker.changed', { name: NAME, state: 'open' });
    }
  }

  /** Closes the breaker. The caller has checked role and TOTP. */
  async reset(actor: string, reason: string): Promise<BreakerState> {
    const d = this.#d;
    const next: BreakerState = {
      name: NAME,
      state: 'closed',
      changedAt: d.clock(),
      changedBy: actor,
      reason,
    };
    if ((await this.state()).state === 'closed') throw new LifelineError('KICK_BREAKER_CLOSED');
    await d.audit.append({
      actor,
      action: 'breaker.reset',
      target: 'breaker:kick',
      details: { reason },
      result: 'closed',
    });
    if (!(await d.store.setBreaker(next))) throw new LifelineError('KICK_BREAKER_CLOSED');
    // The kicks that tripped it stay counted otherwise, and the next kick would trip it again.
    await d.live.clearKickBudget();
    d.events.emit('breaker.changed', { name: NAME, state: 'closed' });
    return next;
  }
}
