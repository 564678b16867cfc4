/**
 * How fast the identity upstream serves, for the ETAs queued logins are told.
 *
 * A call's pace is its latency over the calls in flight when it started: by Little's law, the
 * upstream's time per call at that concurrency, so 1000 / pace is the rate it was serving at.
 * Latency alone would not do once more calls are in flight than the upstream serves at once:
 * they queue there, and each takes longer while the rate stays the same.
 */

/** Identity calls' paces kept for the ETA, and the percentile taken (see `#pace`). */
const PACE_SAMPLES = 256;
const PACE_PERCENTILE = 0.25;

export class Pace {
  /** When the recent completions happened (the last two seconds): the rate ETAs divide by. */
  readonly #completions: number[] = [];
  /** The paces of the last PACE_SAMPLES identity calls, a ring. */
  readonly #paces: number[] = [];
  #paceAt = 0;
  /**
   * The lower quartile of those (the 25th percentile), chosen by measurement (bench:storm,
   * docs/BENCHMARKS.md). While a storm arrives this process is busy, and a call's latency carries
   * the time its answer waited here to be read: the median pace swung from 2% to 107% first-ETA
   * error between runs with how busy this process was. A low percentile leaves those slow reads
   * out, but sits below the middle of any spread, and paces spread (a call's wait at the upstream
   * depends on its place in the upstream's queue): the 10th percentile gave ETAs ~14% short, the
   * 25th 4–7% short. Until a call has completed, a guess: 100 ms a call at the limit.
   */
  #pace: number | undefined;

  /** How many paces are known (at most PACE_SAMPLES). */
  get samples(): number {
    return this.#paces.length;
  }

  /** Whether `limit` calls (one round of permits) have completed: enough to quote from. */
  measuredAt(limit: number): boolean {
    return this.#paces.length >= Math.min(limit, PACE_SAMPLES);
  }

  /** Notes a completed call, with the calls in flight from this node when it started. */
  record(now: number, latency: number, inFlight: number): void {
    this.#completions.push(now);
    // The first measurement replaces the guess instead of being averaged into it.
    this.#paces[this.#paceAt] = latency / inFlight;
    this.#paceAt = (this.#paceAt + 1) % PACE_SAMPLES;
    // Re-sorted on each call until the ring is full, then every 16th: cheap either way.
    if (this.#paces.length < PACE_SAMPLES || this.#paceAt % 16 === 0) {
      const sorted = [...this.#paces].sort((a, b) => a - b);
      this.#pace = sorted[Math.floor((sorted.length - 1) * PACE_PERCENTILE)] as number;
    }
    if (this.#completions.length > 100_000) this.#completions.splice(0, 50_000);
  }

  /**
   * Seconds until this place in line is served: position over the rate of the last two seconds,
   * or the rate the pace says, whichever is higher. The rate of the last seconds alone
   * would not do: when a storm arrives, this process is busy taking 20,000 requests and serves
   * the upstream late, so the first seconds say the upstream is slower than it is, and every
   * first ETA is given in those seconds (bench:storm's were 30–50% too long).
   */
  etaSeconds(position: number, now: number, limit: number): number {
    while (this.#completions.length > 0 && (this.#completions[0] as number) < now - 2000)
      this.#completions.shift();
    const oldest = this.#completions[0];
    // Over the part of the window that has data: right after a start, two seconds would halve it.
    const span = oldest === undefined ? 0 : Math.max(0.25, Math.min(2, (now - oldest) / 1000));
    const measured = span > 0 ? this.#completions.length / span : 0;
    const pace = this.#pace ?? 100 / Math.max(1, limit);
    const rate = Math.max(measured, 1000 / Math.max(0.01, pace));
    return Math.max(1, Math.min(300, Math.ceil((position + 1) / rate)));
  }
}
