/**
 * The steps a pooled detector is suspicious about, summed per cell, so that when it fires the
 * localisation can ask which dimension values the excess sits in.
 *
 * Cells may be added while it runs (a live node meets a new region, shard or client version):
 * `cells` is then the caller's growing list, and a tally longer than the window grows it; a cell
 * absent from older steps counts 0 there.
 */
import type { CellDims, LoginTally } from './tally.ts';

function grown(a: Float64Array, length: number): Float64Array {
  if (a.length >= length) return a;
  const b = new Float64Array(length);
  b.set(a);
  return b;
}

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
    this.attempts = new Float64Array(this.cells.length);
    this.failures.clear();
  }

  add(t: LoginTally): void {
    this.attempts = grown(this.attempts, Math.max(this.cells.length, t.attempts.length));
    const attempts = this.attempts;
    t.attempts.forEach((n, k) => {
      attempts[k] = (attempts[k] ?? 0) + n;
    });
    for (const [code, perCell] of t.failures) {
      const acc = grown(
        this.failures.get(code) ?? new Float64Array(0),
        Math.max(this.cells.length, perCell.length),
      );
      this.failures.set(code, acc);
      perCell.forEach((n, k) => {
        acc[k] = (acc[k] ?? 0) + n;
      });
    }
  }
}
