/**
 * What bench:storm makes of one case: the clients' records (when each was in, the first ETA it
 * was told) and the lab identity upstream's stats, turned into the figures it prints.
 */
import { signedEtaErrors } from '../../src/lab/drill/index.ts';
import type { FirstLogin, LabStatsSnapshot } from '../../src/lab/index.ts';

export interface ClientRecord {
  startedAt: number;
  inAt: number | null;
  firstEta: number | null;
  firstEtaAt: number | null;
  attempts: number;
}

export interface ClientsReport {
  t0: number;
  records: ClientRecord[];
}

/**
 * The clients' records as the fleet's first logins, so that the bench and the login-storm drill
 * judge ETAs by one definition (src/lab/drill/storm.ts); times are ms from the clients' start.
 */
export function firstLogins(report: ClientsReport): FirstLogin[] {
  const since = (t: number | null) => (t === null ? null : t - report.t0);
  return report.records.map((r) => ({
    startedAt: r.startedAt - report.t0,
    etaSeconds: r.firstEta,
    quotedAt: since(r.firstEtaAt),
    inAt: since(r.inAt),
  }));
}

/** Each queued client's first ETA against the wait that followed: negative when told too soon. */
export function etaErrors(report: ClientsReport): { wait: number; error: number; quotedAt: number }[] {
  return signedEtaErrors(firstLogins(report), 1000).map((e) => ({ ...e, quotedAt: e.quotedAt / 1000 }));
}

/** The p-th percentile of a sorted list, in % with one decimal; null when empty. */
export function pct(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round((sorted[Math.floor((sorted.length - 1) * p)] as number) * 1000) / 10;
}

/** Admissions per second from the clients' start. */
export function goodput(report: ClientsReport): number[] {
  const per: number[] = [];
  for (const r of report.records) {
    if (r.inAt === null) continue;
    const s = Math.floor((r.inAt - report.t0) / 1000);
    per[s] = (per[s] ?? 0) + 1;
  }
  return Array.from(per, (g) => g ?? 0);
}

/**
 * The upstream during the storm only: `before` is its stats when the storm began (after any
 * trickle), `after` when the clients were done; per-second answers from the second the storm began.
 */
export function upstreamDuring(before: LabStatsSnapshot, after: LabStatsSnapshot, t0: number) {
  const seconds = after.seconds.filter((s) => s.at >= Math.floor(t0 / 1000) * 1000);
  const full = seconds.slice(0, -1).map((s) => s.answered);
  return {
    calls: after.slots.calls - before.slots.calls,
    idleCalls: after.slots.idleCalls - before.slots.idleCalls,
    idleMs: after.slots.idleMs - before.slots.idleMs,
    lateMs: after.slots.lateMs - before.slots.lateMs,
    peakInFlight: Math.max(0, ...seconds.map((s) => s.peakInFlight)),
    peakBusy: after.slots.peakBusy,
    abandoned: after.abandoned - before.abandoned,
    answersPerSecond: seconds.map((s) => s.answered),
    /** The most it answered in one whole second of the storm: the capacity it showed. */
    bestSecond: full.length === 0 ? null : Math.max(...full),
    lastAnswerSeconds: after.lastAnswerAt === null ? null : Math.round((after.lastAnswerAt - t0) / 100) / 10,
  };
}

/** BENCH_TRACE's lines: first-ETA error by how long clients then waited, and a sample of quotes. */
export function traceEtas(label: string, report: ClientsReport): void {
  const signed = etaErrors(report);
  for (const [lo, hi] of [
    [0, 5],
    [5, 15],
    [15, 40],
    [40, Number.POSITIVE_INFINITY],
  ] as const) {
    const xs = signed
      .filter((x) => x.wait >= lo && x.wait < hi)
      .map((x) => x.error)
      .sort((a, b) => a - b);
    if (xs.length === 0) continue;
    console.error(
      `[${label}] waited ${lo}–${hi} s: ${xs.length} clients, signed ETA error p10 ${pct(xs, 0.1)}%, median ${pct(xs, 0.5)}%, p90 ${pct(xs, 0.9)}% (negative: told too soon)`,
    );
  }
  const quoted = [...signed].sort((a, b) => a.quotedAt - b.quotedAt);
  for (let i = 0; i < quoted.length; i += Math.max(1, Math.floor(quoted.length / 10))) {
    const q = quoted[i] as (typeof quoted)[number];
    const eta = Math.round((q.error * Math.max(1, q.wait) + q.wait) * 10) / 10;
    console.error(
      `[${label}] quoted at ${q.quotedAt.toFixed(1)} s: eta ${eta} s, in after ${q.wait.toFixed(1)} s`,
    );
  }
}
