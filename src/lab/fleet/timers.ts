/**
 * Every wait of the fleet's players goes through here: a one-shot timer per wait (none that
 * spins), each cancelled by its player's abort signal, and all of them by `clear()` when the
 * fleet stops, so a stopped fleet leaves nothing scheduled behind.
 */
export class Timers {
  readonly #pending = new Map<ReturnType<typeof setTimeout>, () => void>();
  #cleared = false;

  /** Resolves after `ms`; rejects at once if `signal` is (or becomes) aborted, or the fleet stops. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
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
          resolve();
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
    return this.#pending.size;
  }

  /** Cancels every wait (each rejects) and refuses new ones. */
  clear(): void {
    this.#cleared = true;
    for (const cancel of [...this.#pending.values()]) cancel();
  }
}
