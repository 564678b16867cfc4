/**
 * The line of queued logins, in order of arrival, with their tickets. One line: only a login
 * calls the identity upstream (a refresh or a rejoin never does), so there is nothing to put
 * before it.
 */
import { randomBytes } from 'node:crypto';
import type { Work } from './settings.ts';

export type Outcome<T> =
  | { state: 'queued' }
  | { state: 'running' }
  | { state: 'done'; value: T }
  | { state: 'failed'; error: unknown };

export interface Entry<T> {
  /** Order of arrival; a retried entry keeps its place. */
  seq: number;
  ticket: string;
  work: Work<T>;
  createdAt: number;
  outcome: Outcome<T>;
  /** Told once the outcome is done or failed (a held poll waits on it). */
  onSettled: (() => void)[];
}

export class Line<T> {
  readonly #waiting: Entry<T>[] = [];
  readonly #tickets = new Map<string, Entry<T>>();
  #seq = 0;

  get length(): number {
    return this.#waiting.length;
  }

  /**
   * A new entry with its ticket: at the back, or at the front for a login whose direct call just
   * failed upstream (it was served first once already).
   */
  add(work: Work<T>, now: number, front: boolean): Entry<T> {
    const entry: Entry<T> = {
      seq: this.#seq++,
      ticket: `lt_${randomBytes(16).toString('base64url')}`,
      work,
      createdAt: now,
      outcome: { state: 'queued' },
      onSettled: [],
    };
    if (front) this.#waiting.unshift(entry);
    else this.#waiting.push(entry);
    this.#tickets.set(entry.ticket, entry);
    return entry;
  }

  /** Puts an entry back at the front: it was first once already (its call failed upstream). */
  putBack(entry: Entry<T>): void {
    entry.outcome = { state: 'queued' };
    this.#waiting.unshift(entry);
  }

  /** When the entry first in line arrived, or null on an empty line. */
  oldestAt(): number | null {
    return this.#waiting[0]?.createdAt ?? null;
  }

  next(): Entry<T> | undefined {
    return this.#waiting.shift();
  }

  find(ticket: string): Entry<T> | undefined {
    return this.#tickets.get(ticket);
  }

  /** Forgets a ticket whose answer was collected. */
  collected(ticket: string): void {
    this.#tickets.delete(ticket);
  }

  /**
   * How many are ahead, from sequence numbers: no scan of a 20,000-long line per poll. A
   * retried entry put back at the front counts from itself.
   */
  ahead(entry: Entry<T>): number {
    return Math.max(0, entry.seq - (this.#waiting[0]?.seq ?? entry.seq));
  }

  /** Drops queued or finished entries created before `deadline`; running ones finish first. */
  expire(deadline: number): void {
    for (const [ticket, e] of this.#tickets) {
      if (e.createdAt >= deadline || e.outcome.state === 'running') continue;
      this.#tickets.delete(ticket);
      const i = this.#waiting.indexOf(e);
      if (i >= 0) this.#waiting.splice(i, 1);
    }
  }
}
