/**
 * Cross-field rules about time: every event falls inside the scenario, a fault ends after it
 * starts, and a node is killed before it is restarted (and not killed twice).
 */
import type { Problem } from './problems.ts';
import type { ScenarioFile } from './schema.ts';

/** A problem unless `at` (at `path`) lies in [0, duration). */
export function within(s: ScenarioFile, path: string, at: number): Problem[] {
  if (at < s.durationSeconds) return [];
  return [{ path, message: `must be before the end of the scenario (durationSeconds ${s.durationSeconds})` }];
}

export function faultTimeProblems(s: ScenarioFile): Problem[] {
  return s.faults.flatMap((f, i) => {
    const problems = within(s, `faults[${i}].at`, f.at);
    if (f.until !== undefined && f.until <= f.at)
      problems.push({ path: `faults[${i}].until`, message: `must be after at (${f.at})` });
    else if (f.until !== undefined && f.until > s.durationSeconds)
      problems.push({
        path: `faults[${i}].until`,
        message: `must be at most durationSeconds (${s.durationSeconds})`,
      });
    return problems;
  });
}

export function nodeProblems(s: ScenarioFile): Problem[] {
  const problems: Problem[] = [];
  // Nodes that share sessions must share records: the config refuses Redis without PostgreSQL,
  // and one SQLite file with in-process live state is one node.
  if (s.nodes.kind === 'sqlite+memory' && s.nodes.count > 1)
    problems.push({ path: 'nodes.count', message: 'must be 1 when nodes.kind is sqlite+memory' });
  const down = new Set<string>();
  const events = (s.nodes.events ?? []).map((e, i) => ({ ...e, i })).sort((a, b) => a.at - b.at || a.i - b.i);
  for (const e of events) {
    const path = `nodes.events[${e.i}]`;
    problems.push(...within(s, `${path}.at`, e.at));
    if (Number(e.node.slice(5)) > s.nodes.count)
      problems.push({ path: `${path}.node`, message: `names no node (there are ${s.nodes.count})` });
    else if (e.action === 'kill' && down.has(e.node))
      problems.push({ path: `${path}.action`, message: `${e.node} is already down` });
    else if (e.action === 'restart' && !down.has(e.node))
      problems.push({ path: `${path}.action`, message: `${e.node} is not down (kill it first)` });
    if (e.action === 'kill') down.add(e.node);
    else down.delete(e.node);
  }
  return problems;
}
