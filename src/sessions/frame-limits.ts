/**
 * What one control socket may cost the node. A player's client sends a ping every heartbeat
 * interval and reads what it is sent; these limits are far above that, and bound what a hostile
 * or broken client can make the node hold: one incoming message, a burst of messages, and the
 * unsent data of a client that stopped reading.
 */
export interface SocketLimits {
  /** Largest incoming message; a larger frame closes the socket with 1009 (RFC 6455). */
  maxMessageBytes: number;
  /** Frames (messages, pings, pongs) a socket may send per second, sustained. */
  messagesPerSecond: number;
  /** Frames a socket may send at once before the per-second rate applies. */
  messageBurst: number;
  /** Unsent data a socket may hold in the process (beyond the kernel's buffers) before it is cut. */
  maxBufferedBytes: number;
}

/** A token bucket's state, kept as two fields on each socket's link instead of an object each. */
export interface Bucket {
  tokens: number;
  refilledAt: number;
}

/**
 * Takes one token from the bucket at time `now` (ms), refilled at `perSecond` up to `burst`.
 * False when the bucket is empty: the frame is over the rate.
 */
export function takeToken(bucket: Bucket, now: number, perSecond: number, burst: number): boolean {
  const elapsed = now - bucket.refilledAt;
  if (elapsed > 0) {
    bucket.tokens = Math.min(burst, bucket.tokens + (elapsed * perSecond) / 1000);
    bucket.refilledAt = now;
  }
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}
