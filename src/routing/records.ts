/**
 * The outbox's record (DESIGN.md, Records: Outbox message): one notification on its way to one
 * destination, written before any attempt to send it, so that a restart loses nothing.
 */

/** Where a message stands: waiting (maybe retrying), delivered, or refused for good. */
export const outboxStates = ['pending', 'sent', 'dead'] as const;
export type OutboxState = (typeof outboxStates)[number];

export interface OutboxMessage {
  /** uuid7. */
  id: string;
  /** The destination's configured name (`routing.destinations[].name`), never its URL or key. */
  destination: string;
  /**
   * What the message is about (a signal's fingerprint, or a group's key). A pending message with
   * the same destination and key is replaced rather than queued twice: the newer text wins.
   */
  dedupKey: string;
  /** The JSON body without any secret: the sender adds the routing key or the signature. */
  payload: unknown;
  createdAt: number;
  /** Bumped on each replacement, so a send that raced a replacement does not mark the new text sent. */
  version: number;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  sentAt: number | null;
  deadAt: number | null;
}

export interface OutboxQuery {
  destination?: string;
  state?: OutboxState;
  /** @defaultValue 100 */
  limit?: number;
}
