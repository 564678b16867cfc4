/**
 * What a node opened, to be closed in reverse. Each step of start-up that opens something (a
 * store connection, a timer, a listener) registers how to close it the moment it is open; a
 * later step that throws then closes exactly what was opened before it, newest first, and the
 * error still reaches the caller. Without this, a node that failed half-way through start kept
 * its store and live-state connections (and presence's timer) and so its process alive.
 */
export class Lifecycle {
  readonly #steps: { name: string; close: () => unknown }[] = [];
  #closing: Promise<void> | undefined;

  /** Registers how to close something just opened; closed before anything registered earlier. */
  onClose(name: string, close: () => unknown): void {
    this.#steps.push({ name, close });
  }

  /** The names of what is open, oldest first: for tests and logs. */
  get open(): readonly string[] {
    return this.#steps.map((s) => s.name);
  }

  /**
   * Closes everything, newest first, each step awaited before the next. A step that fails does
   * not keep the ones after it from closing; the first failure is thrown once all have run.
   * Closing twice closes once.
   */
  close(): Promise<void> {
    this.#closing ??= this.#closeAll();
    return this.#closing;
  }

  async #closeAll(): Promise<void> {
    const failures: unknown[] = [];
    for (let step = this.#steps.pop(); step !== undefined; step = this.#steps.pop()) {
      try {
        await step.close();
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length > 0) throw failures[0];
  }

  /** Runs a start-up step; if it throws, closes what is open and rethrows. */
  async guard<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      await this.close().catch(() => {});
      throw err;
    }
  }
}
