/**
 * Fails the live-state calls Redis leaves unanswered, with one timer for all of them instead of
 * node-redis's per-command timeout: that one costs an `AbortSignal.timeout` (a timer and a
 * DOMException) for every command, ~5% of a PostgreSQL + Redis node's main thread in
 * bench:cluster's logins, whose replies then wait behind it.
 *
 * A call fails once it has waited `ms` and, for `ms` as well, Redis has answered nothing: no
 * watched call settled and a PING went unanswered. A long call behind others that are being
 * answered (a 100,000-session wave ends in 1,000 script calls) is slow, not stuck, and is left
 * alone; a Redis that stops answering without closing the connection fails every call that waits
 * on it within about twice `ms`. Wall-clock time on purpose: this is about a socket, not about
 * Lifeline's (possibly virtual) clock.
 *
 * The verdict waits for the event loop's next I/O phase (setImmediate): after the main thread
 * was busy for longer than `ms` (an 18,000-socket kick), the timer fires before the replies that
 * arrived meanwhile are read, and judging then failed a Redis that had answered.
 */
interface Call {
  since: number;
  reject: (err: unknown) => void;
}

export class Deadline {
  readonly #ms: number;
  readonly #ping: () => Promise<unknown>;
  readonly #calls = new Set<Call>();
  #timer: NodeJS.Timeout | undefined;
  /** The PING sent once a call was overdue: when, and whether Redis has answered it. */
  #probe: { since: number; answered: boolean } | undefined;
  /** When Redis last answered anything watched here (a call settled, or the PING). */
  #lastAnswer = performance.now();
  #judging = false;

  constructor(ms: number, ping: () => Promise<unknown>) {
    this.#ms = ms;
    this.#ping = ping;
  }

  /** `work`, failed if Redis stops answering while it waits. */
  run<T>(work: Promise<T>): Promise<T> {
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    const call: Call = { since: performance.now(), reject };
    this.#calls.add(call);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#sweep(), Math.max(25, this.#ms / 4));
      this.#timer.unref();
    }
    work.then(resolve, reject).finally(() => {
      this.#calls.delete(call);
      this.#lastAnswer = performance.now();
    });
    return promise;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#probe = undefined;
  }

  #sweep(): void {
    const now = performance.now();
    const overdue = [...this.#calls].filter((c) => now - c.since >= this.#ms);
    if (overdue.length === 0 || now - this.#lastAnswer < this.#ms) {
      this.#probe = undefined;
      if (this.#calls.size === 0) this.stop();
      return;
    }
    const probe = this.#probe;
    if (probe === undefined || probe.answered) {
      const next = { since: now, answered: false };
      this.#probe = next;
      this.#ping().then(
        () => {
          next.answered = true;
          this.#lastAnswer = performance.now();
        },
        () => {},
      );
      return;
    }
    if (now - probe.since < this.#ms || this.#judging) return;
    this.#judging = true;
    setImmediate(() => {
      this.#judging = false;
      this.#judge(probe, overdue);
    });
  }

  /** After the replies that were waiting have been read: fails the overdue calls if still silent. */
  #judge(probe: { since: number; answered: boolean }, overdue: readonly Call[]): void {
    if (probe.answered || this.#probe !== probe || performance.now() - this.#lastAnswer < this.#ms) return;
    this.#probe = undefined;
    const err = new Error(`Redis answered nothing, not even a PING, within ${this.#ms} ms`);
    for (const c of overdue) {
      if (!this.#calls.delete(c)) continue;
      c.reject(err);
    }
  }
}
