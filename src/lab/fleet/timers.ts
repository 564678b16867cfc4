/**
 * Every wait of the fleet's players goes through here: a one-shot timer per wait (none that
 * spins), each cancelled by its player's abort signal, and all of them by `clear()` when the
 * fleet stops, so a stopped fleet leaves nothing scheduled behind.
 *
 * Waits that end together wake a few at a time, WAKES_PER_TURN per turn of the event loop, with
 * the network read in between: Node runs every expired timer before it reads a socket again. And
 * the waits of players already in the game (a queued login's Retry-After, a backoff) wake before
 * arrivals. One process cannot be 5,000 devices: when a storm's players arrive together, starting
 * their logins (~0.5 ms each) takes the fleet seconds of CPU, and what it measures is the times
 * of the players already waiting. Timed in one go behind the arrivals (before this, the fleet
 * spent 1.2 s at once starting logins), those players' answers were read seconds late, and the
 * login-storm drill's first-ETA error measured the fleet's backlog as much as Lifeline's ETAs (in
 * five runs timed on both sides, p90 18–66% in the fleet against 13–33% on Lifeline's side).
 */
const WAKES_PER_TURN = 32;

interface Wake {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** `arrival`: a player's first step into the game, woken after every other due wait. */
export type WaitKind = 'wait' | 'arrival';

export class Timers {
  readonly #pending = new Map<ReturnType<typeof setTimeout>, () => void>();
  /** Waits whose time has come, to be woken a turn at a time: players' waits first. */
  readonly #due: Record<WaitKind, Wake[]> = { wait: [], arrival: [] };
  #waking: ReturnType<typeof setImmediate> | undefined;
  #cleared = false;

  /** Resolves after `ms`; rejects at once if `signal` is (or becomes) aborted, or the fleet stops. */
  sleep(ms: number, signal?: AbortSignal, kind: WaitKind = 'wait'): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#cleared || signal?.aborted) {
        reject(new Error('stopped'));
        return;
      }
      const onAbort = () => {
        clearTimeout(handle);
        this.#pending.delete(handle);
        reject(new Error('stopped'));
      };
      const handle = setTimeout(
        () => {
          this.#pending.delete(handle);
          signal?.removeEventListener('abort', onAbort);
          this.#due[kind].push({ resolve, reject });
          this.#waking ??= setImmediate(() => this.#wakeSome());
        },
        Math.max(0, ms),
      );
      this.#pending.set(handle, onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * For a client's own waits (the SDK's backoff, Retry-After, reconnect): resolves after `ms`, and
   * never settles once `signal` is aborted or the fleet stops, so a retired client's retry loop
   * simply ends (some of its waits have no rejection handler, which a rejection would crash).
   */
  pause(ms: number, signal?: AbortSignal): Promise<void> {
    return this.sleep(ms, signal).catch(() => new Promise<void>(() => {}));
  }

  get size(): number {
    return this.#pending.size + this.#due.wait.length + this.#due.arrival.length;
  }

  /** Cancels every wait (each rejects) and refuses new ones. */
  clear(): void {
    this.#cleared = true;
    for (const cancel of [...this.#pending.values()]) cancel();
    clearImmediate(this.#waking);
    for (const w of [...this.#due.wait.splice(0), ...this.#due.arrival.splice(0)])
      w.reject(new Error('stopped'));
  }

  /** Wakes the next WAKES_PER_TURN due waits; the rest wait for the next turn, after the network. */
  #wakeSome(): void {
    this.#waking = undefined;
    const { wait, arrival } = this.#due;
    const woken = wait.splice(0, WAKES_PER_TURN);
    woken.push(...arrival.splice(0, WAKES_PER_TURN - woken.length));
    for (const w of woken) w.resolve();
    if (wait.length + arrival.length > 0) this.#waking = setImmediate(() => this.#wakeSome());
  }
}
