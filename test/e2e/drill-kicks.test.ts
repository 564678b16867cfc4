import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runDrill } from '../../src/lab/drill/index.ts';
import { loadScenario } from '../../src/lab/scenario/index.ts';
import { assertPassed, finding, objective, peakOnline, shortScenario } from '../drill.ts';
import { runCliCaptured } from '../helpers.ts';

// runaway-kick, short, is test/e2e/drill-incident.test.ts: one run checks its objectives and the
// incident Lifeline declares on it.

test('login-storm, short: admission keeps identity within its capacity and every player gets in', async () => {
  // At ×10 (not ×40, where the whole storm is 3 wall seconds a busy machine may not serve). The
  // storm's own targets are left out: 60 players at 250/s are N/C = 0.24 s, shorter than the
  // 1 s a Retry-After counts in, so neither the all-in ratio nor the first ETAs say anything of
  // the estimator at this size (storm.test.ts and objectives.test.ts test their arithmetic;
  // docs/DRILLS.md has them at 5,000 players). The storm arrives at 5 s and is in well before
  // 80 s, where this version ends: the built-in's other 160 s are the players online, refreshing
  // (they refresh here too, their tokens living 5 wall seconds), and cost 16 s of the short
  // drills' three minutes.
  const s = { ...shortScenario('login-storm', 60, 10), durationSeconds: 80 };
  const { maxAllInRatio: _ratio, maxFirstEtaErrorP90: _eta, ...objectives } = s.objectives;
  const r = await runDrill({ ...s, objectives }, { env: {} });
  assertPassed(r);
  const ratio = objective(r, 'maxUpstreamLoadRatio.identity');
  assert.ok((ratio.measured ?? 0) > 0, 'identity load was measured');
  assert.equal(peakOnline(r), 60);
  // Refreshes were made (and none lost a session, above). Not one per player: with a busy loop on
  // each core the storm took longer, and at 60 s only 38 of 60 had reached their refresh.
  const sent = JSON.parse(finding(r, 'fleetRequests').detail.replace(/^[^{]*/, '')) as Record<string, number>;
  assert.ok((sent['/v1/refresh'] ?? 0) > 0, `players refreshed: ${JSON.stringify(sent)}`);
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
