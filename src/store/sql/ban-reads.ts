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
  at: number;
  resolve: (ban: Ban | null) => void;
  reject: (err: unknown) => void;
}

export class BanReads {
  readonly #s: Sql;
  #asked: Asked[] = [];

  constructor(s: Sql) {
    this.#s = s;
  }

  /** The player's ban standing at `at`: not lifted, and not expired by then. */
  current(playerId: string, at: number): Promise<Ban | null> {
    const { promise, resolve, reject } = Promise.withResolvers<Ban | null>();
    this.#asked.push({ playerId, at, resolve, reject });
    if (this.#asked.length === 1) setImmediate(() => void this.#read());
    return promise;
  }

  async #read(): Promise<void> {
    const asked = this.#asked;
    this.#asked = [];
    const { d, q } = this.#s;
    const ids = [...new Set(asked.map((a) => a.playerId))];
    try {
      // At most one ban is unlifted per player (a unique index), so `ids.length` bounds the rows.
      // Expired ones are read too: each asker judges expiry by its own time.
      const bans = new Map(
        (await d.all(q.banList, [d.list(ids), null, '', ids.length, null])).map((r) => [
          str(r.player_id),
          toBan(r),
        ]),
      );
      for (const a of asked) {
        const ban = bans.get(a.playerId) ?? null;
        a.resolve(ban !== null && (ban.expiresAt === null || ban.expiresAt > a.at) ? ban : null);
      }
    } catch (err) {
      for (const a of asked) a.reject(err);
    }
  }
}
