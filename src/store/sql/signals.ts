/**
 * Signals: raised once per open fingerprint. The decision (update the open one, else insert, and
 * if another writer inserted first, update theirs) is written here once; the partial unique index
 * `signals_open` is what makes it hold across nodes.
 */
import type { Signal, SignalQuery } from '../../signals/records.ts';
import { toSignal } from '../rows.ts';
import type { Sql } from './driver.ts';

/** The columns an update of an open signal changes, in the order `signalUpdateOpen` takes them. */
function updateParams(s: Signal, at: number): unknown[] {
  return [s.severity, s.title, JSON.stringify(s.evidence), JSON.stringify(s.localisation), at, s.fingerprint];
}

export async function raiseSignal(
  { d, q }: Sql,
  s: Signal,
): Promise<{ signal: Signal; change: 'raised' | 'updated' }> {
  // Two rounds at most: the insert loses only to a writer whose row the second update then finds.
  for (let round = 0; round < 2; round++) {
    const open = await d.one(q.signalUpdateOpen, updateParams(s, s.startedAt));
    if (open) return { signal: toSignal(open), change: 'updated' };
    const inserted = await d.one(q.signalInsert, [
      s.id,
      s.source,
      s.detector,
      s.severity,
      s.title,
      JSON.stringify(s.dimensions),
      s.fingerprint,
      s.onsetAt,
      s.startedAt,
      s.startedAt,
      s.resolvedAt,
      JSON.stringify(s.evidence),
      JSON.stringify(s.localisation),
      s.incidentId,
    ]);
    if (inserted) return { signal: toSignal(inserted), change: 'raised' };
  }
  throw new Error(`signal ${s.fingerprint}: neither inserted nor found open`);
}

export async function resolveSignal({ d, q }: Sql, fingerprint: string, at: number): Promise<Signal | null> {
  const r = await d.one(q.signalResolve, [at, fingerprint]);
  return r ? toSignal(r) : null;
}

export async function listSignals({ d, q }: Sql, query: SignalQuery): Promise<Signal[]> {
  const rows = await d.all(q.signalList, [
    query.state === 'open' ? 1 : 0,
    query.since ?? null,
    query.detector ?? null,
    query.limit,
  ]);
  return rows.map(toSignal);
}

/** Names the incident on the signal unless one already is; true when it did. */
export async function linkSignalIncident({ d, q }: Sql, id: string, incidentId: string): Promise<boolean> {
  return (await d.run(q.signalLinkIncident, [id, incidentId])) > 0;
}

export async function getSignal({ d, q }: Sql, id: string): Promise<Signal | null> {
  const r = await d.one(q.signalById, [id]);
  return r ? toSignal(r) : null;
}
