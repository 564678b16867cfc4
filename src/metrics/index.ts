/**
 * Prometheus metrics, each fed by the event stream or read from live state at scrape time.
 * Every app gets its own registry so that several apps in one process (tests) never collide.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { type AdmissionMetricsDeps, admissionMetrics } from './admission.ts';
import { type HealthMetricsDeps, healthMetrics } from './health.ts';
import { type OperationMetricsDeps, operationMetrics } from './operations.ts';
import { type PlayerMetricsDeps, playerMetrics } from './players.ts';
import { restoreMetrics } from './restore.ts';
import { type SignalMetricsDeps, signalMetrics } from './signals.ts';

export interface Metrics {
  readonly registry: Registry;
  stop(): void;
}

export interface MetricsDeps
  extends PlayerMetricsDeps,
    OperationMetricsDeps,
    HealthMetricsDeps,
    SignalMetricsDeps,
    AdmissionMetricsDeps {
  /** The region a shard belongs to, from the topology. */
  regionOf: (shard: string) => string;
  /** Whether the kick breaker is open now (read from the record store at scrape time). */
  breakerOpen: () => Promise<boolean>;
  /** The latest dependency probe results. */
  probes: () => { kind: string; name: string; ok: boolean }[];
  /** Whether this node saw the audit chain go back or change under it (latched until restart). */
  auditRegressed?: () => boolean;
}

export function createMetrics(deps: MetricsDeps): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: deps.eventLoopResolutionMs });
  const stops = [
    ...playerMetrics(registry, deps),
    ...operationMetrics(registry, deps),
    ...restoreMetrics(registry, deps.events),
    ...healthMetrics(registry, deps),
    ...signalMetrics(registry, deps),
    ...admissionMetrics(registry, deps),
  ];
  return {
    registry,
    stop() {
      for (const stop of stops) stop();
    },
  };
}
