/**
 * Every login asks for the player's ban in force. The lookups asked in one turn of the event
 * loop go to the database as one statement, so a login storm costs one round trip per turn, not
 * one per login. A lookup starts no earlier than it was asked, so it sees every ban committed
 * before.
 */
import type { Ban } from '../../bans/records.ts';
import { str, toBan } from '../rows.ts';
import type { Sql } from './driver.ts';

interface Asked {
  playerId: string;
  resolve: (ban: Ban | null) => void;
  reject: (err: unknown) => void;
}

export class BanReads {
  readonly #s: Sql;
  #asked: Asked[] = [];

  constructor(s: Sql) {
    this.#s = s;
  }

  current(playerId: string): Promise<Ban | null> {
    const { promise, resolve, reject } = Promise.withResolvers<Ban | null>();
    this.#asked.push({ playerId, resolve, reject });
    if (this.#asked.length === 1) setImmediate(() => void this.#read());
    return promise;
  }

  async #read(): Promise<void> {
    const asked = this.#asked;
    this.#asked = [];
    const { d, q } = this.#s;
    const ids = [...new Set(asked.map((a) => a.playerId))];
    try {
      // At most one ban is in force per player (a unique index), so `ids.length` bounds the rows.
      const bans = new Map(
        (await d.all(q.banList, [d.list(ids), null, '', ids.length])).map((r) => [
          str(r.player_id),
          toBan(r),
        ]),
      );
      for (const a of asked) a.resolve(bans.get(a.playerId) ?? null);
    } catch (err) {
      for (const a of asked) a.reject(err);
    }
  }
}
