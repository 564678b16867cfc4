/** Restores: the overlap-then-claim creation, state compare-and-set, batches and their counts. */
import type { Disruption } from '../../disruptions/records.ts';
import type {
  Pacing,
  RestoreCounts,
  RestoreQuery,
  RestoreRecord,
  RestoreState,
} from '../../restore/records.ts';
import { num, restoreParams, sourceParams, str, toDisruption, toRestore } from '../rows.ts';
import type { Sql } from './driver.ts';

type Created = { created: true; total: number } | { created: false; overlapping: number };

/**
 * Refused while an unfinished restore still owns unsettled disruptions of the same source;
 * otherwise claims the pending ones nobody owns. Two restores created at once on different
 * nodes must not both see "no overlap": the lock orders them.
 */
export async function createRestore({ d, q }: Sql, r: RestoreRecord): Promise<Created> {
  return d.tx(async (t) => {
    await t.lock('restore');
    const source = sourceParams(r.source);
    const overlapping = num((await t.one(q.restoreOverlap, source))?.n);
    if (overlapping > 0) return { created: false as const, overlapping };
    const total = await t.run(q.restoreClaim, [...source, r.id]);
    await t.run(q.restoreInsert, restoreParams(r, total));
    return { created: true as const, total };
  });
}

export async function getRestore({ d, q }: Sql, id: string): Promise<RestoreRecord | null> {
  const r = await d.one(q.restoreById, [id]);
  return r ? toRestore(r) : null;
}

export async function listRestores({ d, q }: Sql, states: readonly RestoreState[]) {
  if (states.length === 0) return [];
  return (await d.all(q.restoresByStates, [d.list(states)])).map(toRestore);
}

/** A page of restores, newest first, after a keyset cursor. */
export async function pageRestores({ d, q }: Sql, f: RestoreQuery): Promise<RestoreRecord[]> {
  const states = f.states === undefined ? null : d.list(f.states);
  const after = [f.after?.at ?? null, f.after?.id ?? ''];
  return (await d.all(q.restorePage, [states, ...after, f.limit])).map(toRestore);
}

/** Writes `r`'s state only if the stored one is still one of `from`. */
export async function updateRestore({ d, q }: Sql, r: RestoreRecord, from: readonly RestoreState[]) {
  return d.tx(async (t) => {
    const row = await t.one(q.restoreLocked, [r.id]);
    if (!row || !from.includes(str(row.state) as RestoreState)) return false;
    // released and batches are the batches' own counters; a state change never rewinds them.
    await t.run(q.restoreUpdate, [r.state, r.updatedAt, r.pauseCode, r.pauseNote, r.id]);
    return true;
  });
}

/** Sets the pacing of a restore still running or paused; its next batch follows it. */
export async function repaceRestore({ d, q }: Sql, id: string, pacing: Pacing, at: number) {
  const r = await d.one(q.restorePace, [JSON.stringify(pacing), at, id]);
  return r ? toRestore(r) : null;
}

/**
 * Tickets the next `size` pending disruptions of a running restore, in release order. The
 * restore's row is held, which serializes its batches across nodes and holds off a pause until
 * this batch is counted.
 */
export async function releaseBatch(
  { d, q }: Sql,
  restoreId: string,
  size: number,
  now: number,
  ticketExpiresAt: number,
): Promise<Disruption[]> {
  if (size <= 0) return [];
  return d.tx(async (t) => {
    const restore = await t.one(q.restoreLocked, [restoreId]);
    if (!restore || str(restore.state) !== 'running') return [];
    const next = (await t.all(q.restoreNextPending, [restoreId, size])).map(toDisruption);
    if (next.length === 0) return [];
    await t.run(q.disruptionsTicket, [ticketExpiresAt, d.list(next.map((x) => x.id))]);
    await t.run(q.restoreAddReleased, [next.length, now, restoreId]);
    return next.map((x) => ({ ...x, outcome: 'ticketed' as const, ticketExpiresAt }));
  });
}

export async function restoreCounts({ d, q }: Sql, restoreId: string): Promise<RestoreCounts> {
  const counts: RestoreCounts = { pending: 0, ticketed: 0, restored: 0, expired: 0, refused: 0 };
  for (const r of await d.all(q.restoreCounts, [restoreId]))
    counts[str(r.outcome) as keyof RestoreCounts] = num(r.n);
  return counts;
}

export async function queuePosition({ d, q }: Sql, restoreId: string, x: Disruption): Promise<number> {
  return num((await d.one(q.restorePosition, [restoreId, x.at, x.id]))?.n);
}
