import { LifelineError } from '../errors/index.ts';

/** Where players can be: regions, each with its shards and zones. */
export interface Topology {
  regions: Readonly<
    Record<string, { readonly shards: readonly string[]; readonly zones: readonly string[] }>
  >;
}

/** Checks a placement against the topology; throws the coded error naming the bad part. */
export function checkPlacement(
  topology: Topology,
  p: { region: string; shard: string; zone?: string | null },
): void {
  const region = Object.hasOwn(topology.regions, p.region) ? topology.regions[p.region] : undefined;
  if (!region) {
    throw new LifelineError('UNKNOWN_REGION', `Unknown region "${p.region}"`, {
      details: { known: Object.keys(topology.regions) },
    });
  }
  if (!region.shards.includes(p.shard)) {
    throw new LifelineError('UNKNOWN_SHARD', `Shard "${p.shard}" is not in region "${p.region}"`, {
      details: { known: region.shards },
    });
  }
  if (p.zone != null && !region.zones.includes(p.zone)) {
    throw new LifelineError('UNKNOWN_ZONE', `Zone "${p.zone}" is not in region "${p.region}"`, {
      details: { known: region.zones },
    });
  }
}

/** shard -> region, for labelling. Shard names are unique across regions (config checks it). */
export function shardRegions(topology: Topology): Map<string, string> {
  const m = new Map<string, string>();
  for (const [region, r] of Object.entries(topology.regions)) for (const s of r.shards) m.set(s, region);
  return m;
}
