/**
 * The names of Lifeline's upstreams, resolved the way its config says: by the operating system
 * (the default: nothing changes), or by the DNS servers in `dns.servers`, each answer kept for its
 * TTL (at most `dns.cacheTtlCapSeconds`) on Lifeline's clock. With a cache of its own, Lifeline
 * sees what seed 001's services saw: a removed delegation changes nothing until the cached
 * answer lapses, and then every call to that upstream fails, with UPSTREAM_DNS_FAILURE.
 */
import { lookup as systemLookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { LifelineError } from '../errors/index.ts';

export interface DnsSettings {
  /** DNS servers (`host:port`) to resolve upstream hostnames with; empty means the system's. @defaultValue [] */
  servers: readonly string[];
  /** Longest an answer is cached, whatever its TTL. @defaultValue 300 */
  cacheTtlCapSeconds: number;
  /** How long one DNS query may take. @defaultValue 2000 */
  timeoutMs: number;
}

export interface Resolved {
  address: string;
  family: 4 | 6;
}

interface Cached extends Resolved {
  expires: number;
}

export class HostResolver {
  /** True when the operating system resolves (no `dns.servers`): no cache of Lifeline's own. */
  readonly system: boolean;
  readonly #s: DnsSettings;
  readonly #clock: () => number;
  readonly #resolver: Resolver;
  readonly #cache = new Map<string, Cached>();
  readonly #pending = new Map<string, Promise<Resolved>>();

  readonly #onFailure: (host: string, code: string) => void;

  /** `onFailure` hears of every lookup that fails, by host and resolver code (metrics, detectors). */
  constructor(
    settings: DnsSettings,
    clock: () => number,
    onFailure: (host: string, code: string) => void = () => {},
  ) {
    this.#s = settings;
    this.#clock = clock;
    this.#onFailure = onFailure;
    this.system = settings.servers.length === 0;
    this.#resolver = new Resolver({ timeout: settings.timeoutMs, tries: 1 });
    if (!this.system) this.#resolver.setServers([...settings.servers]);
  }

  /**
   * The address to connect to for `hostname`. Rejects with UPSTREAM_DNS_FAILURE (the resolver's
   * code, e.g. ENOTFOUND for NXDOMAIN, ESERVFAIL, ETIMEOUT, in `details.dnsCode`).
   */
  lookup(hostname: string): Promise<Resolved> {
    const host = hostname
      .replace(/^\[(.*)\]$/, '$1')
      .replace(/\.$/, '')
      .toLowerCase();
    const family = isIP(host);
    if (family !== 0) return Promise.resolve({ address: host, family: family as 4 | 6 });
    if (host === 'localhost') return Promise.resolve({ address: '127.0.0.1', family: 4 });
    const hit = this.#cache.get(host);
    if (hit !== undefined && hit.expires > this.#clock())
      return Promise.resolve({ address: hit.address, family: hit.family });
    let pending = this.#pending.get(host);
    if (pending === undefined) {
      pending = this.#resolve(host).finally(() => this.#pending.delete(host));
      this.#pending.set(host, pending);
    }
    return pending;
  }

  /** Forgets every cached answer (an operator who fixed DNS need not wait out the TTL). */
  flush(): void {
    this.#cache.clear();
  }

  async #resolve(host: string): Promise<Resolved> {
    try {
      if (this.system) {
        const r = await systemLookup(host);
        return { address: r.address, family: r.family === 6 ? 6 : 4 };
      }
      const answer = await this.#query(host);
      const ttl = Math.min(answer.ttl, this.#s.cacheTtlCapSeconds);
      if (ttl > 0) this.#cache.set(host, { ...answer, expires: this.#clock() + ttl * 1000 });
      else this.#cache.delete(host);
      return { address: answer.address, family: answer.family };
    } catch (err) {
      // A failed lookup drops what was cached: the name is gone until it resolves again.
      this.#cache.delete(host);
      const dnsCode = (err as { code?: string }).code ?? 'EUNKNOWN';
      this.#onFailure(host, dnsCode);
      throw new LifelineError('UPSTREAM_DNS_FAILURE', `${host} does not resolve (${dnsCode})`, {
        cause: err,
        details: { host, dnsCode },
      });
    }
  }

  /** A first, AAAA when the name has no A record. */
  async #query(host: string): Promise<Resolved & { ttl: number }> {
    try {
      const v4 = await this.#resolver.resolve4(host, { ttl: true });
      if (v4[0] !== undefined) return { address: v4[0].address, family: 4, ttl: v4[0].ttl };
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENODATA') throw err;
    }
    const v6 = await this.#resolver.resolve6(host, { ttl: true });
    if (v6[0] === undefined) throw Object.assign(new Error(`no address for ${host}`), { code: 'ENODATA' });
    return { address: v6[0].address, family: 6, ttl: v6[0].ttl };
  }
}
