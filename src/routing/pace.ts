/**
 * Pacing for one destination: a token bucket at the destination's published limit, and the
 * backoff between failed attempts. Both run on the caller's clock.
 */
import type { DestinationKind } from '../config/index.ts';

/**
 * Each kind's published limit as (per minute, burst): PagerDuty's Events API takes about 120
 * events a minute per routing key; a Discord webhook 5 requests per 2 seconds; a Slack incoming
 * webhook about one message a second; a generic webhook is given a modest default.
 */
export const publishedLimits: Record<DestinationKind, { perMinute: number; burst: number }> = {
  pagerduty: { perMinute: 120, burst: 10 },
  discord: { perMinute: 150, burst: 5 },
  slack: { perMinute: 60, burst: 1 },
  webhook: { perMinute: 60, burst: 10 },
};

export class TokenBucket {
  readonly #perMs: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  constructor(perMinute: number, burst: number, now: number) {
    this.#perMs = perMinute / 60_000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#at = now;
  }

  /** Takes a token and returns 0, or returns how many ms until one is there (taking none). */
  take(now: number): number {
    this.#tokens = Math.min(this.#burst, this.#tokens + Math.max(0, now - this.#at) * this.#perMs);
    this.#at = Math.max(this.#at, now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.#tokens) / this.#perMs);
  }
}

/**
 * The wait before attempt `attempts + 1` after `attempts` failures: exponential from 1 s, capped
 * at `maxMs`, with equal jitter (half fixed, half random), so retries of many messages spread
 * out while each still waits at least half its step.
 */
export function backoffMs(attempts: number, maxMs: number, random: () => number): number {
  const step = Math.min(maxMs, 1000 * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  return Math.round(step / 2 + random() * (step / 2));
}
