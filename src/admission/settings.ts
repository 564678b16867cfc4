/** Admission's settings and the shapes of what it admits. */

export interface AdmissionSettings {
  /** @defaultValue 10 */
  initialLimit: number;
  /** @defaultValue 1 */
  minLimit: number;
  /**
   * The most identity calls in flight, ever: what the upstream is known to take. Above its
   * workers by a few: at exactly their number, each worker idles for a round trip between calls
   * (bench:storm lost 12% of its upstream's capacity so). @defaultValue 50
   */
  maxLimit: number;
  /** Past this many waiting, logins get 503 LOGIN_QUEUE_FULL with Retry-After. @defaultValue 20000 */
  maxQueue: number;
  /** A call slower than this counts as a sign of load. @defaultValue 1000 */
  targetLatencyMs: number;
  /** A queued login not admitted (or not collected) within this is dropped. @defaultValue 300 */
  ticketTtlSeconds: number;
}

/**
 * A login's work. It calls `upstreamDone` as soon as the identity upstream has answered: the
 * permit goes back then, not after Lifeline's own work that follows (writing the session, signing
 * tokens), which under a storm's load can take longer than the upstream call itself and would
 * leave the upstream idle with a permit held.
 */
export type Work<T> = (upstreamDone: () => void) => Promise<T>;

/** A login's answer: done, or a place in line and when to come back. */
export type Admitted<T> =
  | { kind: 'done'; value: T }
  | { kind: 'queued'; ticket: string; position: number; etaSeconds: number; retryAfterSeconds: number };

/** Is this failure the upstream's (shrink the limit, retry later) rather than the caller's? */
export type IsUpstreamFailure = (err: unknown) => boolean;
