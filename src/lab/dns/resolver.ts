/**
 * The lab's recursive resolver, the one Lifeline is pointed at (`dns.servers`): it follows
 * referrals from the parent's server to the child's over real UDP, as any resolver would, and
 * caches answers and delegations for their TTL on the lab's clock. That cache is why a removed
 * delegation hurts late and scattered (seed 001): nothing changes for a client until the
 * delegation and the answers cached under it lapse, and then the parent says NXDOMAIN.
 */
import type * as packet from 'dns-packet';
import { dnsQuery } from '../../dns/index.ts';
import type { LabClock } from '../clock.ts';
import type { DnsStats } from './stats.ts';
import type { Reply } from './zones.ts';

interface Cached {
  name: string;
  expires: number;
  records: packet.Answer[];
}

interface Delegation {
  zone: string;
  server: string;
  expires: number;
}

const maxHops = 4;
const within = (name: string, zone: string) => name === zone || name.endsWith(`.${zone}`);
const ttlOf = (a: packet.Answer): number => (a.type === 'OPT' ? 0 : (a.ttl ?? 0));
const textOf = (a: packet.Answer): string | undefined =>
  a.type !== 'OPT' && typeof a.data === 'string' ? a.data.toLowerCase() : undefined;
const fail = (rcode: Reply['rcode']): Reply => ({
  rcode,
  authoritative: false,
  answers: [],
  authorities: [],
  additionals: [],
});

export class LabResolver {
  readonly #clock: LabClock;
  readonly #stats: DnsStats;
  /** Where resolution starts: the parent zone's server (this lab's root hint). */
  readonly #root: () => string;
  /** A name server's port by its name: on loopback every glue address is the same. */
  readonly #portOf: (ns: string) => number | undefined;
  readonly #answers = new Map<string, Cached>();
  readonly #delegations = new Map<string, Delegation>();

  constructor(deps: {
    clock: LabClock;
    stats: DnsStats;
    root: () => string;
    portOf: (ns: string) => number | undefined;
  }) {
    this.#clock = deps.clock;
    this.#stats = deps.stats;
    this.#root = deps.root;
    this.#portOf = deps.portOf;
  }

  async resolve(q: packet.Question): Promise<Reply> {
    const name = q.name.toLowerCase().replace(/\.$/, '');
    const now = this.#clock.now();
    const hit = this.#answers.get(`${q.type} ${name}`);
    this.#stats.cache(hit !== undefined && hit.expires > now);
    if (hit !== undefined && hit.expires > now) {
      // The TTL a client sees is what is left of the cached one, so its own cache lapses with ours.
      const ttl = Math.ceil((hit.expires - now) / 1000);
      return { ...fail('NOERROR'), answers: hit.records.map((r) => ({ ...r, ttl }) as packet.Answer) };
    }
    return this.#iterate(q, name);
  }

  /** Cached answers and delegations at or under `zone` lapse within `seconds` from now. */
  shorten(zone: string, seconds: number): void {
    const latest = this.#clock.now() + seconds * 1000;
    for (const entry of [...this.#answers.values(), ...this.#delegations.values()]) {
      const entryName = 'zone' in entry ? entry.zone : entry.name;
      if (within(entryName, zone)) entry.expires = Math.min(entry.expires, latest);
    }
  }

  async #iterate(q: packet.Question, name: string): Promise<Reply> {
    let server = this.#closestDelegation(name)?.server ?? this.#root();
    for (let hop = 0; hop < maxHops; hop++) {
      let res: Awaited<ReturnType<typeof dnsQuery>>;
      try {
        res = await dnsQuery(server, name, q.type, { recursive: false, timeoutMs: 1000 });
      } catch {
        return fail('SERVFAIL');
      }
      // No negative caching: a recovered zone answers again on the next question.
      if (res.rcode !== 'NOERROR') return fail(res.rcode === 'NXDOMAIN' ? 'NXDOMAIN' : 'SERVFAIL');
      if (res.answers.length > 0 || res.authoritative) {
        this.#remember(name, q.type, res.answers);
        return { ...fail('NOERROR'), answers: res.answers };
      }
      const next = this.#referral(res);
      if (next === undefined) return fail('SERVFAIL');
      server = next;
    }
    return fail('SERVFAIL');
  }

  /** Follows a referral: the NS in the authority section, reached at its glue address. */
  #referral(res: Awaited<ReturnType<typeof dnsQuery>>): string | undefined {
    const ns = res.authorities.find((a) => a.type === 'NS');
    const nsName = ns && textOf(ns);
    if (ns === undefined || nsName === undefined) return undefined;
    const glue = res.additionals.find((a) => a.type === 'A' && a.name.toLowerCase() === nsName);
    const address = glue && textOf(glue);
    const port = this.#portOf(nsName);
    if (address === undefined || port === undefined) return undefined;
    const server = `${address}:${port}`;
    const zone = ns.name.toLowerCase();
    this.#delegations.set(zone, { zone, server, expires: this.#clock.now() + ttlOf(ns) * 1000 });
    return server;
  }

  #closestDelegation(name: string): Delegation | undefined {
    const now = this.#clock.now();
    let best: Delegation | undefined;
    for (const d of this.#delegations.values())
      if (d.expires > now && within(name, d.zone) && d.zone.length > (best?.zone.length ?? -1)) best = d;
    return best;
  }

  #remember(name: string, type: string, records: packet.Answer[]): void {
    if (records.length === 0) return;
    const ttl = Math.min(...records.map(ttlOf));
    this.#answers.set(`${type} ${name}`, { name, expires: this.#clock.now() + ttl * 1000, records });
  }
}
