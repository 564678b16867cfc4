import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCliCaptured, tempDir } from '../../test/helpers.ts';

test('lifeline slo rules writes the rules of the configured objectives; a bad objective changes nothing', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'rules.yml');
  const env = { LIFELINE_SLO__LOGIN_SUCCESS: '0.995' };
  const wrote = await runCliCaptured(['slo', 'rules', '--out', out], env, dir);
  assert.equal(wrote.code, 0, wrote.out);
  const rules = readFileSync(out, 'utf8');
  // 14.4 × (1 − 0.995): the page threshold follows the configured objective.
  assert.match(rules, /slo:sli_error:ratio_rate1h\{slo="login-success"\} > \(14\.4 \* 0\.005\)/);
  const json = await runCliCaptured(['--json', 'slo', 'rules'], env, dir);
  assert.equal(json.json.groups.length, 4);

  const bad = await runCliCaptured(
    ['slo', 'rules', '--out', join(dir, 'bad.yml')],
    { LIFELINE_SLO__KICK_RATE: '1' },
    dir,
  );
  assert.equal(bad.code, 1);
  assert.match(bad.out, /CONFIG_INVALID: slo\.kickRate/);
  assert.throws(() => readFileSync(join(dir, 'bad.yml')), /ENOENT/);
});

test('lifeline slo dashboard prints a Grafana dashboard', async (t) => {
  const dir = tempDir(t);
  const r = await runCliCaptured(['--json', 'slo', 'dashboard'], {}, dir);
  assert.equal(r.code, 0, r.out);
  assert.equal(r.json.uid, 'lifeline-slos');
  assert.equal(r.json.panels.length, 12);
});
