/**
 * Each objective of the scenario checked against what the run measured (docs/DRILLS.md says
 * exactly how). A figure the run could not measure is null, and its objective fails.
 */
import type { FleetSecond, FleetSummary, Outage } from '../fleet/types.ts';
import type { Scenario } from '../scenario/index.ts';
import type { KickTally } from './actions.ts';
import type { ObjectiveResult } from './result.ts';
import { secondLoad, type UpstreamSeries } from './series.ts';
import { allInRatio, firstEtaError } from './storm.ts';
import type { Detection } from './signals.ts';

export interface Measured {
  fleet: FleetSummary;
  fleetSeconds: readonly FleetSecond[];
  upstreams: readonly UpstreamSeries[];
  tally: KickTally;
  /** Disruption records not in a final state at the end (pending or ticketed); null if unreadable. */
  unsettled: number | null;
  /**
   * Wall-clock span of the run, `from` on a whole second: upstream seconds that start before it
   * (the players' history) or at or after `to` are left out of the peak.
   */
  wall: { from: number; to: number };
  /** Time to detect from the nodes' signals (signals.ts); absent when not measured. */
  detection?: Detection;
  /** Scenario second each kick action sent its first request, by the action's id (RTO's onsets). */
  kicksSent?: ReadonlyMap<string, number>;
}

function result(name: string, target: number, measured: number | null, detail: string): ObjectiveResult {
  return { name, target, measured, passed: measured !== null && measured <= target, detail };
}

/**
 * Scenario seconds at which something went wrong: faults, kicks, node events. A kick's onset is
 * when the drill sent its first request (`kicksSent`, by the action's id), the moment players
 * could start going out, as Lifeline dates an incident from its first kick; its `at` when none was sent.
 */
export function onsets(s: Scenario, kicksSent: ReadonlyMap<string, number> = new Map()): number[] {
  const at = [
    ...s.faults.map((f) => f.at),
    ...s.actions
      .filter((a) => a.do === 'kick' || a.do === 'runaway-kick')
      .map((a) => kicksSent.get(a.id) ?? a.at),
    ...(s.nodes.events ?? []).filter((e) => e.action === 'kill').map((e) => e.at),
  ];
  return [...new Set(at)].sort((a, b) => a - b);
}

/**
 * RTO: each outage belongs to the latest onset at or before it began; an onset's recovery time
 * is from the onset to the last of its players back. The worst onset is the measure; a player
 * never back makes it null. A player who left the game while still out (the curve wanted fewer
 * online) ended its outage by its own choice: it is not "never back", but it was out at least
 * until it left, so that time counts.
 */
export function recoveryTime(
  starts: readonly number[],
  outages: readonly Outage[],
): { rto: number | null; detail: string } {
  let worst = 0;
  let never = 0;
  let counted = 0;
  for (const o of outages) {
    const onset = onsetOf(starts, o);
    if (onset === undefined) continue;
    counted++;
    const end = o.backAt ?? o.leftAt ?? null;
    if (end === null) never++;
    else worst = Math.max(worst, end - onset);
  }
  if (never > 0)
    return { rto: null, detail: `${never} of ${counted} players out after an onset never came back` };
  return { rto: worst, detail: `from each onset to its last affected player back, over ${counted} outages` };
}

/** The onset an outage belongs to: the latest at or before it began (undefined: none). */
const onsetOf = (starts: readonly number[], o: Outage) => starts.filter((t) => t <= o.outAt).at(-1);

/**
 * Where an observer on Lifeline's side of the network must find the RTO of one onset, in scenario
 * seconds (null where the run cannot say). `upper` is the drill's recovery time for the onset: from
 * sending the first kick to the last of its players back. Lifeline saw that kick arrive no earlier
 * than it was sent and no later than its answer came (`kick.answered`), and each player's way back
 * (the request in `Outage.backSentAt`) no earlier than it was sent and no later than the player was
 * back, so whatever it dates the recovery by, it is at least `lower` = (latest `backSentAt`) −
 * (the kick's answer). The width is the first kick's round trip and the last player's.
 *
 * A player who left the game while out counts up to its `leftAt` in `upper`, as in the RTO, and
 * not in `lower`: it sent nothing that brought it back. Left out, an outage can only lower `lower`,
 * so the interval stays one Lifeline's figure must fall in. An outage with no `backSentAt` (a result
 * from before the fleet recorded it) is left out of `lower` the same way.
 */
export function recoveryBounds(
  starts: readonly number[],
  outages: readonly Outage[],
  kick: { sent: number; answered: number | null },
): RtoBounds {
  const mine = outages.filter((o) => onsetOf(starts, o) === kick.sent);
  const never = mine.filter((o) => o.backAt === null && o.leftAt === undefined).length;
  if (mine.length === 0 || never > 0) {
    const why = never > 0 ? `${never} of ${mine.length} players never came back` : 'no player went out';
    return { lower: null, upper: null, detail: `${why} after the onset at ${kick.sent}` };
  }
  const upper = Math.max(...mine.map((o) => (o.backAt ?? o.leftAt ?? kick.sent) - kick.sent));
  const sent = mine.flatMap((o) => (o.backAt !== null && o.backSentAt !== undefined ? [o.backSentAt] : []));
  const lower = sent.length === 0 || kick.answered === null ? null : Math.max(...sent) - kick.answered;
  const without = mine.length - sent.length;
  const detail = `over ${mine.length} outages${without > 0 ? `, ${without} of them left out of the lower bound (the player left while out, or no request was recorded)` : ''}`;
  return { lower, upper, detail };
}

/** recoveryBounds's answer: the interval, and what it was taken over. */
export interface RtoBounds {
  lower: number | null;
  upper: number | null;
  detail: string;
}

/**
 * Whether Lifeline's RTO (`seconds`, scenario s) is inside the bounds: null when either bound or
 * the figure is missing. A nanosecond's slack absorbs the floating point of placing the same
 * milliseconds on the scenario clock by two routes.
 */
export function withinBounds(b: Pick<RtoBounds, 'lower' | 'upper'>, seconds: number | null): boolean | null {
  if (b.lower === null || b.upper === null || seconds === null) return null;
  return b.lower - 1e-9 <= seconds && seconds <= b.upper + 1e-9;
}

/**
 * The load objective's window: 10 scenario seconds, at least one wall second (at ×1, 10 s; at ×40,
 * 1 s). Counted per wall second, an upstream kept at its capacity shows seconds over it whenever
 * this node reads answers late and sends the next calls together: at 5,000 players the
 * login-storm drill's identity served 246–250 a second and took 251–254 in its peak second, after
 * a second of fewer. That is admission's bound, not a storm: at most `admission.maxLimit` calls
 * wait there (15, 60 ms of its work), so the per-second count can pass the capacity by that and
 * no more, while a retry storm passes it second after second (1.88× and 2.06× unprotected).
 * Ten seconds is also how a studio's dashboards see an upstream: as a rate over a window.
 */
const LOAD_WINDOW_SCENARIO_SECONDS = 10;

export function loadWindowSeconds(timeScale: number): number {
  return Math.max(1, Math.round(LOAD_WINDOW_SCENARIO_SECONDS / timeScale));
}

/**
 * The most requests a second that arrived at the upstream over `windowSeconds` consecutive wall
 * seconds inside the run (a second with no request counts 0; a run shorter than the window is one
 * window).
 */
export function peakLoad(up: UpstreamSeries, wall: Measured['wall'], windowSeconds: number): number {
  const span = Math.max(1, Math.ceil((wall.to - wall.from) / 1000));
  const counts = new Array<number>(span).fill(0);
  for (const s of up.seconds) {
    if (s.at < wall.from || s.at >= wall.to) continue;
    const i = Math.floor((s.at - wall.from) / 1000);
    counts[i] = (counts[i] as number) + secondLoad(s).requests;
  }
  const w = Math.min(windowSeconds, span);
  let sum = 0;
  let peak = 0;
  for (let i = 0; i < span; i++) {
    sum += counts[i] as number;
    if (i >= w) sum -= counts[i - w] as number;
    if (i >= w - 1) peak = Math.max(peak, sum);
  }
  return peak / w;
}

function loadRatios(s: Scenario, m: Measured): ObjectiveResult[] {
  const window = loadWindowSeconds(s.timeScale);
  return Object.entries(s.objectives.maxUpstreamLoadRatio ?? {}).map(([target, ratio]) => {
    const up = m.upstreams.find((u) => u.target === target);
    if (!up?.capacityPerSecond)
      return result(
        `maxUpstreamLoadRatio.${target}`,
        ratio,
        null,
        `no ${target} capacity to measure against`,
      );
    const peak = peakLoad(up, m.wall, window);
    const over = window === 1 ? 'in a wall-clock second' : `a second over ${window} wall-clock seconds`;
    return result(
      `maxUpstreamLoadRatio.${target}`,
      ratio,
      peak / up.capacityPerSecond,
      `peak ${Math.round(peak * 10) / 10} requests ${over} at ${target} over its capacity of ${up.capacityPerSecond}/s`,
    );
  });
}

function lostWrites(seconds: readonly FleetSecond[]): number {
  return seconds.reduce((n, s) => n + (s.refreshes.TOKEN_INVALID ?? 0), 0);
}

function kickedBeforeTrip(target: number, t: KickTally): ObjectiveResult {
  const detail =
    t.trippedAt === null
      ? `the breaker never refused a kick; ${t.kicked} sessions kicked in all`
      : `sessions ended by kicks before the first KICK_BREAKER_OPEN (scenario second ${Math.round(t.trippedAt)})`;
  return result('maxKickedBeforeTrip', target, t.trippedAt === null ? t.kicked : t.kickedBeforeTrip, detail);
}

function rpo(target: { maxUnsettled: number; maxLostWrites: number }, m: Measured): ObjectiveResult[] {
  return [
    result(
      'rpo.maxUnsettled',
      target.maxUnsettled,
      m.unsettled,
      'disruption records still pending or ticketed at the end (admin API)',
    ),
    result(
      'rpo.maxLostWrites',
      target.maxLostWrites,
      lostWrites(m.fleetSeconds),
      'refreshes of tokens Lifeline issued that it later refused as TOKEN_INVALID',
    ),
  ];
}

/** A login storm's figures (storm.ts), against identity's normal capacity. */
function storm(s: Scenario, m: Measured): ObjectiveResult[] {
  const o = s.objectives;
  const out: ObjectiveResult[] = [];
  if (o.maxAllInRatio !== undefined) {
    const capacity = m.upstreams.find((u) => u.target === 'identity')?.capacityPerSecond;
    const f = capacity
      ? allInRatio(m.fleet.firstLogins, capacity, s.timeScale)
      : { value: null, detail: 'no identity capacity to measure against' };
    out.push(result('maxAllInRatio', o.maxAllInRatio, f.value, f.detail));
  }
  if (o.maxFirstEtaErrorP90 !== undefined) {
    const f = firstEtaError(m.fleet.firstLogins, s.timeScale);
    out.push(result('maxFirstEtaErrorP90', o.maxFirstEtaErrorP90, f.value, f.detail));
  }
  return out;
}

export function checkObjectives(s: Scenario, m: Measured): ObjectiveResult[] {
  const o = s.objectives;
  const out: ObjectiveResult[] = [];
  if (o.rtoSeconds !== undefined) {
    const { rto, detail } = recoveryTime(onsets(s, m.kicksSent), m.fleet.outages);
    out.push(result('rtoSeconds', o.rtoSeconds, rto, detail));
  }
  if (o.rpo !== undefined) out.push(...rpo(o.rpo, m));
  if (o.maxSessionsLost !== undefined) {
    const detail = 'sessions ended not by a kick or ban and not resumable (fleet)';
    out.push(result('maxSessionsLost', o.maxSessionsLost, m.fleet.sessionsLost, detail));
  }
  if (o.maxOwnersDenied !== undefined) {
    const detail = 'distinct owners refused or given no licence (fleet)';
    out.push(result('maxOwnersDenied', o.maxOwnersDenied, m.fleet.ownersDenied, detail));
  }
  out.push(...loadRatios(s, m));
  if (o.maxKickedBeforeTrip !== undefined) out.push(kickedBeforeTrip(o.maxKickedBeforeTrip, m.tally));
  if (o.maxTimeToDetectSeconds !== undefined) {
    const d = m.detection ?? { seconds: null, detail: "the nodes' signals were not read" };
    out.push(result('maxTimeToDetectSeconds', o.maxTimeToDetectSeconds, d.seconds, d.detail));
  }
  out.push(...storm(s, m));
  return out;
}
