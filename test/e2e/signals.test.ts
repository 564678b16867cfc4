/**
 * Signals end to end on a real node (SQLite): logins failing through the lab's identity upstream
 * raise `login-failures` (seen by the admin API, the CLI and /metrics) and resolve after recovery;
 * Alertmanager and Sentry post signals; player reports surge into a signal. The detectors' steps
 * are driven by a TestClock and `detection.poll()`; the test waits on `signal.changed` events.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import type { App } from '../../src/app.ts';
import { identityUpstream } from '../../src/lab/index.ts';
import type { SignalChange, SignalChanged } from '../../src/signals/index.ts';
import { TestClock } from '../clock.ts';
import { addOperator, getJson, postJson, runCliCaptured, startLifeline } from '../helpers.ts';

const STEP = 10_000;
const SECRET = 'intake-secret-0123456789abcdef-0123456789';

/** The next signal.changed of this kind, for this detector. */
function next(app: App, change: SignalChange, detector: string): Promise<SignalChanged> {
  return new Promise((resolve) => {
    const off = app.events.on('signal.changed', (e) => {
      if (e.change !== change || e.signal.detector !== detector) return;
      off();
      resolve(e);
    });
  });
}

/** Moves the virtual clock one step and lets the node close it. */
async function step(app: App, clock: TestClock): Promise<void> {
  clock.advance(STEP);
  await app.detection?.poll();
}

async function logins(playerUrl: string, n: number, tag: string): Promise<number[]> {
  const shards = ['na-1', 'na-2', 'eu-1'];
  const answers = await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const shard = shards[i % shards.length] as string;
      return postJson(`${playerUrl}/v1/login`, {
        playerId: `${tag}-${i}`,
        region: shard.slice(0, 2),
        shard,
        clientVersion: '1.4.0',
      });
    }),
  );
  return answers.map((a) => a.status);
}

test('logins failing through the identity upstream raise login-failures, listed by API and CLI, resolved after recovery', async (t) => {
  const idp = await identityUpstream();
  t.after(() => idp.close());
  const clock = new TestClock();
  const running = await startLifeline(t, {
    clock: clock.now,
    overrides: {
      identity: { provider: 'http', http: { url: idp.verifyUrl, timeoutMs: 30_000 } },
      admission: { enabled: false },
      detection: { stepSeconds: STEP / 1000, failures: { warmupSeconds: 60, minShift: 0.3, threshold: 10 } },
    },
  });
  const { app, playerUrl, adminUrl } = running;
  const viewer = await addOperator(app, 'vera', 'viewer');
  for (let i = 0; i < 8; i++) {
    assert.deepEqual(new Set(await logins(playerUrl, 9, `warm${i}`)), new Set([200]));
    await step(app, clock);
  }
  assert.deepEqual((await getJson(`${adminUrl}/admin/v1/signals`, viewer)).body.signals, []);

  await idp.faults.set({ kind: 'error', rate: 1, status: 503 });
  const raised = next(app, 'raised', 'login-failures');
  // Two failing steps: one alone is a burst, not yet a fault (detection.failures.minSteps).
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(new Set(await logins(playerUrl, 9, `fault${i}`)), new Set([503]));
    await step(app, clock);
  }
  const { signal } = await raised;
  assert.equal(signal.source, 'detector');
  assert.ok(
    signal.localisation.some((e) => e.dimension === 'code' && e.values.includes('IDENTITY_UNAVAILABLE')),
    JSON.stringify(signal.localisation),
  );

  const listed = await getJson(`${adminUrl}/admin/v1/signals?state=open`, viewer);
  assert.equal(listed.status, 200);
  assert.deepEqual(
    listed.body.signals.map((s: { id: string }) => s.id),
    [signal.id],
  );
  const one = await getJson(`${adminUrl}/admin/v1/signals/${signal.id}`, viewer);
  assert.equal(one.body.signal.detector, 'login-failures');
  assert.equal(
    (await getJson(`${adminUrl}/admin/v1/signals/0199-nope`, viewer)).body.error.code,
    'SIGNAL_NOT_FOUND',
  );
  const cli = await runCliCaptured(
    ['signals', '--token', viewer],
    { LIFELINE_DATA_DIR: running.dataDir, LIFELINE_ADMIN_URL: adminUrl },
    running.dataDir,
  );
  assert.equal(cli.code, 0, cli.out);
  assert.match(cli.out, new RegExp(`${signal.id}\\t(P1|P2)\\tlogin-failures\\t.*\\topen\\t`));
  const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
  assert.match(
    metrics,
    new RegExp(`lifeline_signals_open\\{detector="login-failures",severity="${signal.severity}"\\} 1`),
  );

  await idp.faults.set({ kind: 'recover' });
  const resolved = next(app, 'resolved', 'login-failures');
  let done = false;
  void resolved.then(() => {
    done = true;
  });
  for (let i = 0; i < 20 && !done; i++) {
    await logins(playerUrl, 9, `back${i}`);
    await step(app, clock);
  }
  assert.equal((await resolved).signal.id, signal.id);
  const all = await runCliCaptured(
    [
      'signals',
      '--all',
      '--since',
      new Date(clock.now() - 3_600_000).toISOString(),
      '--json',
      '--token',
      viewer,
    ],
    { LIFELINE_DATA_DIR: running.dataDir, LIFELINE_ADMIN_URL: adminUrl },
    running.dataDir,
  );
  assert.equal(all.json.signals[0].id, signal.id);
  assert.ok(all.json.signals[0].resolvedAt >= signal.startedAt);
  assert.deepEqual((await getJson(`${adminUrl}/admin/v1/signals`, viewer)).body.signals, []);
});

function alert(status: 'firing' | 'resolved') {
  return {
    version: '4',
    groupKey: '{}:{alertname="LoginSuccessBurnRate"}',
    status,
    receiver: 'lifeline',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.local',
    alerts: [
      {
        status,
        labels: { alertname: 'LoginSuccessBurnRate', severity: 'page', slo: 'login-success' },
        annotations: { summary: 'Login success burning 14.4x' },
        startsAt: '2026-12-01T03:58:00Z',
        endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-12-01T04:10:00Z',
        fingerprint: '5ca1ab1e00000001',
      },
    ],
  };
}

test('Alertmanager and Sentry post signals with the intake secret; operators need signals.write; bad input stores nothing', async (t) => {
  const { app, adminUrl } = await startLifeline(t, { overrides: { detection: { intakeSecret: SECRET } } });
  const viewer = await addOperator(app, 'vera', 'viewer');
  const operator = await addOperator(app, 'olga', 'operator');
  const url = `${adminUrl}/admin/v1/signals`;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  assert.equal((await postJson(url, alert('firing'))).body.error.code, 'OPERATOR_UNAUTHENTICATED');
  assert.equal(
    (await postJson(url, alert('firing'), bearer(`${SECRET}x`))).body.error.code,
    'OPERATOR_UNAUTHENTICATED',
  );
  const denied = await postJson(url, alert('firing'), bearer(viewer));
  assert.equal(denied.status, 403);
  assert.equal(denied.body.error.code, 'OPERATOR_FORBIDDEN');
  for (const bad of [
    '{"version":"4","alerts":[{}]}',
    '[]',
    '{"alerts": "x"}',
    'not json',
    '{"__proto__":{"x":1},"alerts":[]}',
  ]) {
    const res = await postJson(url, bad, bearer(SECRET));
    assert.equal(res.status, 400, bad);
    assert.ok(
      ['SIGNAL_PAYLOAD_INVALID', 'MALFORMED_JSON'].includes(res.body.error.code),
      `${bad}: ${res.body.error.code}`,
    );
  }
  assert.deepEqual((await getJson(`${url}?state=all`, viewer)).body.signals, [], 'nothing stored');

  const raised = await postJson(url, alert('firing'), bearer(SECRET));
  assert.equal(raised.status, 200, JSON.stringify(raised.body));
  assert.equal(raised.body.raised, 1);
  const again = await postJson(url, alert('firing'), bearer(operator));
  assert.equal(again.body.updated, 1, 'a repeat while open updates, never a second signal');
  const open = (await getJson(url, viewer)).body.signals;
  assert.equal(open.length, 1);
  assert.equal(open[0].source, 'alertmanager');
  assert.equal(open[0].severity, 'P1');
  assert.deepEqual(open[0].dimensions, { slo: 'login-success' });
  const resolved = await postJson(url, alert('resolved'), bearer(SECRET));
  assert.equal(resolved.body.resolved, 1);
  assert.deepEqual((await getJson(url, viewer)).body.signals, []);

  const issue = JSON.stringify({
    action: 'created',
    data: { issue: { id: '77', title: 'Crash in login', level: 'error' } },
  });
  const sign = (body: string) => createHmac('sha256', SECRET).update(body).digest('hex');
  const forged = await postJson(url, issue, { 'sentry-hook-signature': sign(`${issue} `) });
  assert.equal(forged.status, 401);
  assert.equal(forged.body.error.code, 'SIGNAL_SIGNATURE_INVALID');
  const sentry = await postJson(url, issue, { 'sentry-hook-signature': sign(issue) });
  assert.equal(sentry.body.raised, 1, JSON.stringify(sentry.body));
  const listed = (await getJson(`${url}?detector=sentry-issue`, viewer)).body.signals;
  assert.equal(listed[0].title, 'Crash in login');
  assert.equal((await getJson(`${url}?since=yesterday`, viewer)).body.error.code, 'VALIDATION_FAILED');
  assert.equal((await getJson(`${url}?state=closed`, viewer)).body.error.code, 'VALIDATION_FAILED');
});

test('player reports are bounded and rate-limited per address, and a surge raises player-reports', async (t) => {
  const clock = new TestClock();
  const { app, playerUrl } = await startLifeline(t, {
    clock: clock.now,
    overrides: { detection: { reports: { threshold: 10 } } },
  });
  const url = `${playerUrl}/v1/reports`;
  for (const bad of [
    { category: 'aliens' },
    { category: 'lag', text: 'x'.repeat(1001) },
    { category: 'lag', text: 'line\nforged' },
    { category: 'lag', extra: 1 },
    { category: 'lag', region: '../../etc' },
  ]) {
    const res = await postJson(url, bad);
    assert.equal(res.status, 400, JSON.stringify(bad));
    assert.equal(res.body.error.code, 'VALIDATION_FAILED');
  }
  assert.equal((await postJson(url, { category: 'lag' }, { authorization: 'Bearer forged' })).status, 401);
  const raised = next(app, 'raised', 'player-reports');
  // The address's burst (5 by default): then 429, so one client cannot make a surge alone.
  const answers = [];
  for (let i = 0; i < 7; i++)
    answers.push((await postJson(url, { category: 'login', region: 'eu', text: 'cannot log in' })).status);
  assert.deepEqual(answers.slice(-2), [429, 429]);
  assert.ok(answers.filter((s) => s === 202).length >= 4, String(answers));
  let seen: SignalChanged | undefined;
  void raised.then((e) => {
    seen = e;
  });
  for (let i = 0; i < 3 && !seen; i++) await step(app, clock);
  assert.ok(seen, 'raised within the steps after the surge');
  const { signal } = await raised;
  assert.equal(signal.source, 'player-reports');
  assert.deepEqual(signal.localisation[0]?.values, ['login']);
});

test('a machine sender past its rate bucket gets 503 SIGNAL_INTAKE_BUSY with Retry-After (Alertmanager retries a 5xx, drops a 4xx)', async (t) => {
  // A virtual clock that does not move: the bucket does not refill during the test.
  const clock = new TestClock();
  const { app, config, adminUrl } = await startLifeline(t, {
    clock: clock.now,
    overrides: { detection: { intakeSecret: SECRET } },
  });
  const url = `${adminUrl}/admin/v1/signals`;
  const bearer = { authorization: `Bearer ${SECRET}` };
  for (let i = 0; i < config.admin.rateLimit.burst; i++)
    assert.equal((await postJson(url, alert('firing'), bearer)).status, 200);
  const busy = await postJson(url, alert('resolved'), bearer);
  assert.equal(busy.status, 503, JSON.stringify(busy.body));
  assert.equal(busy.body.error.code, 'SIGNAL_INTAKE_BUSY');
  assert.ok(Number(busy.headers.get('retry-after')) >= 1, 'it says when to send again');
  const viewer = await addOperator(app, 'vera', 'viewer');
  assert.equal((await getJson(url, viewer)).body.signals.length, 1, 'the refused resolve changed nothing');
  // An operator has their own bucket, and past it the admin API's usual 429.
  const operator = await addOperator(app, 'olga', 'operator');
  let last = 0;
  for (let i = 0; i <= config.admin.rateLimit.burst; i++)
    last = (await postJson(url, alert('firing'), { authorization: `Bearer ${operator}` })).status;
  assert.equal(last, 429);
});
