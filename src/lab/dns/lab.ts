/**
 * The lab's DNS: three servers on loopback in one object, each on a port of its own (UDP, and TCP
 * on the same port number).
 *
 * - parent: authoritative for `<apex>` (`lab.test`), delegating each target's zone;
 * - child: authoritative for the target zones (`identity.lab.test` → 127.0.0.1);
 * - resolver: recursive, with a TTL cache: what Lifeline's `dns.servers` points at.
 *
 * Faults (`unresolvable`, `delegation-removed`, `recover`) switch from code (`lab.faults.set`) or
 * over the control API (`/_lab/faults`, `/_lab/stats`), as for the HTTP upstreams.
 */
import * as packet from 'dns-packet';
import { type LabClock, realClock } from '../clock.ts';
import { startControl } from '../control.ts';
import { seededRandom } from '../random.ts';
import { type ActiveDnsFault, type DnsFault, parseDnsFault, parseDnsFaults } from './faults.ts';
import { LabResolver } from './resolver.ts';
import { type Listening, listenDns } from './serve.ts';
import { type DnsRole, DnsStats } from './stats.ts';
import { childAnswer, childNs, parentAnswer, parentNs, type Reply, type Zones, zoneOf } from './zones.ts';

export interface DnsLabOptions {
  /** The parent zone. @defaultValue "lab.test" */
  apex?: string;
  /** Hostnames served, by label: each `<label>.<apex>` is a zone of its own, delegated. @defaultValue ["identity", "oidc", "entitlements", "backend"] */
  targets?: readonly string[];
  /** TTL of every record, seconds: how long resolvers may keep an answer. @defaultValue 300 (seed 001's) */
  ttlSeconds?: number;
  /** Seeds the draws of an `unresolvable` fault with a `rate`. @defaultValue 1 */
  seed?: number;
  /** The resolver's cache runs on it. @defaultValue the wall clock */
  clock?: LabClock;
  /** @defaultValue "127.0.0.1" */
  host?: string;
}

/** The faults in force, at most one per target; every change resolves once in effect. */
export class DnsFaults {
  readonly #faults = new Map<string, ActiveDnsFault>();
  readonly #onSet: (fault: ActiveDnsFault) => void;

  constructor(onSet: (fault: ActiveDnsFault) => void) {
    this.#onSet = onSet;
  }

  /** Adds one (replacing the target's); `recover` clears the target's, or all. */
  async set(fault: DnsFault): Promise<void> {
    if (fault.kind === 'recover') return this.clear(fault.target);
    this.#faults.set(fault.target, { ...fault });
    this.#onSet(fault);
  }

  async replace(faults: readonly DnsFault[]): Promise<void> {
    this.#faults.clear();
    for (const f of faults) await this.set(f);
  }

  async clear(target?: string): Promise<void> {
    if (target === undefined) this.#faults.clear();
    else this.#faults.delete(target);
  }

  get(target: string): ActiveDnsFault | undefined {
    return this.#faults.get(target);
  }

  list(): ActiveDnsFault[] {
    return [...this.#faults.values()].map((f) => ({ ...f }));
  }
}

export class DnsLab {
  readonly stats: DnsStats;
  readonly faults: DnsFaults;
  readonly clock: LabClock;
  readonly #zones: Zones;
  readonly #host: string;
  readonly #random: () => number;
  readonly #resolver: LabResolver;
  readonly #servers = new Map<DnsRole, Listening>();
  #control: Awaited<ReturnType<typeof startControl>> | undefined;

  private constructor(o: DnsLabOptions) {
    this.clock = o.clock ?? realClock;
    this.#host = o.host ?? '127.0.0.1';
    this.#zones = {
      apex: (o.apex ?? 'lab.test').toLowerCase().replace(/\.$/, ''),
      targets: o.targets ?? ['identity', 'oidc', 'entitlements', 'backend'],
      address: this.#host,
      ttlSeconds: o.ttlSeconds ?? 300,
    };
    this.#random = seededRandom(o.seed ?? 1);
    this.stats = new DnsStats(this.clock);
    this.faults = new DnsFaults((f) => {
      if (f.cacheTtlSeconds !== undefined)
        this.#resolver.shorten(zoneOf(this.#zones, f.target), f.cacheTtlSeconds);
    });
    this.#resolver = new LabResolver({
      clock: this.clock,
      stats: this.stats,
      root: () => this.parentServer,
      portOf: (ns) => this.#portOf(ns),
    });
  }

  /** Starts the three servers and the control API, all on loopback. */
  static async start(options: DnsLabOptions = {}): Promise<DnsLab> {
    const lab = new DnsLab(options);
    const targets = lab.#zones.targets;
    try {
      for (const role of ['parent', 'child', 'resolver'] as const) await lab.#listen(role);
      lab.#control = await startControl(lab, lab.#host, {
        one: (x) => parseDnsFault(x, targets),
        many: (x) => parseDnsFaults(x, targets),
      });
    } catch (err) {
      // Whatever did open is closed: a failed start leaves no socket holding the process.
      await lab.close();
      throw err;
    }
    return lab;
  }

  /** A target's hostname, e.g. `identity.lab.test`: what an upstream URL names. */
  hostname(target: string): string {
    return zoneOf(this.#zones, target);
  }

  /** `upstreamUrl` (e.g. a lab upstream's `http://127.0.0.1:41234/verify`) by the target's hostname instead. */
  urlFor(target: string, upstreamUrl: string): string {
    const url = new URL(upstreamUrl);
    url.hostname = this.hostname(target);
    return url.toString();
  }

  /**
   * The part of Lifeline's config that points it at this lab: `dns.servers` (the resolver) and a
   * delegation probe per target asking the parent's server. Merge it into the config, or set
   * `LIFELINE_DNS__SERVERS` and `LIFELINE_PROBES__DELEGATIONS` to these values as JSON.
   */
  lifelineConfig(intervalSeconds = 5): {
    dns: { servers: string[] };
    probes: {
      delegations: { zone: string; expect: string[]; parentServers: string[] }[];
      intervalSeconds: number;
    };
  } {
    return {
      dns: { servers: [this.resolverServer] },
      probes: {
        delegations: this.#zones.targets.map((t) => ({
          zone: this.hostname(t),
          expect: [childNs(this.#zones, t)],
          parentServers: [this.parentServer],
        })),
        intervalSeconds,
      },
    };
  }

  /** `host:port` of the recursive resolver: Lifeline's `dns.servers`. */
  get resolverServer(): string {
    return this.#server('resolver');
  }

  /** `host:port` of the parent zone's server: the delegation probe's `parentServers`. */
  get parentServer(): string {
    return this.#server('parent');
  }

  get childServer(): string {
    return this.#server('child');
  }

  get apex(): string {
    return this.#zones.apex;
  }

  get controlUrl(): string {
    const address = this.#control?.address();
    return `http://${this.#host}:${typeof address === 'object' && address ? address.port : 0}`;
  }

  async close(): Promise<void> {
    for (const server of this.#servers.values()) await server.close();
    this.#servers.clear();
    const control = this.#control;
    if (control?.listening) {
      control.closeAllConnections();
      await new Promise<void>((r) => control.close(() => r()));
    }
  }

  #server(role: DnsRole): string {
    return `${this.#host}:${this.#servers.get(role)?.port ?? 0}`;
  }

  #portOf(ns: string): number | undefined {
    if (ns === parentNs(this.#zones)) return this.#servers.get('parent')?.port;
    if (this.#zones.targets.some((t) => childNs(this.#zones, t) === ns))
      return this.#servers.get('child')?.port;
    return undefined;
  }

  async #listen(role: DnsRole): Promise<void> {
    this.#servers.set(role, await listenDns(this.#host, (msg) => this.#answer(role, msg)));
  }

  /** A datagram or TCP message in, an answer out; anything that cannot be answered is dropped. */
  async #answer(role: DnsRole, msg: Buffer): Promise<Buffer | undefined> {
    try {
      return await this.#answerQuery(role, packet.decode(msg));
    } catch {
      this.stats.malformed();
      return undefined;
    }
  }

  async #answerQuery(role: DnsRole, query: packet.DecodedPacket): Promise<Buffer | undefined> {
    const question = query.questions?.[0];
    if (query.type !== 'query' || question === undefined) {
      this.stats.malformed();
      return undefined;
    }
    this.stats.query(role);
    const reply = await this.#reply(role, question);
    const flags =
      (reply.authoritative ? packet.AUTHORITATIVE_ANSWER : 0) |
      (query.flag_rd ? packet.RECURSION_DESIRED : 0) |
      (role === 'resolver' ? packet.RECURSION_AVAILABLE : 0) |
      rcodes[reply.rcode];
    const out = packet.encode({
      type: 'response',
      id: query.id ?? 0,
      flags,
      questions: [question],
      answers: reply.answers,
      authorities: reply.authorities,
      additionals: reply.additionals,
    });
    this.stats.answer(role, reply.rcode);
    return out;
  }

  #reply(role: DnsRole, q: packet.Question): Reply | Promise<Reply> {
    const faultOf = (t: string) => this.faults.get(t);
    if (role === 'parent') return parentAnswer(this.#zones, q, faultOf);
    if (role === 'child') return childAnswer(this.#zones, q, faultOf, this.#random);
    return this.#resolver.resolve(q);
  }
}

const rcodes: Record<Reply['rcode'], number> = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 };
