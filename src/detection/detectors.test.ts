import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY, HOUR, type Injection, STEP_MS, standardWorld, World } from '../lab/week/index.ts';
import { DropDetector, FailureDetector, type LoginTally, SeasonalForecast, Window } from './index.ts';

const cells = [
  { region: 'na', shard: 'na-1' },
  { region: 'eu', shard: 'eu-1' },
];

function tally(at: number, attempts: number[], failures: Record<string, number[]>, online = 0): LoginTally {
  return {
    at,
    stepMs: STEP_MS,
    attempts: Int32Array.from(attempts),
    failures: new Map(Object.entries(failures).map(([k, v]) => [k, Int32Array.from(v)])),
    online,
  };
}

test('the failure detector fires on a sustained excess, resolves after it, and stays quiet while it learns', () => {
  const d = new FailureDetector(cells, { warmupMs: 10 * STEP_MS });
  const out = [];
  let at = 0;
  const step = (fail: number) => {
    at += STEP_MS;
    return d.observe(tally(at, [500, 500], { INTERNAL: [fail, fail] }));
  };
  // Everything failing during the warm-up is not a page: there is no baseline yet.
  for (let i = 0; i < 5; i++) assert.equal(step(1), undefined);
  for (let i = 0; i < 200; i++) assert.equal(step(i % 2), undefined, `quiet at step ${i}`);
  for (let i = 0; i < 3; i++) out.push(step(40));
  const started = out.find((s) => s !== undefined);
  assert.ok(started && started.resolvedAt === null);
  assert.match(started.title, /Logins failing/);
  let resolved: ReturnType<typeof step>;
  for (let i = 0; i < 100 && !resolved?.resolvedAt; i++) resolved = step(0);
  assert.ok(resolved?.resolvedAt, 'resolved once failing stopped');
});

test('a burst of failures confined to one step (one shared lookup or timeout) pages nobody; failing on in a second step does', () => {
  const quiet = (d: FailureDetector, from: number, steps: number) => {
    for (let i = 1; i <= steps; i++)
      assert.equal(d.observe(tally(from + i * STEP_MS, [250, 250], {})), undefined);
    return from + steps * STEP_MS;
  };
  const burst = (at: number) => tally(at, [250, 250], { UPSTREAM_DNS_FAILURE: [4, 3] });
  // Far past the threshold in one step (7 at once against a baseline at the floor), then nothing.
  const once = new FailureDetector(cells, { warmupMs: 0 });
  let at = quiet(once, 0, 10) + STEP_MS;
  assert.equal(once.observe(burst(at)), undefined, 'one step alone does not page');
  at = quiet(once, at, 200);
  // The same burst, then failures going on in the next step: confirmed, it pages then.
  const twice = new FailureDetector(cells, { warmupMs: 0 });
  at = quiet(twice, 0, 10) + STEP_MS;
  assert.equal(twice.observe(burst(at)), undefined);
  const second = twice.observe(tally(at + STEP_MS, [250, 250], { UPSTREAM_DNS_FAILURE: [1, 1] }));
  assert.ok(second && second.resolvedAt === null, 'the second failing step opens the signal');
  assert.equal(second.onsetAt, at - STEP_MS, 'from the first step of the climb');
  // With minSteps 1 the statistic alone decides, as before.
  const eager = new FailureDetector(cells, { warmupMs: 0, minSteps: 1 });
  at = quiet(eager, 0, 10) + STEP_MS;
  assert.ok(eager.observe(burst(at)));
});

test('the seasonal forecast stays silent until it has a week, then predicts from last week', () => {
  const f = new SeasonalForecast({ stepMs: DAY / 4 });
  for (let i = 0; i < 28; i++) {
    assert.equal(f.predict(), null);
    f.record(100 + (i % 4), true);
  }
  // Last week's value at this point of the day (100), times a level of 1.
  assert.equal(f.predict(), 100);
});

function deployRun(announce: boolean, injections: Injection[] = []) {
  const world = new World(standardWorld(4, injections));
  const drop = new DropDetector({ stepMs: STEP_MS });
  const deploy = standardWorld(4).calendar.deploy as { at: number; windowMinutes: number };
  const from = standardWorld(4).start + deploy.at;
  if (announce) drop.announce({ from, to: from + deploy.windowMinutes * 60_000, what: 'deploy' });
  const titles: string[] = [];
  for (let at = 0; at < deploy.at + HOUR; at += STEP_MS) {
    const s = drop.observe(world.next());
    if (s && s.resolvedAt === null) titles.push(s.title);
  }
  return titles;
}

test('a deploy dip pages when nobody announced it, and not inside its announced change window', () => {
  assert.equal(deployRun(false).length, 1);
  assert.deepEqual(deployRun(true), []);
});

test('a window grows with cells added while it runs; older steps count 0 for them', () => {
  const grown: { region: string; shard: string }[] = [{ region: 'na', shard: 'na-1' }];
  const w = new Window(grown);
  w.add(tally(STEP_MS, [10], { INTERNAL: [1] }));
  grown.push({ region: 'eu', shard: 'eu-1' });
  w.add(tally(2 * STEP_MS, [10, 20], { INTERNAL: [0, 5], DNS: [0, 2] }));
  assert.deepEqual([...w.attempts], [20, 20]);
  assert.deepEqual([...(w.failures.get('INTERNAL') ?? [])], [1, 5]);
  assert.deepEqual([...(w.failures.get('DNS') ?? [])], [0, 2]);
  w.reset();
  assert.deepEqual([...w.attempts], [0, 0]);
});
