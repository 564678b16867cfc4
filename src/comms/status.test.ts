import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IncidentHeader } from '../store/index.ts';
import type { Signal } from '../signals/records.ts';
import { statusPage } from './page.ts';
import type { PublicUpdate } from './records.ts';
import { componentStatesOf, type StatusInputs, statusSummary, worstState } from './status.ts';

const base: StatusInputs = {
  pageName: 'Game',
  pageUrl: 'https://status.example.com',
  now: Date.UTC(2026, 11, 1),
  ready: true,
  dependencies: {},
  regions: ['na', 'eu'],
  openSignals: [],
  incidents: [],
  updates: [],
};

function incident(overrides: Partial<IncidentHeader> = {}): IncidentHeader {
  return {
    id: 'inc-1',
    title: 'Kick breaker tripped: 412 kicks by ops-alice',
    severity: 'P1',
    severityReason: 'rule',
    status: 'investigating',
    declaredBy: 'auto:breaker',
    causeKey: 'breaker:kick@1',
    startedAt: base.now - 60_000,
    detectedAt: base.now - 50_000,
    declaredAt: base.now - 40_000,
    mitigatedAt: null,
    resolvedAt: null,
    closedAt: null,
    updatedAt: base.now,
    phases: [],
    signals: [],
    version: 1,
    ...overrides,
  };
}

const update = (n: number, status: string, regions: string[] = []): PublicUpdate => ({
  id: `u${n}`,
  incidentId: 'inc-1',
  stateKey: `k${n}`,
  kind: n === 1 ? 'announcement' : 'update',
  status,
  body: `body ${n}`,
  regions,
  at: base.now - 30_000 + n,
});

function signal(detector: string, severity: 'P1' | 'P2', dimensions: Record<string, string>): Signal {
  return {
    id: 'sig-secret',
    source: 'detector',
    detector,
    severity,
    title: 'x',
    dimensions,
    fingerprint: 'fp',
    onsetAt: 0,
    startedAt: 0,
    resolvedAt: null,
    evidence: { statistic: 991, threshold: 3, observed: 991, expected: 2 },
    localisation: [],
    incidentId: null,
  } as Signal;
}

test('all operational with nothing wrong; an unready node is a major outage everywhere', () => {
  assert.deepEqual(
    [...componentStatesOf(base).values()],
    ['operational', 'operational', 'operational', 'operational'],
  );
  assert.equal(worstState(componentStatesOf(base).values()), 'operational');
  const down = componentStatesOf({ ...base, ready: false });
  assert.deepEqual(new Set(down.values()), new Set(['major_outage']));
});

test('signals and upstream verdicts move the component they are about, and only it', () => {
  const s = componentStatesOf({
    ...base,
    dependencies: { 'http:entitlements': 'failing: timeout' },
    openSignals: [signal('login-failures', 'P1', {}), signal('players-online', 'P2', { region: 'eu' })],
  });
  assert.equal(s.get('login'), 'partial_outage');
  assert.equal(s.get('entitlements'), 'partial_outage');
  assert.equal(s.get('sessions-eu'), 'degraded_performance');
  assert.equal(s.get('sessions-na'), 'operational');
});

test("a told P1 incident is a major outage of its regions' sessions; monitoring is degraded", () => {
  const running = componentStatesOf({
    ...base,
    incidents: [incident()],
    updates: [update(1, 'investigating', ['eu'])],
  });
  assert.equal(running.get('sessions-eu'), 'major_outage');
  assert.equal(running.get('sessions-na'), 'operational');
  const monitoring = componentStatesOf({
    ...base,
    incidents: [incident({ status: 'monitoring' })],
    updates: [update(1, 'investigating')],
  });
  assert.equal(monitoring.get('sessions-na'), 'degraded_performance');
  const resolved = componentStatesOf({ ...base, incidents: [incident({ status: 'resolved' })], updates: [] });
  assert.equal(worstState(resolved.values()), 'operational');
});

test('summary.json has the Statuspage shape, newest update first, and leaks nothing internal', () => {
  const s = statusSummary({
    ...base,
    openSignals: [signal('login-failures', 'P1', {})],
    incidents: [incident()],
    updates: [update(1, 'investigating'), update(2, 'identified')],
  }) as any;
  assert.deepEqual(Object.keys(s), ['page', 'components', 'incidents', 'scheduled_maintenances', 'status']);
  assert.deepEqual(s.status, { indicator: 'major', description: 'Major System Outage' });
  assert.equal(s.incidents[0].name, 'Service disruption', "an automatic incident's title stays internal");
  assert.deepEqual(
    s.incidents[0].incident_updates.map((u: any) => [u.id, u.status, u.body]),
    [
      ['inc-1.2', 'identified', 'body 2'],
      ['inc-1.1', 'investigating', 'body 1'],
    ],
  );
  const text = JSON.stringify(s) + statusPage(s);
  for (const secret of ['ops-alice', 'sig-secret', 'auto:breaker', '412', '991', 'breaker:kick', 'u1', 'k1'])
    assert.ok(!text.includes(secret), `${secret} is not on the public page`);
});

test('the HTML page is self-contained, escapes what it shows, and writes each state out', () => {
  const html = statusPage(
    statusSummary({
      ...base,
      incidents: [incident({ declaredBy: 'alice', title: '<script>alert(1)</script>' })],
      updates: [update(1, 'investigating')],
    }) as never,
  );
  assert.ok(html.startsWith('<!doctype html>'));
  assert.match(html, /<html lang="en">/);
  assert.ok(!html.includes('<script>'), 'escaped');
  assert.match(html, /&lt;script&gt;/);
  assert.doesNotMatch(html, /(src|href)=/, 'no external asset');
  assert.match(html, /Game sessions \(na\): <span class="state major_outage">Major outage<\/span>/);
});
