/**
 * Scenario `dns` faults in a drill: the lab's DNS (src/lab/dns/, docs/LAB.md "DNS") started in
 * the drill's process when a scenario has a `dns` fault, Lifeline's nodes resolving their
 * upstreams' hostnames through its one resolver (`dns.servers`), and each fault applied at its `at`
 * and recovered at its `until`, as written.
 *
 * Lifeline runs on wall time, the scenario on its compressed clock: every DNS duration (the
 * records' TTL, a fault's `cacheTtlSeconds`, Lifeline's own cache cap and probe interval) is a
 * scenario duration divided by the time scale, or a 5-minute TTL would outlast the whole drill.
 */
import { DnsLab, fromScenario } from '../dns/index.ts';
import type { Fault, FaultTarget, Scenario } from '../scenario/index.ts';

type DnsFault = Extract<Fault, { kind: 'dns' }>;

export interface DnsNote {
  /** False when the fault could not be put in force. */
  applied: boolean;
  note?: string;
}

export interface DnsFaults {
  apply(fault: DnsFault): Promise<DnsNote>;
  recover(fault: DnsFault): Promise<DnsNote>;
}

export const dnsUnavailableNote = 'dns faults not available in this drill (no lab DNS); not applied';

/** Every dns fault reported as not applied (a drill whose scenario has none). */
export const unavailableDns: DnsFaults = {
  apply: async () => ({ applied: false, note: dnsUnavailableNote }),
  recover: async () => ({ applied: false, note: dnsUnavailableNote }),
};

/** The seed's TTL (5 minutes), in scenario seconds, when no dns fault names its own. */
const defaultTtlSeconds = 300;

/** A scenario duration on the wall clock Lifeline and the lab's DNS run on (at least `min`). */
export const wallSeconds = (scenarioSeconds: number, timeScale: number, min = 0): number =>
  Math.max(min, scenarioSeconds / timeScale);

/**
 * The records' TTL, in scenario seconds: the longest `cacheTtlSeconds` the scenario's dns faults
 * give (what resolvers may keep, which is the record's TTL), else the seed's 5 minutes.
 */
export function scenarioTtl(s: Scenario): number {
  const ttls = s.faults.flatMap((f) =>
    f.kind === 'dns' && f.cacheTtlSeconds !== undefined ? [f.cacheTtlSeconds] : [],
  );
  return ttls.length > 0 ? Math.max(...ttls) : defaultTtlSeconds;
}

/** The targets a drill's nodes reach by hostname through the lab's DNS. */
export const dnsTargets: readonly FaultTarget[] = ['identity', 'oidc', 'entitlements', 'backend'];

export interface DrillDns {
  lab: DnsLab;
  faults: DnsFaults;
  /** `upstreamUrl` by the target's hostname, served by the lab. */
  urlFor(target: FaultTarget, upstreamUrl: string): string;
  /** What each node's config gets: the resolver, its cache cap and the delegation probes. */
  nodeConfig: Record<string, unknown>;
}

function adapter(lab: DnsLab, timeScale: number): DnsFaults {
  return {
    async apply(f) {
      const fault = fromScenario(f);
      if (fault.cacheTtlSeconds !== undefined)
        fault.cacheTtlSeconds = wallSeconds(fault.cacheTtlSeconds, timeScale);
      await lab.faults.set(fault);
      return { applied: true };
    },
    async recover(f) {
      await lab.faults.set({ kind: 'recover', target: f.target });
      return { applied: true };
    },
  };
}

/** Starts the lab's DNS when the scenario has a dns fault; undefined otherwise. */
export async function startDrillDns(s: Scenario, seed: number): Promise<DrillDns | undefined> {
  if (!s.faults.some((f) => f.kind === 'dns')) return undefined;
  const ttl = Math.max(1, Math.round(wallSeconds(scenarioTtl(s), s.timeScale)));
  const lab = await DnsLab.start({ ttlSeconds: ttl, seed, targets: dnsTargets });
  const probeEvery = Math.max(1, Math.round(wallSeconds(30, s.timeScale)));
  const base = lab.lifelineConfig(probeEvery);
  return {
    lab,
    faults: adapter(lab, s.timeScale),
    urlFor: (target, url) => lab.urlFor(target, url),
    nodeConfig: { dns: { ...base.dns, cacheTtlCapSeconds: ttl }, probes: base.probes },
  };
}
