/**
 * Admin-operation anomalies over the audit stream (issue 15, item 2; seed 000's "automated review
 * of admin operations"): each entry is judged as it is appended, so a runaway script or a stolen
 * admin token shows up in a minute, not at the next review.
 *
 * - a bulk action (a kick or restore of at least `bulkSessions`) outside an announced change window;
 * - an actor doing an action for the first time, once the watch has learned who usually does what;
 * - a burst of denied actions or failed step-ups by one actor;
 * - a break-glass write (someone bypassed the two-person rule from the host);
 * - the audit chain going backwards (raised by the anchor's check, not from an entry).
 *
 * Pure: time is the entry's `at`, the watch keeps only what it needs, and the caller turns what
 * it returns into stored signals.
 */
import type { AuditEntry } from '../audit/records.ts';
import type { ChangeWindow } from './drop.ts';
import type { Severity } from './signal.ts';

export interface AdminSignal {
  detector: string;
  severity: Severity;
  title: string;
  /** With `detector`, the signal's identity (a second burst by the same actor updates the first). */
  dimensions: Record<string, string>;
  at: number;
  evidence: { statistic: number; threshold: number; observed: number; expected: number };
}

export interface AdminWatchOptions {
  /** A kick or restore touching at least this many sessions is bulk. @defaultValue 50 */
  bulkSessions?: number;
  /** First-time actors are noted only after the watch has seen this much history. @defaultValue 7 days */
  learnMs?: number;
  /** Denied actions and failed step-ups by one actor within `burstWindowMs` that make a burst. @defaultValue 5 in 5 minutes */
  burstCount?: number;
  burstWindowMs?: number;
}

const DENIALS = new Set(['denied', 'locked', 'refused']);
const STEP_UP_FAILURES = new Set(['stepup.failed', 'stepup.locked', 'stepup.refused']);

/** Sessions an entry's action touches, when it is a kick or a restore. */
function sessionsTouched(e: AuditEntry): number | undefined {
  if (e.action === 'command.request' && typeof e.details.count === 'number') return e.details.count;
  if (e.action === 'restore.start') {
    const restorable = e.details.restorable;
    if (typeof restorable === 'number') return restorable;
    if (
      restorable &&
      typeof restorable === 'object' &&
      'count' in restorable &&
      typeof restorable.count === 'number'
    )
      return restorable.count;
  }
  return undefined;
}

export class AdminWatch {
  readonly #o: Required<AdminWatchOptions>;
  readonly #windows: ChangeWindow[] = [];
  readonly #seen = new Set<string>();
  readonly #denials = new Map<string, number[]>();
  #firstAt: number | undefined;

  constructor(o: AdminWatchOptions = {}) {
    this.#o = {
      bulkSessions: o.bulkSessions ?? 50,
      learnMs: o.learnMs ?? 7 * 86_400_000,
      burstCount: o.burstCount ?? 5,
      burstWindowMs: o.burstWindowMs ?? 300_000,
    };
  }

  announce(w: ChangeWindow): void {
    this.#windows.push(w);
  }

  /** Judges one appended entry; returns what it found (often nothing). */
  observe(e: AuditEntry): AdminSignal[] {
    this.#firstAt ??= e.at;
    const found = [this.#breakGlass(e), this.#bulk(e), this.#firstTime(e), this.#burst(e)];
    return found.filter((s): s is AdminSignal => s !== undefined);
  }

  /** The anchor found the chain shorter or rewritten (the `audit.regressed` event). */
  regressed(at: number, kind: string, detail: string): AdminSignal {
    return {
      detector: 'audit-regressed',
      severity: 'P1',
      title: `The audit chain went backwards (${kind}): ${detail}`,
      dimensions: { kind },
      at,
      evidence: { statistic: 1, threshold: 1, observed: 1, expected: 0 },
    };
  }

  #breakGlass(e: AuditEntry): AdminSignal | undefined {
    if (e.action !== 'operator.break-glass') return undefined;
    return {
      detector: 'break-glass',
      severity: 'P1',
      title: `Break-glass write by ${e.actor} on ${e.target}: the two-person rule was bypassed from the host`,
      dimensions: { actor: e.actor },
      at: e.at,
      evidence: { statistic: 1, threshold: 1, observed: 1, expected: 0 },
    };
  }

  #bulk(e: AuditEntry): AdminSignal | undefined {
    const n = sessionsTouched(e);
    if (n === undefined || n < this.#o.bulkSessions) return undefined;
    if (this.#windows.some((w) => w.from <= e.at && e.at <= w.to)) return undefined;
    return {
      detector: 'bulk-outside-change-window',
      severity: 'P2',
      title: `${e.actor} started ${e.action === 'restore.start' ? 'a restore' : 'a kick'} of ${n} sessions outside any announced change window (${e.target})`,
      dimensions: { actor: e.actor, action: e.action },
      at: e.at,
      evidence: { statistic: n, threshold: this.#o.bulkSessions, observed: n, expected: 0 },
    };
  }

  #firstTime(e: AuditEntry): AdminSignal | undefined {
    const key = `${e.actor}\u0000${e.action}`;
    if (this.#seen.has(key)) return undefined;
    this.#seen.add(key);
    if (e.at - (this.#firstAt ?? e.at) < this.#o.learnMs) return undefined;
    return {
      detector: 'first-time-actor',
      severity: 'P3',
      title: `${e.actor} did ${e.action} for the first time`,
      dimensions: { actor: e.actor, action: e.action },
      at: e.at,
      evidence: { statistic: 1, threshold: 1, observed: 1, expected: 0 },
    };
  }

  #burst(e: AuditEntry): AdminSignal | undefined {
    if (!DENIALS.has(e.result) && !STEP_UP_FAILURES.has(e.action)) return undefined;
    const since = e.at - this.#o.burstWindowMs;
    const times = (this.#denials.get(e.actor) ?? []).filter((t) => t > since);
    times.push(e.at);
    this.#denials.set(e.actor, times);
    if (times.length !== this.#o.burstCount) return undefined;
    return {
      detector: 'denied-burst',
      severity: 'P2',
      title: `${e.actor}: ${times.length} denied actions or failed step-ups within ${this.#o.burstWindowMs / 60_000} minutes`,
      dimensions: { actor: e.actor },
      at: e.at,
      evidence: {
        statistic: times.length,
        threshold: this.#o.burstCount,
        observed: times.length,
        expected: 0,
      },
    };
  }
}
