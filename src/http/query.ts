import { LifelineError } from '../errors/index.ts';

/** A time in a query: epoch milliseconds or an ISO 8601 string. */
export function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  // Beyond ±8.64e15 ms no Date exists, and PostgreSQL's bigint overflows (a 500 before).
  if (!Number.isFinite(n) || Math.abs(n) > 8.64e15)
    throw new LifelineError('VALIDATION_FAILED', `${field} is neither epoch ms nor an ISO time`);
  return n;
}

/** A `limit` from a query: the default when absent, never above the route's ceiling. */
export const int = (v: string | undefined, fallback: number, max: number): number =>
  v === undefined ? fallback : Math.min(Number(v), max);
