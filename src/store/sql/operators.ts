/** Operators, their enrolment, TOTP steps and step-up lockout. */
import { LifelineError } from '../../errors/index.ts';
import type { Enrolment, Operator, Role } from '../../operators/records.ts';
import { num, numOrNull, toOperator } from '../rows.ts';
import type { Sql } from './driver.ts';

export async function addOperator({ d, q }: Sql, o: Operator, enrolment?: Enrolment): Promise<void> {
  const { id, name, role, tokenHash, totpSecret, createdAt, revokedAt } = o;
  const enrol = [enrolment?.hash ?? null, enrolment?.expiresAt ?? null];
  try {
    await d.run(q.operatorInsert, [id, name, role, tokenHash, totpSecret, createdAt, revokedAt, ...enrol]);
  } catch (err) {
    if (!d.isUniqueViolation(err)) throw err;
    throw new LifelineError('OPERATOR_EXISTS', `An operator named ${name} already exists`, { cause: err });
  }
}

export async function findOperator({ d, q }: Sql, by: { id: string } | { name: string }) {
  const r = 'id' in by ? await d.one(q.operatorById, [by.id]) : await d.one(q.operatorByName, [by.name]);
  return r ? toOperator(r) : null;
}

export async function listOperators({ d, q }: Sql): Promise<Operator[]> {
  return (await d.all(q.operatorList)).map(toOperator);
}

/** Runs a guarded update: true when it changed a row. */
export async function changed({ d }: Sql, text: string, params: readonly unknown[]): Promise<boolean> {
  return (await d.run(text, params)) > 0;
}

export async function redeemEnrolment(
  { d, q }: Sql,
  id: string,
  hash: string,
  now: number,
  credentials: { tokenHash: string; totpSecret: string },
): Promise<Operator | null> {
  const r = await d.one(q.operatorRedeem, [credentials.tokenHash, credentials.totpSecret, now, id, hash]);
  return r ? toOperator(r) : null;
}

export const setOperatorRole = (s: Sql, id: string, role: Role, at: number) =>
  changed(s, s.q.operatorSetRole, [role, at, id]);

export async function stepUpLockedUntil({ d, q }: Sql, id: string): Promise<number | null> {
  const r = await d.one(q.stepUpLock, [id]);
  return r ? numOrNull(r.stepup_locked_until) : null;
}

/** Forgets failures older than `since`, records this one, and says how many remain. */
export async function recordStepUpFailure({ d, q }: Sql, id: string, at: number, since: number) {
  return d.tx(async (t) => {
    await t.run(q.stepUpFailuresForget, [id, since]);
    await t.run(q.stepUpFailureInsert, [id, at]);
    return num((await t.one(q.stepUpFailuresCount, [id]))?.n);
  });
}

export async function lockStepUp({ d, q }: Sql, id: string, until: number): Promise<void> {
  await d.tx(async (t) => {
    await t.run(q.stepUpSetLock, [until, id]);
    await t.run(q.stepUpFailuresClear, [id]);
  });
}
