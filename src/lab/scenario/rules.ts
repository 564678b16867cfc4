/**
 * Rules that span fields, run once the shape is right: players and selectors name regions and
 * shards that exist, restores name kicks that happened earlier, flags are ones Lifeline knows,
 * and every objective can be measured in this scenario.
 */
import { flagDefaults, flagRule, isFlagKey } from '../../flags/keys.ts';
import { actionProblems } from './operator.ts';
import type { Problem } from './problems.ts';
import type { ScenarioFile } from './schema.ts';
import { faultTimeProblems, nodeProblems, within } from './timeline.ts';

function playerProblems(s: ScenarioFile): Problem[] {
  const problems: Problem[] = [];
  for (const region of Object.keys(s.players.regionWeights ?? {}))
    if (!Object.hasOwn(s.topology.regions, region))
      problems.push({
        path: `players.regionWeights.${region}`,
        message: 'is not a region of topology.regions',
      });
  const { min, max } = s.players.thinkSeconds;
  if (max < min)
    problems.push({ path: 'players.thinkSeconds.max', message: `must be at least min (${min})` });
  const { arrival } = s.players;
  if (arrival.curve === 'storm') problems.push(...within(s, 'players.arrival.at', arrival.at));
  else if (arrival.peakShare < arrival.troughShare)
    problems.push({
      path: 'players.arrival.peakShare',
      message: `must be at least troughShare (${arrival.troughShare})`,
    });
  return problems;
}

/** Shard names are global (kick selectors address them alone), as in the config's topology. */
function topologyProblems(s: ScenarioFile): Problem[] {
  const problems: Problem[] = [];
  const owner = new Map<string, string>();
  for (const [region, r] of Object.entries(s.topology.regions))
    for (const shard of r.shards) {
      const other = owner.get(shard);
      if (other === undefined) owner.set(shard, region);
      else
        problems.push({
          path: `topology.regions.${region}.shards`,
          message: `shard ${shard} is already in region ${other}`,
        });
    }
  return problems;
}

function faultProblems(s: ScenarioFile): Problem[] {
  return s.faults.flatMap((f, i) =>
    f.kind === 'capacity' && (f.perSecond === undefined) === (f.inFlight === undefined)
      ? [{ path: `faults[${i}]`, message: 'a capacity fault takes exactly one of perSecond or inFlight' }]
      : [],
  );
}

function flagProblems(s: ScenarioFile): Problem[] {
  return s.actions.flatMap((a, i) => {
    if (a.do !== 'flag') return [];
    if (!isFlagKey(a.key))
      return [
        { path: `actions[${i}].key`, message: `must be one of ${Object.keys(flagDefaults).join(', ')}` },
      ];
    const type = typeof flagDefaults[a.key];
    if (typeof a.value !== type)
      return [{ path: `actions[${i}].value`, message: `${a.key} takes a ${type}` }];
    const broken = flagRule(a.key, a.value);
    return broken === undefined ? [] : [{ path: `actions[${i}].value`, message: broken }];
  });
}

/** An objective is refused when the scenario has nothing it could measure. */
function objectiveProblems(s: ScenarioFile): Problem[] {
  const problems: Problem[] = [];
  const o = s.objectives;
  for (const target of Object.keys(o.maxUpstreamLoadRatio ?? {}) as (keyof NonNullable<typeof s.upstreams>)[])
    if (s.upstreams?.[target]?.capacityPerSecond === undefined)
      problems.push({
        path: `objectives.maxUpstreamLoadRatio.${target}`,
        message: `needs upstreams.${target}.capacityPerSecond to measure load against`,
      });
  if (o.maxAllInRatio !== undefined && s.upstreams?.identity?.capacityPerSecond === undefined)
    problems.push({
      path: 'objectives.maxAllInRatio',
      message: 'needs upstreams.identity.capacityPerSecond to measure N/C against',
    });
  for (const key of ['maxAllInRatio', 'maxFirstEtaErrorP90'] as const)
    if (o[key] !== undefined && s.players.arrival.curve !== 'storm')
      problems.push({
        path: `objectives.${key}`,
        message: 'needs a storm arrival (players.arrival.curve "storm")',
      });
  const kicks = s.actions.some((a) => a.do === 'kick' || a.do === 'runaway-kick');
  if (o.maxKickedBeforeTrip !== undefined && !kicks)
    problems.push({ path: 'objectives.maxKickedBeforeTrip', message: 'needs a kick or runaway-kick action' });
  const disruptions = s.faults.length > 0 || kicks || (s.nodes.events ?? []).length > 0;
  if (o.rtoSeconds !== undefined && !disruptions)
    problems.push({
      path: 'objectives.rtoSeconds',
      message: 'needs a fault, a kick or a node event to recover from',
    });
  if (o.maxTimeToDetectSeconds !== undefined && s.faults.length === 0 && !kicks)
    problems.push({
      path: 'objectives.maxTimeToDetectSeconds',
      message: 'needs a fault or a kick to detect',
    });
  return problems;
}

/** Every cross-field problem, in the order the fields appear in the file. */
export function crossFieldProblems(s: ScenarioFile): Problem[] {
  return [
    ...topologyProblems(s),
    ...playerProblems(s),
    ...nodeProblems(s),
    ...faultTimeProblems(s),
    ...faultProblems(s),
    ...actionProblems(s),
    ...flagProblems(s),
    ...objectiveProblems(s),
  ];
}
