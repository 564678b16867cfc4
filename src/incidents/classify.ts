/**
 * Severity from impact, as one pure function: the first level whose thresholds any figure reaches
 * (P0, then P1, then P2); P3 when no player is affected. Thresholds come from the `incidents`
 * config section (docs/CONFIGURATION.md), documented in docs/INCIDENTS.md.
 */
import type { IncidentSeverity } from './records.ts';

/** The figures a severity is judged on. */
export interface ImpactFigures {
  players: number;
  payingPlayers: number;
  regions: number;
}

/** A level is reached when any of its figures is reached. */
export interface LevelThresholds {
  players: number;
  payingPlayers: number;
  regions: number;
}

export interface ClassificationThresholds {
  P0: LevelThresholds;
  P1: LevelThresholds;
  P2: LevelThresholds;
}

const levels = ['P0', 'P1', 'P2'] as const;
const figures = ['players', 'payingPlayers', 'regions'] as const;

/** The severity and the rule that decided it, in words an operator reads back. */
export function classify(
  impact: ImpactFigures,
  t: ClassificationThresholds,
): { severity: IncidentSeverity; reason: string } {
  for (const level of levels) {
    for (const figure of figures) {
      if (impact[figure] >= t[level][figure]) {
        return { severity: level, reason: `${figure} ${impact[figure]} >= ${t[level][figure]} (${level})` };
      }
    }
  }
  return { severity: 'P3', reason: 'below every P2 threshold' };
}

/**
 * Why a set of thresholds cannot be used, or null: each figure must not get easier to reach as
 * the severity rises (a P0 threshold below the P1 one would make P1 unreachable by it).
 */
export function thresholdProblem(t: ClassificationThresholds): string | null {
  for (const figure of figures) {
    if (t.P0[figure] < t.P1[figure] || t.P1[figure] < t.P2[figure]) {
      return `incidents thresholds for ${figure} must satisfy P0 >= P1 >= P2`;
    }
  }
  return null;
}
