/**
 * Group commit of new grants: every grant opened while no write is under way is written in one
 * batch (one statement or one transaction) on the next turn of the event loop, and grants opened
 * while a batch is being written wait for it and go in the next. A login storm then costs one
 * commit per batch instead of one per login, on either database. A caller resolves only once its
 * row is committed (its login is acknowledged only when its grant is durable).
 */
import type { Grant } from '../../tokens/records.ts';
import { grantParams } from '../rows.ts';
import type { Params, Sql } from './driver.ts';

interface Waiting {
  row: Params;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GrantCommits {
  readonly #s: Sql;
  #waiting: Waiting[] = [];
  #turn: NodeJS.Immediate | undefined;
  #writing: Promise<void> | undefined;

  constructor(s: Sql) {
    this.#s = s;
  }

  open(g: Grant): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#waiting.push({ row: grantParams(g), resolve, reject });
    if (this.#turn === undefined && this.#writing === undefined) {
      this.#turn = setImmediate(() => void this.#flush());
    }
    return promise;
  }

  /** Writes whatever waits, and returns once nothing does (for close). */
  async drain(): Promise<void> {
    if (this.#turn !== undefined) clearImmediate(this.#turn);
    this.#turn = undefined;
    while (this.#writing !== undefined || this.#waiting.length > 0) await (this.#writing ?? this.#flush());
  }

  #flush(): Promise<void> {
    this.#turn = undefined;
    const batch = this.#waiting;
    this.#waiting = [];
    this.#writing = this.#write(batch).finally(() => {
      this.#writing = undefined;
      // What arrived during the write goes now, as one batch: the write's time set its size.
      if (this.#waiting.length > 0 && this.#turn === undefined) void this.#flush();
    });
    return this.#writing;
  }

  async #write(batch: readonly Waiting[]): Promise<void> {
    if (batch.length === 0) return;
    const { d, q } = this.#s;
    try {
      await d.batch(
        q.grantInsert,
        batch.map((w) => w.row),
      );
    } catch {
      // One bad row (a duplicate session id) must not fail its neighbours: retry one by one.
      await Promise.all(batch.map((w) => d.batch(q.grantInsert, [w.row]).then(w.resolve, w.reject)));
      return;
    }
    for (const w of batch) w.resolve();
  }
}
