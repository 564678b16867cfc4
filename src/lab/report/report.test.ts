import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DrillResult, DrillSecond } from '../drill/result.ts';
import { chartSpec, renderChart, renderMarkdown, writeReport } from './index.ts';

function second(t: number, online: number): DrillSecond {
  return {
    t,
    wanted: 40,
    online,
    logins: t === 3 ? { ok: 2, UPSTREAM_UNAVAILABLE: 5 } : { ok: 1 },
    upstreams: { identity: { served: 10 + t, failed: t === 3 ? 4 : 0, capacityPerSecond: 12 } },
    kicked: t === 2 ? 7 : 0,
    rejoined: t === 4 ? 7 : 0,
    alerts: 0,
  };
}

function result(overrides: Partial<DrillResult> = {}): DrillResult {
  return {
    scenario: 'test-drill',
    seed: '001',
    protected: true,
    players: 40,
    timeScale: 10,
    durationSeconds: 6,
    startedAt: '2026-12-01T00:00:00.000Z',
    wallSeconds: 0.6,
    machine: { cpus: 2, model: 'test cpu', node: '24' },
    series: [0, 1, 2, 3, 4, 5].map((t) => second(t, 30 + t)),
    marks: [
      { t: 2, until: 4, kind: 'fault', label: 'identity down' },
      { t: 2, kind: 'action', label: 'kick shard na-1' },
    ],
    objectives: [
      {
        name: 'rtoSeconds',
        target: 3,
        measured: 2.5,
        passed: true,
        detail: 'from the onset to the last player back',
      },
      { name: 'maxSessionsLost', target: 0, measured: 3, passed: false, detail: 'refresh refused | revoked' },
      {
        name: 'maxTimeToDetectSeconds',
        target: 60,
        measured: null,
        passed: false,
        detail: 'no detection yet',
      },
    ],
    findings: [{ name: 'refreshes during the identity outage', value: 12, detail: 'counted at Lifeline' }],
    passed: false,
    ...overrides,
  };
}

test('the Markdown report gives the verdict, each objective as measured, and what the run saw', () => {
  const md = renderMarkdown(result(), 'chart.svg');
  assert.match(md, /^# Drill `test-drill`: FAILED/);
  assert.match(md, /\| `rtoSeconds` \| 3 \| 2\.5 \| pass \|/);
  assert.match(md, /\| `maxSessionsLost` \| 0 \| 3 \| \*\*FAIL\*\* \| refresh refused \\\| revoked \|/);
  assert.match(md, /\| `maxTimeToDetectSeconds` \| 60 \| not measured \| \*\*FAIL\*\* \|/);
  assert.match(md, /\| refreshes during the identity outage \| 12 \|/);
  // Totals are summed from the series: 1×5 + 2 ok, 5 failed; peak online 35 at t=5.
  assert.match(md, /Login attempts by outcome: ok 7, UPSTREAM_UNAVAILABLE 5\./);
  assert.match(md, /Players online at the peak: 35 \(t=5\)/);
  assert.match(md, /`identity`: busiest second 15 answered at t=5 against a capacity of 12\/s \(1\.25×\)/);
  assert.match(md, /Sessions kicked: 7; rejoined: 7; alerts: 0\./);
  assert.match(md, /\| 2 \| 4 \| fault \| identity down \|/);
  assert.match(md, /!\[test-drill over time\]\(chart\.svg\)/);
  assert.match(renderMarkdown(result({ passed: true, protected: false })), /PASSED[\s\S]*unprotected/);
});

test('the chart shades faults behind every panel and draws the measured series', async () => {
  const spec = chartSpec(result()) as unknown as { vconcat: { layer: { mark: { type: string } }[] }[] };
  assert.equal(spec.vconcat.length, 4);
  for (const p of spec.vconcat) {
    assert.deepEqual(
      p.layer.map((l) => l.mark.type),
      ['rect', 'rule', 'line'],
    );
  }
  const svg = await renderChart(result());
  assert.match(svg, /^<svg /);
  for (const title of ['Players', 'Logins a second, by outcome', 'Upstream load against capacity']) {
    assert.ok(svg.includes(title), title);
  }
  assert.ok(svg.includes('identity capacity/s'));
});

test('a run with no seconds and no marks still renders', async () => {
  const svg = await renderChart(result({ series: [], marks: [] }));
  assert.match(svg, /^<svg /);
});

test('writeReport writes the exact result, the Markdown and the chart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lifeline-report-'));
  try {
    const r = result();
    const files = await writeReport(r, join(dir, 'out'));
    assert.deepEqual(JSON.parse(await readFile(files.json, 'utf8')), r);
    assert.match(await readFile(files.markdown, 'utf8'), /FAILED/);
    assert.match(await readFile(files.svg, 'utf8'), /^<svg /);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("an incident Lifeline declared: a section beside the drill's figures, and its post-mortem written as a file", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lifeline-report-'));
  try {
    const incident = {
      id: '01a2302a-12e7-7c86-afa8-787df1f33f9a',
      title: 'Kick breaker tripped: 50 kicks in 2s',
      severity: 'P1',
      declaredBy: 'auto:breaker',
      status: 'resolved',
      at: { started: 2.1, detected: 2.5, declared: 2.6, mitigated: 4, resolved: 5.5 },
      records: 7,
      recordsInDrill: 7,
      playersAffected: 7,
      byCause: { kick: 7 },
      rto: { ms: 190, seconds: 1.9, lastBackAt: 4, met: true },
      firstKick: { sent: 2, answered: 2.2 },
      rtoBounds: { lower: 1.7, upper: 2.5, within: true, detail: 'over 7 outages' },
      rpo: { recordsNotFinal: 0, met: true },
      timeline: [{ t: 2.1, kind: 'command', summary: 'kick requested' }],
      updates: [
        { t: 2.6, kind: 'announcement', status: 'investigating' },
        { t: 5.5, kind: 'all-clear', status: 'resolved' },
      ],
      postmortem: '# Post-mortem: Kick breaker tripped\n',
    };
    const r = result({ incidents: [incident] });
    const md = renderMarkdown(r);
    assert.match(md, /## Incidents/);
    assert.match(md, /\| RTO \(s, first kick to the last affected player back\) \| 1\.9 \| 2\.5 \|/);
    assert.match(md, /\| RPO: records not final \| 0 \|/);
    assert.match(
      md,
      /\| RTO on Lifeline's side of the network \(s, the drill's interval\) \| within \| 1\.7 to 2\.5 \|/,
    );
    const outside = { ...incident, rtoBounds: { ...incident.rtoBounds, within: false } };
    assert.match(renderMarkdown(result({ incidents: [outside] })), /\| \*\*outside\*\* \| 1\.7 to 2\.5 \|/);
    const before = { ...incident, rtoBounds: undefined };
    assert.doesNotMatch(
      renderMarkdown(result({ incidents: [before] })),
      /Lifeline's side of the network/,
      'a result from before the interval has no row',
    );
    assert.match(md, /announcement \(investigating\) at 2\.6 s, all-clear \(resolved\) at 5\.5 s/);
    const files = await writeReport(r, join(dir, 'out'));
    assert.deepEqual(files.postmortems, [join(dir, 'out', `postmortem-${incident.id}.md`)]);
    assert.equal(await readFile(files.postmortems[0] ?? '', 'utf8'), incident.postmortem);
    assert.doesNotMatch(
      renderMarkdown(result()),
      /## Incidents/,
      'a result from before incidents has no section',
    );
    assert.match(renderMarkdown(result({ incidents: [] })), /Lifeline declared none/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
