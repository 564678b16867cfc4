import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { isLifelineError } from '../errors/index.ts';
import { bearerIsIntakeSecret, parseIntake, signatureMatches } from './intake.ts';

const NOW = Date.parse('2026-12-01T04:00:00Z');

/** An Alertmanager webhook body (version 4) as Alertmanager posts it. */
function alertmanagerBody(status: 'firing' | 'resolved', overrides: Record<string, unknown> = {}) {
  return {
    version: '4',
    groupKey: '{}:{alertname="LoginSuccessBurnRate"}',
    truncatedAlerts: 0,
    status,
    receiver: 'lifeline',
    groupLabels: { alertname: 'LoginSuccessBurnRate' },
    commonLabels: { alertname: 'LoginSuccessBurnRate', severity: 'page' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.local:9093',
    alerts: [
      {
        status,
        labels: { alertname: 'LoginSuccessBurnRate', severity: 'page', slo: 'login-success' },
        annotations: { summary: 'Login success burning 14.4x\nover 1h and 5m' },
        startsAt: '2026-12-01T03:58:00Z',
        endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-12-01T03:59:30Z',
        generatorURL: 'http://prometheus.local/graph',
        fingerprint: 'c0ffee1234567890',
      },
    ],
    ...overrides,
  };
}

test('an Alertmanager alert firing raises by its fingerprint, resolved resolves it', () => {
  const [raise] = parseIntake(alertmanagerBody('firing'), NOW);
  assert.equal(raise?.kind, 'raise');
  if (raise?.kind !== 'raise') return;
  assert.equal(raise.input.source, 'alertmanager');
  assert.equal(raise.input.detector, 'LoginSuccessBurnRate');
  assert.equal(raise.input.severity, 'P1');
  assert.equal(raise.input.fingerprint, 'alertmanager:c0ffee1234567890');
  assert.deepEqual(raise.input.dimensions, { slo: 'login-success' });
  assert.equal(raise.input.title, 'Login success burning 14.4x over 1h and 5m', 'no newline survives');
  assert.equal(raise.input.onsetAt, Date.parse('2026-12-01T03:58:00Z'));
  assert.deepEqual(parseIntake(alertmanagerBody('resolved'), NOW), [
    { kind: 'resolve', fingerprint: 'alertmanager:c0ffee1234567890', at: Date.parse('2026-12-01T03:59:30Z') },
  ]);
});

test('a Sentry issue webhook raises on created and resolves on resolved, by issue id', () => {
  const issue = {
    id: '4509',
    title: 'TypeError in login',
    culprit: 'auth/verify',
    level: 'fatal',
    project: { slug: 'game' },
  };
  const [raise] = parseIntake({ action: 'created', data: { issue }, actor: { type: 'application' } }, NOW);
  assert.ok(raise?.kind === 'raise');
  assert.equal(raise.input.fingerprint, 'sentry:4509');
  assert.equal(raise.input.severity, 'P1');
  assert.deepEqual(raise.input.dimensions, { project: 'game', culprit: 'auth/verify' });
  assert.deepEqual(parseIntake({ action: 'resolved', data: { issue } }, NOW), [
    { kind: 'resolve', fingerprint: 'sentry:4509', at: NOW },
  ]);
  assert.deepEqual(parseIntake({ action: 'assigned', data: { issue } }, NOW), []);
});

test('a body that is neither, or one bad alert among good ones, is refused whole with a coded error', () => {
  const good = alertmanagerBody('firing');
  const bad: unknown[] = [
    null,
    [],
    'firing',
    {},
    { ...good, version: '3' },
    { ...good, alerts: [] },
    { ...good, alerts: [...good.alerts, { status: 'firing', labels: {} }] },
    { ...good, alerts: [{ ...good.alerts[0], status: 'pending' }] },
    { ...good, alerts: [{ ...good.alerts[0], startsAt: 'yesterday' }] },
    { ...good, alerts: [{ ...good.alerts[0], labels: { alertname: 'x', n: 5 } }] },
    { ...good, alerts: Array.from({ length: 501 }, () => good.alerts[0]) },
    { ...good, alerts: [{ ...good.alerts[0], labels: { alertname: 'x'.repeat(2000) } }] },
    { action: 'created', data: { issue: { id: '1' } } },
    { action: 'created', data: {} },
  ];
  for (const body of bad)
    assert.throws(
      () => parseIntake(body, NOW),
      (err: unknown) => isLifelineError(err, 'SIGNAL_PAYLOAD_INVALID'),
      JSON.stringify(body)?.slice(0, 120),
    );
});

test('a label named __proto__ stays a label', () => {
  const body = JSON.parse(
    '{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"a","__proto__":"x"}}]}',
  );
  const [raise] = parseIntake(body, NOW);
  assert.ok(raise?.kind === 'raise');
  assert.equal(Object.getPrototypeOf(raise.input.dimensions), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(raise.input.dimensions, '__proto__')?.value, 'x');
});

test('the intake secret: a bearer matches only the secret, a signature only the body it signs', () => {
  const secret = 's'.repeat(40);
  assert.ok(bearerIsIntakeSecret(secret, secret));
  assert.ok(!bearerIsIntakeSecret(secret, `${secret}x`));
  assert.ok(!bearerIsIntakeSecret(secret, undefined));
  assert.ok(!bearerIsIntakeSecret('', ''), 'no secret configured accepts nothing');
  const body = '{"action":"created"}';
  const sig = createHmac('sha256', secret).update(body).digest('hex');
  assert.ok(signatureMatches(secret, body, sig));
  assert.ok(!signatureMatches(secret, `${body} `, sig));
  assert.ok(!signatureMatches(secret, body, 'zz'));
  assert.ok(!signatureMatches('', body, sig));
});
