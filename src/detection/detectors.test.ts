import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY, HOUR, type Injection, STEP_MS, standardWorld, World } from '../lab/week/index.ts';
import { DropDetector, FailureDetector, type LoginTally, SeasonalForecast } from './index.ts';

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
