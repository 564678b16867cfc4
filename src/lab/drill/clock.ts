/**
 * The drill's scaled clock: scenario seconds run `timeScale` times faster than the wall clock,
 * from `t0` (wall ms) when the fleet was told to start. Everything on the timeline, and every
 * figure in the result, is placed on this clock.
 */
export interface DrillClock {
  readonly t0: number;
  readonly timeScale: number;
  /** Scenario seconds since t0 (fractional). */
  now(): number;
  /** The wall-clock ms at which scenario second `t` falls. */
  wallAt(t: number): number;
  /** The scenario second a wall-clock ms falls in (fractional). */
  at(wallMs: number): number;
}

export function drillClock(timeScale: number, t0 = Date.now()): DrillClock {
  return {
    t0,
    timeScale,
    now: () => (Date.now() - t0) * (timeScale / 1000),
    wallAt: (t) => t0 + (t * 1000) / timeScale,
    at: (wallMs) => (wallMs - t0) * (timeScale / 1000),
  };
}

/** Resolves at scenario second `t`, or at once when `signal` aborts (then `aborted` is true). */
export function untilScenarioSecond(clock: DrillClock, t: number, signal: AbortSignal): Promise<void> {
  const wait = clock.wallAt(t) - Date.now();
  if (wait <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, wait);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
