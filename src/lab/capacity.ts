/**
 * A capacity limit, the way an overloaded backend behaves: a fixed number of slots, the rest
 * wait in line, and latency grows with the line. Used by the `capacity` fault and by the game
 * backend's own capacity.
 */
import type { LabClock } from './clock.ts';

export interface Capacity {
  /** Waits for a slot (and, with a service time, serves it); returns the release to call after answering. */
  enter(): Promise<() => void>;
  /** Requests waiting for a slot now. */
  readonly waiting: number;
}

/** Told +1 as a request starts waiting for a slot and -1 as it gets one (the stats' `queued`). */
export type OnWait = (delta: 1 | -1) => void;
const ignore: OnWait = () => {};

/**
 * Told how timed slots were used (the stats' `slots`): for each call, how long its slot had sat
 * idle before it arrived (0 when busy or never used) and how many slots are busy with it; for each
 * answer, how late its timer fired. A caller that keeps a slot idle between calls shows here.
 */
export interface SlotTrace {
  slotCall(idleMs: number, busy: number): void;
  slotLate(ms: number): void;
}

/**
 * Slots with a service time. Each slot keeps its own clock: a request starts when it arrives or
 * when its slot's previous request ends, whichever is later, and ends `serviceMs` after. A late
 * timer delays that one answer, not the slot's next request, so the capacity is exactly
 * slots × 1000 / serviceMs per second however busy the machine (as bench/restore's downstream).
 */
export class TimedSlots implements Capacity {
  readonly #clock: LabClock;
  readonly #serviceMs: number;
  readonly #freeAt: number[];
  readonly #onWait: OnWait;
  readonly #trace: SlotTrace | undefined;
  #waiting = 0;

  constructor(clock: LabClock, slots: number, serviceMs: number, onWait = ignore, trace?: SlotTrace) {
    this.#clock = clock;
    this.#onWait = onWait;
    this.#trace = trace;
    this.#serviceMs = serviceMs;
    this.#freeAt = Array.from({ length: slots }, () => Number.NEGATIVE_INFINITY);
  }

  get waiting(): number {
    return this.#waiting;
  }

  async enter(): Promise<() => void> {
    const now = this.#clock.now();
    let slot = 0;
    for (let i = 1; i < this.#freeAt.length; i++)
      if ((this.#freeAt[i] as number) < (this.#freeAt[slot] as number)) slot = i;
    const freeAt = this.#freeAt[slot] as number;
    const start = Math.max(now, freeAt);
    const end = start + this.#serviceMs;
    this.#freeAt[slot] = end;
    this.#trace?.slotCall(
      Number.isFinite(freeAt) && now > freeAt ? now - freeAt : 0,
      this.#freeAt.filter((t) => t > now).length,
    );
    const queued = start > now;
    if (queued) this.#wait(1);
    // Asleep for the line ahead and then its own service: one timer, not one per step.
    await this.#clock.sleep(end - now);
    this.#trace?.slotLate(Math.max(0, this.#clock.now() - end));
    if (queued) this.#wait(-1);
    return () => {};
  }

  #wait(delta: 1 | -1): void {
    this.#waiting += delta;
    this.#onWait(delta);
  }
}

/** Slots held until the answer is written, the rest FIFO: "at most N in flight". */
export class Semaphore implements Capacity {
  #free: number;
  readonly #line: (() => void)[] = [];
  readonly #onWait: OnWait;

  constructor(slots: number, onWait = ignore) {
    this.#free = slots;
    this.#onWait = onWait;
  }

  get waiting(): number {
    return this.#line.length;
  }

  async enter(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else {
      const turn = new Promise<void>((resolve) => this.#line.push(resolve));
      this.#onWait(1);
      await turn;
      this.#onWait(-1);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#line.shift();
      if (next) next();
      else this.#free++;
    };
  }
}

/** The capacity a `capacity` fault describes. */
export function capacityFor(
  clock: LabClock,
  f: { inFlight?: number; perSecond?: number; serviceMs?: number },
  onWait = ignore,
  trace?: SlotTrace,
): Capacity {
  if (f.perSecond !== undefined) return new TimedSlots(clock, 1, 1000 / f.perSecond, onWait, trace);
  const slots = f.inFlight ?? 1;
  return f.serviceMs !== undefined && f.serviceMs > 0
    ? new TimedSlots(clock, slots, f.serviceMs, onWait, trace)
    : new Semaphore(slots, onWait);
}
