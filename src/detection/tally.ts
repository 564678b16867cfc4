/**
 * What detectors read: one time step of logins, counted per cell, where a cell is one
 * combination of dimension values (region, shard, client version, …). Counts live in typed
 * arrays indexed like `cells`, so a simulated week (60,480 ten-second steps over 90 cells) runs
 * in seconds and a live node keeps one small tally a step.
 */

/** One cell's dimension values, e.g. `{region: 'eu', shard: 'eu-3', clientVersion: '1.4'}`. */
export type CellDims = Readonly<Record<string, string>>;

export interface LoginTally {
  /** End of the step, ms on the detector's clock. */
  at: number;
  stepMs: number;
  /** Login attempts per cell. */
  attempts: Int32Array;
  /**
   * Failures the service is to blame for, per error code, per cell (a player's own mistake, such
   * as a refused credential, is not a failure of the service and is not counted here).
   */
  failures: ReadonlyMap<string, Int32Array>;
  /** Players online at the end of the step, all cells together. */
  online: number;
}

export function sum(values: Int32Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** Service failures of the step over every code and cell. */
export function totalFailures(t: LoginTally): number {
  let s = 0;
  for (const perCell of t.failures.values()) s += sum(perCell);
  return s;
}
