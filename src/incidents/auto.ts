/**
 * Automatic declaration: a kick-breaker trip declares a P1 by itself, and so does a P0 or P1
 * signal; any signal raised while an incident runs is linked to it. Listens on the event stream
 * (`breaker.changed`, `signal.changed`), so it sees what this node did; the store's unique cause
 * key keeps a cause to one incident whichever nodes hear of it. Disruption records ended while an
 * incident runs are claimed as they are written (`session.ended`).
 */
import type { Logger } from 'pino';
import type { BreakerState } from '../breaker/records.ts';
import type { EventStream } from '../events/index.ts';
import type { Signal } from '../signals/records.ts';
import type { Cause, IncidentService } from './service.ts';

export interface AutoDeclareDeps {
  incidents: IncidentService;
  events: EventStream;
  logger: Logger;
  /** The kick breaker's stored state (when and why it tripped). */
  breakerState: () => Promise<BreakerState>;
  /** The breaker's window: the kicks that tripped it happened within it, so the onset is that far back. */
  breakerWindowSeconds: number;
}

const declaring = new Set(['P0', 'P1']);

/**
 * A breaker trip's cause. Its onset is the first kick of the storm that tripped it (`firstKickAt`,
 * from the audit log), the moment the first player was harmed, so that RTO runs from when players
 * started going out, as a drill measures it; without one (none found), the window's start.
 */
export function breakerCause(state: BreakerState, windowSeconds: number, firstKickAt?: number | null): Cause {
  const windowStart = state.changedAt - windowSeconds * 1000;
  return {
    key: `breaker:${state.name}@${state.changedAt}`,
    declaredBy: 'auto:breaker',
    title: `Kick breaker tripped: ${state.reason}`,
    severity: 'P1',
    severityReason: 'the kick breaker tripped (a P1 by rule)',
    startedAt: firstKickAt ?? windowStart,
    detectedAt: state.changedAt,
  };
}

export function signalCause(signal: Signal): Cause {
  const severity = declaring.has(signal.severity) ? (signal.severity as 'P0' | 'P1') : 'P2';
  return {
    key: `signal:${signal.id}`,
    declaredBy: 'auto:signal',
    title: signal.title,
    severity,
    severityReason: `a ${signal.severity} signal from ${signal.detector}`,
    startedAt: Math.min(signal.onsetAt, signal.startedAt),
    detectedAt: signal.startedAt,
    signal: {
      id: signal.id,
      title: signal.title,
      severity: signal.severity,
      detector: signal.detector,
      at: signal.startedAt,
    },
  };
}

/**
 * Starts listening; returns the function that stops (resolving once a declaration under way ends). Declarations run one at a time on this node,
 * so a breaker trip and a signal of the same storm make one incident (the second is linked).
 */
export function autoDeclare(d: AutoDeclareDeps): () => Promise<void> {
  let chain: Promise<unknown> = Promise.resolve();
  const run = (what: string, work: () => Promise<unknown>) => {
    chain = chain
      .then(work)
      .catch((err: unknown) => d.logger.error({ err, what }, 'could not declare or link an incident'));
  };
  const offBreaker = d.events.on('breaker.changed', (e) => {
    if (e.state !== 'open') return;
    run('breaker', async () => {
      const state = await d.breakerState();
      if (state.state !== 'open') return;
      const first = await d.incidents.firstKickAt(state.changedAt, d.breakerWindowSeconds * 1000);
      const done = await d.incidents.declareFor(breakerCause(state, d.breakerWindowSeconds, first));
      d.logger.warn({ ...done, cause: 'breaker' }, 'kick breaker trip: incident');
    });
  });
  const offSignal = d.events.on('signal.changed', (e) => {
    if (e.change === 'resolved') return;
    run('signal', async () => {
      const cause = signalCause(e.signal);
      // A lower signal declares nothing, but one raised while an incident runs joins its timeline.
      if (!declaring.has(e.signal.severity) && (await d.incidents.running()).length === 0) return;
      await d.incidents.declareFor(cause);
    });
  });
  let claiming = false;
  const offEnded = d.events.on('session.ended', () => {
    if (claiming) return;
    claiming = true;
    run('claim', async () => {
      claiming = false;
      for (const i of await d.incidents.running()) await d.incidents.claimWindow(i);
    });
  });
  return async () => {
    offBreaker();
    offSignal();
    offEnded();
    await chain;
  };
}
