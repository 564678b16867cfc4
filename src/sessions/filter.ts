import type { RestoreSnapshot } from '../disruptions/records.ts';
import type { LiveSession, SessionFilter } from './records.ts';

/** The part of a live session a restore needs: where it was and what it held. */
export function snapshotOf(s: LiveSession): RestoreSnapshot {
  return {
    region: s.region,
    shard: s.shard,
    zone: s.zone,
    clientVersion: s.clientVersion,
    licence: s.licence,
    provisional: s.provisional,
  };
}

/**
 * Compares dotted numeric versions part by part (1.10.0 > 1.9.2; 1.2 = 1.2.0). A part that is
 * not a number compares as text, so "1.2.0-rc1" sorts after "1.2.0" but before "1.3".
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const nx = Number(x);
    const ny = Number(y);
    const diff = Number.isInteger(nx) && Number.isInteger(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

// A kick by player list may name ten thousand ids; look them up in a set built once per list.
const idSets = new WeakMap<readonly string[], ReadonlySet<string>>();
function inList(list: readonly string[], value: string): boolean {
  if (list.length < 16) return list.includes(value);
  let set = idSets.get(list);
  if (!set) {
    set = new Set(list);
    idSets.set(list, set);
  }
  return set.has(value);
}

/** The one definition of what a filter matches; every live-state adapter uses it. */
export function matchesFilter(s: LiveSession, f: SessionFilter): boolean {
  if (f.region !== undefined && s.region !== f.region) return false;
  if (f.shard !== undefined && s.shard !== f.shard) return false;
  if (f.zone !== undefined && s.zone !== f.zone) return false;
  if (f.playerId !== undefined && s.playerId !== f.playerId) return false;
  if (f.sessionId !== undefined && s.id !== f.sessionId) return false;
  if (f.playerIds !== undefined && !inList(f.playerIds, s.playerId)) return false;
  if (f.licences !== undefined && !inList(f.licences, s.licence)) return false;
  if (f.clientVersion !== undefined) {
    if (s.clientVersion === null) return false;
    if (f.clientVersion.min !== undefined && compareVersions(s.clientVersion, f.clientVersion.min) < 0)
      return false;
    if (f.clientVersion.max !== undefined && compareVersions(s.clientVersion, f.clientVersion.max) > 0)
      return false;
  }
  return true;
}
