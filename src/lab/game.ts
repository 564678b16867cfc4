/**
 * A game backend: the downstream a restore paces its rejoins against. It has a capacity of its
 * own (`slots` joins served at once, `serviceMs` each: C = slots × 1000 / serviceMs per second);
 * past C the line grows and latency with it, as a real backend's does. GET /health answers
 * `{"p99Ms"}` over the joins answered in the last 1,000 ms, the shape src/restore/health.ts
 * reads. Faults apply on top, to every path: a `down` backend fails its health check too.
 */
import { TimedSlots } from './capacity.ts';
import { type LabClock, realClock } from './clock.ts';
import { Upstream, type UpstreamOptions } from './upstream.ts';

export interface GameOptions extends Omit<UpstreamOptions, 'name' | 'handler'> {
  /** Joins served at once. @defaultValue 8 */
  slots?: number;
  /** Time to serve one join, ms. @defaultValue 10 */
  serviceMs?: number;
  /**
   * What /health's p99 covers: `sliding`, the joins answered in the last 1,000 ms (as rolling
   * metrics are); `bucket`, those of the last whole clock second, which trails by up to two
   * seconds (bench:restore compares the two). @defaultValue "sliding"
   */
  healthWindow?: 'sliding' | 'bucket';
}

export type GameBackend = Upstream & {
  /** POST or GET here to join: the call a rejoined player makes. */
  readonly joinUrl: string;
  /** What a restore's `healthUrl` takes. */
  readonly healthUrl: string;
  /** Joins per second the backend can serve, from its slots and service time. */
  readonly capacityPerSecond: number;
};

export async function gameBackend(options: GameOptions = {}): Promise<GameBackend> {
  const clock = options.clock ?? realClock;
  const slotCount = options.slots ?? 8;
  const serviceMs = options.serviceMs ?? 10;
  let up: Upstream | undefined;
  const slots = new TimedSlots(clock, slotCount, serviceMs, (d) => up?.stats.queue(d), {
    slotCall: (idleMs, busy) => up?.stats.slotCall(idleMs, busy),
    slotLate: (ms) => up?.stats.slotLate(ms),
  });
  const window = joinWindow(clock, options.healthWindow ?? 'sliding');
  up = await Upstream.start({
    ...options,
    clock,
    name: 'game',
    handler: async ({ path }) => {
      if (path === '/health') return { status: 200, body: { p99Ms: window.p99() } };
      if (path !== '/join') return { status: 404 };
      const t0 = clock.now();
      await slots.enter();
      window.add(clock.now() - t0);
      return { status: 200, body: { joined: true } };
    },
  });
  return Object.assign(up, {
    joinUrl: `${up.url}/join`,
    healthUrl: `${up.url}/health`,
    capacityPerSecond: (slotCount * 1000) / serviceMs,
  });
}

/** The joins /health reports on: a sliding last second, or the last whole clock second. */
function joinWindow(clock: LabClock, kind: 'sliding' | 'bucket') {
  /** Joins answered, as [answered at, latency], oldest first. */
  let recent: [number, number][] = [];
  const p99 = (xs: number[]): number => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted.length === 0
      ? 0
      : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] as number);
  };
  return {
    add(ms: number): void {
      recent.push([clock.now(), ms]);
    },
    p99(): number {
      const now = clock.now();
      const second = Math.floor(now / 1000) * 1000;
      const [from, to] = kind === 'sliding' ? [now - 1000, now] : [second - 1000, second - 1];
      recent = recent.filter(([at]) => at >= from);
      return p99(recent.filter(([at]) => at <= to).map(([, ms]) => ms));
    },
  };
}
