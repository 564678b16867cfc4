/**
 * The one way signals change: raised (or, while open, updated) and resolved, stored through
 * `SignalRecords` and announced on the event stream as `signal.changed`, so that metrics and
 * routing see every change whichever part of Lifeline made it (a detector, an intake, a report).
 */
import { createHash } from 'node:crypto';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import { uuid7 } from '../ids/index.ts';
import type { SignalRecords } from '../store/index.ts';
import { parseIntake } from './intake.ts';
import type { RaiseInput, Signal, SignalChanged, SignalQuery } from './records.ts';

export interface SignalServiceDeps {
  store: SignalRecords;
  events: EventStream;
  clock: () => number;
}

/** A signal's identity for dedup: its detector and its dimensions, in key order. */
export function fingerprintOf(detector: string, dimensions: Record<string, string>): string {
  const canonical = JSON.stringify([
    detector,
    Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)),
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

const noEvidence: Signal['evidence'] = { statistic: 0, threshold: 0, observed: 0, expected: 0 };

export class SignalService {
  readonly #d: SignalServiceDeps;

  constructor(deps: SignalServiceDeps) {
    this.#d = deps;
  }

  /** Raises a signal, or updates the open one with its fingerprint; emits `signal.changed`. */
  async raise(input: RaiseInput): Promise<SignalChanged> {
    const now = this.#d.clock();
    const dimensions = input.dimensions ?? {};
    const startedAt = input.startedAt ?? now;
    const { signal, change } = await this.#d.store.raiseSignal({
      id: uuid7(startedAt),
      source: input.source,
      detector: input.detector,
      severity: input.severity,
      title: input.title,
      dimensions,
      fingerprint: input.fingerprint ?? fingerprintOf(input.detector, dimensions),
      onsetAt: Math.min(input.onsetAt ?? startedAt, startedAt),
      startedAt,
      resolvedAt: null,
      evidence: input.evidence ?? noEvidence,
      localisation: input.localisation ?? [],
      incidentId: null,
    });
    const changed = { signal, change };
    this.#d.events.emit('signal.changed', changed);
    return changed;
  }

  /** Resolves the open signal with this fingerprint; null when none is open (nothing emitted). */
  async resolve(fingerprint: string, at = this.#d.clock()): Promise<SignalChanged | null> {
    const signal = await this.#d.store.resolveSignal(fingerprint, at);
    if (!signal) return null;
    const changed: SignalChanged = { signal, change: 'resolved' };
    this.#d.events.emit('signal.changed', changed);
    return changed;
  }

  /**
   * An Alertmanager or Sentry webhook body: checked whole first (a bad one stores nothing), then
   * each alert raised or resolved in order. Each step is idempotent (a repeat updates, a second
   * resolve is a no-op), so a sender retrying after a storage error converges.
   */
  async intake(
    body: unknown,
  ): Promise<{ raised: number; updated: number; resolved: number; signals: Signal[] }> {
    const actions = parseIntake(body, this.#d.clock());
    const out = { raised: 0, updated: 0, resolved: 0, signals: [] as Signal[] };
    for (const a of actions) {
      const changed =
        a.kind === 'raise' ? await this.raise(a.input) : await this.resolve(a.fingerprint, a.at);
      if (!changed) continue;
      out[changed.change]++;
      out.signals.push(changed.signal);
    }
    return out;
  }

  list(query: SignalQuery): Promise<Signal[]> {
    return this.#d.store.listSignals(query);
  }

  async get(id: string): Promise<Signal> {
    const signal = await this.#d.store.getSignal(id);
    if (!signal) throw new LifelineError('SIGNAL_NOT_FOUND', `No signal ${id}`);
    return signal;
  }
}
