/**
 * The scenario's timeline as an ordered list of steps (faults switched on and off, node kills and
 * restarts, operator actions), and the loop that plays it on the drill's clock. A step that fails
 * does not stop the drill: an operator's command refused (KICK_BREAKER_OPEN) is something the drill
 * measures, so its error becomes the step's note on the mark.
 */
import type { Action, Fault, Scenario } from '../scenario/index.ts';
import { type DrillClock, untilScenarioSecond } from './clock.ts';
import type { DrillMark } from './result.ts';
import type { DrillObserver } from './world.ts';

/** What plays a step; each resolves with a note for the report (or nothing). */
export interface Actuators {
  /** `at`: the scenario second the step plays at (the fault is in force from then, not from its `t`). */
  fault(fault: Fault, on: boolean, at: number): Promise<string | undefined>;
  node(node: string, action: 'kill' | 'restart'): Promise<string | undefined>;
  action(action: Action): Promise<string | undefined>;
}

export interface Step {
  t: number;
  /** Ties at the same second run in this order: recoveries first, then onsets, nodes, actions. */
  order: number;
  mark: DrillMark;
  run(a: Actuators, at: number): Promise<string | undefined>;
}

function faultLabel(f: Fault): string {
  return `${f.id ?? f.kind} (${f.kind} on ${f.target})`;
}

function actionLabel(a: Action): string {
  switch (a.do) {
    case 'kick':
    case 'runaway-kick':
      return `${a.do} ${a.id}`;
    case 'flag':
      return `flag ${a.key} = ${JSON.stringify(a.value)}`;
    case 'restore':
      return a.from.source === 'kick' ? `restore kick ${a.from.kick}` : 'restore window';
    case 'incident':
      return `incident ${a.status}`;
    default:
      return a.do;
  }
}

function faultSteps(s: Scenario): Step[] {
  return s.faults.flatMap((f) => {
    const until = f.until ?? s.durationSeconds;
    const on: Step = {
      t: f.at,
      order: 1,
      mark: { t: f.at, until, kind: 'fault', label: faultLabel(f) },
      run: (a, at) => a.fault(f, true, at),
    };
    if (until >= s.durationSeconds) return [on];
    const off: Step = {
      t: until,
      order: 0,
      mark: { t: until, kind: 'fault', label: `recover ${f.id ?? f.kind} on ${f.target}` },
      run: (a, at) => a.fault(f, false, at),
    };
    return [on, off];
  });
}

/** Every step of the scenario, in the order they play. */
export function buildSteps(s: Scenario): Step[] {
  const nodes: Step[] = (s.nodes.events ?? []).map((e) => ({
    t: e.at,
    order: 2,
    mark: { t: e.at, kind: 'node', label: `${e.action} ${e.node}` },
    run: (a) => a.node(e.node, e.action),
  }));
  const actions: Step[] = s.actions.map((act) => ({
    t: act.at,
    order: 3,
    mark: {
      t: act.at,
      ...(act.do === 'runaway-kick' ? { until: act.at + act.durationSeconds } : {}),
      kind: 'action',
      label: actionLabel(act),
    },
    run: (a) => a.action(act),
  }));
  return [...faultSteps(s), ...nodes, ...actions].sort((x, y) => x.t - y.t || x.order - y.order);
}

/**
 * Plays the steps on the clock; returns the marks, each with the note its step resolved with and
 * the scenario second it played at (a busy machine gets to a step after its `t`).
 */
export async function playTimeline(
  steps: readonly Step[],
  actuators: Actuators,
  clock: DrillClock,
  signal: AbortSignal,
  observer: Pick<DrillObserver, 'before' | 'step'> = {},
): Promise<DrillMark[]> {
  const marks: DrillMark[] = [];
  for (const step of steps) {
    await untilScenarioSecond(clock, step.t, signal);
    await observer.before?.(step.mark);
    if (signal.aborted) break;
    const playedAt = clock.now();
    let note: string | undefined;
    try {
      note = await step.run(actuators, playedAt);
    } catch (err) {
      note = `failed: ${errorText(err)}`;
    }
    const label = note === undefined ? step.mark.label : `${step.mark.label}: ${note}`;
    const mark = { ...step.mark, label, playedAt };
    marks.push(mark);
    await observer.step?.(mark);
  }
  return marks;
}

export function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    return `${err.code}${err instanceof Error && err.message ? ` (${err.message})` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}
