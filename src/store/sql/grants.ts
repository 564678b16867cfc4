/** Session grants: refresh rotation with reuse detection, revocation and purging. */
import type { Grant, RotateOutcome } from '../../tokens/records.ts';
import { toGrant } from '../rows.ts';
import type { Sql } from './driver.ts';

export async function getGrant({ d, q }: Sql, sessionId: string): Promise<Grant | null> {
  const r = await d.one(q.grantBySession, [sessionId]);
  return r ? toGrant(r) : null;
}

/**
 * A refresh presents generation `generation` of a grant family. The current one rotates; an old
 * one means the refresh token was copied, and the whole family is revoked.
 */
export async function rotateGrant(
  { d, q }: Sql,
  familyId: string,
  generation: number,
  now: number,
  expiresAt: number,
): Promise<RotateOutcome> {
  return d.tx(async (t): Promise<RotateOutcome> => {
    const r = await t.one(q.grantFamilyLocked, [familyId]);
    if (!r) return { kind: 'unknown' };
    const grant = toGrant(r);
    if (grant.revokedAt !== null) return { kind: 'revoked', grant };
    if (grant.expiresAt <= now) return { kind: 'expired', grant };
    if (grant.generation !== generation) {
      await t.run(q.grantRevokeFamily, [now, 'refresh-reuse', familyId]);
      return { kind: 'reused', grant: { ...grant, revokedAt: now, revokedReason: 'refresh-reuse' } };
    }
    await t.run(q.grantRotate, [generation + 1, expiresAt, familyId]);
    return { kind: 'rotated', grant: { ...grant, generation: generation + 1, expiresAt } };
  });
}

export async function revokeGrants({ d, q }: Sql, ids: readonly string[], at: number, reason: string) {
  if (ids.length === 0) return;
  await d.run(q.grantRevokeSessions, [at, reason, d.list(ids)]);
}

export async function hasNewerSession(
  { d, q }: Sql,
  playerId: string,
  after: number,
  except = '',
): Promise<boolean> {
  return (await d.one(q.grantNewer, [playerId, after, except])) !== undefined;
}
