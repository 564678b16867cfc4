/**
 * Where the excess failures sit: Adtributor's search (Bhagwan et al., NSDI 2014) over each
 * dimension of the cells (region, shard, client version, …) and over error codes. For every
 * value it compares the share of failures the baseline expects there with the share observed,
 * keeps the most surprising values (Jensen-Shannon) until they explain most of the excess, and
 * ranks dimensions by that surprise. A fault spread evenly over every shard surprises no
 * location dimension, and then only its code stands out.
 */
import type { Explanation } from './signal.ts';
import type { Window } from './window.ts';

/** Values kept must together explain this share of the excess… */
const EXPLAINS = 0.67;
/** …each at least this share… */
const EACH = 0.1;
/** A dimension stands out only when its whole distribution differs beyond chance at this z (p ≈ 0.001). */
const Z = 3.09;

/** The chi-square quantile for `df` degrees of freedom at z (Wilson-Hilferty). */
function chiSquare(df: number, z: number): number {
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** One value's part of the Jensen-Shannon divergence between expected `p` and observed `q` shares. */
function surprise(p: number, q: number): number {
  const m = (p + q) / 2;
  const term = (x: number) => (x > 0 ? x * Math.log(x / m) : 0);
  return (term(p) + term(q)) / 2;
}

interface Tallies {
  /** Expected and actual failures per value. */
  expected: Map<string, number>;
  actual: Map<string, number>;
}

function add(into: Map<string, number>, key: string, n: number): void {
  into.set(key, (into.get(key) ?? 0) + n);
}

/** Expected and actual failures by value of a location dimension. */
function byDimension(w: Window, dimension: string, p0: number): Tallies {
  const t: Tallies = { expected: new Map(), actual: new Map() };
  w.cells.forEach((dims, k) => {
    const value = dims[dimension] ?? '';
    add(t.expected, value, (w.attempts[k] ?? 0) * p0);
    for (const perCell of w.failures.values()) add(t.actual, value, perCell[k] ?? 0);
  });
  return t;
}

/** Expected and actual failures by error code, the baseline's code mix giving the expectation. */
function byCode(w: Window, p0: number, baselineCodes: ReadonlyMap<string, number>): Tallies {
  const t: Tallies = { expected: new Map(), actual: new Map() };
  let attempts = 0;
  for (const n of w.attempts) attempts += n;
  const total = [...baselineCodes.values()].reduce((a, b) => a + b, 0);
  for (const [code, perCell] of w.failures) {
    add(
      t.actual,
      code,
      perCell.reduce((a, b) => a + b, 0),
    );
    // A code the baseline never saw is expected a tiny share, not none (its surprise stays finite).
    add(
      t.expected,
      code,
      attempts * p0 * Math.max(1e-6, total > 0 ? (baselineCodes.get(code) ?? 0) / total : 0),
    );
  }
  return t;
}

function explain(dimension: string, t: Tallies): Explanation | undefined {
  const sumOf = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const F = sumOf(t.expected);
  const A = sumOf(t.actual);
  if (A - F <= 0 || F <= 0) return undefined;
  const values = [...t.actual.keys()].map((v) => {
    const f = t.expected.get(v) ?? 0;
    const a = t.actual.get(v) ?? 0;
    return { v, ep: (a - f) / (A - F), s: surprise(f / F, a / A) };
  });
  // G-test: 2·A·KL(q‖p) ≈ 8·A·JS is chi-square with (values − 1) degrees of freedom under the
  // baseline. A few dozen failures spread by chance must not name a region.
  const whole = values.reduce((a, x) => a + x.s, 0);
  if (values.length < 2 || 8 * A * whole < chiSquare(values.length - 1, Z)) return undefined;
  values.sort((x, y) => y.s - x.s);
  const chosen: typeof values = [];
  let share = 0;
  for (const x of values) {
    if (share >= EXPLAINS) break;
    if (x.ep < EACH) continue;
    chosen.push(x);
    share += x.ep;
  }
  const total = chosen.reduce((a, x) => a + x.s, 0);
  // Every value of the dimension "explains" it: that is no place at all.
  if (share < EXPLAINS || chosen.length === values.length) return undefined;
  return { dimension, values: chosen.map((x) => x.v), share: Math.min(1, share), surprise: total };
}

/** The dimensions (and the code) that explain the window's excess failures, most telling first. */
export function localise(w: Window, p0: number, baselineCodes: ReadonlyMap<string, number>): Explanation[] {
  const dimensions = Object.keys(w.cells[0] ?? {});
  const found = dimensions.map((d) => explain(d, byDimension(w, d, p0)));
  found.push(explain('code', byCode(w, p0, baselineCodes)));
  // Ranked by surprise per value named: four shards of one region explain less succinctly than
  // the region (Adtributor's succinctness), one shard more than its region.
  const rank = (e: Explanation) => e.surprise / e.values.length;
  return found.filter((e): e is Explanation => e !== undefined).sort((a, b) => rank(b) - rank(a));
}
