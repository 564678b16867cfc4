/** The audit chain's records: appends extend the head they checked, or write nothing. */
import type { AuditEntry, AuditQuery } from '../../audit/records.ts';
import { auditParams, num, str, toAudit } from '../rows.ts';
import type { Sql } from './driver.ts';

export async function auditHead({ d, q }: Sql): Promise<AuditEntry | null> {
  const r = await d.one(q.auditHead);
  return r ? toAudit(r) : null;
}

export async function appendAudit({ d, q }: Sql, entries: readonly AuditEntry[]): Promise<boolean> {
  const first = entries[0];
  if (!first) return true;
  return d.tx(async (t) => {
    // Appenders on every node queue here, so the head they check is the head they extend.
    await t.lock('audit');
    const head = await t.one(q.auditHead);
    const headSeq = head ? num(head.seq) : 0;
    const headHash = head ? str(head.hash) : null;
    if (first.seq !== headSeq + 1 || (headHash !== null && first.prevHash !== headHash)) return false;
    await t.batch(q.auditInsert, entries.map(auditParams));
    return true;
  });
}

export async function listAudit({ d, q }: Sql, a: AuditQuery): Promise<AuditEntry[]> {
  const params = [a.from ?? null, a.to ?? null, a.action ?? null, a.actor ?? null, a.afterSeq ?? 0];
  return (await d.all(q.auditList, [...params, a.limit ?? 100])).map(toAudit);
}

export async function readAuditPage({ d, q }: Sql, afterSeq: number, limit: number): Promise<AuditEntry[]> {
  return (await d.all(q.auditPage, [afterSeq, limit])).map(toAudit);
}
