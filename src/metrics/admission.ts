/** The login admission queue as gauges, read from the controller at scrape time. */
import { Gauge, type Registry } from 'prom-client';

/** What the gauges read (the controller's snapshot); null while admission is off. */
export interface AdmissionReading {
  limit: number;
  inFlight: number;
  lanes: readonly { name: string; depth: number; maxDepth: number; oldestWaitSeconds: number }[];
}

export interface AdmissionMetricsDeps {
  admission?: () => AdmissionReading | null;
}

export function admissionMetrics(registry: Registry, deps: AdmissionMetricsDeps): (() => void)[] {
  const read = deps.admission ?? (() => null);
  const node = (name: string, help: string, value: (a: AdmissionReading) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const a = read();
        if (a) this.set(value(a));
      },
    });
  const lane = (name: string, help: string, value: (l: AdmissionReading['lanes'][number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['lane'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const l of read()?.lanes ?? []) this.set({ lane: l.name }, value(l));
      },
    });
  node(
    'lifeline_admission_limit',
    'The shared concurrency limit on identity calls, as this node last heard it',
    (a) => a.limit,
  );
  node('lifeline_admission_in_flight', 'Identity calls in flight from this node', (a) => a.inFlight);
  lane('lifeline_admission_queue_depth', 'Logins waiting in line on this node, by lane', (l) => l.depth);
  lane(
    'lifeline_admission_queue_max',
    'The most logins that may wait (admission.maxQueue), by lane',
    (l) => l.maxDepth,
  );
  lane(
    'lifeline_admission_oldest_wait_seconds',
    'How long the first login in line has waited, by lane (0 on an empty line)',
    (l) => l.oldestWaitSeconds,
  );
  return [];
}
