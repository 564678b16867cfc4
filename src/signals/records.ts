/**
 * A signal: Lifeline saying "something is wrong", in DESIGN.md's words (Records: Signal). Raised
 * by an in-process detector (src/detection), by an intake (an Alertmanager or Sentry-style
 * webhook, player reports), or by a probe; stored, listed (`GET /admin/v1/signals`,
 * `lifeline signals`), emitted on the event stream (`signal.changed`), routed to people
 * (PagerDuty, Discord, Slack, webhooks) and linked to an incident once one is declared.
 *
 * This file is the contract the signal store, the detectors' wiring, intake and routing share.
 */
import type { Explanation, Severity } from '../detection/signal.ts';

export type { Explanation, Severity } from '../detection/signal.ts';

/** Where a signal came from. */
export const signalSources = [
  'detector',
  'alertmanager',
  'sentry',
  'player-reports',
  'probe',
  'audit',
] as const;
export type SignalSource = (typeof signalSources)[number];

export interface Signal {
  /** uuid7. */
  id: string;
  source: SignalSource;
  /** The detector or rule that raised it: `login-failures`, `players-online`, an Alertmanager alertname. */
  detector: string;
  severity: Severity;
  title: string;
  /**
   * What it is about, as dimension → value (`{region: 'eu'}`, `{dependency: 'identity'}`); the
   * identity of a signal for dedup is `detector` + `dimensions` (its `fingerprint`).
   */
  dimensions: Record<string, string>;
  fingerprint: string;
  /** ms. `onsetAt` is when the evidence first moved; `startedAt` when the signal was raised. */
  onsetAt: number;
  startedAt: number;
  resolvedAt: number | null;
  /** The series and the threshold crossed, as the detector saw them. */
  evidence: { statistic: number; threshold: number; observed: number; expected: number; series?: number[] };
  localisation: Explanation[];
  /** The incident it was linked to (issue 16); null until then. */
  incidentId: string | null;
}
