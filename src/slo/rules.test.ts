/**
 * The generated rules checked by Prometheus's own tools (Debian's `prometheus` package):
 * `promtool check rules` parses them, and `promtool test rules` proves on synthetic series that
 * the 14.4× page fires on a failure, stays silent on a healthy service and on a single failure at
 * low traffic (and would page on it without the low-traffic guard), and that a slow burn opens a
 * ticket without paging.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { requireTool } from '../../test/tools.ts';
import { type SloSettings, sloDashboard, sloRules, sloRulesYaml } from './index.ts';

const run = promisify(execFile);
const promtool = requireTool('SLO rules with promtool', '/usr/bin/promtool', 'prometheus');

const settings: SloSettings = {
  loginSuccess: 0.999,
  sessionContinuity: 0.999,
  kickRate: 0.999,
  rejoinSuccess: 0.99,
  minEventsPerHour: 100,
};

const logins = (ok: string, unavailable: string) => [
  { series: 'lifeline_logins_total{outcome="ok", instance="node-1"}', values: ok },
  { series: 'lifeline_logins_total{outcome="unavailable", instance="node-1"}', values: unavailable },
];

const page = [{ exp_labels: { slo: 'login-success', severity: 'page' } }];
const ticket = [{ exp_labels: { slo: 'login-success', severity: 'ticket' } }];

/** Writes the rules and a promtool test file in a temp dir and runs `promtool test rules`. */
async function promtoolTest(tool: string, s: SloSettings, tests: unknown[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeline-slo-'));
  try {
    await writeFile(join(dir, 'rules.yml'), sloRulesYaml(s));
    await writeFile(
      join(dir, 'test.yml'),
      stringify({ rule_files: ['rules.yml'], evaluation_interval: '1m', tests }),
    );
    const out = await run(tool, ['test', 'rules', join(dir, 'test.yml')]).catch(
      (err: { stdout?: string; stderr?: string }) => {
        throw new Error(`promtool test rules failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      },
    );
    return out.stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Promtool-only expectations cannot check annotations loosely, so the tests state them.
function withAnnotations(alerts: { exp_labels: Record<string, string> }[]) {
  const rule = sloRules(settings).groups[0]?.rules.find((r) => r.alert === 'LifelineSloPageBurn');
  const description = rule?.annotations?.description ?? '';
  return alerts.map((a) => ({
    ...a,
    exp_annotations: {
      summary: `login-success: the error budget is burning fast enough to ${a.exp_labels.severity === 'page' ? 'page' : 'open a ticket'}`,
      description,
    },
  }));
}

if (promtool) {
  test('promtool check rules accepts the generated rules', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeline-slo-'));
    try {
      await writeFile(join(dir, 'rules.yml'), sloRulesYaml(settings));
      const { stdout } = await run(promtool, ['check', 'rules', join(dir, 'rules.yml')]);
      assert.match(stdout, /SUCCESS: 44 rules found/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the 14.4x page fires on 5% failing logins and stays silent on a healthy service', async () => {
    await promtoolTest(promtool, settings, [
      {
        interval: '1m',
        input_series: logins('0+100x120', '0+5x120'),
        alert_rule_test: [
          { eval_time: '20m', alertname: 'LifelineSloPageBurn', exp_alerts: withAnnotations(page) },
        ],
      },
      {
        interval: '1m',
        input_series: logins('0+100x240', '0+0x240'),
        alert_rule_test: [
          { eval_time: '2h', alertname: 'LifelineSloPageBurn', exp_alerts: [] },
          { eval_time: '2h', alertname: 'LifelineSloTicketBurn', exp_alerts: [] },
        ],
      },
    ]);
  });

  test('one failure at low traffic does not page, and would without the low-traffic guard', async () => {
    // A login every other minute; one fails at minute 30.
    const quiet = logins('0+0.5x90', '0x30 1x60');
    const at = [{ eval_time: '33m', alertname: 'LifelineSloPageBurn' }];
    await promtoolTest(promtool, settings, [
      { interval: '1m', input_series: quiet, alert_rule_test: at.map((a) => ({ ...a, exp_alerts: [] })) },
    ]);
    await promtoolTest(promtool, { ...settings, minEventsPerHour: 0 }, [
      {
        interval: '1m',
        input_series: quiet,
        alert_rule_test: at.map((a) => ({ ...a, exp_alerts: withAnnotations(page) })),
      },
    ]);
  });

  test('a slow burn (4x the budget for a day) opens a ticket and does not page', async () => {
    await promtoolTest(promtool, settings, [
      {
        interval: '5m',
        input_series: logins('0+500x320', '0+2x320'),
        alert_rule_test: [
          { eval_time: '25h', alertname: 'LifelineSloTicketBurn', exp_alerts: withAnnotations(ticket) },
          { eval_time: '25h', alertname: 'LifelineSloPageBurn', exp_alerts: [] },
        ],
      },
    ]);
  });
}

test('the dashboard plots only series the rules record', () => {
  const recorded = new Set(
    sloRules(settings).groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
  );
  const panels = sloDashboard(settings).panels as { targets: { expr: string }[] }[];
  assert.equal(panels.length, 12);
  for (const p of panels) {
    for (const { expr } of p.targets) {
      for (const name of expr.match(/slo:[a-z_:0-9]+/g) ?? [])
        assert.ok(recorded.has(name), `${name} in ${expr}`);
    }
  }
});
