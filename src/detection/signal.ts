/**
 * What a detector says when it sees trouble, in the words of DESIGN.md's Signal record: which
 * detector, how bad, since when, the evidence (the series and the threshold it crossed) and,
 * for pooled detectors, the dimension values that explain it.
 */

export type Severity = 'P1' | 'P2' | 'P3';

/** One dimension value and the share of the excess it explains (Adtributor's explanatory power). */
export interface Explanation {
  dimension: string;
  values: string[];
  /** Share of the excess failures (or missing players) these values account for, 0..1. */
  share: number;
  /** How unexpected the distribution over this dimension is (Jensen-Shannon surprise). */
  surprise: number;
}

export interface DetectorSignal {
  detector: string;
  severity: Severity;
  title: string;
  startedAt: number;
  /** When the evidence first moved (the onset the detector estimates), before it was sure. */
  onsetAt: number;
  resolvedAt: number | null;
  evidence: { statistic: number; threshold: number; observed: number; expected: number };
  /** Ranked, most surprising first; empty when nothing stands out. */
  localisation: Explanation[];
}
