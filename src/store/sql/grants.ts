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
 * just before the current one presented again by the client whose refresh spent it (`grace`,
 * nothing changes): with the retry key that rotation was made with (`retryKey`, a digest of what
 * the client sent), however late, or without it within `reuseGraceMs` of the rotation.
 */
export async function rotateGrant(
  { d, q }: Sql,
  familyId: string,
  generation: number,
  now: number,
  expiresAt: number,
  reuseGraceMs = 0,
  retryKey: string | null = null,
): Promise<RotateOutcome> {
  return d.tx(async (t): Promise<RotateOutcome> => {
    const r = await t.one(q.grantFamilyLocked, [familyId]);
    if (!r) return { kind: 'unknown' };
    const grant = toGrant(r);
    if (grant.revokedAt !== null) return { kind: 'revoked', grant };
    if (grant.expiresAt <= now) return { kind: 'expired', grant };
    if (inGrace(grant, generation, now, reuseGraceMs, retryKey)) return { kind: 'grace', grant };
    if (grant.generation !== generation) {
      await t.run(q.grantRevokeFamily, [now, 'refresh-reuse', familyId]);
      return { kind: 'reused', grant: { ...grant, revokedAt: now, revokedReason: 'refresh-reuse' } };
    }
    await t.run(q.grantRotate, [generation + 1, expiresAt, now, retryKey, familyId]);
    return {
      kind: 'rotated',
      grant: { ...grant, generation: generation + 1, expiresAt, rotatedAt: now, rotatedKey: retryKey },
    };
  });
}

/**
 * Whether a spent generation is the same client retrying the refresh that spent it. Only the one
 * just before the current generation: once the current one has been presented (and rotated in
 * turn), the client plainly got its answer, so an older token is a copy, key or not. The key is
 * the proof without a clock (a retry can come late from a client whose request sat in a queue);
 * the grace, for clients that send none, is bounded by the clock.
 */
function inGrace(
  grant: Grant,
  generation: number,
  now: number,
  graceMs: number,
  retryKey: string | null,
): boolean {
  const at = grant.rotatedAt ?? null;
  if (generation !== grant.generation - 1 || at === null) return false;
  if (retryKey !== null && grant.rotatedKey === retryKey) return true;
  return graceMs > 0 && now >= at && now - at <= graceMs;
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
