/**
 * Dependency probes (seed 001): a cleanup task deleted an NS delegation record, and logins failed
 * everywhere a little at a time while monitoring saw only a dip. Lifeline resolves the hostnames
 * it depends on, and checks that the zones it names still delegate to their name servers, on an
 * interval; what fails shows in /ready's detail and in metrics, named by its DNS error code.
 */
import { Resolver } from 'node:dns/promises';

export interface ProbeSettings {
  /** Hostnames that must resolve (A or AAAA). @defaultValue [] */
  hostnames: readonly string[];
  /** Zones whose NS records must exist, and if `expect` is given, include those names. @defaultValue [] */
  delegations: readonly { zone: string; expect?: readonly string[] }[];
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
  /** The DNS error code (ENOTFOUND, EAI_AGAIN, ETIMEOUT, …) or a description of the mismatch. */
  error: string | null;
  checkedAt: number;
}

export class DependencyProbes {
  readonly #s: ProbeSettings;
  readonly #resolver: Resolver;
  readonly #clock: () => number;
  readonly #results = new Map<string, ProbeResult>();
  #timer: NodeJS.Timeout | undefined;

  constructor(settings: ProbeSettings, clock: () => number) {
    this.#s = settings;
    this.#clock = clock;
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
      ...this.#s.delegations.map((d) =>
        this.#check(d.zone, 'delegation', () => this.#delegation(d.zone, d.expect)),
      ),
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
    this.#results.set(`${kind}:${name}`, { name, kind, ok: error === null, error, checkedAt: this.#clock() });
  }

  async #hostname(host: string): Promise<string | null> {
    const v4 = await this.#resolver.resolve4(host).catch((err: unknown) => err as { code?: string });
    if (Array.isArray(v4) && v4.length > 0) return null;
    const v6 = await this.#resolver.resolve6(host).catch(() => []);
    if (Array.isArray(v6) && v6.length > 0) return null;
    return (v4 as { code?: string }).code ?? 'ENODATA';
  }

  async #delegation(zone: string, expect: readonly string[] | undefined): Promise<string | null> {
    const ns = (await this.#resolver.resolveNs(zone)).map((n) => n.toLowerCase().replace(/\.$/, ''));
    if (ns.length === 0) return 'ENODATA';
    const missing = (expect ?? []).filter((e) => !ns.includes(e.toLowerCase().replace(/\.$/, '')));
    return missing.length > 0 ? `missing NS ${missing.join(', ')}` : null;
  }
}

/** DNS failures an upstream client reports as such, rather than as a generic 5xx. */
export function isDnsFailure(err: unknown): boolean {
  const codes = new Set([
    'ENOTFOUND',
    'EAI_AGAIN',
    'EAI_NONAME',
    'ESERVFAIL',
    'ENODATA',
    'UPSTREAM_DNS_FAILURE',
  ]);
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (codes.has((e as { code?: string }).code ?? '')) return true;
  }
  return false;
}

export { chainAlert, type Readiness, type ReadinessSources, readinessCheck } from './readiness.ts';
