/** Bans as stored: in force, or lifted with who and why. */

/**
 * A ban: the player may not log in, refresh or be restored while it stands. Lifting one keeps
 * the row (liftedAt, liftedBy, liftReason), so the store holds the history as well as the
 * audit log; a player has at most one ban in force at a time.
 */
export interface Ban {
  id: string;
  playerId: string;
  reason: string;
  /** The operator who banned. */
  bannedBy: string;
  at: number;
  /**
   * When the ban ends by itself (epoch ms); null: until lifted. Past it the ban no longer stands:
   * every read compares it with its own time, so no job has to run at expiry.
   */
  expiresAt: number | null;
  liftedAt: number | null;
  liftedBy: string | null;
  liftReason: string | null;
}

export interface BanQuery {
  /** Only bans standing at this time (epoch ms): not lifted, and not expired by then. */
  activeAt: number;
  /** Only bans of these players. */
  playerIds?: readonly string[];
  /** Keyset cursor: only bans after this (at, playerId) in the list's order (newest first). */
  after?: { at: number; id: string };
  /** @defaultValue 1000 */
  limit?: number;
}
