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
  passed: boolean;
}
