/**
 * A page of live sessions in a stable order, (createdAt, id), past a cursor's key. Live sessions
 * are kept in a set (Redis SCAN order changes as it grows), so a page is the `limit` smallest
 * keys past the cursor over one pass of the candidates: never more than `limit` held at once,
 * and a session that came or went between pages neither repeats nor shifts the others.
 */
import type { LiveSession } from '../sessions/records.ts';

/** Where the previous page ended: its last session's createdAt and id. */
export interface SessionKey {
  at: number;
  id: string;
}

const before = (a: SessionKey, b: SessionKey): boolean => a.at < b.at || (a.at === b.at && a.id < b.id);
const keyOf = (s: LiveSession): SessionKey => ({ at: s.createdAt, id: s.id });

/** Keeps, in order, the first `limit` sessions past `after` of those it is offered. */
export class SessionPage {
  readonly #limit: number;
  readonly #after: SessionKey | undefined;
  readonly #rows: LiveSession[] = [];

  constructor(limit: number, after: SessionKey | undefined) {
    this.#limit = limit;
    this.#after = after;
  }

  offer(s: LiveSession): void {
    const key = keyOf(s);
    if (this.#after !== undefined && !before(this.#after, key)) return;
    const rows = this.#rows;
    const last = rows.at(-1);
    if (rows.length >= this.#limit && last !== undefined && !before(key, keyOf(last))) return;
    // Binary search for the place: pages are small (at most a list's limit), inserts are cheap.
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(keyOf(rows[mid] as LiveSession), key)) lo = mid + 1;
      else hi = mid;
    }
    rows.splice(lo, 0, s);
    if (rows.length > this.#limit) rows.pop();
  }

  rows(): LiveSession[] {
    return this.#rows;
  }
}
