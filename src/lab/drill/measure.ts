/** From what a drill played and measured to a DrillResult (result.ts). */
import { adminApi } from './admin.ts';
import { drillTicketTtlSeconds } from './config.ts';
import { findings } from './findings.ts';
import { readIncidents } from './incidents.ts';
import { checkObjectives, onsets, recoveryBounds, withinBounds } from './objectives.ts';
import type { Played } from './play.ts';
import type { DrillIncident, DrillResult, ObjectiveResult } from './result.ts';
import type { DrillWorld } from './world.ts';
import { buildSeries, type UpstreamSeries } from './series.ts';
import { type SeenSignal, signalsBeforeFault, timeToDetect } from './signals.ts';

/**
 * Waits until every restore the operators started has finished: done once each record it owns is
 * settled (restored, refused, or its ticket expired, unredeemed by a player who left or by the
 * fleet, now stopped). A record is in a known state only then; counted before, a ticket still in
 * its life would be "unsettled" only because the scenario ended first. A restore that cannot
 * finish (paused, or records it can never settle) is given up on after its tickets' life twice
 * over, and RPO then counts what it left.
 */
async function restoresFinished(world: DrillWorld, restores: readonly string[]): Promise<void> {
  const op = world.ops[0];
  if (!op || restores.length === 0) return;
  const admin = adminApi(world.nodes);
  const until = Date.now() + (2 * drillTicketTtlSeconds(world.scenario.timeScale) + 30) * 1000;
  for (const id of restores) {
    while (Date.now() < until) {
      const state = await admin
        .call<{ restore: { state: string } }>('GET', `/restores/${id}`, op)
        .then((b) => b.restore.state)
        .catch(() => null);
      if (state === 'done' || state === 'cancelled') break;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Disruption records still pending or ticketed (not restored, expired or refused), from the admin API. */
async function unsettledRecords(world: DrillWorld): Promise<number | null> {
  const op = world.ops[0];
  if (!op) return null;
  const admin = adminApi(world.nodes);
  try {
    let n = 0;
    for (const outcome of ['pending', 'ticketed']) {
      const body = await admin.call<{ disruptions: unknown[] }>(
        'GET',
        `/disruptions?outcome=${outcome}&limit=10000`,
        op,
      );
      n += body.disruptions.length;
    }
    return n;
  } catch {
    return null;
  }
}

/** Every signal the nodes raised during the run, placed on the scenario's clock. */
function describe(played: Played, list: readonly SeenSignal[]): string {
  const at = (ms: number) => played.clock.at(ms).toFixed(1);
  return list
    .map((g) => {
      const where = (g.localisation ?? []).map((l) => `${l.dimension} ${l.values.join('/')}`).join(', ');
      return `${g.detector} (${g.severity}) started at ${at(g.startedAt)} s, onset ${at(g.onsetAt)} s: "${g.title}"${where ? ` [${where}]` : ''}`;
    })
    .join('; ');
}

function signalsFinding(played: Played): DrillResult['findings'][number] {
  const list = [...played.signals.seen.values()].sort((a, b) => a.startedAt - b.startedAt);
  return { name: 'signals', value: list.length, detail: describe(played, list) || 'no signal raised' };
}

/**
 * Signals raised before the first fault, listed on their own: the world is healthy until then,
 * so each is a false page (absent when there were none, or the scenario has no fault).
 */
function beforeFaultFinding(s: DrillWorld['scenario'], played: Played): DrillResult['findings'] {
  const list = signalsBeforeFault(s, [...played.signals.seen.values()], played.clock);
  if (list.length === 0) return [];
  return [
    {
      name: 'signalsBeforeFault',
      value: list.length,
      detail: `raised before any fault: ${describe(played, list)}`,
    },
  ];
}

/**
 * Sets beside each incident the drill's first kick at or before its onset (the latest such), and
 * the interval its RTO must fall in, measured from that kick over the fleet's outages (`starts`:
 * the RTO's onsets).
 */
function withFirstKicks(
  list: DrillIncident[] | null,
  played: Played,
  starts: readonly number[],
): DrillIncident[] | null {
  if (list === null) return null;
  const at = (ms: number | undefined) => (ms === undefined ? null : played.clock.at(ms));
  const sent = [...played.kicks.values()]
    .filter((k) => k.firstSentMs !== undefined)
    .map((k) => ({ sent: at(k.firstSentMs) as number, answered: at(k.firstAcceptedMs) }))
    .sort((a, b) => a.sent - b.sent);
  return list.map((i) => {
    const firstKick = sent.filter((k) => k.sent <= i.at.started).at(-1) ?? null;
    if (firstKick === null) return { ...i, firstKick, rtoBounds: null };
    const b = recoveryBounds(starts, played.summary.outages, firstKick);
    return { ...i, firstKick, rtoBounds: { ...b, within: withinBounds(b, i.rto.seconds) } };
  });
}

const secs = (n: number | null) => (n === null ? 'null' : `${n.toFixed(2)} s`);

/**
 * The incidents Lifeline declared, each with its own RTO and RPO beside the drill's: the same
 * definitions (first kick to the last affected player back; records not final) measured from
 * two sides: Lifeline's records (the kick recorded, the record restored) and the drill's (the
 * kick sent, the fleet holding a session again), so the drill's RTO is the larger by the first
 * kick's trip to Lifeline and the last player's answer back. Those trips are measured too: beside
 * the drill's RTO stands the interval Lifeline's side of the network must find it in
 * (`rtoBounds`), and whether the post-mortem's is inside, i.e. equal up to the trips.
 */
function incidentsFinding(
  list: DrillIncident[] | null,
  objectives: readonly ObjectiveResult[],
): DrillResult['findings'][number] {
  if (list === null) return { name: 'incidents', value: 0, detail: "the nodes' incidents could not be read" };
  if (list.length === 0) return { name: 'incidents', value: 0, detail: 'no incident declared' };
  const rto = objectives.find((o) => o.name === 'rtoSeconds')?.measured ?? null;
  const unsettled = objectives.find((o) => o.name === 'rpo.maxUnsettled')?.measured ?? null;
  const one = (i: DrillIncident) => {
    const onset = i.firstKick ? ` (the drill sent its first kick at ${i.firstKick.sent.toFixed(2)} s)` : '';
    const back =
      i.rto.lastBackAt === null ? '' : `, last record restored at ${i.rto.lastBackAt.toFixed(2)} s`;
    const b = i.rtoBounds;
    const side = b
      ? `; Lifeline's side of the network: ${b.lower === null ? '?' : b.lower.toFixed(2)}–${b.upper === null ? '?' : b.upper.toFixed(2)} s, ${b.within === null ? 'not checkable' : b.within ? 'within' : 'OUTSIDE'}`
      : '';
    return (
      `${i.severity} "${i.title}" declared by ${i.declaredBy} at ${i.at.declared.toFixed(1)} s, ${i.status}` +
      `${i.at.resolved === null ? '' : ` at ${i.at.resolved.toFixed(1)} s`}; ${i.records} of ${i.recordsInDrill} disruption records, ${i.playersAffected} players;` +
      ` post-mortem RTO ${secs(i.rto.seconds)} from its onset at ${i.at.started.toFixed(2)} s${onset}${back} (drill ${secs(rto)}${side});` +
      ` RPO ${i.rpo.recordsNotFinal} records not final (drill ${unsettled ?? 'null'}); ${i.updates.length} public updates`
    );
  };
  const detail = list.map(one).join('; ');
  return { name: 'incidents', value: list.length, detail };
}

export async function measure(
  world: DrillWorld,
  played: Played,
): Promise<Omit<DrillResult, 'startedAt' | 'wallSeconds' | 'machine'>> {
  const s = world.scenario;
  const fleetSeconds = world.fleet?.seconds ?? [];
  const upstreams: UpstreamSeries[] = [...world.ups.values()].map((u) => ({
    target: u.target,
    capacityPerSecond: u.capacityPerSecond,
    seconds: [...(played.upstreamSeconds.get(u.target)?.values() ?? [])].sort((a, b) => a.at - b.at),
  }));
  await restoresFinished(world, played.restores);
  const kicksSent = new Map(
    [...played.kicks]
      .filter(([, k]) => k.firstSentMs !== undefined)
      .map(([id, k]) => [id, played.clock.at(k.firstSentMs as number)]),
  );
  // Read while the nodes still serve, after the fleet stopped (no record changes under it).
  const incidents = withFirstKicks(
    await readIncidents(adminApi(world.nodes), world.ops[0], played.clock),
    played,
    onsets(s, kicksSent),
  );
  const objectives = checkObjectives(s, {
    fleet: played.summary,
    fleetSeconds,
    upstreams,
    tally: played.tally,
    unsettled: await unsettledRecords(world),
    wall: played.wall,
    detection: timeToDetect(s, [...played.signals.seen.values()], played.clock),
    kicksSent,
  });
  return {
    scenario: s.name,
    seed: s.seed,
    protected: world.guarded,
    players: s.players.count,
    timeScale: s.timeScale,
    durationSeconds: s.durationSeconds,
    series: buildSeries(s.durationSeconds, fleetSeconds, upstreams, played.clock, played.faults),
    marks: played.marks,
    objectives,
    findings: [
      ...findings({
        fleetSeconds,
        fleet: played.summary,
        faults: played.faults,
        tally: played.tally,
        hasIdentity: world.ups.has('identity'),
        dnsSkipped: played.faults.notApplied,
        fleetErrors: world.fleet?.errors ?? [],
        history: played.history,
      }),
      signalsFinding(played),
      ...beforeFaultFinding(s, played),
      incidentsFinding(incidents, objectives),
    ],
    incidents,
    passed: objectives.every((o) => o.passed),
  };
}
