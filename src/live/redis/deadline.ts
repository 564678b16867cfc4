/**
 * Fails the live-state calls Redis leaves unanswered, with one timer for all of them instead of
 * node-redis's per-command timeout: that one costs an `AbortSignal.timeout` (a timer and a
 * DOMException) for every command, ~5% of a PostgreSQL + Redis node's main thread in
 * bench:cluster's logins, whose replies then wait behind it.
 *
 * A call fails once it has waited `ms` and Redis has not answered a PING for `ms` either. A long
 * call that is making progress (a 100,000-session wave ends in 1,000 script calls) is slow, not
 * stuck, and is left alone; a Redis that stops answering without closing the connection fails
 * every call that waits on it within about twice `ms`. Wall-clock time on purpose: this is about
 * a socket, not about Lifeline's (possibly virtual) clock.
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
    work.then(resolve, reject).finally(() => this.#calls.delete(call));
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
    if (overdue.length === 0) {
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
        },
        () => {},
      );
      return;
    }
    if (now - probe.since < this.#ms) return;
    this.#probe = undefined;
    const err = new Error(`Redis answered nothing, not even a PING, within ${this.#ms} ms`);
    for (const c of overdue) {
      this.#calls.delete(c);
      c.reject(err);
    }
  }
}
