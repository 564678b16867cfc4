/**
 * What a node is asked to do to a socket it holds, in Lifeline's words. Senders (commands, bans,
 * sessions) say what happened to the session; only the hub turns that into a frame and a close
 * code (`farewell.ts`). This file imports nothing, so the bus port (`live/port.ts`) can carry the
 * type without live/ depending on the rest of sessions/.
 */

/** An operator's kick ended the session; the client is told how to come back. */
export interface Kicked {
  kind: 'kicked';
  sessionId: string;
  commandId: string;
  /** The operator's reason, shown to the player. */
  reason: string;
  /**
   * The disruption record the kick created. The node holding the socket mints the resume token
   * from it as it tells the client: a bulk kick then spends a MAC only on sessions that are
   * connected to hear it.
   */
  disruptionId: string;
}

/** Why a session was revoked: its refresh token was reused, or its player was banned. */
export type RevokeReason = 'refresh-reuse' | 'banned';

/** The session was revoked; the client must log in again. */
export interface Revoked {
  kind: 'revoked';
  sessionId: string;
  reason: RevokeReason;
}

/** The player opened a session past their cap and this one, the oldest, made room. */
export interface Superseded {
  kind: 'superseded';
  sessionId: string;
}

export type Directive = Kicked | Revoked | Superseded;

/** How loud a notice is: the client may show `info` in a corner and `critical` as a banner. */
export type NoticeLevel = 'info' | 'warning' | 'critical';

/**
 * A notice to every player whose session matches: in-game communication about an incident (or
 * anything an operator has to say). Unlike a directive it names no session: every node hears it
 * and its hub picks the sockets it holds. Regions and shards narrow it (empty: everyone; both
 * given: a socket must match both).
 */
export interface Notice {
  kind: 'notice';
  /** Stable for one message: a node or a client that hears it twice shows it once. */
  noticeId: string;
  level: NoticeLevel;
  text: string;
  regions: readonly string[];
  shards: readonly string[];
  /** When it was decided (ms), on the sender's clock. */
  at: number;
}

/** What the bus carries to every node at once. */
export type Broadcast = Notice;
