/**
 * What an upstream measured, never what it was told to do: a drill's report says "identity
 * answered 503 to 412 requests", counted here as the answers went out.
 */
import { EventEmitter } from 'node:events';
import type { LabClock } from './clock.ts';

/** One clock second of an upstream's life. */
export interface LabSecond {
  /** Start of the second, on the upstream's clock (ms). */
  at: number;
  requests: number;
  answered: number;
  /** Answers by HTTP status, e.g. `{"200": 12, "503": 3}`. */
  byStatus: Record<string, number>;
  /** Connections destroyed by `down` (destroy mode), sockets reset, requests held by `timeout`. */
  refused: number;
  reset: number;
  held: number;
  peakInFlight: number;
  /** p99 of the answers' latency (arrival to answer) in this second, ms; 0 with no answers. */
  p99Ms: number;
}

export interface LabStatsSnapshot {
  requests: number;
  answered: number;
  byStatus: Record<string, number>;
  refused: number;
  reset: number;
  held: number;
  /** Requests whose client left before the answer went out. */
  abandoned: number;
  inFlight: number;
  peakInFlight: number;
  /** Requests waiting for a capacity slot now. */
  queued: number;
  seconds: LabSecond[];
}

type Event = 'request' | 'answer' | 'refused' | 'reset' | 'held' | 'queued' | 'abandoned';
const keepSeconds = 600;

/** Counters plus a per-second history; emits an event for each change so tests can wait on it. */
export class LabStats extends EventEmitter {
  readonly #clock: LabClock;
  #total = blank(0);
  #abandoned = 0;
  #inFlight = 0;
  #queued = 0;
  #seconds: (LabSecond & { latencies: number[] })[] = [];

  constructor(clock: LabClock) {
    super();
    this.#clock = clock;
  }

  /** A request reached the upstream; returns its arrival time for the latency. */
  arrive(): number {
    this.#inFlight++;
    this.#bump((s) => {
      s.requests++;
      s.peakInFlight = Math.max(s.peakInFlight, this.#inFlight);
    });
    this.#emit('request');
    return this.#clock.now();
  }

  /** A request left the upstream: answered with `status`, or ended otherwise (`status` undefined). */
  leave(arrivedAt: number, status: number | undefined): void {
    this.#inFlight--;
    if (status !== undefined)
      this.#bump((s) => {
        s.answered++;
        s.byStatus[status] = (s.byStatus[status] ?? 0) + 1;
        if ('latencies' in s) (s.latencies as number[]).push(this.#clock.now() - arrivedAt);
      });
    this.#emit('answer');
  }

  count(what: 'refused' | 'reset' | 'held'): void {
    this.#bump((s) => {
      s[what]++;
    });
    this.#emit(what);
  }

  abandon(): void {
    this.#abandoned++;
    this.#emit('abandoned');
  }

  /** Requests waiting on a capacity slot: +1 as one starts waiting, -1 as it gets its slot. */
  queue(delta: 1 | -1): void {
    this.#queued += delta;
    this.#emit('queued');
  }

  snapshot(): LabStatsSnapshot {
    const { at: _, p99Ms: __, ...total } = this.#total;
    return {
      ...total,
      byStatus: { ...total.byStatus },
      abandoned: this.#abandoned,
      inFlight: this.#inFlight,
      queued: this.#queued,
      seconds: this.#seconds.map(({ latencies, ...s }) => ({
        ...s,
        byStatus: { ...s.byStatus },
        p99Ms: p99(latencies),
      })),
    };
  }

  /** Resolves with the first snapshot that satisfies `check`, looking after every change. */
  until(check: (s: LabStatsSnapshot) => boolean): Promise<LabStatsSnapshot> {
    return untilChange(this, () => this.snapshot(), check);
  }

  #bump(change: (s: LabSecond) => void): void {
    change(this.#total);
    change(this.#second());
  }

  #second(): LabSecond & { latencies: number[] } {
    const at = Math.floor(this.#clock.now() / 1000) * 1000;
    const last = this.#seconds.at(-1);
    if (last?.at === at) return last;
    const next = { ...blank(at), latencies: [] as number[] };
    this.#seconds.push(next);
    if (this.#seconds.length > keepSeconds) this.#seconds.shift();
    return next;
  }

  #emit(event: Event): void {
    this.emit(event);
    this.emit('change', event);
  }
}

/**
 * The first `snapshot()` that satisfies `check`, looked at now and after each `change` event of
 * `emitter`: what a test or a drill waits on instead of polling.
 */
export function untilChange<S>(
  emitter: EventEmitter,
  snapshot: () => S,
  check: (s: S) => boolean,
): Promise<S> {
  return new Promise((resolve) => {
    const look = () => {
      const s = snapshot();
      if (!check(s)) return;
      emitter.off('change', look);
      resolve(s);
    };
    emitter.on('change', look);
    look();
  });
}

function blank(at: number): LabSecond {
  return {
    at,
    requests: 0,
    answered: 0,
    byStatus: {},
    refused: 0,
    reset: 0,
    held: 0,
    peakInFlight: 0,
    p99Ms: 0,
  };
}

function p99(xs: number[]): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] as number;
}
