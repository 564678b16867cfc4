/**
 * The DNS probes. Every interval Lifeline resolves each hostname it depends on (those configured,
 * and its upstreams' own), and checks each configured zone's NS delegation. With `parentServers`
 * the delegation is asked of the parent zone's servers directly and not recursively: their answer
 * is the delegation itself, as it is now, where a recursive resolver would answer from its cache
 * for up to a TTL after seed 001's cleanup deleted the record. Results go to /ready's detail
 * (reported, never a reason to be unready), to metrics, and onto the event stream.
 */
import { Resolver } from 'node:dns/promises';
import { dnsQuery } from '../dns/index.ts';

export interface ProbeSettings {
  /** Hostnames that must resolve (A or AAAA). @defaultValue [] */
  hostnames: readonly string[];
  /**
   * Zones whose NS records must exist, and if `expect` is given, include those names; with
   * `parentServers`, asked of the parent zone's servers directly. @defaultValue []
   */
  delegations: readonly { zone: string; expect?: readonly string[]; parentServers?: readonly string[] }[];
  /** @defaultValue 30 */
  intervalSeconds: number;
  /** Resolvers to ask, as `host:port`; empty means the system's. @defaultValue [] */
  dnsServers: readonly string[];
  /** @defaultValue 2000 */
  timeoutMs: number;
}

export interface ProbeResult {
  name: string;
  kind: 'hostname' | 'delegation';
  ok: boolean;
  /** The DNS error code (ENOTFOUND, EAI_AGAIN, ETIMEOUT, NXDOMAIN, …) or a description of the mismatch. */
  error: string | null;
  checkedAt: number;
}

const bare = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** The hostnames in upstream URLs (identity, JWKS, entitlements), IP addresses left out. */
export function upstreamHostnames(urls: readonly string[]): string[] {
  const hosts = new Set<string>();
  for (const url of urls) {
    try {
      const host = new URL(url).hostname;
      if (host !== '' && !/^[0-9.]+$/.test(host) && !host.startsWith('[') && host !== 'localhost')
        hosts.add(bare(host));
    } catch {
      // An empty or malformed URL belongs to a provider not in use; config validation owns the rest.
    }
  }
  return [...hosts];
}

export class DependencyProbes {
  readonly #s: ProbeSettings;
  readonly #resolver: Resolver;
  readonly #clock: () => number;
  readonly #onResult: (r: ProbeResult) => void;
  readonly #results = new Map<string, ProbeResult>();
  #timer: NodeJS.Timeout | undefined;

  constructor(settings: ProbeSettings, clock: () => number, onResult: (r: ProbeResult) => void = () => {}) {
    this.#s = settings;
    this.#clock = clock;
    this.#onResult = onResult;
    this.#resolver = new Resolver({ timeout: settings.timeoutMs, tries: 1 });
    if (settings.dnsServers.length > 0) this.#resolver.setServers([...settings.dnsServers]);
  }

  get configured(): boolean {
    return this.#s.hostnames.length + this.#s.delegations.length > 0;
  }

  start(): void {
    if (!this.configured) return;
    void this.runOnce();
    this.#timer = setInterval(() => void this.runOnce(), this.#s.intervalSeconds * 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  results(): ProbeResult[] {
    return [...this.#results.values()];
  }

  async runOnce(): Promise<ProbeResult[]> {
    await Promise.all([
      ...this.#s.hostnames.map((h) => this.#check(h, 'hostname', () => this.#hostname(h))),
      ...this.#s.delegations.map((d) => this.#check(d.zone, 'delegation', () => this.#delegation(d))),
    ]);
    return this.results();
  }

  async #check(name: string, kind: ProbeResult['kind'], probe: () => Promise<string | null>): Promise<void> {
    let error: string | null;
    try {
      error = await probe();
    } catch (err) {
      error = (err as { code?: string }).code ?? (err as Error).message;
    }
    const result = { name, kind, ok: error === null, error, checkedAt: this.#clock() };
    this.#results.set(`${kind}:${name}`, result);
    this.#onResult(result);
  }

  async #hostname(host: string): Promise<string | null> {
    const v4 = await this.#resolver.resolve4(host).catch((err: unknown) => err as { code?: string });
    if (Array.isArray(v4) && v4.length > 0) return null;
    const v6 = await this.#resolver.resolve6(host).catch(() => []);
    if (Array.isArray(v6) && v6.length > 0) return null;
    return (v4 as { code?: string }).code ?? 'ENODATA';
  }

  async #delegation(d: ProbeSettings['delegations'][number]): Promise<string | null> {
    const ns =
      d.parentServers === undefined
        ? await this.#nsFromResolver(d.zone)
        : await this.#nsFromParent(d.zone, d.parentServers);
    if (typeof ns === 'string') return ns;
    if (ns.length === 0) return 'ENODATA';
    const missing = (d.expect ?? []).filter((e) => !ns.includes(bare(e)));
    return missing.length > 0 ? `missing NS ${missing.join(', ')}` : null;
  }

  async #nsFromResolver(zone: string): Promise<string[]> {
    return (await this.#resolver.resolveNs(zone)).map(bare);
  }

  /**
   * The NS names the parent's servers give for `zone` (a referral, or an answer), from the first
   * that answers; NXDOMAIN or SERVFAIL from all of them is the failure, by rcode.
   */
  async #nsFromParent(zone: string, servers: readonly string[]): Promise<string[] | string> {
    let failure = 'ETIMEOUT';
    for (const server of servers) {
      try {
        const reply = await dnsQuery(server, zone, 'NS', { recursive: false, timeoutMs: this.#s.timeoutMs });
        if (reply.rcode !== 'NOERROR') {
          failure = reply.rcode;
          continue;
        }
        return [...reply.answers, ...reply.authorities].flatMap((r) =>
          r.type === 'NS' && bare(r.name) === bare(zone) ? [bare(r.data)] : [],
        );
      } catch (err) {
        failure = (err as { code?: string }).code ?? 'ETIMEOUT';
      }
    }
    return failure;
  }
}
