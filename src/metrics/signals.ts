/** Signals open now, by detector and severity, read from the record store at scrape time (so every node shows the same). */
import { Gauge, type Registry } from 'prom-client';

export interface SignalMetricsDeps {
  /** The open signals (at most a bounded page of them). */
  openSignals?: () => Promise<readonly { detector: string; severity: string }[]>;
}

export function signalMetrics(registry: Registry, deps: SignalMetricsDeps): (() => void)[] {
  const { openSignals } = deps;
  if (!openSignals) return [];
  new Gauge({
    name: 'lifeline_signals_open',
    help: 'Signals open now (raised and not resolved), by detector and severity',
    labelNames: ['detector', 'severity'] as const,
    registers: [registry],
    async collect() {
      // A store that cannot answer leaves the last values: a scrape never fails on it.
      const open = await openSignals().catch(() => undefined);
      if (!open) return;
      this.reset();
      const counts = new Map<string, { detector: string; severity: string; n: number }>();
      for (const s of open) {
        const key = `${s.detector}\u0000${s.severity}`;
        const c = counts.get(key) ?? { detector: s.detector, severity: s.severity, n: 0 };
        c.n++;
        counts.set(key, c);
      }
      for (const c of counts.values()) this.set({ detector: c.detector, severity: c.severity }, c.n);
    },
  });
  return [];
}
