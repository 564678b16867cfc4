/**
 * What the lab's DNS servers measured: queries received and answers sent, by role and rcode, per
 * clock second, and the resolver's cache hits. Counted as answers go out, never configured.
 */
import { EventEmitter } from 'node:events';
import type { LabClock } from '../clock.ts';
import { untilChange } from '../stats.ts';

export type DnsRole = 'parent' | 'child' | 'resolver';

export interface DnsSecond {
  /** Start of the second, on the lab's clock (ms). */
  at: number;
  queries: number;
  answered: number;
  /** Answers by rcode, e.g. `{"NOERROR": 12, "NXDOMAIN": 3}`. */
  byRcode: Record<string, number>;
}

export interface DnsStatsSnapshot {
  queries: number;
  answered: number;
  byRcode: Record<string, number>;
  /** Answers by role, then rcode. */
  byRole: Record<DnsRole, Record<string, number>>;
  /** Resolver answers served from its cache, and those that needed the authoritative servers. */
  cacheHits: number;
  cacheMisses: number;
  /** Queries that could not be decoded (dropped, as a server does). */
  malformed: number;
  /** The resolver's answers per clock second (what a client sees), last 600 kept. */
  seconds: DnsSecond[];
}

const keepSeconds = 600;

export class DnsStats extends EventEmitter {
  readonly #clock: LabClock;
  #queries = 0;
  #malformed = 0;
  #hits = 0;
  #misses = 0;
  #byRole: Record<DnsRole, Record<string, number>> = { parent: {}, child: {}, resolver: {} };
  #seconds: DnsSecond[] = [];

  constructor(clock: LabClock) {
    super();
    this.#clock = clock;
  }

  query(role: DnsRole): void {
    this.#queries++;
    if (role === 'resolver') this.#second().queries++;
    this.emit('change');
  }

  malformed(): void {
    this.#malformed++;
    this.emit('change');
  }

  cache(hit: boolean): void {
    if (hit) this.#hits++;
    else this.#misses++;
  }

  answer(role: DnsRole, rcode: string): void {
    const byRcode = this.#byRole[role];
    byRcode[rcode] = (byRcode[rcode] ?? 0) + 1;
    if (role === 'resolver') {
      const s = this.#second();
      s.answered++;
      s.byRcode[rcode] = (s.byRcode[rcode] ?? 0) + 1;
    }
    this.emit('change');
  }

  snapshot(): DnsStatsSnapshot {
    const byRcode: Record<string, number> = {};
    let answered = 0;
    for (const counts of Object.values(this.#byRole))
      for (const [rcode, n] of Object.entries(counts)) {
        byRcode[rcode] = (byRcode[rcode] ?? 0) + n;
        answered += n;
      }
    return {
      queries: this.#queries,
      answered,
      byRcode,
      byRole: structuredClone(this.#byRole),
      cacheHits: this.#hits,
      cacheMisses: this.#misses,
      malformed: this.#malformed,
      seconds: structuredClone(this.#seconds),
    };
  }

  /** Resolves with the first snapshot that satisfies `check`, looking after every change. */
  until(check: (s: DnsStatsSnapshot) => boolean): Promise<DnsStatsSnapshot> {
    return untilChange(this, () => this.snapshot(), check);
  }

  #second(): DnsSecond {
    const at = Math.floor(this.#clock.now() / 1000) * 1000;
    const last = this.#seconds.at(-1);
    if (last?.at === at) return last;
    const next: DnsSecond = { at, queries: 0, answered: 0, byRcode: {} };
    this.#seconds.push(next);
    if (this.#seconds.length > keepSeconds) this.#seconds.shift();
    return next;
  }
}
