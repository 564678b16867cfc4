/** From what a drill played and measured to a DrillResult (result.ts). */
import { adminApi } from './admin.ts';
import { findings } from './findings.ts';
import { checkObjectives } from './objectives.ts';
import type { Played } from './play.ts';
import type { DrillResult } from './result.ts';
import type { DrillWorld } from './world.ts';
import { buildSeries, type UpstreamSeries } from './series.ts';
import { type SeenSignal, signalsBeforeFault, timeToDetect } from './signals.ts';

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
      ...beforeFaultFinding(s, played),
    ],
    passed: objectives.every((o) => o.passed),
  };
}
