import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLifelineError } from '../../errors/index.ts';
import { builtinScenarios, loadScenario, scenarioWithPlayers, scenarioWithTimeScale } from './index.ts';

test('the five built-in scenarios named by issue 14 are there', () => {
  assert.deepEqual(builtinScenarios(), [
    'dns-debacle',
    'entitlement-outage',
    'login-storm',
    'node-loss',
    'runaway-kick',
  ]);
});

for (const name of builtinScenarios()) {
  test(`built-in ${name} validates, carries its own name and fills timeScale`, () => {
    const s = loadScenario(name);
    assert.equal(s.name, name);
    assert.equal(s.timeScale, 1);
    assert.ok(Object.keys(s.objectives).length > 0, 'a scenario without objectives proves nothing');
  });
}

test('each built-in replays the seed the issue names', () => {
  const seeds = Object.fromEntries(builtinScenarios().map((n) => [n, loadScenario(n).seed]));
  assert.equal(seeds['runaway-kick'], '000');
  assert.equal(seeds['dns-debacle'], '001');
  assert.equal(loadScenario('node-loss').nodes.kind, 'postgres+redis');
  assert.ok(loadScenario('node-loss').nodes.count > 1);
});

test('a file path loads the same scenario as its built-in name', () => {
  const byPath = loadScenario(new URL('./builtin/dns-debacle.json', import.meta.url).pathname);
  assert.deepEqual(byPath, loadScenario('dns-debacle'));
});

test('an unknown name or missing file is SCENARIO_NOT_FOUND listing the built-ins', () => {
  for (const bad of ['no-such', '..', '', './nowhere.json']) {
    assert.throws(
      () => loadScenario(bad),
      (e: unknown) => isLifelineError(e, 'SCENARIO_NOT_FOUND') && Array.isArray(e.details?.known),
    );
  }
});

test('--players and --time-scale overrides are validated like the file', () => {
  const s = loadScenario('login-storm');
  assert.equal(scenarioWithPlayers(s, 1000).players.count, 1000);
  assert.equal(scenarioWithTimeScale(s, 4).timeScale, 4);
  assert.equal(s.players.count, 3000, 'the original is left as it was');
  assert.throws(
    () => scenarioWithPlayers(s, 0),
    (e: unknown) => isLifelineError(e, 'SCENARIO_INVALID'),
  );
  assert.throws(
    () => scenarioWithTimeScale(s, -1),
    (e: unknown) => isLifelineError(e, 'SCENARIO_INVALID'),
  );
});
