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
 * one means the refresh token was copied, and the whole family is revoked, except the generation
 * just before the current one within `reuseGraceMs` of the rotation that spent it: that is a
 * client retrying a refresh whose answer it never got (`grace`, nothing changes).
 */
export async function rotateGrant(
  { d, q }: Sql,
  familyId: string,
  generation: number,
  now: number,
  expiresAt: number,
  reuseGraceMs = 0,
): Promise<RotateOutcome> {
  return d.tx(async (t): Promise<RotateOutcome> => {
    const r = await t.one(q.grantFamilyLocked, [familyId]);
    if (!r) return { kind: 'unknown' };
    const grant = toGrant(r);
    if (grant.revokedAt !== null) return { kind: 'revoked', grant };
    if (grant.expiresAt <= now) return { kind: 'expired', grant };
    if (inGrace(grant, generation, now, reuseGraceMs)) return { kind: 'grace', grant };
    if (grant.generation !== generation) {
      await t.run(q.grantRevokeFamily, [now, 'refresh-reuse', familyId]);
      return { kind: 'reused', grant: { ...grant, revokedAt: now, revokedReason: 'refresh-reuse' } };
    }
    await t.run(q.grantRotate, [generation + 1, expiresAt, now, familyId]);
    return { kind: 'rotated', grant: { ...grant, generation: generation + 1, expiresAt, rotatedAt: now } };
  });
}

function inGrace(grant: Grant, generation: number, now: number, graceMs: number): boolean {
  const at = grant.rotatedAt ?? null;
  return (
    graceMs > 0 && generation === grant.generation - 1 && at !== null && now >= at && now - at <= graceMs
  );
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
