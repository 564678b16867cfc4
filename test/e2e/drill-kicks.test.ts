import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadScenario } from '../../src/lab/scenario/index.ts';
import { runDrill } from '../../src/lab/drill/index.ts';
import { assertPassed, finding, objective, peakOnline, shortDrill, shortScenario } from '../drill.ts';
import { runCliCaptured } from '../helpers.ts';

test('runaway-kick, short: the breaker stops the script within its cap and the paced restore brings everyone back', async () => {
  // Enough players online that the script reaches the breaker's cap (max(50, 0.5% online) a window):
  // the 120 the curve wants at second 0, online before the clock starts (warmUp) instead of
  // logging in while it runs, which a loaded machine did too slowly for the script to find 50
  // ("the breaker never refused a kick; 40 sessions kicked in all"). No ramp, so they are wanted
  // at 0. ×5: the breaker's window is 60 s / X of wall time, and a node starved at load 16 served
  // 40 kicks in the 6 s it is at ×10, under the cap, so the breaker rightly never opened. The run
  // ends at 420, past the RTO's 360 (the onset at 60 plus 300): the actions after it (kicks back
  // on at 500, the outage ended at 540) are not what is checked.
  const full = shortScenario('runaway-kick', 200, 5);
  const { rampSeconds: _ramp, ...arrival } = full.players.arrival as { rampSeconds?: number };
  const durationSeconds = 420;
  const s = {
    ...full,
    durationSeconds,
    actions: full.actions.filter((a) => a.at < durationSeconds),
    players: { ...full.players, arrival },
  } as typeof full;
  const r = await runDrill(s, { env: {}, warmUp: true });
  assertPassed(r);
  const kicked = objective(r, 'maxKickedBeforeTrip');
  assert.ok((kicked.measured ?? 0) > 0, 'the script did kick before the breaker opened');
  assert.match(kicked.detail, /KICK_BREAKER_OPEN/, 'the breaker refused the script');
  assert.match(finding(r, 'sessionsKicked').detail, /KICK_BREAKER_OPEN \d+/);
  assert.ok(
    r.series.some((s) => s.kicked > 0) && r.series.some((s) => s.rejoined > 0),
    'kicks and rejoins in the series',
  );
  assert.ok((objective(r, 'rtoSeconds').measured ?? 0) > 0);
  assert.ok(
    r.marks.some((m) => /restore rst-/.test(m.label)),
    'the restore started',
  );
});

test('login-storm, short: admission keeps identity within its capacity and every player gets in', async () => {
  // 120 scenario seconds at ×10 (12 wall s): at ×40 the whole storm is 3 wall seconds, which a
  // busy machine may not serve at the identity limit the drill sets (capacity × latency).
  const r = await shortDrill('login-storm', { timeScale: 10 });
  assertPassed(r);
  const ratio = objective(r, 'maxUpstreamLoadRatio.identity');
  assert.ok((ratio.measured ?? 0) > 0, 'identity load was measured');
  assert.equal(peakOnline(r), 60);
});

test('a scenario whose objective the run cannot meet: the report says failed and the CLI exits non-zero', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-drill-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = loadScenario('login-storm');
  const file = join(dir, 'tight.json');
  // Any login at all puts identity above a thousandth of its capacity.
  writeFileSync(
    file,
    JSON.stringify({
      ...s,
      name: 'tight',
      objectives: { maxUpstreamLoadRatio: { identity: 0.001 }, maxSessionsLost: 0 },
    }),
  );
  const report = join(dir, 'report');
  const run = await runCliCaptured(
    ['drill', 'run', file, '--players', '30', '--time-scale', '40', '--report', report],
    { PATH: process.env.PATH ?? '' },
    dir,
  );
  assert.equal(run.code, 1, run.out);
  assert.match(run.out, /FAILED/);
  assert.match(run.out, /FAIL\tmaxUpstreamLoadRatio\.identity/);
  const result = JSON.parse(readFileSync(join(report, 'result.json'), 'utf8'));
  assert.equal(result.passed, false);
  const ratio = result.objectives.find((o: { name: string }) => o.name === 'maxUpstreamLoadRatio.identity');
  assert.equal(ratio.passed, false);
  assert.ok(ratio.measured > 0.001, `measured ${ratio.measured}`);
  assert.equal(result.objectives.find((o: { name: string }) => o.name === 'maxSessionsLost').passed, true);
});

test('bad input is a coded error and starts nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-drill-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { PATH: process.env.PATH ?? '' };
  const missing = await runCliCaptured(['--json', 'drill', 'run', 'no-such-drill'], env, dir);
  assert.equal(missing.code, 1);
  assert.equal(missing.json.error.code, 'SCENARIO_NOT_FOUND');
  const players = await runCliCaptured(
    ['--json', 'drill', 'run', 'login-storm', '--players', '-3'],
    env,
    dir,
  );
  assert.equal(players.json.error.code, 'SCENARIO_INVALID');
  const scale = await runCliCaptured(
    ['--json', 'drill', 'run', 'login-storm', '--time-scale', 'fast'],
    env,
    dir,
  );
  assert.equal(scale.json.error.code, 'SCENARIO_INVALID');
  const list = await runCliCaptured(['--json', 'drill', 'list'], env, dir);
  assert.equal(list.code, 0);
  assert.deepEqual(
    list.json.scenarios.map((s: { name: string }) => s.name),
    ['dns-debacle', 'entitlement-outage', 'login-storm', 'node-loss', 'runaway-kick'],
  );
});
