/**
 * Automatic rollback (issue 15, item 7; seed 000 asks for it beside flags and circuit breakers):
 * a flag change is watched for a while after it is made. When a P0 or P1 signal starts inside
 * that window, the change is named as a suspect, and a change marked `autoRevert` is switched
 * back by Lifeline itself, the way a guarded rollout backs out a bad step. Pure: the caller
 * records changes, asks on each new signal, and carries out (and audits) the reverts.
 */

export interface WatchedChange {
  key: string;
  from: boolean | string | number;
  to: boolean | string | number;
  at: number;
  actor: string;
  autoRevert: boolean;
}

export interface Verdict {
  /** Changes made within the watch window before the signal started, newest first. */
  suspects: WatchedChange[];
  /** The suspects to switch back now: marked autoRevert, still in force, not reverted before. */
  revert: WatchedChange[];
}

const SERIOUS = new Set(['P0', 'P1']);

export class ChangeWatch {
  readonly #watchMs: number;
  #changes: WatchedChange[] = [];
  readonly #reverted = new Set<WatchedChange>();

  constructor(options: { watchMs: number }) {
    this.#watchMs = options.watchMs;
  }

  record(change: WatchedChange): void {
    this.#changes.push(change);
    // Only the window matters; older changes can never be suspects again.
    const horizon = change.at - this.#watchMs;
    this.#changes = this.#changes.filter((c) => c.at >= horizon);
  }

  /** What a signal that started at `startedAt` with `severity` says about recent changes. */
  judge(signal: { startedAt: number; severity: string }): Verdict {
    if (!SERIOUS.has(signal.severity)) return { suspects: [], revert: [] };
    const suspects = this.#changes
      .filter((c) => c.at <= signal.startedAt && signal.startedAt - c.at <= this.#watchMs)
      .sort((a, b) => b.at - a.at);
    const revert = suspects.filter((c) => c.autoRevert && !this.#reverted.has(c) && this.#inForce(c));
    for (const c of revert) this.#reverted.add(c);
    return { suspects, revert };
  }

  /** Whether `c` is the latest change of its flag (a later change, by anyone, is not undone). */
  #inForce(c: WatchedChange): boolean {
    return !this.#changes.some((o) => o.key === c.key && o.at > c.at);
  }
}
