import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadScenario } from '../scenario/index.ts';
import { drillClock } from './clock.ts';
import { buildSteps, playTimeline } from './timeline.ts';

test("dns-debacle's steps: a fault's recovery plays before an onset at the same second, faults to the end have none", () => {
  const scenario = loadScenario('dns-debacle');
  const restart = scenario.faults.find((f) => f.id === 'identity-restart')?.at;
  const atRestart = buildSteps(scenario)
    .filter((s) => s.t === restart)
    .map((s) => s.mark.label);
  assert.deepEqual(atRestart, ['recover auth-errors on identity', 'identity-restart (down on identity)']);
  const steps = buildSteps(scenario);
  const times = steps.map((s) => s.t);
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
  );
  assert.equal(steps.filter((s) => s.mark.kind === 'fault').length, 12, 'six faults, each on and off');
  assert.equal(steps.filter((s) => s.mark.kind === 'action').length, 4);
});

test('a step that fails becomes a note on its mark, and the timeline plays on', async () => {
  const steps = buildSteps(loadScenario('runaway-kick'));
  const played: string[] = [];
  const observed: string[] = [];
  // A clock started long ago: every step is already due, so nothing waits.
  const clock = drillClock(1, Date.now() - 3_600_000);
  const marks = await playTimeline(
    steps,
    {
      fault: async () => undefined,
      node: async () => undefined,
      action: async (a) => {
        played.push(a.do);
        if (a.do === 'restore') throw Object.assign(new Error('no such kick'), { code: 'NOT_FOUND' });
        return a.do === 'flag' ? 'set' : undefined;
      },
    },
    clock,
    new AbortController().signal,
    // The observer is waited for: each step is seen before it plays and after, before the next.
    {
      before: async (mark) => {
        await new Promise((r) => setImmediate(r));
        observed.push(`before ${played.length}:${mark.label.split(':')[0]}`);
      },
      step: async (mark) => {
        await new Promise((r) => setImmediate(r));
        observed.push(`${played.length}:${mark.label}`);
      },
    },
  );
  const order = [
    'runaway-kick',
    'declare-outage',
    'flag',
    'incident',
    'restore',
    'pause-restore',
    'resume-restore',
    'incident',
    'flag',
    'end-outage',
    'incident',
  ];
  assert.deepEqual(played, order);
  assert.equal(marks.length, order.length);
  assert.equal(marks[4]?.label, 'restore kick script: failed: NOT_FOUND (no such kick)');
  assert.equal(marks[2]?.label, 'flag kicks.enabled = false: set');
  assert.equal(marks[3]?.label, 'incident identified');
  assert.deepEqual(
    observed,
    marks.flatMap((m, i) => [`before ${i}:${m.label.split(':')[0]}`, `${i + 1}:${m.label}`]),
  );
});

test('an aborted drill stops its timeline', async () => {
  const abort = new AbortController();
  abort.abort();
  const marks = await playTimeline(
    buildSteps(loadScenario('runaway-kick')),
    { fault: async () => undefined, node: async () => undefined, action: async () => undefined },
    drillClock(1),
    abort.signal,
  );
  assert.deepEqual(marks, []);
});

test('a step played late is marked with the second it played at, and its fault is in force from then', async () => {
  const scenario = loadScenario('dns-debacle');
  // Started an hour ago at ×1: every step is due, and each plays at about scenario second 3,600.
  const clock = drillClock(1, Date.now() - 3_600_000);
  const faultsAt: number[] = [];
  const marks = await playTimeline(
    buildSteps(scenario),
    {
      fault: async (_f, _on, at) => {
        faultsAt.push(at);
        return undefined;
      },
      node: async () => undefined,
      action: async () => undefined,
    },
    clock,
    new AbortController().signal,
  );
  const faultMarks = marks.filter((m) => m.kind === 'fault');
  assert.deepEqual(
    faultMarks.map((m) => m.playedAt),
    faultsAt,
  );
  for (const m of marks) {
    assert.ok(m.playedAt !== undefined && m.playedAt >= 3_600 && m.playedAt > m.t, m.label);
  }
});
