/**
 * Prometheus metrics, each fed by the event stream or read from live state at scrape time.
 * Every app gets its own registry so that several apps in one process (tests) never collide.
 */
import type { SessionDirectory } from '../live/index.ts';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventStream } from '../events/index.ts';

export interface Metrics {
  readonly registry: Registry;
  stop(): void;
}

export function createMetrics(deps: {
  events: EventStream;
  live: SessionDirectory;
  /** The region a shard belongs to, from the topology. */
  regionOf: (shard: string) => string;
  /** Whether the kick breaker is open now (read from the record store at scrape time). */
  breakerOpen: () => Promise<boolean>;
  /** The latest dependency probe results. */
  probes: () => { kind: string; name: string; ok: boolean }[];
  eventLoopResolutionMs: number;
  /** Whether this node saw the audit chain go back or change under it (latched until restart). */
  auditRegressed?: () => boolean;
}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: deps.eventLoopResolutionMs });

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
  // prom-client's default nodejs_eventloop_lag_seconds samples one timer; this histogram-backed
  // p99 is what an operator watches during a storm.
  const loop = monitorEventLoopDelay({ resolution: deps.eventLoopResolutionMs });
  loop.enable();
  new Gauge({
    name: 'lifeline_event_loop_delay_p99_seconds',
    help: 'p99 event-loop delay since the previous scrape',
    registers: [registry],
    collect() {
      this.set(loop.percentile(99) / 1e9);
      loop.reset();
    },
  });

  new Gauge({
    name: 'lifeline_kick_breaker_open',
    help: '1 while the kick breaker is open and every kick is refused',
    registers: [registry],
    async collect() {
      this.set((await deps.breakerOpen()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lifeline_audit_chain_regressed',
    help: '1 once this node saw the audit chain head behind, or different from, what it witnessed',
    registers: [registry],
    collect() {
      this.set(deps.auditRegressed?.() ? 1 : 0);
    },
  });
  const trips = new Counter({
    name: 'lifeline_kick_breaker_trips_total',
    help: 'Times the kick breaker tripped on this node',
    registers: [registry],
  });
  const commands = new Counter({
    name: 'lifeline_commands_total',
    help: 'Commands that finished, by final state (done, halted, rejected)',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const alerts = new Counter({
    name: 'lifeline_security_alerts_total',
    help: 'Security alerts this node raised, by kind (break-glass, totp-locked)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });

  const released = new Counter({
    name: 'lifeline_restore_released_total',
    help: 'Disruption records released as rejoin tickets by restores',
    registers: [registry],
  });
  const restoreRate = new Gauge({
    name: 'lifeline_restore_rate_per_second',
    help: 'The release rate each running restore is pacing at',
    labelNames: ['restore'] as const,
    registers: [registry],
  });
  const pauses = new Counter({
    name: 'lifeline_restore_pauses_total',
    help: 'Restore pauses, by whether a threshold or an operator paused it',
    labelNames: ['by'] as const,
    registers: [registry],
  });
  const rejoins = new Counter({
    name: 'lifeline_rejoins_total',
    help: 'Rejoin answers by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const rejoinLatency = new Histogram({
    name: 'lifeline_rejoin_duration_seconds',
    help: 'Time to answer a rejoin',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  const fallbacks = new Counter({
    name: 'lifeline_entitlement_fallbacks_total',
    help: 'Entitlement answers that did not come fresh from upstream, by outcome and reason',
    labelNames: ['outcome', 'reason'] as const,
    registers: [registry],
  });

  new Gauge({
    name: 'lifeline_dependency_up',
    help: '1 while a dependency probe (hostname or NS delegation) succeeds, 0 while it fails',
    labelNames: ['probe'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const p of deps.probes()) this.set({ probe: `${p.kind}:${p.name}` }, p.ok ? 1 : 0);
    },
  });

  const offs = [
    deps.events.on('entitlement.fallback', (e) => fallbacks.inc({ outcome: e.outcome, reason: e.reason })),
    deps.events.on('restore.released', (e) => released.inc(e.count)),
    deps.events.on('restore.rate', (e) => restoreRate.set({ restore: e.restoreId }, e.perSecond)),
    deps.events.on('restore.paused', (e) => pauses.inc({ by: e.by })),
    deps.events.on('rejoin', (e) => {
      rejoins.inc({ outcome: e.outcome });
      rejoinLatency.observe({ outcome: e.outcome }, e.ms / 1000);
    }),
    deps.events.on('breaker.changed', (e) => {
      if (e.state === 'open') trips.inc();
    }),
    deps.events.on('command.changed', (e) => commands.inc({ state: e.state })),
    deps.events.on('security.alert', (e) => alerts.inc({ kind: e.kind })),
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
  return {
    registry,
    stop() {
      loop.disable();
      for (const off of offs) off();
    },
  };
}
