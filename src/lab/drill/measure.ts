/** From what a drill played and measured to a DrillResult (result.ts). */
import { adminApi } from './admin.ts';
import { drillTicketTtlSeconds } from './config.ts';
import { findings } from './findings.ts';
import { checkObjectives } from './objectives.ts';
import type { Played } from './play.ts';
import type { DrillResult } from './result.ts';
import type { DrillWorld } from './world.ts';
import { buildSeries, type UpstreamSeries } from './series.ts';
import { timeToDetect } from './signals.ts';

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
function signalsFinding(played: Played): DrillResult['findings'][number] {
  const list = [...played.signals.seen.values()].sort((a, b) => a.startedAt - b.startedAt);
  const at = (ms: number) => played.clock.at(ms).toFixed(1);
  const detail = list
    .map((g) => {
      const where = (g.localisation ?? []).map((l) => `${l.dimension} ${l.values.join('/')}`).join(', ');
      return `${g.detector} (${g.severity}) started at ${at(g.startedAt)} s, onset ${at(g.onsetAt)} s: "${g.title}"${where ? ` [${where}]` : ''}`;
    })
    .join('; ');
  return { name: 'signals', value: list.length, detail: detail || 'no signal raised' };
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
  const objectives = checkObjectives(s, {
    fleet: played.summary,
    fleetSeconds,
    upstreams,
    tally: played.tally,
    unsettled: await unsettledRecords(world),
    wall: played.wall,
    detection: timeToDetect(s, [...played.signals.seen.values()], played.clock),
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
    ],
    passed: objectives.every((o) => o.passed),
  };
}
