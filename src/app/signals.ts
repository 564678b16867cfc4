/**
 * Signals: the service every raiser goes through (detectors, intake, reports), and the
 * detection that feeds the pure detectors from this node's events.
 */
import { DetectionService, SignalService } from '../signals/index.ts';
import type { Adapters } from './adapters.ts';
import type { Context } from './context.ts';

export interface Signals {
  signals: SignalService;
  /** Absent when `detection.enabled` is false. */
  detection: DetectionService | undefined;
}

export function buildSignals({ config, clock, events, logger }: Context, { store, live }: Adapters): Signals {
  const signals = new SignalService({ store, events, clock });
  const c = config.detection;
  if (!c.enabled) return { signals, detection: undefined };
  const detection = new DetectionService({
    events,
    signals,
    online: async () => (await live.countSessions({})).total,
    clock,
    logger,
    options: {
      stepMs: c.stepSeconds * 1000,
      failures: {
        minShift: c.failures.minShift,
        threshold: c.failures.threshold,
        warmupMs: c.failures.warmupSeconds * 1000,
        halfLifeMs: c.failures.halfLifeHours * 3_600_000,
        minSteps: c.failures.minSteps,
      },
      drop: {
        slack: c.drop.slack,
        threshold: c.drop.threshold,
        minDeficit: c.drop.minDeficit,
        graceMs: c.drop.graceMinutes * 60_000,
      },
      reports: {
        minExtra: c.reports.minExtra,
        threshold: c.reports.threshold,
        halfLifeMs: c.reports.halfLifeMinutes * 60_000,
      },
    },
  });
  for (const w of changeWindows(c.changeWindows)) detection.announce(w);
  return { signals, detection };
}

/** The configured change windows, as the detectors take them (ms). */
export function changeWindows(list: readonly { from: string; to: string; what: string }[]) {
  return list.map((w) => ({ from: Date.parse(w.from), to: Date.parse(w.to), what: w.what }));
}
