import type { RestoreRecords } from '../store/index.ts';
import type { AuditLog } from '../audit/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import type { PauseCode, RestoreRecord, RestoreState } from './records.ts';
import type { RestoreView } from './types.ts';

export interface TransitionDeps {
  store: Pick<RestoreRecords, 'getRestore' | 'updateRestore'>;
  audit: AuditLog;
  events: EventStream;
  clock: () => number;
}

/** One state change of a restore, as asked for by an operator or by the run itself. */
export interface Transition {
  from: readonly RestoreState[];
  to: RestoreState;
  /** Why it stops releasing (null when it runs again), and what a person reads about it. */
  pause: { code: PauseCode; note: string } | null;
  actor: string;
  action: 'restore.pause' | 'restore.resume' | 'restore.cancel';
  /** The refusal when the restore is in none of the states `from`. */
  refusal: 'RESTORE_NOT_RUNNING' | 'RESTORE_NOT_PAUSED' | 'RESTORE_FINISHED';
  /** The audit entry's reason, when it is not the pause's note (a resume's). */
  reason?: string;
}

/**
 * Moves a restore from one of `t.from` to `t.to` by compare-and-set, then audits it: a change
 * that lost the race (a threshold pausing as an operator cancels) describes nothing that
 * happened, and leaves no entry.
 */
export async function transition(d: TransitionDeps, id: string, t: Transition): Promise<RestoreRecord> {
  const restore = await d.store.getRestore(id);
  if (!restore) throw new LifelineError('RESTORE_NOT_FOUND', `No restore ${id}`);
  const finished = restore.state === 'done' || restore.state === 'cancelled';
  if (!t.from.includes(restore.state)) throw new LifelineError(finished ? 'RESTORE_FINISHED' : t.refusal);
  const next: RestoreRecord = {
    ...restore,
    state: t.to,
    pauseCode: t.pause?.code ?? null,
    pauseNote: t.pause?.note ?? null,
    updatedAt: d.clock(),
  };
  if (!(await d.store.updateRestore(next, t.from))) throw new LifelineError(t.refusal);
  await d.audit.append({
    actor: t.actor,
    action: t.action,
    target: `restore:${id}`,
    details: { restoreId: id, reason: t.reason ?? t.pause?.note ?? null, released: restore.released },
    result: t.to,
  });
  d.events.emit('restore.changed', {
    restoreId: id,
    from: restore.state,
    state: t.to,
    by: t.actor,
    reason: t.reason ?? t.pause?.note ?? null,
    released: restore.released,
    total: restore.total,
  });
  if (t.to === 'paused' && t.pause) {
    const by = t.pause.code === 'threshold' ? 'threshold' : 'operator';
    d.events.emit('restore.paused', { restoreId: id, reason: t.pause.note, by });
  }
  return next;
}

/** A restore as the API answers it; see `RestoreView`. */
export function restoreView(restore: RestoreRecord): RestoreView {
  return { ...restore, pauseReason: restore.pauseNote };
}
