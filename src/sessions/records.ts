/** Sessions as live state holds them: who is online, where, on which node. */
import type { RestoreSnapshot } from '../disruptions/records.ts';

/**
 * A session that is online now: where it is and what it holds (the restore snapshot), plus who
 * and which node. The durable side (refresh family, snapshot) is the Grant.
 */
export interface LiveSession extends RestoreSnapshot {
  id: string;
  playerId: string;
  /** The gateway node that issued the session and holds its socket. */
  node: string;
  createdAt: number;
  lastSeenAt: number;
}

/** How many live sessions one player may hold, and what a session past that does. */
export interface SessionCap {
  max: number;
  whenFull: 'replace-oldest' | 'refuse';
}

/** What openSession did: opened (ending `replaced` to make room), or refused at the cap. */
export type OpenedSession = { opened: true; replaced: LiveSession[] } | { opened: false; held: number };

/** Fields combine with AND; an absent field matches everything. */
export interface SessionFilter {
  region?: string;
  shard?: string;
  zone?: string;
  playerId?: string;
  sessionId?: string;
  playerIds?: readonly string[];
  licences?: readonly string[];
  /** Inclusive bounds on dotted numeric versions (1.10.0 > 1.9.2); a session without one never matches. */
  clientVersion?: { min?: string; max?: string };
}

export interface SessionCounts {
  total: number;
  byRegion: Record<string, number>;
  byShard: Record<string, number>;
}
