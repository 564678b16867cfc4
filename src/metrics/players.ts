/** Player-facing metrics: sessions online, logins, refreshes, ended sessions, sockets. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventStream } from '../events/index.ts';
import type { SessionDirectory } from '../live/index.ts';

export interface PlayerMetricsDeps {
  events: EventStream;
  live: Pick<SessionDirectory, 'countSessions'>;
  regionOf: (shard: string) => string;
}

/** Registers the player metrics and subscribes them; returns the unsubscribers. */
export function playerMetrics(registry: Registry, deps: PlayerMetricsDeps): (() => void)[] {
  new Gauge({
    name: 'lifeline_sessions_active',
    help: 'Sessions online now, by region and shard',
    labelNames: ['region', 'shard'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const counts = await deps.live.countSessions({});
      for (const [shard, n] of Object.entries(counts.byShard)) {
        this.set({ region: deps.regionOf(shard), shard }, n);
      }
    },
  });
  const logins = new Counter({
    name: 'lifeline_logins_total',
    help: 'Login attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const refreshes = new Counter({
    name: 'lifeline_refreshes_total',
    help: 'Token refreshes by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const ended = new Counter({
    name: 'lifeline_sessions_ended_total',
    help: 'Sessions ended without the player choosing it, by cause',
    labelNames: ['cause'] as const,
    registers: [registry],
  });
  const limited = new Counter({
    name: 'lifeline_player_rate_limited_total',
    help: 'Player requests refused 429 by a token bucket, by route and bucket (ip, player)',
    labelNames: ['route', 'by'] as const,
    registers: [registry],
  });
  const kicks = new Counter({
    name: 'lifeline_kicks_total',
    help: 'Sessions ended by a kick, by source (api, cli)',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const sockets = new Gauge({
    name: 'lifeline_websocket_connections',
    help: 'Open control WebSockets on this node',
    registers: [registry],
  });
  const socketCloses = new Counter({
    name: 'lifeline_websocket_closes_total',
    help: 'Control WebSocket closes by close code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  // The series an SLO divides by exist from the first scrape at 0: a counter that appears only
  // at its first failure loses that failure to rate() (docs/SLO.md).
  for (const outcome of ['ok', 'unavailable'] as const) logins.inc({ outcome }, 0);
  ended.inc({ cause: 'node-loss' }, 0);
  kicks.inc({ source: 'api' }, 0);
  return [
    deps.events.on('login', (e) => logins.inc({ outcome: e.outcome })),
    deps.events.on('refresh', (e) => refreshes.inc({ outcome: e.outcome })),
    deps.events.on('session.ended', (e) => {
      ended.inc({ cause: e.cause }, e.count);
      if (e.cause === 'kick') kicks.inc({ source: e.source ?? 'api' }, e.count);
    }),
    deps.events.on('player.limited', (e) => limited.inc({ route: e.route, by: e.by })),
    deps.events.on('socket.opened', () => sockets.inc()),
    deps.events.on('socket.closed', (e) => {
      sockets.dec();
      socketCloses.inc({ code: String(e.code) });
    }),
  ];
}
