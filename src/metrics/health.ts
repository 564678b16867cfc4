/** Health metrics: event-loop delay, dependency probes and entitlement fallbacks. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventStream } from '../events/index.ts';

export interface HealthMetricsDeps {
  events: EventStream;
  probes: () => { kind: string; name: string; ok: boolean }[];
  eventLoopResolutionMs: number;
}

/** Registers the health metrics; returns what stops them (the loop monitor, the subscription). */
export function healthMetrics(registry: Registry, deps: HealthMetricsDeps): (() => void)[] {
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
  const checks = new Counter({
    name: 'lifeline_dependency_checks_total',
    help: 'DNS probe checks (hostname or NS delegation), by probe and outcome (ok or failing)',
    labelNames: ['probe', 'outcome'] as const,
    registers: [registry],
  });
  const dnsFailures = new Counter({
    name: 'lifeline_dns_lookup_failures_total',
    help: 'Upstream calls stopped because their hostname did not resolve, by host and resolver code',
    labelNames: ['host', 'code'] as const,
    registers: [registry],
  });
  return [
    () => loop.disable(),
    deps.events.on('dependency.probed', (e) =>
      checks.inc({ probe: e.probe, outcome: e.ok ? 'ok' : 'failing' }),
    ),
    deps.events.on('dns.failed', (e) => dnsFailures.inc({ host: e.host, code: e.code })),
    deps.events.on('entitlement.fallback', (e) => fallbacks.inc({ outcome: e.outcome, reason: e.reason })),
  ];
}
