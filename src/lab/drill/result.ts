/**
 * What a drill produces (issue 14, items 4-5): the contract between the drill runner, which
 * measures, and the report, which renders JSON, Markdown and an SVG chart from it. Every number
 * here is measured from the run (the fleet, the upstreams' stats, Lifeline's admin API), never
 * copied from the scenario; a figure that could not be measured is null, and its objective fails.
 */

/** One scenario second of the run. Counts are events within the second; gauges are at its end. */
export interface DrillSecond {
  t: number;
  /** Players the arrival curve wants online, and players holding a session with an open socket. */
  wanted: number;
  online: number;
  /** Login attempts by outcome: `ok`, `queued`, and failures by error code (or `NETWORK`). */
  logins: Record<string, number>;
  /** Token refreshes by outcome (`ok`, or the error code), as the fleet saw them (added by the drill runner). */
  refreshes?: Record<string, number>;
  /**
   * Per upstream, per wall-clock second (the upstream's capacity is a wall-clock rate): requests
   * that arrived (`requests`, the offered load; added by the drill runner), answered without failure (`served`), failed
   * (5xx, 429, reset or dropped), and its capacity a second while this second ran (null: unbounded).
   */
  upstreams: Record<
    string,
    { requests?: number; served: number; failed: number; capacityPerSecond: number | null }
  >;
  /** Control sockets closed by a kick (4001), and rejoins that got a session back. */
  kicked: number;
  rejoined: number;
  /** Signals raised (detection, issue 15); 0 until detection exists. */
  alerts: number;
}

/** Something that happened on the timeline, for the chart's annotations and the Markdown log. */
export interface DrillMark {
  t: number;
  until?: number;
  /**
   * The scenario second the step actually played at (fractional), at or after `t`: later on a
   * machine too busy to get to it in time. A fault is in force from here, and findings count so.
   */
  playedAt?: number;
  /** `fault`, `action`, `node`. */
  kind: string;
  label: string;
}

export interface ObjectiveResult {
  /** The scenario's objective key, e.g. `rtoSeconds`, `rpo.maxUnsettled`, `maxUpstreamLoadRatio.identity`. */
  name: string;
  target: number;
  /** Null when the run could not measure it (then it fails). */
  measured: number | null;
  passed: boolean;
  /** How it was measured, in a sentence (shown in the report). */
  detail: string;
}

/**
 * An incident Lifeline declared during the run, as its admin API gave it before the nodes
 * stopped (incidents.ts): times on the scenario clock, its impact against every disruption record
 * of the run, and the post-mortem it wrote (docs/DRILLS.md, "Incidents").
 */
export interface DrillIncident {
  id: string;
  title: string;
  severity: string;
  /** An operator's name, or `auto:breaker` / `auto:signal` when Lifeline declared it by itself. */
  declaredBy: string;
  status: string;
  /** Scenario seconds (null: not reached). `started` is Lifeline's onset (for a breaker trip, the first kick of the window that tripped it). */
  at: {
    started: number;
    detected: number;
    declared: number;
    mitigated: number | null;
    resolved: number | null;
  };
  /** Disruption records the incident claimed, and all the nodes wrote during the run. */
  records: number;
  recordsInDrill: number;
  playersAffected: number;
  byCause: Record<string, number>;
  /** Lifeline's RTO: `ms` as the post-mortem says it (wall clock), `seconds` on the scenario clock; `lastBackAt` in scenario seconds. */
  rto: { ms: number | null; seconds: number | null; lastBackAt: number | null; met: boolean | null };
  /**
   * The drill's side of the onset (scenario s): when the kick that started it sent its first
   * request, and when the first one Lifeline accepted was answered; Lifeline's onset falls
   * between. Null when no kick of the drill's came at or before the onset.
   */
  firstKick: { sent: number; answered: number | null } | null;
  /**
   * Where, by the drill's own measurements, an observer on Lifeline's side of the network must find
   * the RTO of this onset (scenario s): from the last player's request back (`Outage.backSentAt`)
   * less the first kick's answer, up to the drill's RTO for the onset (from sending the first kick
   * to the last player back). `within`: the post-mortem's RTO lies inside. Null without a first
   * kick; a bound is null when the run cannot give it (a player never back, no answer to the kick).
   * Absent in results from before it was measured.
   */
  rtoBounds?: { lower: number | null; upper: number | null; within: boolean | null; detail: string } | null;
  /** Lifeline's RPO: its records not in a final state (acknowledged writes lost are not measured by Lifeline). */
  rpo: { recordsNotFinal: number; met: boolean };
  /** Its timeline, on the scenario clock. */
  timeline: { t: number; kind: string; summary: string }[];
  /** Its public updates (announcement, updates, all clear), in order. */
  updates: { t: number; kind: string; status: string }[];
  /** The post-mortem Lifeline wrote, in Markdown. */
  postmortem: string;
}

export interface DrillResult {
  scenario: string;
  seed: string;
  /** False for an `--unprotected` run (admission off, no last-known-good, no breaker, naive clients). */
  protected: boolean;
  players: number;
  timeScale: number;
  durationSeconds: number;
  /** ISO time the run started, and how long it took on the wall clock. */
  startedAt: string;
  wallSeconds: number;
  machine: { cpus: number; model: string; node: string };
  series: DrillSecond[];
  marks: DrillMark[];
  objectives: ObjectiveResult[];
  /** Measured facts worth a line that are not objectives (e.g. sessions a gateway refreshing through identity would have lost). */
  findings: { name: string; value: number; detail: string }[];
  /** The incidents Lifeline declared during the run (null: its admin API could not be read; absent in results from before issue 16). */
  incidents?: DrillIncident[] | null;
  passed: boolean;
}
