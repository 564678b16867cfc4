/** Restore metrics: releases, pacing, pauses and rejoins. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EventStream } from '../events/index.ts';

/** Registers the restore metrics and subscribes them; returns the unsubscribers. */
export function restoreMetrics(registry: Registry, events: EventStream): (() => void)[] {
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
  for (const outcome of ['restored', 'refused'] as const) rejoins.inc({ outcome }, 0);
  return [
    events.on('restore.released', (e) => released.inc(e.count)),
    events.on('restore.rate', (e) => restoreRate.set({ restore: e.restoreId }, e.perSecond)),
    events.on('restore.paused', (e) => pauses.inc({ by: e.by })),
    events.on('rejoin', (e) => {
      rejoins.inc({ outcome: e.outcome });
      rejoinLatency.observe({ outcome: e.outcome }, e.ms / 1000);
    }),
  ];
}
