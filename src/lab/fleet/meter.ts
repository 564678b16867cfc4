/**
 * What the fleet measured, as it happened: counts per scenario second (events land in the second
 * they happened in, however many seconds one wall tick spans), outages per player, and totals.
 * Nothing here is copied from the plan.
 */
import type { FirstLogin, FleetSecond, FleetSummary, Outage } from './types.ts';

type Counts = Record<string, number>;

interface Bucket {
  logins: Counts;
  refreshes: Counts;
  rejoins: Counts;
  closes: Counts;
  requests: Counts;
  gameJoins: Counts;
  reconnects: number;
  ownersDenied: number;
  sessionsLost: number;
}

export type Family = 'logins' | 'refreshes' | 'rejoins' | 'closes' | 'requests' | 'gameJoins';

const bump = (c: Counts, key: string) => {
  c[key] = (c[key] ?? 0) + 1;
};

const emptyBucket = (): Bucket => ({
  logins: {},
  refreshes: {},
  rejoins: {},
  closes: {},
  requests: {},
  gameJoins: {},
  reconnects: 0,
  ownersDenied: 0,
  sessionsLost: 0,
});

export class Meter {
  readonly #now: () => number;
  readonly #buckets = new Map<number, Bucket>();
  /** The first second not yet handed out. */
  #next = 0;
  readonly requests: Counts = {};
  readonly outages: Outage[] = [];
  readonly #denied = new Set<string>();
  /** The second each owner was last counted as denied in (once per owner per second). */
  readonly #deniedIn = new Map<string, number>();
  sessionsLost = 0;
  readonly #firstLogins = new Map<string, FirstLogin>();

  /** `now` gives scenario seconds since the fleet started. */
  constructor(now: () => number) {
    this.#now = now;
  }

  #bucket(): Bucket {
    const s = Math.max(this.#next, Math.floor(this.#now()));
    let b = this.#buckets.get(s);
    if (!b) {
      b = emptyBucket();
      this.#buckets.set(s, b);
    }
    return b;
  }

  count(family: Family, key: string): void {
    bump(this.#bucket()[family], key);
    if (family === 'requests') bump(this.requests, key);
  }

  reconnect(): void {
    this.#bucket().reconnects++;
  }

  ownerDenied(player: string): void {
    const s = Math.floor(this.#now());
    this.#denied.add(player);
    if (this.#deniedIn.get(player) === s) return;
    this.#deniedIn.set(player, s);
    this.#bucket().ownersDenied++;
  }

  sessionLost(): void {
    this.sessionsLost++;
    this.#bucket().sessionsLost++;
  }

  /** A player starts a login: its first one is kept (the storm's arrival); later ones change nothing. */
  loginStarted(player: string): void {
    if (!this.#firstLogins.has(player))
      this.#firstLogins.set(player, { startedAt: this.#now(), etaSeconds: null, quotedAt: null, inAt: null });
  }

  /** A queue quoted the player an ETA: the first quote of its first login is kept. */
  loginQuoted(player: string, etaSeconds: number): void {
    const f = this.#firstLogins.get(player);
    if (f && f.inAt === null && f.quotedAt === null) {
      f.etaSeconds = etaSeconds;
      f.quotedAt = this.#now();
    }
  }

  /** The player's login was answered with tokens: the first time ends its first login. */
  loginDone(player: string): void {
    const f = this.#firstLogins.get(player);
    if (f && f.inAt === null) f.inAt = this.#now();
  }

  /** Opens an outage; returns it so its player can close it. */
  out(player: string, cause: string): Outage {
    const o: Outage = { player, outAt: this.#now(), backAt: null, cause };
    this.outages.push(o);
    return o;
  }

  /** Closes an outage; `sentAt` is when the request that brought the player back was sent. */
  back(o: Outage, sentAt: number): void {
    o.backAt = this.#now();
    o.backSentAt = sentAt;
  }

  /** Scenario seconds now (the clock outages are on). */
  now(): number {
    return this.#now();
  }

  left(o: Outage): void {
    o.leftAt = this.#now();
  }

  /** The seconds that have ended (all of them, with `all`), with the gauges as they are now. */
  flush(gauges: { wanted: number; online: number }, all = false): FleetSecond[] {
    const until = all ? Math.floor(this.#now()) + 1 : Math.floor(this.#now());
    const out: FleetSecond[] = [];
    for (; this.#next < until; this.#next++) {
      const b = this.#buckets.get(this.#next) ?? emptyBucket();
      this.#buckets.delete(this.#next);
      out.push({ t: this.#next, ...gauges, ...b });
    }
    return out;
  }

  summary(players: number): FleetSummary {
    return {
      players,
      sessionsLost: this.sessionsLost,
      ownersDenied: this.#denied.size,
      outages: this.outages,
      requests: { ...this.requests },
      firstLogins: [...this.#firstLogins.values()],
    };
  }
}
