/**
 * When to tell people, after Alertmanager's three timers. Signals are grouped by detector (as
 * Alertmanager groups by `alertname`): a new group waits `groupWait` before its first
 * notification, so signals that start together arrive together; after that a group is looked at
 * once per `groupInterval`, and only what changed is sent. An alert already sent and unchanged
 * is sent again only after `repeatInterval`. A resolve is held for `quiet`: a signal that comes
 * back within it is the same episode (no second page), and one that stays resolved is resolved
 * once. Pure: the caller passes the time.
 */
import type { Severity, Signal } from '../signals/records.ts';

export interface Timers {
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  quietMs: number;
}

/** One alert's change to tell a destination. */
export interface Note {
  action: 'trigger' | 'resolve';
  signal: Signal;
  /** The most severe this alert has been in its episode: a resolve reaches whoever got the page. */
  peak: Severity;
  /** A re-send of an unchanged alert after the repeat interval. */
  repeat: boolean;
}

/** What one group's turn produced. */
export interface Notification {
  group: string;
  at: number;
  notes: Note[];
}

interface Alert {
  signal: Signal;
  firing: boolean;
  resolvedAt: number;
  peak: Severity;
  /** What was last sent (severity and title), or null if nothing was. */
  sentAs: string | null;
  sentAt: number;
}

interface Group {
  alerts: Map<string, Alert>;
  nextAt: number;
}

const rank: Record<Severity, number> = { P1: 1, P2: 2, P3: 3 };

/** The more severe of two severities (P1 is the most). */
export function moreSevere(a: Severity, b: Severity): Severity {
  return rank[a] <= rank[b] ? a : b;
}

/** Whether `s` is at least as severe as `min`. */
export function atLeast(s: Severity, min: Severity): boolean {
  return rank[s] <= rank[min];
}

const shape = (s: Signal): string => `${s.severity}\u0000${s.title}`;

export class NotificationPolicy {
  readonly #t: Timers;
  readonly #maxAlerts: number;
  readonly #groups = new Map<string, Group>();

  /** `maxAlerts`: the most alerts held at once. @defaultValue 10000 */
  constructor(timers: Timers, maxAlerts = 10_000) {
    this.#t = timers;
    this.#maxAlerts = maxAlerts;
  }

  /** How many alerts are held (firing, or resolved and in their quiet period). */
  get size(): number {
    let n = 0;
    for (const g of this.#groups.values()) n += g.alerts.size;
    return n;
  }

  /** The earliest time a group is due, or null when none is held. */
  get nextAt(): number | null {
    let at: number | null = null;
    for (const g of this.#groups.values()) at = at === null ? g.nextAt : Math.min(at, g.nextAt);
    return at;
  }

  /**
   * Takes a signal's change into account. Returns false, holding nothing, for a new alert when
   * `maxAlerts` are already held: a flood of distinct signals cannot grow memory without bound.
   */
  observe(signal: Signal, change: 'raised' | 'updated' | 'resolved', now: number): boolean {
    const known = this.#groups.get(signal.detector)?.alerts.has(signal.fingerprint) === true;
    if (!known && this.size >= this.#maxAlerts) return false;
    let group = this.#groups.get(signal.detector);
    if (group === undefined) {
      group = { alerts: new Map(), nextAt: now + this.#t.groupWaitMs };
      this.#groups.set(signal.detector, group);
    }
    const alert = group.alerts.get(signal.fingerprint);
    const firing = change !== 'resolved';
    if (alert === undefined) {
      // A resolve for an alert this node never saw (raised before a restart, or on another node):
      // assume it was paged, so that the page is closed; a resolve of nothing is harmless.
      group.alerts.set(signal.fingerprint, {
        signal,
        firing,
        resolvedAt: now,
        peak: signal.severity,
        sentAs: firing ? null : shape(signal),
        sentAt: now,
      });
      return true;
    }
    alert.signal = signal;
    alert.peak = moreSevere(alert.peak, signal.severity);
    if (firing) alert.firing = true;
    else if (alert.firing) {
      alert.firing = false;
      alert.resolvedAt = now;
    }
    return true;
  }

  /** The notifications of every group due at `now`; each group's next turn moves on. */
  due(now: number): Notification[] {
    const out: Notification[] = [];
    for (const [key, group] of this.#groups) {
      if (group.nextAt > now) continue;
      const notes = this.#turn(group, now);
      group.nextAt = now + this.#t.groupIntervalMs;
      if (group.alerts.size === 0) this.#groups.delete(key);
      if (notes.length > 0) out.push({ group: key, at: now, notes });
    }
    return out;
  }

  #turn(group: Group, now: number): Note[] {
    const notes: Note[] = [];
    for (const [fp, a] of group.alerts) {
      if (a.firing) {
        const changed = a.sentAs !== shape(a.signal);
        const repeat = !changed && now - a.sentAt >= this.#t.repeatIntervalMs;
        if (!changed && !repeat) continue;
        notes.push({ action: 'trigger', signal: a.signal, peak: a.peak, repeat });
        a.sentAs = shape(a.signal);
        a.sentAt = now;
      } else if (now - a.resolvedAt >= this.#t.quietMs) {
        // Never sent (resolved within group wait): nobody was told, nobody needs the resolve.
        if (a.sentAs !== null)
          notes.push({ action: 'resolve', signal: a.signal, peak: a.peak, repeat: false });
        group.alerts.delete(fp);
      }
    }
    return notes;
  }
}
