import type { RateBuckets } from '../live/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';

/** The player routes that spend a token: each has its own buckets. */
export type LimitedRoute = 'login' | 'refresh' | 'rejoin' | 'upgrade' | 'report';

/** One route's buckets (player.rateLimit.<route> in the configuration). */
export interface RouteBuckets {
  ipPerSecond: number;
  ipBurst: number;
  playerPerSecond: number;
  playerBurst: number;
}

export interface PlayerLimitsDeps {
  live: RateBuckets;
  events: EventStream;
  settings: Readonly<Record<LimitedRoute, Readonly<RouteBuckets>>>;
  clock: () => number;
}

/**
 * Token buckets on the player routes, per client address and per player, kept in live state so
 * that every node spends from the same buckets. The address bucket is taken before any work;
 * the player's only once the player is proven (identity answered, or a token verified), so
 * nobody can spend another player's tokens by naming them.
 */
export class PlayerLimits {
  readonly #d: PlayerLimitsDeps;

  constructor(deps: PlayerLimitsDeps) {
    this.#d = deps;
  }

  /** Spends a token of the client address's bucket for the route, or throws PLAYER_RATE_LIMITED. */
  async fromAddress(route: LimitedRoute, address: string): Promise<void> {
    const s = this.#d.settings[route];
    await this.#take(route, 'ip', `player-api:${route}:ip:${address}`, s.ipPerSecond, s.ipBurst);
  }

  /**
   * Spends a token of the player's bucket for the route. `subject` is the player id, or for a
   * refresh and a rejoin the session (refresh family, disruption): those tokens name no player
   * without a store read, and the session cap bounds how many sessions a player has.
   */
  async forPlayer(route: LimitedRoute, subject: string): Promise<void> {
    const s = this.#d.settings[route];
    await this.#take(
      route,
      'player',
      `player-api:${route}:player:${subject}`,
      s.playerPerSecond,
      s.playerBurst,
    );
  }

  async #take(route: LimitedRoute, by: 'ip' | 'player', key: string, perSecond: number, burst: number) {
    const token = await this.#d.live.takeRateToken(key, perSecond, burst, this.#d.clock());
    if (token.ok) return;
    this.#d.events.emit('player.limited', { route, by });
    throw new LifelineError('PLAYER_RATE_LIMITED', undefined, {
      details: {
        limit: `${route}:${by}`,
        retryAfterSeconds: Math.max(1, Math.ceil(token.retryAfterMs / 1000)),
      },
    });
  }
}
