/**
 * Players coming back from disruption records the fleet did not make itself (bench:restore seeds
 * 100,000 of them straight into the store, more than a fleet can hold as live players): each
 * waits a seeded random part of `spreadMs`, as Retry-After spreads real clients, rejoins through
 * the SDK (`LifelineClient.rejoin`, over the fleet's HTTP pool) and then joins the game backend
 * once. Any answer but a session counts as an error: the SDK is given no retry budget, so a
 * refused or failed rejoin is not hidden by retries.
 */
import { LifelineClient } from '../../sdk/index.ts';
import { seededRandom } from '../random.ts';
import { HttpPool, poolFetch } from './http.ts';

export interface ReturningOptions {
  /** Lifeline's player API. */
  playerUrl: string;
  /** The game backend's join URL (`gameBackend().joinUrl`), joined after each rejoin. */
  gameJoinUrl?: string;
  /** @defaultValue 1 */
  seed?: number;
  /** @defaultValue 256 */
  maxSockets?: number;
}

export class Returning {
  /** Players back in: rejoined, and (with a game join URL) joined the game. */
  restored = 0;
  errors = 0;
  readonly #o: ReturningOptions;
  readonly #pool: HttpPool;
  readonly #fetch: typeof fetch;
  readonly #random: () => number;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(options: ReturningOptions) {
    this.#o = options;
    this.#pool = new HttpPool(options.maxSockets ?? 256);
    this.#fetch = poolFetch(this.#pool);
    this.#random = seededRandom(options.seed ?? 1);
  }

  /** One player, told its record was released, comes back within `spreadMs`. */
  add(resumeToken: string, spreadMs: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#comeBack(resumeToken);
    }, this.#random() * spreadMs);
    this.#timers.add(timer);
  }

  async #comeBack(resumeToken: string): Promise<void> {
    const client = new LifelineClient({
      baseUrl: this.#o.playerUrl,
      fetch: this.#fetch,
      retryBudget: { burst: 0, perSecond: 0 },
    });
    try {
      await client.rejoin(resumeToken);
      client.close();
      if (this.#o.gameJoinUrl) await this.#pool.send(this.#o.gameJoinUrl, { method: 'GET' });
      this.restored++;
    } catch {
      client.close();
      this.errors++;
    }
  }

  /** Cancels the players still waiting and closes every connection. */
  close(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#pool.destroy();
  }
}
