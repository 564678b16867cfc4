/**
 * The steps a pooled detector is suspicious about, summed per cell, so that when it fires the
 * localisation can ask which dimension values the excess sits in.
 */
import type { CellDims, LoginTally } from './tally.ts';

export class Window {
  readonly cells: readonly CellDims[];
  attempts: Float64Array;
  /** Failures per code, per cell. */
  failures = new Map<string, Float64Array>();

  constructor(cells: readonly CellDims[]) {
    this.cells = cells;
    this.attempts = new Float64Array(cells.length);
  }

  reset(): void {
    this.attempts.fill(0);
    this.failures.clear();
  }

  add(t: LoginTally): void {
    t.attempts.forEach((n, k) => {
      this.attempts[k] = (this.attempts[k] ?? 0) + n;
    });
    for (const [code, perCell] of t.failures) {
      let into = this.failures.get(code);
      if (!into) {
        into = new Float64Array(this.cells.length);
        this.failures.set(code, into);
      }
      const acc = into;
      perCell.forEach((n, k) => {
        acc[k] = (acc[k] ?? 0) + n;
      });
    }
  }
}
