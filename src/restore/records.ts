/** A paced restore's records: what it brings back, how fast, and when it pauses. */
import { LifelineError } from '../errors/index.ts';

/** What a restore brings back: a command's disruptions, or a time window and selector. */
export interface RestoreSource {
  commandId?: string;
  from?: number;
  to?: number;
  selector?: { region?: string; shard?: string; zone?: string };
}

export type Pacing =
  | { mode: 'fixed'; batchSize: number; intervalMs: number }
  | { mode: 'adaptive'; maxRate: number };

/** The bounds the admin API's schema sets on a pacing, checked again for callers that skip it. */
export const pacingBounds = {
  batchSize: { min: 1, max: 100_000 },
  intervalMs: { min: 10, max: 3_600_000 },
  maxRate: { max: 1_000_000 },
} as const;

/** Throws `VALIDATION_FAILED` (naming the field) unless `p` is a pacing within its bounds. */
export function checkPacing(p: Pacing): void {
  const bad = (field: string, rule: string) =>
    new LifelineError('VALIDATION_FAILED', `pacing.${field} ${rule}`, {
      details: { field: `pacing.${field}` },
    });
  const whole = (v: unknown, b: { min: number; max: number }) =>
    Number.isInteger(v) && (v as number) >= b.min && (v as number) <= b.max;
  if (p.mode === 'fixed') {
    if (!whole(p.batchSize, pacingBounds.batchSize))
      throw bad('batchSize', 'must be a whole number from 1 to 100000');
    if (!whole(p.intervalMs, pacingBounds.intervalMs))
      throw bad('intervalMs', 'must be a whole number of ms from 10 to 3600000');
    return;
  }
  if (p.mode === 'adaptive') {
    if (!(Number.isFinite(p.maxRate) && p.maxRate > 0 && p.maxRate <= pacingBounds.maxRate.max))
      throw bad('maxRate', 'must be above 0 and at most 1000000');
    return;
  }
  throw bad('mode', 'must be fixed or adaptive');
}

/** Auto-pause limits; an absent one is not checked. */
export interface Thresholds {
  cpuPercent?: number;
  connections?: number;
  errorRate?: number;
  /** p99 of rejoins answered here, over the last tick. */
  p99LatencyMs?: number;
  eventLoopDelayMs?: number;
  /** p99 the health URL reports as `{"p99Ms"}` (the downstream's own latency). */
  downstreamP99Ms?: number;
  /** GET it each tick: anything but a 2xx within a second counts as unhealthy. */
  healthUrl?: string;
}

export const restoreStates = ['running', 'paused', 'cancelled', 'done'] as const;
export type RestoreState = (typeof restoreStates)[number];

/** A page of restores, newest first. */
export interface RestoreQuery {
  states?: readonly RestoreState[];
  /** Keyset cursor: only restores before this (createdAt, id). */
  after?: { at: number; id: string };
  limit: number;
}

export interface RestoreRecord {
  id: string;
  source: RestoreSource;
  pacing: Pacing;
  thresholds: Thresholds;
  state: RestoreState;
  requestedBy: string;
  createdAt: number;
  updatedAt: number;
  /** Disruption records the restore owns. */
  total: number;
  /** How many it has ticketed so far: the durable checkpoint a restarted run resumes from. */
  released: number;
  batches: number;
  /**
   * Why it stopped releasing, when it did: a threshold's pause (which lifts itself once healthy),
   * an operator's pause (which waits for an operator), or a cancellation.
   */
  pauseCode: PauseCode | null;
  /** What a person reads about it (`threshold: cpuPercent 93 > 80`, `operator alice: …`, a cancel's reason). */
  pauseNote: string | null;
}

export type PauseCode = 'threshold' | 'operator' | 'cancelled';

export interface RestoreCounts {
  pending: number;
  ticketed: number;
  restored: number;
  expired: number;
  refused: number;
}
