/**
 * Reading sessions. A filter other than by session or player scans the session set (SSCAN +
 * MGET) and filters with matchesFilter: linear in live sessions, fine for now; secondary indexes
 * per region/shard would bound it if kicks by region get hot. Every read is a plain command over
 * at most BATCH keys, so none holds Redis for long.
 */
import { matchesFilter } from '../../sessions/filter.ts';
import type { LiveSession, SessionCounts, SessionFilter } from '../../sessions/records.ts';
import { type SessionKey, SessionPage } from '../page.ts';
import type { Client } from './client.ts';
import type { Keys } from './keys.ts';

const BATCH = 500;

/** Reads sessions by id, in order, skipping those no longer live; lastSeenAt comes from `seen`. */
export async function load(c: Client, k: Keys, ids: readonly string[]): Promise<LiveSession[]> {
  if (ids.length === 0) return [];
  const [jsons, seen] = await Promise.all([
    c.mGet(ids.map((id) => k.session(id))),
    c.zmScore(k.seen, [...ids]),
  ]);
  const out: LiveSession[] = [];
  jsons.forEach((json, i) => {
    if (typeof json !== 'string') return;
    const s = JSON.parse(json) as LiveSession;
    const at = seen[i];
    if (typeof at === 'number') s.lastSeenAt = at;
    out.push(s);
  });
  return out;
}

/** Candidate sessions for a filter, in batches: by id, by player, or a scan of every session. */
async function* candidates(c: Client, k: Keys, f: SessionFilter): AsyncGenerator<LiveSession[]> {
  if (f.sessionId !== undefined) {
    yield await load(c, k, [f.sessionId]);
    return;
  }
  if (f.playerId !== undefined || f.playerIds !== undefined) {
    const players = f.playerId !== undefined ? [f.playerId] : (f.playerIds ?? []);
    for (let i = 0; i < players.length; i += BATCH) {
      const sets = await Promise.all(players.slice(i, i + BATCH).map((p) => c.sMembers(k.player(p))));
      yield await load(c, k, sets.flat());
    }
    return;
  }
  for await (const ids of c.sScanIterator(k.sessions, { COUNT: BATCH })) {
    yield await load(c, k, ids);
  }
}

export async function findSessions(
  c: Client,
  k: Keys,
  f: SessionFilter,
  limit: number,
): Promise<LiveSession[]> {
  const out: LiveSession[] = [];
  if (limit <= 0) return out;
  for await (const batch of candidates(c, k, f)) {
    for (const s of batch) {
      if (matchesFilter(s, f)) out.push(s);
      if (out.length >= limit) return out;
    }
  }
  return out;
}

/** One page in (createdAt, id) order past `after`: one pass over the candidates (see page.ts). */
export async function pageSessions(
  c: Client,
  k: Keys,
  f: SessionFilter,
  limit: number,
  after: SessionKey | undefined,
): Promise<LiveSession[]> {
  const page = new SessionPage(limit, after);
  if (limit <= 0) return [];
  for await (const batch of candidates(c, k, f))
    for (const s of batch) if (matchesFilter(s, f)) page.offer(s);
  return page.rows();
}

const isEmptyFilter = (f: SessionFilter): boolean => Object.values(f).every((v) => v === undefined);

const bump = (m: Record<string, number>, key: string, by: number): void => {
  m[key] = (m[key] ?? 0) + by;
};

/** Counts without a filter come from the counters kept as sessions come and go. */
export async function countSessions(c: Client, k: Keys, f: SessionFilter): Promise<SessionCounts> {
  if (isEmptyFilter(f)) {
    const [total, byRegion, byShard] = await Promise.all([
      c.sCard(k.sessions),
      c.hGetAll(k.byRegion),
      c.hGetAll(k.byShard),
    ]);
    const nums = (h: Record<string, string>): Record<string, number> =>
      Object.fromEntries(
        Object.entries(h)
          .map(([key, v]) => [key, Number(v)] as const)
          .filter(([, n]) => n > 0),
      );
    return { total, byRegion: nums(byRegion), byShard: nums(byShard) };
  }
  const counts: SessionCounts = { total: 0, byRegion: {}, byShard: {} };
  for await (const batch of candidates(c, k, f)) {
    for (const s of batch) {
      if (!matchesFilter(s, f)) continue;
      counts.total++;
      bump(counts.byRegion, s.region, 1);
      bump(counts.byShard, s.shard, 1);
    }
  }
  return counts;
}

export async function idleSessions(
  c: Client,
  k: Keys,
  before: number,
  limit: number,
): Promise<LiveSession[]> {
  if (limit <= 0) return [];
  const idle = await c.zRangeWithScores(k.seen, '-inf', `(${before}`, {
    BY: 'SCORE',
    LIMIT: { offset: 0, count: limit },
  });
  // A session touched between the two reads keeps its new lastSeenAt; drop it if no longer idle.
  const loaded = await load(
    c,
    k,
    idle.map((e) => e.value),
  );
  return loaded.filter((s) => s.lastSeenAt < before).sort((a, b) => a.lastSeenAt - b.lastSeenAt);
}
