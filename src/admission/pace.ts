/**
 * How fast the identity upstream serves this node's line, for the ETAs queued logins are told.
 *
 * Two measures, each only from calls made under load (the line waiting, or every permit taken):
 *
 * - **Throughput**: completions per second over an unbroken run of completions with logins
 *   still waiting (every permit goes straight back to work, so the upstream is kept as busy as the
 *   limit lets it be). This is the rate the line drains at, measured rather than inferred.
 * - **Pace**: a call's latency over the calls in flight when it started, by Little's law the
 *   upstream's time per call at that concurrency (1000 / pace is the rate it was serving at).
 *
 * When the run drains slower than the pace says, the node itself is the bottleneck: while a storm
 * arrives, this process spends its time taking the storm's requests, reads answers late and starts
 * the next calls late, and the line drains at the throughput measured now; once the arrivals stop,
 * it drains at the pace. When they stop is not known here, so the ETA takes the slow drain to go
 * on for as long again as the run has lasted (a storm 1 s in is guessed to have 1 s to go; a node
 * slow for a minute, a minute), and the pace after that. Taking the pace alone told nearly every
 * player of a storm too soon (bench:storm's first-ETA error p90 4.5–23.3%, 2026-12-02 06:42), and
 * the mean of the two rates told those queued in the storm's first seconds too late: in the
 * login-storm drill at 5,000 players its p90 was 17.6–28% over three runs, the node slow for the
 * storm's first 2 s and the mean holding the slow rate over waits of 4–8 s; with this model,
 * 14.7%, 15.5%, 20% and 24.7% over four full runs, and bench:storm met at every size (p90
 * 6.3–18%). Most of what the drill still missed was not this estimate (its own p90 against when
 * the logins were done was 13%) but clients collecting their logins late, fixed in the controller
 * (a login due within 2 s is waited for): 5.8–10.4% over three runs since. The pace itself is low
 * early in a storm (179–211/s against 250 in one run: its ring holds calls whose answers the
 * swamped node read late; docs/BENCHMARKS.md). When
 * the run drains faster than the pace says (answers read late slow the pace, not the line), the
 * run's throughput is the rate.
 *
 * Calls made without load (a trickle of logins served one at a time) measure the upstream's
 * latency, not its capacity: 20 ms a call at one in flight says 50 a second of an upstream that
 * serves 250 (issue 14: 3,000 clients after a trickle were told ETAs 2–6 times too long). They are
 * kept apart and used only while nothing measured under load exists yet.
 */

/** Identity calls' paces kept for the ETA, and the percentile taken (see `#pace`). */
const PACE_SAMPLES = 256;
const PACE_PERCENTILE = 0.25;
/**
 * The fewest completions in a run before its throughput counts: a run's first few completions are
 * read by this process in bunches while a storm arrives, and a bunch over a short span overstates
 * the rate.
 */
export const THROUGHPUT_MIN_COMPLETIONS = 32;
/**
 * A run's throughput is taken over its last completions within this window: short enough to follow
 * a node that speeds up as a storm's arrivals end (over 2 s the figure lagged ~1 s behind it),
 * long enough to hold 250 completions of a 250/s upstream.
 */
const THROUGHPUT_WINDOW_MS = 1000;
/** A run without a completion for this long stopped (the upstream hung): its throughput is stale. */
const THROUGHPUT_STALE_MS = 1000;

/** Paces (ms of upstream per call), a ring, with the percentile the ETA takes. */
class PaceRing {
  readonly #paces: number[] = [];
  #at = 0;
  #value: number | undefined;

  get size(): number {
    return this.#paces.length;
  }

  get value(): number | undefined {
    return this.#value;
  }

  add(pace: number): void {
    this.#paces[this.#at] = pace;
    this.#at = (this.#at + 1) % PACE_SAMPLES;
    // Re-sorted on each call until the ring is full, then every 16th: cheap either way.
    if (this.#paces.length < PACE_SAMPLES || this.#at % 16 === 0) {
      const sorted = [...this.#paces].sort((a, b) => a - b);
      this.#value = sorted[Math.floor((sorted.length - 1) * PACE_PERCENTILE)] as number;
    }
  }
}

export class Pace {
  /**
   * Paces of calls made under load, and of the others. The lower quartile (the 25th percentile)
   * is taken, chosen by measurement (bench:storm, docs/BENCHMARKS.md). While a storm arrives this
   * process is busy, and a call's latency carries the time its answer waited here to be read: the
   * median pace swung from 2% to 107% first-ETA error between runs with how busy this process was.
   * A low percentile leaves those slow reads out, but sits below the middle of any spread, and
   * paces spread (a call's wait at the upstream depends on its place in the upstream's queue): the
   * 10th percentile gave ETAs ~14% short, the 25th 4–7% short.
   */
  readonly #loaded = new PaceRing();
  readonly #unloaded = new PaceRing();
  /** When the completions of the current run happened (the last THROUGHPUT_WINDOW_MS of it). */
  readonly #run: number[] = [];
  /** When the current run's first completion came (the line has not emptied since). */
  #runStartedAt: number | undefined;

  /** How many paces under load are known (at most PACE_SAMPLES). */
  get samples(): number {
    return this.#loaded.size;
  }

  /**
   * Whether the rate of a line of `waiting` logins is measured under load: a run of
   * THROUGHPUT_MIN_COMPLETIONS completions, or as many paces of calls made under load (fewer for a
   * shorter line, whose ETAs are short anyway). One round of calls (one per permit) is not enough when a
   * storm arrives at a cold node: every call of its first rounds carries the time its answer
   * waited here to be read while the storm's requests were taken, and their paces said half the
   * upstream's rate (bench:storm, 1,000 clients: ETAs twice too long).
   */
  measured(waiting: number): boolean {
    const enough = Math.min(THROUGHPUT_MIN_COMPLETIONS, Math.max(1, waiting));
    return this.#run.length >= enough || this.#loaded.size >= enough;
  }

  /**
   * Notes a completed call: its latency, the calls in flight from this node when it started
   * (itself included), whether it started under load, and whether logins wait now (its permit
   * goes straight back to work, so the run goes on; otherwise the run ends here).
   */
  record(call: { now: number; latency: number; inFlight: number; loaded: boolean; waiting: boolean }): void {
    (call.loaded ? this.#loaded : this.#unloaded).add(call.latency / call.inFlight);
    if (!call.waiting) {
      this.#run.length = 0;
      this.#runStartedAt = undefined;
      return;
    }
    this.#runStartedAt ??= call.now;
    this.#run.push(call.now);
    while ((this.#run[0] as number) < call.now - THROUGHPUT_WINDOW_MS) this.#run.shift();
  }

  /**
   * The two rates a second: the run's throughput (0 while no fresh run is measured) and the pace's
   * (a guess before any call).
   */
  rates(now: number, limit: number): { throughput: number; paced: number } {
    const first = this.#run[0];
    const last = this.#run.at(-1);
    // A run that stopped completing (the upstream hung) says nothing of its rate now.
    const fresh = last !== undefined && now - last < THROUGHPUT_STALE_MS;
    let throughput = 0;
    if (fresh && first !== undefined && this.#run.length >= THROUGHPUT_MIN_COMPLETIONS && last > first) {
      // Completed after the first over the time since it: answers read here in a bunch share one
      // timestamp, and counting the first bunch's others would overstate the rate.
      let atFirst = 1;
      while (this.#run[atFirst] === first) atFirst++;
      throughput = ((this.#run.length - atFirst) * 1000) / (last - first);
    }
    // Until a call has completed, a guess: 100 ms a call at the limit.
    const pace = this.#loaded.value ?? this.#unloaded.value ?? 100 / Math.max(1, limit);
    return { throughput, paced: 1000 / Math.max(0.01, pace) };
  }

  /**
   * Seconds until this place in line is served (unrounded). When the run drains slower than the
   * pace says (this node busy taking a storm), the line is drained at the run's throughput for as
   * long again as the run has lasted, and at the pace after it (see the module's header);
   * otherwise at the higher of the two.
   */
  etaSeconds(position: number, now: number, limit: number): number {
    const ahead = position + 1;
    const { throughput, paced } = this.rates(now, limit);
    if (throughput === 0 || throughput >= paced) return ahead / Math.max(throughput, paced);
    const slowSeconds = this.#runStartedAt === undefined ? 0 : Math.max(0, now - this.#runStartedAt) / 1000;
    const drainedSlowly = throughput * slowSeconds;
    if (ahead <= drainedSlowly) return ahead / throughput;
    return slowSeconds + (ahead - drainedSlowly) / paced;
  }
}
