/**
 * What the fleet knows about Lifeline's nodes, as a load balancer in front of them would: a node
 * that a player found dead (its requests kept failing at the network) is left out of new
 * players' choices until its `/health` answers again, probed once a wall second. Without it every
 * player pinned to a dead node would find it dead for itself, arrivals included, minutes after
 * the node died: a player that a real load balancer would have sent elsewhere at once would count
 * as out of the game.
 */
import type { HttpPool } from './http.ts';
import type { Timers } from './timers.ts';

export class NodeHealth {
  readonly #urls: readonly string[];
  readonly #pool: HttpPool;
  readonly #timers: Timers;
  readonly #stop: AbortSignal;
  readonly #down = new Set<number>();

  constructor(urls: readonly string[], pool: HttpPool, timers: Timers, stop: AbortSignal) {
    this.#urls = urls;
    this.#pool = pool;
    this.#timers = timers;
    this.#stop = stop;
  }

  isDown(node: number): boolean {
    return this.#down.has(node);
  }

  /** `from` itself if it is up, else the next node up after it (or `from` when none is). */
  pick(from: number): number {
    const n = this.#urls.length;
    for (let i = 0; i < n; i++) {
      const node = (from + i) % n;
      if (!this.#down.has(node)) return node;
    }
    return from;
  }

  /** A player found `node` dead: left out until its health answers. */
  markDown(node: number): void {
    if (this.#down.has(node) || this.#urls[node] === undefined) return;
    this.#down.add(node);
    void this.#probe(node);
  }

  async #probe(node: number): Promise<void> {
    const url = `${(this.#urls[node] as string).replace(/\/$/, '')}/health`;
    while (!this.#stop.aborted) {
      try {
        await this.#timers.sleep(1000, this.#stop);
      } catch {
        return;
      }
      const ok = await this.#pool
        .send(url, { method: 'GET', signal: this.#stop }, 5_000)
        .then((a) => a.status === 200)
        .catch(() => false);
      if (ok) {
        this.#down.delete(node);
        return;
      }
    }
  }
}
