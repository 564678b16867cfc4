/** What a ban may be asked with: a player id, a reason, a duration. Checked before anything is written. */
import { LifelineError } from '../errors/index.ts';

/** The same shape the admin API's schema accepts, checked again for callers that skip it. */
export const PLAYER_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
/** How long a ban may be given for: a minute to ten years. */
export const banDuration = { minSeconds: 60, maxSeconds: 3650 * 86_400 } as const;

/** What a ban is asked with: a reason, and optionally an end (`durationSeconds` from now). */
export interface BanRequest {
  playerId: string;
  reason: string;
  /** The ban ends by itself this long after it is placed; absent: until lifted. */
  durationSeconds?: number;
}

/** Why `playerId` cannot be banned or lifted as asked, or null: a message naming the field. */
export function inputProblem(playerId: string, reason: string): { field: string; message: string } | null {
  if (!PLAYER_ID.test(playerId))
    return { field: 'playerId', message: 'A player id is 1–128 of A-Z a-z 0-9 . _ : @ -' };
  if (reason.trim().length < 3 || reason.length > 500)
    return { field: 'reason', message: 'A reason is 3–500 characters' };
  return null;
}

/** Throws `VALIDATION_FAILED` (naming `durationSeconds`) unless it is absent or in bounds. */
export function checkDuration(durationSeconds: number | undefined): void {
  if (durationSeconds === undefined) return;
  if (
    !Number.isInteger(durationSeconds) ||
    durationSeconds < banDuration.minSeconds ||
    durationSeconds > banDuration.maxSeconds
  )
    throw new LifelineError(
      'VALIDATION_FAILED',
      `durationSeconds is a whole number of seconds from ${banDuration.minSeconds} (a minute) to ${banDuration.maxSeconds} (3650 days)`,
      { details: { field: 'durationSeconds' } },
    );
}
