/**
 * The lab upstreams a scenario needs, started in the drill's own process (they are the studio's
 * services, not Lifeline: Lifeline's nodes and the fleet run in processes of their own), with the
 * scenario's normal behaviour (`upstreams.<name>.capacityPerSecond`, `latencyMs`) as standing
 * faults. Faults are then switched over each upstream's control API, as a remote lab would be.
 */
import { entitlementsUpstream } from '../entitlements.ts';
import { gameBackend } from '../game.ts';
import { identityUpstream } from '../identity.ts';
import { oidcIssuer } from '../oidc.ts';
import type { FaultTarget, Scenario } from '../scenario/index.ts';
import type { Upstream } from '../upstream.ts';

export interface DrillUpstream {
  target: FaultTarget;
  upstream: Upstream;
  controlUrl: string;
  /** The URL Lifeline's config points at (verify URL, JWKS, entitlements base, backend health). */
  serviceUrl: string;
  /** The game backend's join URL, which the fleet's players join after each login and rejoin. */
  joinUrl?: string;
  /** Normal capacity a second (null: unbounded). */
  capacityPerSecond: number | null;
  /** Faults in force while nothing goes wrong: the upstream's normal capacity and latency. */
  standing: Record<string, unknown>[];
}

/** Owners are `owner-<n>` (the fleet's naming); each owns the standard licence. */
export const ownerLicence = (playerId: string): string | undefined =>
  playerId.startsWith('owner-') ? 'standard' : undefined;

/** The upstreams a scenario touches: declared in `upstreams`, hit by a fault, or a restore's downstream. */
export function neededTargets(s: Scenario): FaultTarget[] {
  const wanted = new Set<FaultTarget>(Object.keys(s.upstreams ?? {}) as FaultTarget[]);
  for (const f of s.faults) wanted.add(f.target);
  if (s.actions.some((a) => a.do === 'restore')) wanted.add('backend');
  // One identity provider at a time: the http verifier wins when a scenario names both.
  if (wanted.has('identity')) wanted.delete('oidc');
  return [...wanted].sort();
}

function standingFaults(s: Scenario, target: FaultTarget): Record<string, unknown>[] {
  const normal = s.upstreams?.[target];
  if (target === 'backend' || normal === undefined) return [];
  return [
    ...(normal.capacityPerSecond === undefined
      ? []
      : [{ kind: 'capacity', perSecond: normal.capacityPerSecond }]),
    ...(normal.latencyMs === undefined || normal.latencyMs === 0
      ? []
      : [{ kind: 'latency', ms: normal.latencyMs }]),
  ];
}

async function startOne(s: Scenario, target: FaultTarget, seed: number): Promise<DrillUpstream> {
  const normal = s.upstreams?.[target];
  const base = { seed, host: '127.0.0.1' };
  const standing = standingFaults(s, target);
  const capacityPerSecond = normal?.capacityPerSecond ?? null;
  const wrap = (upstream: Upstream, serviceUrl: string, capacity = capacityPerSecond): DrillUpstream => ({
    target,
    upstream,
    controlUrl: upstream.controlUrl,
    serviceUrl,
    capacityPerSecond: capacity,
    standing,
  });
  switch (target) {
    case 'identity': {
      const up = await identityUpstream(base);
      return wrap(up, up.verifyUrl);
    }
    case 'oidc': {
      const up = await oidcIssuer(base);
      return wrap(up, up.jwksUrl);
    }
    case 'entitlements': {
      const up = await entitlementsUpstream({ ...base, licenceOf: ownerLicence });
      return wrap(up, up.url);
    }
    case 'backend': {
      // The backend's capacity is its own shape (slots × service time), so its queue makes latency rise.
      const serviceMs = normal?.latencyMs || 10;
      const slots = Math.max(1, Math.round(((normal?.capacityPerSecond ?? 800) * serviceMs) / 1000));
      const up = await gameBackend({ ...base, slots, serviceMs });
      return { ...wrap(up, up.healthUrl, up.capacityPerSecond), joinUrl: up.joinUrl };
    }
  }
}

/** Starts every upstream the scenario needs, with its standing faults in force. */
export async function startUpstreams(s: Scenario, seed: number): Promise<Map<FaultTarget, DrillUpstream>> {
  const started = new Map<FaultTarget, DrillUpstream>();
  try {
    for (const [i, target] of neededTargets(s).entries()) {
      const up = await startOne(s, target, seed + i);
      started.set(target, up);
      await putFaults(up, up.standing);
    }
  } catch (err) {
    await closeUpstreams(started);
    throw err;
  }
  return started;
}

/** Replaces an upstream's faults over its control API. */
export async function putFaults(up: DrillUpstream, faults: Record<string, unknown>[]): Promise<void> {
  const res = await fetch(`${up.controlUrl}/_lab/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ faults }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${up.target} refused its faults (${res.status}): ${text}`);
}

export async function closeUpstreams(ups: Map<FaultTarget, DrillUpstream>): Promise<void> {
  await Promise.allSettled([...ups.values()].map((u) => u.upstream.close()));
}
