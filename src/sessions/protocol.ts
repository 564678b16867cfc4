/**
 * The control WebSocket's wire protocol. Close codes in the 4000 range are Lifeline's own
 * (RFC 6455 leaves 4000–4999 to applications); docs/API.md lists them for client authors.
 */
export const closeCodes = {
  /** An operator's kick ended the session; the last message carries a resumeToken. */
  kicked: 4001,
  /** No ping from the client within the heartbeat timeout. */
  heartbeatTimeout: 4002,
  /** The session was revoked (refresh-token reuse) or has ended. */
  revoked: 4003,
  /** A newer socket for the same session took over. */
  replaced: 4004,
  /**
   * The player opened more sessions than session.maxPerPlayer allows, and this one, the oldest,
   * was ended to make room (session.whenFull: replace-oldest). Not a disruption: no resume token.
   */
  superseded: 4005,
  /**
   * The client sent frames faster than `session.messageRate` allows. 4008 echoes 1008 (policy
   * violation); the connection is cut right after the close frame.
   */
  rateLimited: 4008,
  /**
   * The client stopped reading: more than `session.maxBufferedBytes` waited to be sent to it.
   * 4009 echoes 1009 (too big); the connection is cut, so the client may see only 1006.
   */
  slowConsumer: 4009,
  /** Lifeline is shutting down; reconnect to another node or shortly to this one. */
  goingAway: 1001,
} as const;

/** Messages the server sends: `{type, …}` as JSON text frames. */
export type ServerMessage =
  | {
      type: 'welcome';
      sessionId: string;
      playerId: string;
      heartbeatIntervalSeconds: number;
      heartbeatTimeoutSeconds: number;
    }
  | { type: 'pong'; at: number }
  | { type: 'kicked'; reason: string; commandId: string; resumeToken: string }
  | { type: 'revoked'; reason: string }
  | { type: 'notice'; message: string }
  /** An in-game notice (docs/API.md, Announcements): `id` is stable, so a client shows it once. */
  | { type: 'announcement'; id: string; level: 'info' | 'warning' | 'critical'; text: string; at: number }
  | { type: 'error'; code: string; message: string };
