import { LifelineError } from '../errors/index.ts';
import type { SessionFilter } from '../sessions/records.ts';
import { checkPlacement, type Topology } from '../sessions/index.ts';

/**
 * Which sessions a command acts on. Fields combine with AND. Everyone is never implied: an
 * empty selector is refused, and "all" must be said alone and explicitly.
 */
export interface Selector {
  all?: boolean;
  region?: string;
  shard?: string;
  zone?: string;
  playerId?: string;
  sessionId?: string;
  playerIds?: string[];
  licence?: string[];
  clientVersion?: { min?: string; max?: string };
}

const fields = [
  'region',
  'shard',
  'zone',
  'playerId',
  'sessionId',
  'playerIds',
  'licence',
  'clientVersion',
] as const;

/** Checks a selector against the topology and turns it into a live-state filter. */
export function toFilter(selector: Selector, topology: Topology): SessionFilter {
  const named = fields.filter((f) => selector[f] !== undefined);
  if (selector.all === true) {
    if (named.length > 0) throw new LifelineError('SELECTOR_ALL_NOT_EXPLICIT');
    return {};
  }
  if (named.length === 0) throw new LifelineError('SELECTOR_EMPTY');
  if (selector.region !== undefined) {
    const shard = selector.shard ?? topology.regions[selector.region]?.shards[0] ?? '';
    checkPlacement(topology, { region: selector.region, shard, zone: selector.zone ?? null });
  } else if (selector.shard !== undefined || selector.zone !== undefined) {
    const known = Object.entries(topology.regions).some(
      ([, r]) =>
        (selector.shard === undefined || r.shards.includes(selector.shard)) &&
        (selector.zone === undefined || r.zones.includes(selector.zone)),
    );
    if (!known) throw new LifelineError(selector.shard !== undefined ? 'UNKNOWN_SHARD' : 'UNKNOWN_ZONE');
  }
  const v = selector.clientVersion;
  if (v !== undefined && v.min === undefined && v.max === undefined) {
    throw new LifelineError('VALIDATION_FAILED', 'clientVersion needs min, max or both');
  }
  const filter: SessionFilter = {};
  if (selector.region !== undefined) filter.region = selector.region;
  if (selector.shard !== undefined) filter.shard = selector.shard;
  if (selector.zone !== undefined) filter.zone = selector.zone;
  if (selector.playerId !== undefined) filter.playerId = selector.playerId;
  if (selector.sessionId !== undefined) filter.sessionId = selector.sessionId;
  if (selector.playerIds !== undefined) filter.playerIds = selector.playerIds;
  if (selector.licence !== undefined) filter.licences = selector.licence;
  if (v !== undefined) filter.clientVersion = { ...v };
  return filter;
}

/** A short, stable description of a selector for audit targets. */
export function describeSelector(selector: Selector): string {
  if (selector.all === true) return 'sessions:all';
  if (selector.sessionId !== undefined && Object.keys(selector).length === 1)
    return `session:${selector.sessionId}`;
  if (selector.playerId !== undefined && Object.keys(selector).length === 1)
    return `player:${selector.playerId}`;
  return `sessions:${fields
    .filter((f) => selector[f] !== undefined)
    .map((f) => {
      const value = selector[f];
      if (Array.isArray(value)) return `${f}=[${value.length}]`;
      if (typeof value === 'object') return `${f}=${JSON.stringify(value)}`;
      return `${f}=${value}`;
    })
    .join(',')}`;
}
