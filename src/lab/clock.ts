/**
 * The lab's sense of time. Faults that wait (latency, capacity) sleep on this clock, so a test
 * or a drill on a compressed timeline can move time itself instead of waiting on the wall clock.
 */
export interface LabClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Wall-clock time: what benches and drills at real pace use. */
export const realClock: LabClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

interface Sleeper {
  at: number;
  resolve: () => void;
}

/**
 * A clock that stands still until `advance` moves it. Sleepers wake in time order as it passes
 * them; `sleeping()` lets a test see what a fault asked to wait for before any time passes.
 */
export class VirtualClock implements LabClock {
  #now: number;
  #sleepers: Sleeper[] = [];
  #waiters: { count: number; resolve: () => void }[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#sleepers.push({ at: this.#now + Math.max(0, ms), resolve });
      this.#sleepers.sort((a, b) => a.at - b.at);
      this.#waiters = this.#waiters.filter((w) => {
        if (this.#sleepers.length < w.count) return true;
        w.resolve();
        return false;
      });
    });
  }

  /** How long each current sleeper has left, soonest first. */
  sleeping(): number[] {
    return this.#sleepers.map((s) => s.at - this.#now);
  }

  /** Resolves once at least `count` sleepers are waiting: the event a test synchronises on. */
  untilSleeping(count: number): Promise<void> {
    if (this.#sleepers.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  /** Moves time forward, waking every sleeper whose time has come. */
  advance(ms: number): void {
    this.#now += ms;
    const due = this.#sleepers.filter((s) => s.at <= this.#now);
    this.#sleepers = this.#sleepers.filter((s) => s.at > this.#now);
    for (const s of due) s.resolve();
  }
}
