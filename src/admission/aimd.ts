/** The admission limit's AIMD arithmetic, shared by every live-state adapter (Redis mirrors it in Lua). */

/** The admission limit's bounds; the limit starts at `initialLimit`. */
export interface AimdBounds {
  initialLimit: number;
  minLimit: number;
  maxLimit: number;
}

export type PermitOutcome = 'fast' | 'slow' | 'failed' | 'unused';

/** The AIMD step every adapter applies (the Redis script mirrors it in Lua). */
export function nextLimit(limit: number, outcome: PermitOutcome, b: AimdBounds): number {
  switch (outcome) {
    case 'fast':
      return Math.min(b.maxLimit, limit + 1 / limit);
    case 'slow':
      return Math.max(b.minLimit, limit * 0.9);
    case 'failed':
      return Math.max(b.minLimit, limit / 2);
    case 'unused':
      return limit;
  }
}

/** The limit a deployment starts from. */
export function initialLimit(b: AimdBounds): number {
  return Math.min(b.maxLimit, Math.max(b.minLimit, b.initialLimit));
}
