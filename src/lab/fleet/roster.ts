/**
 * Who the players are, drawn once from the plan's seed: each one's id (owner or guest), region,
 * shard, node, and its arrival rank. Rank r is online while the curve wants more than r players,
 * so any number of the first ranks is a fair sample of regions, shards and owners.
 */
import { seededRandom } from '../random.ts';
import type { FleetPlan } from './types.ts';

export interface Seat {
  /** The arrival rank, 0-based. */
  rank: number;
  id: string;
  owner: boolean;
  region: string;
  shard: string;
  /** Index into plan.nodes (round-robin by rank). */
  node: number;
}

/** How many players own the game: `owner-0` … `owner-<n-1>`. */
export function fleetOwners(plan: Pick<FleetPlan, 'players' | 'ownerShare'>): number {
  return Math.round(plan.players * plan.ownerShare);
}

/** Every player id of the plan, owners first (what the lab's entitlements should know). */
export function fleetPlayerIds(plan: Pick<FleetPlan, 'players' | 'ownerShare'>): string[] {
  const owners = fleetOwners(plan);
  return Array.from({ length: plan.players }, (_, i) => (i < owners ? `owner-${i}` : `guest-${i - owners}`));
}

/** Fisher-Yates with the seeded draw. */
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** Region counts by weight (largest remainder), then each region's players evenly over its shards. */
function placements(plan: FleetPlan): { region: string; shard: string }[] {
  const total = plan.regions.reduce((s, r) => s + r.weight, 0);
  const exact = plan.regions.map((r) => (plan.players * r.weight) / total);
  const counts = exact.map(Math.floor);
  const order = exact.map((e, i) => ({ i, rest: e - Math.floor(e) })).sort((a, b) => b.rest - a.rest);
  let left = plan.players - counts.reduce((s, c) => s + c, 0);
  for (const { i } of order) {
    if (left-- <= 0) break;
    counts[i] = (counts[i] as number) + 1;
  }
  return plan.regions.flatMap((r, i) =>
    Array.from({ length: counts[i] as number }, (_, k) => ({
      region: r.region,
      shard: r.shards[k % r.shards.length] as string,
    })),
  );
}

/** The seats of a plan, in rank order. */
export function buildRoster(plan: FleetPlan): Seat[] {
  const random = seededRandom(plan.seed ^ 0x5eed);
  const ids = shuffle(fleetPlayerIds(plan), random);
  const places = shuffle(placements(plan), random);
  return ids.map((id, rank) => {
    const place = places[rank] as { region: string; shard: string };
    return { rank, id, owner: id.startsWith('owner-'), ...place, node: rank % plan.nodes.length };
  });
}
