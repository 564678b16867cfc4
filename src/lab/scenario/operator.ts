/**
 * Cross-field rules for operator actions: selectors name real regions and shards, kick ids are
 * unique, a restore names a kick that came before it (or a window already past), a restore is
 * started before it is paused and paused before it is resumed, and an outage is declared before
 * it is ended.
 */
import type { Problem } from './problems.ts';
import type { Action, ScenarioFile, Selector } from './schema.ts';
import { within } from './timeline.ts';

export function selectorProblems(s: ScenarioFile, path: string, selector: Selector): Problem[] {
  const { all, region, shard } = selector;
  if (all === true && (region !== undefined || shard !== undefined))
    return [{ path: `${path}.all`, message: 'selects everyone and must stand alone' }];
  if (all === undefined && region === undefined && shard === undefined)
    return [{ path, message: 'must name at least one of all, region, shard' }];
  const regions = s.topology.regions;
  if (region !== undefined && !Object.hasOwn(regions, region))
    return [{ path: `${path}.region`, message: 'is not a region of topology.regions' }];
  const shards =
    region === undefined ? Object.values(regions).flatMap((r) => r.shards) : (regions[region]?.shards ?? []);
  if (shard !== undefined && !shards.includes(shard))
    return [
      {
        path: `${path}.shard`,
        message: region === undefined ? 'is not a shard of any region' : `is not a shard of ${region}`,
      },
    ];
  return [];
}

type Kick = Extract<Action, { do: 'kick' | 'runaway-kick' }>;

function restoreProblems(s: ScenarioFile, i: number, at: number, kicks: Map<string, Kick>): Problem[] {
  const action = s.actions[i] as Extract<Action, { do: 'restore' }>;
  const path = `actions[${i}].from`;
  const from = action.from;
  if (from.source === 'kick') {
    const kick = kicks.get(from.kick);
    if (kick === undefined)
      return [
        {
          path: `${path}.kick`,
          message: `names no earlier kick (known: ${[...kicks.keys()].join(', ') || 'none'})`,
        },
      ];
    return [];
  }
  const problems: Problem[] = [];
  if (from.to <= from.from)
    problems.push({ path: `${path}.to`, message: `must be after from (${from.from})` });
  else if (from.to > at)
    problems.push({ path: `${path}.to`, message: `must not be after the restore's at (${at})` });
  if (from.selector !== undefined) problems.push(...selectorProblems(s, `${path}.selector`, from.selector));
  return problems;
}

/** A pause needs a restore started before it, and a resume a pause before it (not yet resumed). */
function pauseProblems(path: string, action: Action, restores: number, paused: boolean): Problem[] {
  if (action.do === 'pause-restore' && restores === 0)
    return [{ path, message: 'needs a restore action before it' }];
  if (action.do === 'pause-restore' && paused) return [{ path, message: 'the restore is already paused' }];
  if (action.do === 'resume-restore' && !paused) return [{ path, message: 'no paused restore to resume' }];
  return [];
}

function outageProblems(path: string, action: Action, declared: boolean): Problem[] {
  if (action.do === 'declare-outage' && declared) return [{ path, message: 'an outage is already declared' }];
  if (action.do === 'end-outage' && !declared) return [{ path, message: 'no outage is declared to end' }];
  return [];
}

/** Walks the actions in time order, so "earlier" means earlier on the scenario clock. */
export function actionProblems(s: ScenarioFile): Problem[] {
  const problems: Problem[] = [];
  const kicks = new Map<string, Kick>();
  let declared = false;
  let restores = 0;
  let paused = false;
  const order = s.actions.map((a, i) => ({ a, i })).sort((x, y) => x.a.at - y.a.at || x.i - y.i);
  for (const { a, i } of order) {
    const path = `actions[${i}]`;
    problems.push(...within(s, `${path}.at`, a.at));
    if (a.do === 'kick' || a.do === 'runaway-kick') {
      if (kicks.has(a.id)) problems.push({ path: `${path}.id`, message: `kick ${a.id} is already defined` });
      kicks.set(a.id, a);
      if (a.selector !== undefined) problems.push(...selectorProblems(s, `${path}.selector`, a.selector));
      if (a.do === 'runaway-kick' && a.at + a.durationSeconds > s.durationSeconds)
        problems.push({
          path: `${path}.durationSeconds`,
          message: `must end by durationSeconds (${s.durationSeconds})`,
        });
    } else if (a.do === 'restore') problems.push(...restoreProblems(s, i, a.at, kicks));
    problems.push(...outageProblems(path, a, declared), ...pauseProblems(path, a, restores, paused));
    if (a.do === 'restore') restores++;
    if (a.do === 'restore' || a.do === 'resume-restore') paused = false;
    if (a.do === 'pause-restore') paused = true;
    if (a.do === 'declare-outage') declared = true;
    if (a.do === 'end-outage') declared = false;
  }
  return problems;
}
